package remote

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// renameOver renames from to to. Servers differ when to exists: vsftpd and
// ProFTPD replace it (rename(2)), others answer 550/553. Then, when to
// exists, it is renamed aside to a hidden temporary name, from is renamed
// into place, and the aside copy is deleted: to always names one whole
// file, the old or the new. A refusal that was not about to existing (no
// rename rights: ftpserverlib, ProFTPD's <Limit RNTO>) refuses the move
// aside too, or the second rename, whose aside copy is then renamed back:
// either way to keeps its old file and the first refusal is returned. A
// refused RNFR (from is missing) ends it there, with to untouched.
func (c *Conn) renameOver(from, to string) error {
	if _, err := c.expect(350, "RNFR", from); err != nil {
		return err
	}
	return c.renameOverTo(from, to)
}

// renameOverTo is renameOver once the server has accepted RNFR from. The
// common case, an RNTO that works, costs nothing more.
func (c *Conn) renameOverTo(from, to string) error {
	_, err := c.expect(250, "RNTO", to)
	if err == nil || !isReply(err, 5) {
		return err
	}
	if _, serr := c.size(to); serr != nil {
		return err // the target does not exist (or is a folder): the first error stands
	}
	aside := tempName(to)
	if aerr := c.rename(to, aside); aerr != nil {
		if c.brokenBy(aerr) {
			return fmt.Errorf("%w (moving the old file aside to %s: %v)", err, aside, aerr)
		}
		return err // refused: the old file stays where it was
	}
	rerr := c.rename(from, to)
	if rerr == nil {
		if _, derr := c.expect(250, "DELE", aside); derr != nil {
			c.brokenBy(derr)
			c.log.Warn("remote replaced file's old copy not deleted", "path", aside, "err", derr)
		}
		return nil
	}
	berr := rerr
	if !c.brokenBy(rerr) {
		berr = c.rename(aside, to)
	}
	if berr != nil {
		// The old file is whole, under a name listings hide. %v: the
		// server's refusal, not a broken connection, is the error's
		// kind, so that nothing retries over the aside copy.
		c.brokenBy(berr)
		return fmt.Errorf("%w (the old file is kept as %s: renaming it back failed: %v)", err, aside, berr)
	}
	return err
}

// brokenBy marks the connection broken when err is its failure, and
// reports whether it is broken: a caller that returns another error in
// err's place (the server's refusal that started a fallback) keeps run
// from seeing it.
func (c *Conn) brokenBy(err error) bool {
	var ne *netError
	if errors.As(err, &ne) {
		c.broken = true
	}
	return c.broken
}

// Ways to set a modification time, tried in order until one works; the one
// that worked is remembered for the connection.
const (
	mtimeMFMT     = iota + 1 // MFMT YYYYMMDDHHMMSS path (draft-somers-ftp-mfxx): ProFTPD, pure-ftpd
	mtimeSiteUTIM            // SITE UTIME YYYYMMDDHHMMSS path: ProFTPD mod_site_misc
	mtimeMDTM                // MDTM YYYYMMDDHHMMSS path: vsftpd (mdtm_write)
)

var errNoSetTime = errors.New("server offers no way to set a modification time (MFMT, SITE UTIME, MDTM)")

func (c *Conn) setModTime(ap string, t time.Time) error {
	ts := t.Format("20060102150405")
	methods := []int{mtimeMFMT, mtimeSiteUTIM, mtimeMDTM}
	if c.mtimeMethod != 0 {
		methods = []int{c.mtimeMethod}
	}
	if _, ok := c.feat["MFMT"]; !ok && c.mtimeMethod == 0 {
		methods = methods[1:]
	}
	var last error
	for _, m := range methods {
		var code int
		var msg string
		var err error
		switch m {
		case mtimeMFMT:
			code, msg, err = c.cmd("MFMT", ts+" "+ap)
		case mtimeSiteUTIM:
			code, msg, err = c.cmd("SITE", "UTIME "+ts+" "+ap)
		case mtimeMDTM:
			code, msg, err = c.cmd("MDTM", ts+" "+ap)
		}
		if err != nil {
			return err
		}
		if code/100 == 2 {
			c.mtimeMethod = m
			return nil
		}
		last = replyError(code, msg)
	}
	return fmt.Errorf("%w: %w", errNoSetTime, last)
}

// failedDespite2xx reports a transfer reply that says 2xx but admits a
// failure (vsftpd: "226 Transfer done (but failed to open directory)").
func failedDespite2xx(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "failed to open directory")
}

// How a LIST-only server is asked for a folder's dot names, remembered for
// the connection once a reply tells (Conn.listDash).
const (
	listDashA     = iota + 1 // "LIST -a path": vsftpd, ProFTPD, pure-ftpd
	listDashPlain            // "LIST path": the server does not know -a
)

