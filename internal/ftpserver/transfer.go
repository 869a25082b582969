package ftpserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"

	ftplib "github.com/fclairamb/ftpserverlib"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// GetHandle opens a transfer: a download for O_RDONLY, otherwise an upload
// (O_TRUNC: STOR; offset > 0: REST+STOR; O_APPEND: APPE).
func (f *files) GetHandle(name string, flags int, offset int64) (ftplib.FileTransfer, error) {
	if flags&(os.O_WRONLY|os.O_RDWR) != 0 {
		if err := f.checkNewName("stor", name); err != nil {
			return nil, err
		}
	}
	n, err := f.ss.resolve(name)
	if err != nil {
		return nil, f.fail("open", n, err)
	}
	if flags&(os.O_WRONLY|os.O_RDWR) == 0 {
		return f.download(n, offset)
	}
	return f.upload(n, flags, offset)
}

func (f *files) download(n node, offset int64) (ftplib.FileTransfer, error) {
	if !n.access.Read {
		return nil, f.fail("retr", n, fmt.Errorf("%w: %s does not allow downloads for this account", errDenied, n.path))
	}
	fl, err := openRead(n, offset)
	if err != nil {
		return nil, f.fail("retr", n, err)
	}
	fi, err := fl.Stat()
	if err == nil && fi.IsDir() {
		err = fmt.Errorf("%w: is a directory", fs.ErrInvalid)
	}
	if err != nil {
		fl.Close()
		return nil, f.fail("retr", n, err)
	}
	if offset > fi.Size() {
		fl.Close()
		return nil, f.pastEnd("retr", n, offset, fi.Size())
	}
	return &download{f: f, n: n, file: fl, info: fi, offset: offset}, nil
}

// openAter is the optional file-system capability of opening a file for
// reading from an offset: a mount starts its remote download there (REST)
// instead of at 0 and again at the offset.
type openAter interface {
	OpenAt(name string, offset int64) (vfs.File, error)
}

func openRead(n node, offset int64) (vfs.File, error) {
	if o, ok := n.fs.(openAter); ok && offset > 0 {
		return o.OpenAt(n.name, offset)
	}
	return n.fs.OpenFile(n.name, os.O_RDONLY, 0)
}

// download is a RETR in progress. Close records a "sent" event when the
// whole file went out, and then applies remove-after-send.
type download struct {
	f      *files
	n      node
	file   vfs.File
	info   fs.FileInfo
	offset int64

	mu     sync.Mutex
	sent   int64
	failed error
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.file.Read(p)
	d.add(int64(n))
	if errors.Is(err, io.EOF) {
		if short := d.shortEnd(); short != nil {
			return n, short
		}
	}
	return n, d.f.transferErr("retr", d.n, err)
}

// shortEnd returns an error (451) when a local file ended before the size
// it had when the download began: it was truncated or rewritten in place
// meanwhile, and the client, which ftpserverlib would tell 226, got less
// than the whole file. A mount's size is the remote's to keep.
func (d *download) shortEnd() error {
	if _, local := d.file.(*os.File); !local {
		return nil
	}
	d.mu.Lock()
	at := d.offset + d.sent
	d.mu.Unlock()
	if at >= d.info.Size() {
		return nil
	}
	d.f.ss.log.Warn("file shrank while it was sent", "path", d.n.path, "bytes", at, "size_at_start", d.info.Size())
	return replyCode{fmt.Errorf("%s changed while it was sent: it ended after %d of its %d bytes; download it again", d.n.path, at, d.info.Size()), 451}
}

// WriteTo lets io.Copy hand the data connection to the file. A local file
// goes to the connection's ReadFrom (stallConn's: sendfile in chunks under
// write deadlines); io.Copy would pick os.File.WriteTo, which sendfiles
// straight to the socket and bypasses the deadlines, so a client that
// stopped reading held its session forever (sendfile's errors name no
// path). A mounted file's WriteTo relays from the remote itself. Any other
// file goes through Read, which keeps host paths out of its errors.
func (d *download) WriteTo(w io.Writer) (int64, error) {
	f, local := d.file.(*os.File)
	rf, toReaderFrom := w.(io.ReaderFrom)
	_, relays := d.file.(io.WriterTo)
	var n int64
	var err error
	switch {
	case local && toReaderFrom:
		n, err = rf.ReadFrom(f)
		d.add(n)
		if err == nil {
			err = d.shortEnd()
		}
		return n, err
	case relays && !local:
		n, err = io.Copy(w, d.file)
	default:
		return io.Copy(w, onlyReader{d}) // Read counts
	}
	d.add(n)
	return n, err
}

