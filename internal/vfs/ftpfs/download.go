package ftpfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"sync"
	"syscall"

	"github.com/wharf-mft/wharf/internal/remote"
)

// readFile is a download. OpenFile starts it at offset 0 (see start.go);
// a Seek before the first read starts it again at the new offset (REST).
// It is not safe for concurrent use.
type readFile struct {
	fs     *FS
	name   string
	info   fs.FileInfo
	offset int64 // where the download started; after WriteTo, where it ended

	dl       *download // nil for a folder
	attached bool      // Read or WriteTo took the data
	pr       *io.PipeReader
}

// download is one Retrieve, running in its own goroutine until done.
type download struct {
	g      *gate
	cancel context.CancelCauseFunc // cuts the Retrieve (stop)
	done   chan struct{}
	err    error // the download's, wrapped; set before done closes
}

// start starts the download at off and waits until it started. It returns
// the remote's refusal, or the failure that kept it from starting. An
// offset past the end of the file starts nothing: as an os.File read
// there, the file reads as ended, and the caller judges the offset (the
// FTP server answers 554). Asking the remote would not tell: some accept
// the REST and send nothing (vsftpd), which reads as a download cut short,
// retried in vain and answered 451.
func (r *readFile) start(off int64) error {
	if off > r.info.Size() {
		done := make(chan struct{})
		close(done)
		r.dl, r.offset = &download{g: newGate(), cancel: func(error) {}, done: done}, off
		return nil
	}
	g := newGate()
	g.want, _ = r.info.Sys().(remote.Entry)
	ctx, started, cancel := r.fs.launch(r.fs.ctx)
	d := &download{g: g, cancel: cancel, done: make(chan struct{})}
	r.dl, r.offset = d, off
	go func() {
		defer close(d.done)
		_, err := r.fs.pool.Retrieve(ctx, r.fs.remotePath(r.name), off, g)
		d.err = r.fs.wrap("retr", r.name, startErr(ctx, err))
		if pw, ok := g.dst.(*io.PipeWriter); ok {
			pw.CloseWithError(d.err) // nil: io.EOF for Read
		}
		cancel(nil)
	}()
	select {
	case <-g.opened:
	case <-d.done:
	}
	if !started() {
		g.halt()
		<-d.done
		return d.err
	}
	select {
	case <-d.done:
		return d.err // an empty file, or a refusal
	default:
		return nil
	}
}

func (r *readFile) Stat() (fs.FileInfo, error) { return r.info, nil }

// errFolder answers reads of a folder.
var errFolder = errors.New("is a folder")

// take hands dst to the download, unless it ended already.
func (r *readFile) take(dst io.Writer) (*download, error) {
	if r.dl == nil {
		return nil, r.fs.wrap("retr", r.name, &fs.PathError{Op: "read", Path: r.name, Err: errFolder})
	}
	if r.attached {
		return nil, errors.New("download already read")
	}
	r.attached = true
	select {
	case r.dl.g.attach <- dst:
	case <-r.dl.done:
	}
	return r.dl, nil
}

// WriteTo streams the remote file straight into w: a plain data
// connection's WriteTo hands w each chunk of the remote's socket, so the
// kernel splices socket to socket.
func (r *readFile) WriteTo(w io.Writer) (int64, error) {
	d, err := r.take(w)
	if err != nil {
		return 0, err
	}
	<-d.done
	r.offset += d.g.n
	return d.g.n, d.err
}

// Read streams through a pipe that the download writes to.
func (r *readFile) Read(p []byte) (int, error) {
	if r.pr == nil {
		pr, pw := io.Pipe()
		d, err := r.take(pw)
		if err != nil {
			return 0, err
		}
		r.pr = pr
		select {
		case <-d.done:
			if d.g.dst == nil { // ended before it took pw
				pw.CloseWithError(d.err)
			}
		default:
		}
	}
	return r.pr.Read(p)
}

func (r *readFile) Write([]byte) (int, error) { return 0, fs.ErrPermission }