// listAll returns the LIST listing of p with its dot names. vsftpd (and
// ProFTPD) leave them out of a bare LIST, so a dot-file would be missing
// from a mount and a dot-folder would Stat as missing; "LIST -a" shows
// them, with . and .., which parseLIST skips. A server that does not know
// -a refuses it ("550 -a: no such file": a 5xx) or takes "-a path" for a
// path and lists nothing: then a bare LIST is sent, and when it lists
// something, -a is not tried again on this connection. A folder that both
// list empty tells nothing, and the next listing asks again.
func (c *Conn) listAll(ctx context.Context, p string) ([]byte, error) {
	if c.listDash == listDashPlain {
		return c.listing(ctx, "LIST", p)
	}
	data, err := c.listing(ctx, "LIST", "-a "+p)
	switch {
	case c.listDash == listDashA:
		return data, err
	case err == nil && hasEntries(data):
		c.listDash = listDashA
		return data, nil
	case err != nil && !isReply(err, 5):
		return nil, err
	}
	plain, perr := c.listing(ctx, "LIST", p)
	if perr != nil {
		return nil, perr // the folder's own error: the first one may have been about -a
	}
	if hasEntries(plain) {
		c.listDash = listDashPlain
		c.log.Warn("remote lists without -a: dot names are not listed", "dir", p, "err", err)
	}
	return plain, nil
}

// hasEntries reports whether a LIST listing has a line other than "total".
func hasEntries(data []byte) bool {
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "total ") {
			return true
		}
	}
	return false
}

// linkBatch bounds the commands pipelined in one write to follow links: a
// server that answers while we still write must not fill our receive
// buffer while it waits for us to read.
const linkBatch = 64

// followFileLinks follows the symbolic links among es, the entries of
// folder dir (absolute): SIZE, which every server here answers for the
// target (stat(2)), makes a link to a file a File of its target's size,
// with MDTM's time where the server offers it. Links SIZE refuses (to
// folders, dangling ones) stay Link: a listing that showed a link to a
// folder as one would send walkers round a link to "." without end;
// Stat tells folders (resolveLink). The commands go pipelined, linkBatch
// at a time, so a listing costs one more round trip per batch of links,
// none without links.
func (c *Conn) followFileLinks(dir string, es []Entry) error {
	var links []int
	for i, e := range es {
		if e.Type == Link {
			links = append(links, i)
		}
	}
	_, mdtm := c.feat["MDTM"]
	for len(links) > 0 {
		batch := links[:min(len(links), linkBatch)]
		links = links[len(batch):]
		var lines [][2]string
		for _, i := range batch {
			ap := path.Join(dir, es[i].Name)
			lines = append(lines, [2]string{"SIZE", ap})
			if mdtm {
				lines = append(lines, [2]string{"MDTM", ap})
			}
		}
		replies, err := c.pipeline(lines)
		if err != nil {
			return err
		}
		per := len(replies) / len(batch)
		for k, i := range batch {
			r := replies[k*per : (k+1)*per]
			if n := replySize(r[0].code, r[0].msg); n >= 0 {
				es[i] = followed(es[i], File, n, r[1:])
			}
		}
	}
	return nil
}

// followed is link e resolved to a t of size n, with its time from an
// MDTM reply when there is one that parses.
func followed(e Entry, t EntryType, n int64, mdtm []reply) Entry {
	e.Type, e.Size, e.Link = t, n, true
	if len(mdtm) > 0 && mdtm[0].code == 213 {
		if mt, err := parseMDTM(strings.TrimSpace(mdtm[0].msg)); err == nil {
			e.ModTime, e.PreciseTime = mt, true
		}
	}
	return e
}

// resolveLink tells what the symbolic link at ap (entry e) points to: a
// file when SIZE answers (it follows the link), else a folder when CWD
// into it works (the working directory then goes back to the root, in
// the same write; nothing here relies on it, paths being absolute). A
// link neither follows (dangling, or to something the login may not
// see) comes back as it is, a Link.
func (c *Conn) resolveLink(ap string, e Entry) (Entry, error) {
	lines := [][2]string{{"SIZE", ap}}
	if _, ok := c.feat["MDTM"]; ok {
		lines = append(lines, [2]string{"MDTM", ap})
	}
	r, err := c.pipeline(lines)
	if err != nil {
		return Entry{}, err
	}
	if n := replySize(r[0].code, r[0].msg); n >= 0 {
		f := followed(e, File, n, r[1:])
		f.Link = e.Type == Link // linkMode's guess is only that
		return f, nil
	}
	if e.Type == File {
		return e, nil // a regular file whose size SIZE would not tell (linkMode was wrong)
	}
	r, err = c.pipeline([][2]string{{"CWD", ap}, {"CWD", c.root}})
	if err != nil {
		return Entry{}, err
	}
	if r[0].code == 250 {
		e.Type, e.Size, e.Link = Dir, 0, true
	}
	return e, nil
}

// linkMode reports whether an MLST line gives mode 0777: ProFTPD follows a
// symbolic link for MLST's type (type=file) but gives the link's own size
// and mode (lstat), so a "file" of mode 0777, which regular files hardly
// ever have, is asked its SIZE, which follows the link.
func linkMode(line string) bool {
	l := strings.ToLower(line)
	return strings.Contains(l, ";unix.mode=0777;") || strings.HasPrefix(l, "unix.mode=0777;")
}

// ListsDotNames reports whether the server's listings show dot names:
// MLSD does, and LIST does once "LIST -a" worked (see listAll). A
// LIST-only server not yet asked is asked now, with a listing of the
// root; one whose answers have not told yet (an empty root) counts as
// hiding them, which is the safe answer for a two-way sync.
func (c *Conn) ListsDotNames(ctx context.Context) (bool, error) {
	if _, ok := c.feat["MLST"]; ok {
		return true, nil
	}
	if c.listDash == 0 {
		err := c.run(ctx, func() error {
			_, err := c.list(ctx, c.root)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("list %q: %w", c.root, err)
		}
	}
	return c.listDash == listDashA, nil
}