func (d *download) add(n int64) {
	d.mu.Lock()
	d.sent += n
	d.mu.Unlock()
}

func (d *download) Write([]byte) (int, error) { return 0, errDenied }

func (d *download) Seek(off int64, whence int) (int64, error) {
	n, err := d.file.Seek(off, whence)
	return n, d.f.transferErr("retr", d.n, err)
}

var _ ftplib.FileTransferLinger = (*download)(nil)

// LingerOnClose asks ftpserverlib to wait, at the end of a download from
// send/ that remove-after-send would delete, for the client to close the
// data connection, and to report a client that closed it unread (patch
// 23): the last bytes may have sat in socket buffers when the copy ended,
// and a client that gave up on them must not lose the file.
func (d *download) LingerOnClose() bool {
	return d.n.folder == sendDir && d.f.ss.policy().removeAfterSend
}

// TransferError marks the download as failed (ABOR, reset, I/O error).
func (d *download) TransferError(err error) {
	d.mu.Lock()
	d.failed = err
	d.mu.Unlock()
}

func (d *download) Close() error {
	err := d.file.Close()
	d.mu.Lock()
	complete := d.failed == nil && d.offset+d.sent == d.info.Size()
	sent := d.sent
	d.mu.Unlock()
	ss := d.f.ss
	remove := d.n.folder == sendDir && ss.policy().removeAfterSend
	delivered := remove && ss.srv.sentPrefix.sent(keyFor(ss.account().Name, d.n.path, d.info), d.offset, sent, complete)
	switch {
	case delivered && (!complete || d.offset > 0):
		// The part of a segmented download (lftp's pget) that closed
		// last, at its part's end, or the end of a resumed one: the
		// parts now cover the file, and the event counts the file, not
		// this part's bytes, whichever part closes last.
		ss.event(store.EventSent, d.n.path, d.info.Size(), "in parts")
		d.removeAfterSend()
		return err
	case !complete:
		ss.event(store.EventAborted, d.n.path, sent, "download incomplete")
		return err
	}
	ss.event(store.EventSent, d.n.path, sent, "")
	switch {
	case delivered:
		d.removeAfterSend()
	case remove && d.offset > 0:
		ss.log.Info("not removed after send: only its end was sent", "path", d.n.path, "from", d.offset,
			"why", "a download from an offset counts as the end of a resumed one only when the bytes before it were sent to this account since the server started")
	}
	return err
}

// removeAfterSend deletes the sent file unless it changed meanwhile.
func (d *download) removeAfterSend() {
	ss := d.f.ss
	now, err := d.n.fs.Stat(d.n.name)
	if err != nil || now.Size() != d.info.Size() || !now.ModTime().Equal(d.info.ModTime()) {
		ss.log.Info("file changed after send; not removed", "path", d.n.path)
		return
	}
	if err := d.n.fs.Remove(d.n.name); err != nil {
		ss.log.Error("remove after send", "path", d.n.path, "err", err)
		return
	}
	ss.event(store.EventDeleted, d.n.path, 0, "removed after send")
}

func (f *files) upload(n node, flags int, offset int64) (ftplib.FileTransfer, error) {
	ss := f.ss
	if err := n.needWrite(); err != nil {
		return nil, f.fail("stor", n, err)
	}
	if err := ss.checkName(path.Base(n.path)); err != nil {
		return nil, f.fail("stor", n, err)
	}
	old, statErr := n.fs.Stat(n.name)
	exists := statErr == nil
	switch {
	case exists && old.IsDir():
		return nil, f.fail("stor", n, fmt.Errorf("%w: is a directory", fs.ErrInvalid))
	case exists && !ss.policy().overwrite && (offset > 0 || flags&os.O_APPEND != 0):
		return nil, f.fail("stor", n, errResumeExists)
	case exists && !ss.policy().overwrite:
		return nil, f.fail("stor", n, errExists)
	case !exists && !errors.Is(statErr, fs.ErrNotExist):
		return nil, f.fail("stor", n, statErr)
	case !exists && offset > 0:
		return nil, f.fail("stor", n, fmt.Errorf("%w: nothing to resume at offset %d", fs.ErrNotExist, offset))
	case exists && offset > old.Size():
		// Resuming there would leave a hole of zeros before the new
		// data (ftpserverlib seeks the temp file to the offset).
		return nil, f.pastEnd("stor", n, offset, old.Size())
	}
	if a, ok := n.fs.(vfs.AtomicFS); ok && a.AtomicWrites() {
		return f.uploadDirect(n, exists && flags&os.O_APPEND != 0, offset)
	}
	tmp := path.Join(path.Dir(n.name), tempName())
	fl, err := n.fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, f.fail("stor", n, err)
	}
	u := &upload{f: f, n: n, tmp: tmp, file: fl}
	// Resuming (REST+STOR, APPE) continues a copy of the existing file, so
	// the published file is replaced whole or not at all.
	if exists && (flags&os.O_APPEND != 0 || offset > 0) {
		keep := old.Size()
		if offset > 0 {
			keep = offset // at most the size, checked above
		}
		if err := u.copyPrefix(keep); err != nil {
			u.abort()
			return nil, f.fail("stor", n, err)
		}
		u.written = keep
	}
	return u, nil
}