// Seek sets the offset of a download that has not been read yet, starting
// it again there; the refusal of the new start is Seek's error.
func (r *readFile) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekCurrent && off == 0 {
		return r.offset, nil
	}
	if r.attached || whence != io.SeekStart || off < 0 {
		return r.offset, errors.New("seek on a remote download: only an absolute offset before reading")
	}
	if off == r.offset || r.dl == nil {
		r.offset = off
		return off, nil
	}
	r.stop()
	if err := r.start(off); err != nil {
		return off, err
	}
	return off, nil
}

// stop ends the download, wherever it is, and waits for it. The remote's
// data connection is closed early, and the remote's reply to that (426)
// keeps the control connection; when that takes longer than abortGrace
// (a stalled remote), the download's context is cancelled, which closes
// the control connection too, so stop never waits out the I/O timeout.
func (r *readFile) stop() {
	if r.dl == nil {
		return
	}
	r.dl.g.halt()
	if r.pr != nil {
		r.pr.CloseWithError(errDownloadClosed)
	}
	if !endOrCut(r.dl.done, r.dl.cancel, errDownloadClosed) {
		<-r.dl.done // cut: the remote package returns at once
	}
}

// Close stops a download in progress (see stop).
func (r *readFile) Close() error {
	r.stop()
	return nil
}

var errDownloadClosed = errors.New("download closed")

// gate is what a download writes to. It holds the remote's data, unread,
// until the reader attaches where it goes (attach), then passes everything
// on: ReadFrom too, so that a plain TCP chunk of the remote's socket
// reaches a plain data connection's ReadFrom, which splices it. Its first
// use marks the download as started (opened): the remote accepted RETR
// and the data connection is open. Only the download's goroutine uses dst,
// n and local; others read them after the download ended.
type gate struct {
	opened chan struct{}
	attach chan io.Writer
	stop   chan struct{}

	openOnce, stopOnce sync.Once

	dst   io.Writer
	n     int64        // written to dst
	local error        // the reader's side failed or stopped: not worth a retry
	want  remote.Entry // the file as OpenAt found it; set before the download starts
}

func newGate() *gate {
	return &gate{opened: make(chan struct{}), attach: make(chan io.Writer), stop: make(chan struct{})}
}

// halt makes the gate fail from now on; a download waiting for its reader
// ends.
func (g *gate) halt() { g.stopOnce.Do(func() { close(g.stop) }) }

// wait returns once the reader attached, or an error when it never will.
func (g *gate) wait() error {
	if g.local != nil {
		return g.local
	}
	select {
	case <-g.stop:
		g.local = errDownloadClosed
		return g.local
	default:
	}
	if g.dst != nil {
		return nil
	}
	g.openOnce.Do(func() { close(g.opened) })
	select {
	case g.dst = <-g.attach:
		return nil
	case <-g.stop:
		g.local = errDownloadClosed
		return g.local
	}
}

func (g *gate) Write(p []byte) (int, error) {
	if err := g.wait(); err != nil {
		return 0, err
	}
	n, err := g.dst.Write(p)
	g.n += int64(n)
	if err != nil {
		g.local = err // only the reader's side writes here
	}
	return n, err
}

// ReadFrom copies a chunk of the remote's data connection to the reader.
// An error may be either side's; the reader's connection closed under it
// (an abort) or by its peer (EPIPE) is the reader's.
func (g *gate) ReadFrom(src io.Reader) (int64, error) {
	if err := g.wait(); err != nil {
		return 0, err
	}
	n, err := io.Copy(g.dst, src)
	g.n += n
	if err != nil && (errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)) {
		g.local = err
	}
	return n, err
}

// version is the file the download was opened for, and whether part of
// it was written already (see versioned). Only the download's goroutine
// calls it.
func (g *gate) version() (remote.Entry, bool) { return g.want, g.n > 0 }

// localErr is why the reader's side ended the download, if it did: a
// retry on another connection would only fail again (see poolAdapter).
func (g *gate) localErr() error { return g.local }
