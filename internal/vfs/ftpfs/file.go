package ftpfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// OpenFile opens a remote file. O_RDONLY streams a download (Seek before
// the first read sets the REST offset). O_WRONLY|O_CREATE streams an
// upload that the remote package publishes atomically on Close; with
// O_APPEND it appends (APPE). Writes never start before the first byte or
// ReadFrom.
func (f *FS) OpenFile(name string, flag int, _ fs.FileMode) (vfs.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		fi, err := f.Stat(name)
		if err != nil {
			return nil, err
		}
		return &readFile{fs: f, name: name, info: fi}, nil
	}
	if f.opt.ReadOnly {
		return nil, f.wrap("open", name, remote.ErrReadOnly)
	}
	if flag&os.O_EXCL != 0 {
		if _, err := f.Stat(name); err == nil {
			return nil, f.wrap("open", name, fs.ErrExist)
		}
	}
	return &writeFile{fs: f, name: name, appendMode: flag&os.O_APPEND != 0}, nil
}

// readFile is a download in progress.
type readFile struct {
	fs     *FS
	name   string
	info   fs.FileInfo
	offset int64

	pr   *io.PipeReader
	done chan struct{}
}

func (r *readFile) Stat() (fs.FileInfo, error) { return r.info, nil }

// WriteTo streams the remote file from the current offset straight into w.
func (r *readFile) WriteTo(w io.Writer) (int64, error) {
	n, err := r.fs.pool.Retrieve(r.fs.ctx, r.fs.remotePath(r.name), r.offset, w)
	r.offset += n
	return n, r.fs.wrap("retr", r.name, err)
}

// Read streams through a pipe fed by a background Retrieve.
func (r *readFile) Read(p []byte) (int, error) {
	if r.pr == nil {
		pr, pw := io.Pipe()
		r.pr, r.done = pr, make(chan struct{})
		go func() {
			defer close(r.done)
			_, err := r.WriteTo(pw)
			pw.CloseWithError(err)
		}()
	}
	return r.pr.Read(p)
}

func (r *readFile) Write([]byte) (int, error) { return 0, fs.ErrPermission }

// Seek sets the offset of a download that has not started.
func (r *readFile) Seek(off int64, whence int) (int64, error) {
	if r.pr != nil || whence != io.SeekStart || off < 0 {
		if whence == io.SeekCurrent && off == 0 {
			return r.offset, nil
		}
		return r.offset, errors.New("seek on a remote download: only an absolute offset before reading")
	}
	r.offset = off
	return off, nil
}

// Close stops a download in progress.
func (r *readFile) Close() error {
	if r.pr != nil {
		r.pr.CloseWithError(errors.New("download closed"))
		<-r.done
	}
	return nil
}

// writeFile is an upload in progress: one STOR (APPE in append mode) that
// starts with the first Write or ReadFrom, takes what each later one gives,
// and is published once Close ends it cleanly.
type writeFile struct {
	fs         *FS
	name       string
	appendMode bool

	mu      sync.Mutex
	feed    *feed // nil until the first Write or ReadFrom
	n       int64 // sent, once the upload has returned
	aborted bool
}

func (w *writeFile) upload(r io.Reader) (int64, error) {
	defer w.fs.invalidate()
	rp := w.fs.remotePath(w.name)
	// Not cancelled with the session: a client that vanishes mid-upload
	// ends the session, and the remote package must still get to delete
	// its temporary file. The client's reader failing ends the upload, and
	// the pool's I/O deadlines bound it.
	ctx := context.WithoutCancel(w.fs.ctx)
	if w.appendMode {
		return w.fs.pool.Append(ctx, rp, r)
	}
	return w.fs.pool.Store(ctx, rp, r)
}

// start starts the upload on first use; w.mu is held.
func (w *writeFile) start() *feed {
	if w.feed == nil {
		f := newFeed()
		w.feed = f
		go func() {
			n, err := w.upload(&feedReader{f: f})
			w.mu.Lock()
			w.n = n
			w.mu.Unlock()
			f.ended(err)
		}()
	}
	return w.feed
}

// ReadFrom hands r to the upload, which copies it to the remote until r
// ends, and returns what it took: a plain data connection's chunk
// (*io.LimitedReader of a *net.TCPConn) goes socket to socket by splice,
// without passing through this process. The file is published by Close.
func (w *writeFile) ReadFrom(r io.Reader) (int64, error) {
	w.mu.Lock()
	if w.aborted {
		w.mu.Unlock()
		return 0, w.fs.wrap("stor", w.name, errAborted)
	}
	f := w.start()
	w.mu.Unlock()
	n, err := f.give(r)
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

// Abort makes a running or later upload fail, so nothing is published.
func (w *writeFile) Abort() {
	w.mu.Lock()
	w.aborted = true
	f := w.feed
	w.mu.Unlock()
	if f != nil {
		f.stop(errAborted)
		<-f.done
	}
}

// Close ends the upload and reports whether it was published. An upload
// that never received a byte still creates an empty file.
func (w *writeFile) Close() error {
	w.mu.Lock()
	if w.aborted {
		w.mu.Unlock()
		return nil
	}
	f := w.start()
	w.mu.Unlock()
	f.stop(io.EOF)
	<-f.done
	return w.fs.wrap("stor", w.name, f.result)
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