// uploadDirect opens an upload on a file system that publishes atomically
// by itself (a mount: the remote sees a temp name until verified).
func (f *files) uploadDirect(n node, appendExisting bool, offset int64) (ftplib.FileTransfer, error) {
	if offset > 0 {
		return nil, f.fail("stor", n, fmt.Errorf("%w: REST+STOR is not supported on a mount; resume with APPE", errNotSupported))
	}
	flag := os.O_WRONLY | os.O_CREATE
	if appendExisting {
		flag |= os.O_APPEND
	}
	fl, err := n.fs.OpenFile(n.name, flag, 0o640)
	if err != nil {
		return nil, f.fail("stor", n, err)
	}
	return &upload{f: f, n: n, file: fl}, nil
}

// pastEnd refuses a REST offset past the end of the file, as RFC 3659
// §5.3 has a server do (554), before the transfer starts. Not through
// fail: a partner would get a mount's generic advice instead.
func (f *files) pastEnd(op string, n node, offset, size int64) error {
	err := replyCode{fmt.Errorf("REST %d is past the end of %s (%d bytes); resume from %d at most", offset, n.path, size, size), 554}
	f.ss.log.Debug(op+" refused", "path", n.path, "err", err)
	return err
}

// transferErr is err, from the file under a transfer, as the client may
// see it: ftpserverlib puts it in its reply ("Issue during transfer",
// "Could not seek file"), and an *os.PathError names the host path and the
// hidden temp name. A local failure is 451 (RFC 959: local error in
// processing), logged by fail; io.EOF stays io.EOF.
func (f *files) transferErr(op string, n node, err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	pub := f.fail(op, n, err)
	if pub == errLocal {
		return replyCode{errLocal, 451}
	}
	return pub
}

func tempName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return tempPrefix + hex.EncodeToString(b[:]) + ".part"
}

// upload is a STOR/APPE in progress, written under a hidden temp name and
// published by rename only after a clean end. With tmp empty the file
// system publishes by itself (vfs.AtomicFS).
type upload struct {
	f    *files
	n    node
	tmp  string
	file vfs.File

	mu      sync.Mutex
	written int64
	failed  error
}

