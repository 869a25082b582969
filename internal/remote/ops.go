package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxListingBytes bounds one directory listing (C-07). A longer one fails
// rather than being cut silently, because sync must never act on half a view.
const maxListingBytes = 64 << 20

// abs turns a path relative to the remote's root into the argument sent to
// the server. ".." cannot climb above the root.
func (c *Conn) abs(p string) (string, error) {
	if err := checkArg(p); err != nil {
		return "", fmt.Errorf("path %q: %w", p, err)
	}
	return path.Join(c.root, path.Clean("/"+p)), nil
}

// List returns the entries of dir, using MLSD where the server offers it and
// LIST otherwise. Entries with unsafe names are dropped and logged.
func (c *Conn) List(ctx context.Context, dir string) ([]Entry, error) {
	p, err := c.abs(dir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	err = c.run(ctx, func() error {
		out, err = c.list(ctx, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", dir, err)
	}
	return out, nil
}

func (c *Conn) list(ctx context.Context, p string) ([]Entry, error) {
	out, err := c.listRaw(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := c.followFileLinks(p, out); err != nil {
		return nil, err
	}
	return out, nil
}

// listRaw is list without following links.
func (c *Conn) listRaw(ctx context.Context, p string) ([]Entry, error) {
	_, mlsd := c.feat["MLST"]
	var data []byte
	var err error
	if mlsd {
		data, err = c.listing(ctx, "MLSD", p)
	} else {
		data, err = c.listAll(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	var out []Entry
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		var e Entry
		var skip bool
		if mlsd {
			e, skip, err = parseMLSx(line)
		} else {
			e, skip, err = parseLIST(line, now)
		}
		if err == nil && !skip {
			err = checkName(e.Name)
		}
		if err != nil {
			c.log.Error("remote listing entry dropped", "dir", p, "err", err)
			continue
		}
		if !skip {
			out = append(out, e)
		}
	}
	return out, nil
}

// listing returns what verb (MLSD or LIST) with arg sends over the data
// connection: nil for a final reply that came without one.
func (c *Conn) listing(ctx context.Context, verb, arg string) ([]byte, error) {
	dc, err := c.dataCmd(ctx, verb, arg, 0)
	var early *earlyReply
	if errors.As(err, &early) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	data, rerr := io.ReadAll(io.LimitReader(dc, maxListingBytes+1))
	if rerr == nil && len(data) > maxListingBytes {
		rerr = fmt.Errorf("listing longer than %d bytes", maxListingBytes)
		c.broken = true // the rest of the stream is still coming
	} else if rerr != nil {
		rerr = &netError{"read listing", rerr}
	}
	if err := c.finish(dc, false, rerr); err != nil {
		return nil, err
	}
	return data, nil
}

// Stat returns the entry at p, with an error wrapping fs.ErrNotExist when
// there is none.
func (c *Conn) Stat(ctx context.Context, p string) (Entry, error) {
	ap, err := c.abs(p)
	if err != nil {
		return Entry{}, err
	}
	var e Entry
	err = c.run(ctx, func() error {
		e, err = c.stat(ctx, ap)
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("stat %q: %w", p, err)
	}
	return e, nil
}

func (c *Conn) stat(ctx context.Context, ap string) (Entry, error) {
	if ap == "/" {
		return Entry{Name: "/", Type: Dir}, nil
	}
	if _, ok := c.feat["MLST"]; ok {
		code, msg, err := c.cmd("MLST", ap)
		if err != nil {
			return Entry{}, err
		}
		if code == 550 {
			return Entry{}, fmt.Errorf("%w: %w", fs.ErrNotExist, replyError(code, msg))
		}
		if code != 250 {
			return Entry{}, replyError(code, msg)
		}
		for _, line := range strings.Split(msg, "\n") {
			if !strings.HasPrefix(line, " ") {
				continue
			}
			line = strings.TrimPrefix(line, " ")
			e, _, err := parseMLSx(line)
			if err != nil {
				return Entry{}, err
			}
			e.Name = path.Base(ap)
			if e.Type == Link || e.Type == File && linkMode(line) {
				return c.resolveLink(ap, e)
			}
			return e, nil
		}
		return Entry{}, fmt.Errorf("mlst: no facts in reply %q", truncate(msg))
	}
	// Without MLST, SIZE and MDTM answer for a file in two round trips;
	// only a directory (SIZE says 550) costs a listing of its parent.
	if _, ok := c.feat["SIZE"]; ok {
		if n, err := c.size(ap); err == nil && n >= 0 {
			e := Entry{Name: path.Base(ap), Type: File, Size: n}
			if _, ok := c.feat["MDTM"]; ok {
				if t, err := c.mdtm(ap); err == nil {
					e.ModTime, e.PreciseTime = t, true
				}
			}
			return e, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Entry{}, err
		}
	}
	entries, err := c.listRaw(ctx, path.Dir(ap))
	if err != nil {
		return Entry{}, err
	}
	for _, e := range entries {
		if e.Name != path.Base(ap) {
			continue
		}
		if e.Type == Link {
			return c.resolveLink(ap, e)
		}
		if e.Type == File {
			if _, ok := c.feat["MDTM"]; ok {
				if t, err := c.mdtm(ap); err == nil {
					e.ModTime, e.PreciseTime = t, true
				}
			}
		}
		return e, nil
	}
	return Entry{}, fs.ErrNotExist
}

func (c *Conn) mdtm(ap string) (time.Time, error) {
	msg, err := c.expect(213, "MDTM", ap)
	if err != nil {
		return time.Time{}, err
	}
	return parseMDTM(strings.TrimSpace(msg))
}

// size returns SIZE of ap, or -1 when the server cannot tell.
func (c *Conn) size(ap string) (int64, error) {
	code, msg, err := c.cmd("SIZE", ap)
	if err != nil {
		return 0, err
	}
	if code != 213 {
		if code == 550 {
			return 0, fmt.Errorf("%w: %w", fs.ErrNotExist, replyError(code, msg))
		}
		return -1, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(msg), 10, 64)
	if err != nil {
		return -1, nil
	}
	return n, nil
}

// netReader and netWriter mark errors of the data connection, so they can be
// told apart from errors of the local reader or writer.
type netReader struct{ net.Conn }

func (r netReader) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if err != nil && err != io.EOF {
		err = &netError{"read data", err}
	}
	return n, err
}

// WriteTo lets the connection's own WriteTo (deadlineConn's, which splices
// plain TCP) do the copy, marking its errors as network errors as Read
// does (io.Copy would otherwise see only netReader's Read), except those
// of w: a write that failed, or a splice into w that failed on w's side
// (see sinkErr).
func (r netReader) WriteTo(w io.Writer) (int64, error) {
	wt, ok := r.Conn.(io.WriterTo)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{r})
	}
	s := &sink{w: w}
	var n int64
	var err error
	if _, ok := w.(io.ReaderFrom); ok {
		n, err = wt.WriteTo(sinkFrom{s})
	} else {
		n, err = wt.WriteTo(s)
	}
	if err != nil && !s.failed {
		err = &netError{"read data", err}
	}
	return n, err
}

// sink is a download's writer that remembers its own failure, so that
// netReader.WriteTo can tell it from the data connection's.
type sink struct {
	w      io.Writer
	failed bool
}

func (s *sink) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil || n < len(p) {
		s.failed = true // io.Copy makes a short write io.ErrShortWrite
	}
	return n, err
}

// sinkFrom is a sink whose writer has a ReadFrom of its own (a local
// file, which splices from the socket): it gets the data connection's
// chunk itself.
type sinkFrom struct{ *sink }

func (s sinkFrom) ReadFrom(r io.Reader) (int64, error) {
	n, err := s.w.(io.ReaderFrom).ReadFrom(r)
	if sinkErr(err) {
		s.failed = true
	}
	return n, err
}

// sinkErr reports whether err, from a splice of the data connection into
// a local file, is the file's: the storage errors a write gives. A splice
// reports either side's failure as the writer's, so anything else is
// taken for the connection's, as it was before.
func sinkErr(err error) bool {
	for _, e := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EIO, syscall.EROFS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

type netWriter struct{ net.Conn }

// ReadFrom lets the connection's own ReadFrom (deadlineConn's, which
// splices a socket's chunk to plain TCP) do the copy, marking its errors as
// network errors as Write does: io.Copy would otherwise see only Write.
func (w netWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := w.Conn.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{w}, r)
	}
	n, err := rf.ReadFrom(r)
	if err != nil {
		err = &netError{"write data", err}
	}
	return n, err
}

func (w netWriter) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	if err != nil {
		err = &netError{"write data", err}
	}
	return n, err
}

