package ftpfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// OpenFile opens a remote file and starts the transfer (see start.go), so
// that the remote's refusal is OpenFile's error. O_RDONLY starts a
// download at offset 0 (a Seek before the first read starts it again at
// the new offset). O_WRONLY|O_CREATE starts an upload that the remote
// package publishes atomically on Close; with O_APPEND it appends (APPE).
// Either holds a pooled connection until Close.
func (f *FS) OpenFile(name string, flag int, _ fs.FileMode) (vfs.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return f.OpenAt(name, 0)
	}
	if f.opt.ReadOnly {
		return nil, f.wrap("open", name, remote.ErrReadOnly)
	}
	if flag&os.O_EXCL != 0 {
		if _, err := f.Stat(name); err == nil {
			return nil, f.wrap("open", name, fs.ErrExist)
		}
	}
	f.sweep()
	w := &writeFile{fs: f, name: name, appendMode: flag&os.O_APPEND != 0}
	if err := w.start(); err != nil {
		return nil, f.refusedWhy(err)
	}
	return w, nil
}

// OpenAt opens a remote file for reading and starts its download at
// offset (REST), as a resumed download asks: OpenFile and a Seek would
// start it at 0 and start it again, which the remote logs as an aborted
// download. An offset past the end of the file asks the remote nothing and
// reads as ended, as an os.File does there; the caller judges it.
func (f *FS) OpenAt(name string, offset int64) (vfs.File, error) {
	fi, err := f.Stat(name)
	if err != nil {
		return nil, err
	}
	r := &readFile{fs: f, name: name, info: fi}
	if fi.IsDir() {
		return r, nil
	}
	if err := r.start(offset); err != nil {
		return nil, err
	}
	return r, nil
}

// refusedWhy returns the missing mounted folder as the reason of err, the
// remote's refusal of an upload, when it is the reason ("553 Could not
// create file" says less).
func (f *FS) refusedWhy(err error) error {
	var rf *refused
	if !errors.As(err, &rf) || f.rootSeen.Load() {
		return err
	}
	ctx, cancel := f.op()
	defer cancel()
	var mr *missingRoot
	if rerr := f.checkRoot(ctx, false); errors.As(rerr, &mr) {
		return rerr
	}
	return err
}

// writeFile is an upload in progress: one STOR (APPE in append mode) that
// OpenFile starts, that takes what each Write or ReadFrom gives, and that
// is published once Close ends it cleanly.
type writeFile struct {
	fs         *FS
	name       string
	appendMode bool
	feed       *feed
	cancel     context.CancelCauseFunc // cuts the upload (Abort)

	mu      sync.Mutex
	n       int64 // sent, once the upload has returned
	aborted bool
}

// upload runs the upload: APPE in append mode, else a Store through a
// temporary name that the journal records first, and drops once the
// upload is published or its file deleted.
func (w *writeFile) upload(ctx context.Context, r io.Reader) (int64, error) {
	defer w.fs.invalidate()
	rp := w.fs.remotePath(w.name)
	if w.appendMode {
		return w.fs.pool.Append(ctx, rp, r)
	}
	tmp := remote.TempName(rp)
	j := w.fs.opt.Journal
	id := j.begin(ctx, w.fs.opt.Remote, tmp)
	u, err := w.fs.pool.Upload(ctx, rp, r, remote.UploadOptions{Temp: tmp})
	j.end(ctx, id, w.fs.opt.Remote, err != nil && u.TempLeft != "")
	return u.Bytes, err
}

// start starts the upload and waits until the remote accepted it (it asks
// for the first input) or refused it.
func (w *writeFile) start() error {
	f := newFeed()
	w.feed = f
	// Once started, not cancelled with the session: a client that vanishes
	// mid-upload ends the session, and the remote package must still get
	// to delete its temporary file. The client's reader failing ends the
	// upload, and the pool's I/O deadlines bound it.
	ctx, started, cancel := w.fs.launch(context.WithoutCancel(w.fs.ctx))
	w.cancel = cancel
	w.fs.uploads.Add(1)
	go func() {
		defer w.fs.uploads.Done()
		n, err := w.upload(ctx, &feedReader{f: f})
		err = startErr(ctx, err)
		cancel(nil)
		w.mu.Lock()
		w.n = n
		w.mu.Unlock()
		f.ended(err)
	}()
	select {
	case <-f.opened:
	case <-f.done:
	}
	if !started() {
		f.stop(errAborted)
		<-f.done
		return w.fs.wrap("stor", w.name, f.result)
	}
	select {
	case <-f.done:
		return w.fs.wrap("stor", w.name, f.failure())
	default:
		return nil
	}
}

// ReadFrom hands r to the upload, which copies it to the remote until r
// ends, and returns what it took: a plain data connection's chunk
// (*io.LimitedReader of a *net.TCPConn) goes socket to socket by splice,
// without passing through this process. The file is published by Close.
func (w *writeFile) ReadFrom(r io.Reader) (int64, error) {
	w.mu.Lock()
	aborted := w.aborted
	w.mu.Unlock()
	if aborted {
		return 0, w.fs.wrap("stor", w.name, errAborted)
	}
	n, err := w.feed.give(r)
	return n, w.fs.wrap("stor", w.name, err)
}

func (w *writeFile) Write(p []byte) (int, error) {
	n, err := w.ReadFrom(bytes.NewReader(p))
	if err == nil && int(n) < len(p) {
		err = io.ErrShortWrite
	}
	return int(n), err
}

// errAborted makes the upload fail so the remote package discards it.
var errAborted = errors.New("upload aborted by the client")