func (u *upload) copyPrefix(size int64) error {
	src, err := u.n.fs.OpenFile(u.n.name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = io.CopyN(u.file, src, size)
	return err
}

func (u *upload) Write(p []byte) (int, error) {
	n, err := u.file.Write(p)
	u.add(int64(n))
	return n, u.f.transferErr("stor", u.n, err)
}

// ReadFrom copies the data connection into a local file through a 256 KiB
// buffer. Not splice: on ext4, splice from a socket into a file cost 2-3x
// the CPU of read/write in most runs of a 1 GiB upload (bench/README.md),
// while read/write was steady, as vsftpd's is. A file with a ReadFrom of
// its own (a mount's upload, which streams to the remote) is handed r
// itself, chunk by chunk (stallConn.WriteTo), so over plain TCP the
// kernel splices the client's data connection to the remote's. Writes go
// through Write, which keeps host paths out of their errors; r's errors
// (the data connection's) name no path.
func (u *upload) ReadFrom(r io.Reader) (int64, error) {
	_, local := u.file.(*os.File)
	if rf, ok := u.file.(io.ReaderFrom); ok && !local {
		n, err := rf.ReadFrom(r)
		u.add(n)
		return n, err
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(onlyWriter{u}, onlyReader{r}, *bp) // Write counts
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

type onlyReader struct{ io.Reader }

type onlyWriter struct{ io.Writer }

func (u *upload) add(n int64) {
	u.mu.Lock()
	u.written += n
	u.mu.Unlock()
}

func (u *upload) Read([]byte) (int, error) { return 0, errDenied }

// Seek positions the temp file; ftpserverlib seeks to the REST offset,
// where copyPrefix already left it.
func (u *upload) Seek(off int64, whence int) (int64, error) {
	n, err := u.file.Seek(off, whence)
	return n, u.f.transferErr("stor", u.n, err)
}

// TransferError marks the upload as failed; Close then discards it.
func (u *upload) TransferError(err error) {
	u.mu.Lock()
	u.failed = err
	u.mu.Unlock()
}

func (u *upload) abort() {
	if a, ok := u.file.(vfs.Aborter); ok {
		a.Abort()
	}
	u.file.Close()
	if u.tmp != "" {
		_ = u.n.fs.Remove(u.tmp)
	}
}

// Close publishes the upload, or discards it after a transfer error.
func (u *upload) Close() error {
	ss := u.f.ss
	u.mu.Lock()
	failed, size := u.failed, u.written
	u.mu.Unlock()
	if failed != nil {
		u.abort()
		ss.event(store.EventAborted, u.n.path, size, "upload incomplete: "+failed.Error())
		return nil
	}
	if !ss.cc.HasTLSForTransfers() && peerGone(ss.cc) {
		// A plain data connection ends with a FIN whether the file
		// was sent whole or the client died mid-file; a client that
		// hung up its control connection before hearing the result
		// is the second case as often as not. TLS has close_notify.
		u.abort()
		ss.event(store.EventAborted, u.n.path, size, "upload not published: the client closed its control connection before the upload was confirmed")
		return u.f.fail("stor", u.n, errClientGone)
	}
	// On disk before it is published and the client hears 226: a
	// partner that deletes its copy then must not lose the file to a
	// power cut (a rename can reach the disk before the data it names).
	// A mount's file is the remote's to keep.
	if err := syncFile(u.file); err != nil {
		_ = u.file.Close()
		if u.tmp != "" {
			_ = u.n.fs.Remove(u.tmp)
		}
		ss.event(store.EventAborted, u.n.path, size, "upload not published: "+err.Error())
		return u.f.fail("stor", u.n, err)
	}
	if err := u.file.Close(); err != nil {
		if u.tmp != "" {
			_ = u.n.fs.Remove(u.tmp)
		}
		ss.event(store.EventAborted, u.n.path, size, "upload not published: "+err.Error())
		return u.f.fail("stor", u.n, err)
	}
	if u.tmp != "" {
		if err := u.publish(); err != nil {
			_ = u.n.fs.Remove(u.tmp)
			ss.event(store.EventAborted, u.n.path, size, "upload not published: "+err.Error())
			return u.f.fail("stor", u.n, err)
		}
	}
	if _, temp := tempBase(path.Base(u.n.path), ss.policy().tempExts); temp {
		ss.log.Info("upload under temp name", "path", u.n.path, "bytes", size)
	} else {
		ss.event(store.EventReceived, u.n.path, size, "")
	}
	return nil
}

// plainCloseGrace is how long a plain upload's end waits for its client's
// control connection to close too. A client that dies mid-upload closes
// both connections at once, in an order of its own: when the data
// connection goes first, its control connection's FIN follows within
// microseconds, and an upload judged on the data connection's end alone
// was published cut short (3 of 5 curl processes killed mid-upload).
const plainCloseGrace = 5 * time.Millisecond

// peerGone reports whether the client closed its control connection, now
// or within plainCloseGrace.
func peerGone(cc ftplib.ClientContext) bool {
	if cc.PeerClosed() {
		return true
	}
	time.Sleep(plainCloseGrace)
	return cc.PeerClosed()
}

// syncFile flushes a local file's data to disk; other files (a mount's)
// have nothing to flush here.
func syncFile(f any) error {
	if lf, ok := f.(*os.File); ok {
		return lf.Sync()
	}
	return nil
}

// publish moves the temp file to its final name. Without overwrite it
// links, which fails if another upload took the name meanwhile.
func (u *upload) publish() error {
	ss := u.f.ss
	if ss.policy().overwrite {
		return u.n.fs.Rename(u.tmp, u.n.name)
	}
	if _, ok := u.n.fs.(vfs.Linker); !ok {
		if _, err := u.n.fs.Stat(u.n.name); err == nil {
			return errExists
		}
	}
	return moveNoReplace(u.n.fs, u.tmp, u.n.name)
}

// moveNoReplace moves from to to unless to exists (errExists). Where fsys
// can link, it links to the new name and then unlinks the old one, so two
// moves onto one name cannot both win; elsewhere (a mount) it renames, and
// the caller has checked that to is free. A failed unlink of from leaves
// the file under both names, and is returned.
func moveNoReplace(fsys vfs.FS, from, to string) error {
	ln, ok := fsys.(vfs.Linker)
	if !ok {
		return fsys.Rename(from, to)
	}
	if err := ln.Link(from, to); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return errExists
		}
		return err
	}
	return fsys.Remove(from)
}