// Retrieve copies p, starting at offset, to w and returns the bytes written.
// When the server knows the file's size, fewer bytes than that is an error
// even after 226 (C-18).
func (c *Conn) Retrieve(ctx context.Context, p string, offset int64, w io.Writer) (int64, error) {
	r, err := c.RetrieveTimed(ctx, p, offset, w, false)
	return r.Bytes, err
}

// Retrieved is what RetrieveTimed did.
type Retrieved struct {
	Bytes   int64
	ModTime time.Time // from MDTM when asked and the server answered; else zero
}

// RetrieveTimed is Retrieve that can also ask for the file's exact
// modification time (MDTM), for listings that give minutes only. SIZE and
// MDTM go in the same write as EPSV: one round trip for all three.
func (c *Conn) RetrieveTimed(ctx context.Context, p string, offset int64, w io.Writer, wantTime bool) (Retrieved, error) {
	return c.retrieve(ctx, p, offset, w, wantTime, nil)
}

// retrieve is RetrieveTimed; check, when set, gets the SIZE (-1: not
// told) and MDTM (zero: not asked or not told) replies before any byte is
// written to w, and an error from it ends the transfer unretried.
func (c *Conn) retrieve(ctx context.Context, p string, offset int64, w io.Writer, wantTime bool, check func(size int64, mt time.Time) error) (Retrieved, error) {
	ap, err := c.abs(p)
	if err != nil {
		return Retrieved{}, err
	}
	var r Retrieved
	err = c.run(ctx, func() error {
		pre := [][2]string{{"SIZE", ap}}
		if wantTime {
			pre = append(pre, [2]string{"MDTM", ap})
		}
		dc, replies, err := c.dataCmdAfter(ctx, pre, "RETR", ap, offset)
		if err != nil {
			if len(replies) > 0 && replies[0].code == 550 {
				// SIZE's 550 says more than RETR's refusal.
				return fmt.Errorf("%w: %w", fs.ErrNotExist, replyError(replies[0].code, replies[0].msg))
			}
			return err
		}
		size := replySize(replies[0].code, replies[0].msg)
		if wantTime && replies[1].code == 213 {
			r.ModTime, _ = parseMDTM(strings.TrimSpace(replies[1].msg))
		}
		if check != nil {
			if err := check(size, r.ModTime); err != nil {
				return c.finish(dc, false, noRetry{err}) // nothing read: w gets none of it
			}
		}
		var cerr error
		var n int64
		if _, splices := dc.(io.WriterTo); splices {
			n, cerr = io.Copy(w, netReader{dc})
		} else {
			n, cerr = relay(w, dc)
		}
		r.Bytes += n
		if err := c.finish(dc, false, cerr); err != nil {
			return err
		}
		if size >= 0 && offset+n != size {
			return &netError{"retr", fmt.Errorf("transfer ended at byte %d of %d", offset+n, size)}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("retrieve %q: %w", p, err)
	}
	return r, nil
}

// upload sends r with verb (STOR or APPE) to ap. A local file goes to
// the data connection's ReadFrom itself, which sendfiles it over plain TCP
// (deadlineConn.ReadFrom): io.Copy would hand it to os.File.WriteTo, which
// cannot see the socket behind netWriter.
func (c *Conn) upload(ctx context.Context, verb, ap string, r io.Reader) (int64, error) {
	dc, err := c.dataCmd(ctx, verb, ap, 0)
	if err != nil {
		return 0, err
	}
	var n int64
	var cerr error
	if f, sent, ok := fileSource(r); ok {
		n, cerr = netWriter{dc}.ReadFrom(f)
		sent(n)
	} else {
		n, cerr = io.Copy(netWriter{dc}, r)
	}
	return n, c.finish(dc, true, cerr)
}

// fileSource returns the local file behind r, when r is one (or Pool's
// CountReader over one), and a func to count what was sent from it.
func fileSource(r io.Reader) (*os.File, func(int64), bool) {
	switch v := r.(type) {
	case *os.File:
		return v, func(int64) {}, true
	case *CountReader:
		if f, ok := v.R.(*os.File); ok {
			return f, func(n int64) { v.N += n }, true
		}
	}
	return nil, nil, false
}