func (w *writeFile) Read([]byte) (int, error) { return 0, fs.ErrPermission }

func (w *writeFile) Seek(off int64, whence int) (int64, error) {
	if off == 0 && whence != io.SeekEnd {
		return 0, nil
	}
	return 0, errors.New("seek on a remote upload: resume with APPE instead")
}

func (w *writeFile) Stat() (fs.FileInfo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return info{remote.Entry{Name: w.name, Size: w.n, ModTime: time.Now()}}, nil
}

// Abort makes the upload fail, so nothing is published, and waits for it
// to delete its temporary file for at most abortGrace. A remote that takes
// longer (stalled) gets the upload's context cancelled, which closes its
// control and data connections at once, and Abort returns: the upload
// then deletes its temporary file over another connection in the
// background, within the remote package's own bound (FS.Wait waits for
// it).
func (w *writeFile) Abort() {
	w.mu.Lock()
	w.aborted = true
	w.mu.Unlock()
	w.feed.stop(errAborted)
	endOrCut(w.feed.done, w.cancel, errAborted)
}

// Close ends the upload and reports whether it was published. An upload
// that never received a byte still creates an empty file.
func (w *writeFile) Close() error {
	w.mu.Lock()
	aborted := w.aborted
	w.mu.Unlock()
	if aborted {
		return nil
	}
	w.feed.stop(io.EOF)
	<-w.feed.done
	return w.fs.wrap("stor", w.name, w.feed.result)
}

// info is a remote entry as an fs.FileInfo.
type info struct{ e remote.Entry }

func (i info) Name() string       { return i.e.Name }
func (i info) Size() int64        { return i.e.Size }
func (i info) ModTime() time.Time { return i.e.ModTime }
func (i info) IsDir() bool        { return i.e.Type == remote.Dir }
func (i info) Sys() any           { return i.e }
func (i info) Mode() fs.FileMode {
	if i.IsDir() {
		return fs.ModeDir | 0o750
	}
	return 0o640
}

func dirInfo(name string) fs.FileInfo { return info{remote.Entry{Name: name, Type: remote.Dir}} }

// FromPool adapts a *remote.Pool to Pool.
func FromPool(p *remote.Pool) Pool { return poolAdapter{p} }

type poolAdapter struct{ *remote.Pool }

// Retrieve is remote.Pool's Retrieve (a retry resumes where the failed
// try stopped), except that a download whose reader's side failed or
// stopped it (the localErr of a gate, or of Hash's writer) is not retried:
// a client that aborted or closed the file would only fail the next try
// too. A retry of a download whose writer knows the file's version (a
// gate) first checks that the file is still that version: resuming a
// replaced file (REST) would give the reader the new file's tail after
// the old one's head, a file neither ever was.
func (p poolAdapter) Retrieve(ctx context.Context, name string, offset int64, w io.Writer) (n int64, err error) {
	tries := 0
	err = p.Do(ctx, func(ctx context.Context, c *remote.Conn) error {
		tries++
		if v, ok := w.(versioned); ok {
			// A writer that has data already is resumed here too: a
			// caller retrying on another pool (remoteset's, replaced).
			if want, resumed := v.version(); tries > 1 || resumed {
				if err := sameFile(ctx, c, name, want); err != nil {
					return err
				}
			}
		}
		got, err := c.Retrieve(ctx, name, offset+n, w)
		n += got
		if l, ok := w.(localStopper); ok && err != nil && l.localErr() != nil {
			// %v: the reader's *net.OpError must not read as the remote's.
			return fmt.Errorf("download ended by the reader: %v", l.localErr())
		}
		return err
	})
	return n, err
}

// localStopper is a download's writer that can tell that it, not the
// remote, ended the download.
type localStopper interface{ localErr() error }

// versioned is a download's writer that knows which version of the file
// it is getting (the entry the download was opened for), and whether it
// was given part of it already.
type versioned interface {
	version() (want remote.Entry, resumed bool)
}

// sameFile returns an errReplaced when name on c is no longer the version
// want (its size or modification time differ, or it is gone), and c's
// error when the remote cannot tell, which Do judges as any other.
func sameFile(ctx context.Context, c *remote.Conn, name string, want remote.Entry) error {
	e, err := c.Stat(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return &errReplaced{gone: true}
	}
	if err != nil {
		return err
	}
	if e.Size != want.Size || !e.ModTime.IsZero() && !want.ModTime.IsZero() && !e.ModTime.Equal(want.ModTime) {
		return &errReplaced{}
	}
	return nil
}

// errReplaced ends a download whose file was replaced or deleted on the
// remote between a failed try and its retry. The pool does not retry it
// (another try would resume the new file too); the client hears 451, as
// downloading the file again from the start gets it whole.
type errReplaced struct{ gone bool }

func (e *errReplaced) Error() string {
	if e.gone {
		return "the file was deleted on the remote while its download was being resumed"
	}
	return "the file changed on the remote while its download was being resumed; download it again from the start"
}

// FTPCode is 451: the download is incomplete, and a new one gets the file
// as it is now.
func (e *errReplaced) FTPCode() int { return 451 }

// Append appends r to name (APPE) on a pooled connection, without retry:
// a failed append may have left part of r behind.
func (p poolAdapter) Append(ctx context.Context, name string, r io.Reader) (n int64, err error) {
	err = p.Do(ctx, func(ctx context.Context, c *remote.Conn) error {
		if n > 0 {
			return errors.New("append interrupted; not retried")
		}
		n, err = c.Append(ctx, name, r)
		return err
	})
	return n, err
}
