// Package ftpfs is a vfs.FS that passes every operation through, in real
// time, to a folder on a remote FTP/FTPS server (a mount). Bytes stream
// between the caller and the remote without being staged.
package ftpfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/textproto"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// Pool is what FS needs of a remote's connection pool.
type Pool interface {
	List(ctx context.Context, dir string) ([]remote.Entry, error)
	Stat(ctx context.Context, name string) (remote.Entry, error)
	Retrieve(ctx context.Context, name string, offset int64, w io.Writer) (int64, error)
	// Upload stores through the temporary name o.Temp (see
	// remote.Pool.Upload), which the FS picks so that Journal can record
	// it first.
	Upload(ctx context.Context, name string, r io.Reader, o remote.UploadOptions) (remote.Uploaded, error)
	Append(ctx context.Context, name string, r io.Reader) (int64, error)
	Delete(ctx context.Context, name string) error
	MakeDir(ctx context.Context, name string) error
	RemoveDir(ctx context.Context, name string) error
	Rename(ctx context.Context, from, to string) error
	SetModTime(ctx context.Context, name string, t time.Time) error
}

// Options tune an FS. Zero values are the defaults.
type Options struct {
	// Remote names the remote in errors ("remote \"bank\" is unavailable").
	Remote string
	// Root is the folder on the remote that the FS shows ("" or "/": the
	// remote's root).
	Root string
	// ReadOnly refuses every change.
	ReadOnly bool
	// OpTimeout bounds each operation, including the wait for a free pooled
	// connection (default 30s). Transfers are bounded by the pool's I/O
	// deadlines instead.
	OpTimeout time.Duration
	// ListCacheTTL keeps a listing this long (default 3s); any change made
	// through this FS clears it.
	ListCacheTTL time.Duration
	// Logger receives a warning when the mounted folder does not exist
	// (nil: discard).
	Logger *slog.Logger
	// Journal, when set, records each upload before it starts, so that
	// what a crash leaves on the remote is deleted: the FS sweeps the
	// remote's leftovers before its first listing or upload (see
	// Journal). Nil records nothing.
	Journal *Journal
}

// FS is a mount of one remote folder, for one session. It is safe for
// concurrent use.
//
// vfs.FS has no context parameter (ftpserverlib's driver gives none), so
// FS carries the context of the session it serves: ops derive their
// deadlines from it and end when the session does.
type FS struct {
	pool Pool
	opt  Options
	ctx  context.Context

	mu    sync.Mutex
	cache map[string]cachedList
	gen   uint64 // counts invalidations: a listing read before one is stale

	rootSeen   atomic.Bool // the mounted folder was seen to exist
	rootWarned atomic.Bool // its absence was logged

	uploads sync.WaitGroup // upload goroutines, which outlive an Abort
}

type cachedList struct {
	at      time.Time
	entries []fs.FileInfo
}

var (
	_ vfs.FS       = (*FS)(nil)
	_ vfs.AtomicFS = (*FS)(nil)
)

// New returns a mount of opt.Root on the remote behind pool. It dials
// nothing.
func New(ctx context.Context, pool Pool, opt Options) *FS {
	if opt.OpTimeout == 0 {
		opt.OpTimeout = 30 * time.Second
	}
	if opt.ListCacheTTL == 0 {
		opt.ListCacheTTL = 3 * time.Second
	}
	if opt.Root == "" {
		opt.Root = "/"
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &FS{pool: pool, opt: opt, ctx: ctx, cache: make(map[string]cachedList)}
}

// Wait waits until every upload started through f has returned: those
// aborted end in the background, deleting their temporary files on the
// remote (bounded by the remote package's timeouts; see writeFile.Abort).
func (f *FS) Wait() { f.uploads.Wait() }

// AtomicWrites reports that OpenFile for writing publishes the file only
// when Close succeeds (the remote package uploads to a temporary name,
// verifies it and renames it).
func (f *FS) AtomicWrites() bool { return true }

func (f *FS) remotePath(name string) string { return path.Join(f.opt.Root, name) }

func (f *FS) op() (context.Context, context.CancelFunc) {
	return context.WithTimeout(f.ctx, f.opt.OpTimeout)
}

// sweep deletes what interrupted uploads left on the remote (see
// Journal.Sweep), under its own operation timeout.
func (f *FS) sweep() {
	if f.opt.Journal == nil {
		return
	}
	ctx, cancel := f.op()
	defer cancel()
	if _, err := f.opt.Journal.Sweep(ctx, f.opt.Remote, f.pool); err != nil {
		f.opt.Logger.Warn("temporary files of interrupted uploads not deleted yet", "remote_name", f.opt.Remote, "err", err)
	}
}

func (f *FS) invalidate() {
	f.mu.Lock()
	clear(f.cache)
	f.gen++
	f.mu.Unlock()
}

// Stat describes a remote file or folder. The mount's own folder (".")
// is checked on the remote, once it was seen to exist no more (see
// checkRoot).
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	ctx, cancel := f.op()
	defer cancel()
	if name == "." {
		if err := f.checkRoot(ctx, false); err != nil {
			return nil, err
		}
		return dirInfo(path.Base(f.opt.Root)), nil
	}
	e, err := f.pool.Stat(ctx, f.remotePath(name))
	if err != nil {
		return nil, f.notFound(ctx, "stat", name, err)
	}
	f.rootSeen.Store(true)
	return info{e}, nil
}

// ReadDir lists a remote folder, from a listing at most ListCacheTTL old.
// An empty listing, or a refused one, is checked with a Stat: vsftpd
// lists a folder that does not exist as empty (226), and a refusal may
// mean the folder is missing, which the client must hear as such. A
// listing that a change through f overtook (an upload published, a file
// deleted while it was on its way) is returned but not cached.
func (f *FS) ReadDir(name string) ([]fs.FileInfo, error) {
	f.mu.Lock()
	c, ok := f.cache[name]
	gen := f.gen
	f.mu.Unlock()
	if ok && time.Since(c.at) < f.opt.ListCacheTTL {
		return append([]fs.FileInfo(nil), c.entries...), nil
	}
	f.sweep()
	ctx, cancel := f.op()
	defer cancel()
	es, err := f.pool.List(ctx, f.remotePath(name))
	if err == nil && len(es) == 0 || err != nil && !transient(err) {
		if cerr := f.checkDir(ctx, name); cerr != nil {
			return nil, cerr
		}
	}
	if err != nil {
		return nil, f.wrap("list", name, err)
	}
	if len(es) > 0 {
		f.rootSeen.Store(true)
	}
	out := make([]fs.FileInfo, 0, len(es))
	for _, e := range es {
		out = append(out, info{e})
	}
	f.mu.Lock()
	if f.gen == gen {
		f.cache[name] = cachedList{at: time.Now(), entries: out}
	}
	f.mu.Unlock()
	return append([]fs.FileInfo(nil), out...), nil
}

func transient(err error) bool {
	return remote.Transient(err) || errors.Is(err, context.DeadlineExceeded)
}

// checkDir returns an error when the folder name, whose listing came back
// empty or refused, does not exist; nil when it does or the remote cannot
// tell.
func (f *FS) checkDir(ctx context.Context, name string) error {
	if name == "." {
		return f.checkRoot(ctx, true)
	}
	_, err := f.pool.Stat(ctx, f.remotePath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return f.notFound(ctx, "list", name, err)
	}
	return nil
}

// checkRoot returns an error when the mounted remote folder does not
// exist or is a file (a mistyped `wharf mount add`, a folder removed
// since): every operation in the mount would fail, and a listing would
// look empty. Once seen, the folder is trusted for the FS's lifetime
// unless force. The remote being unavailable is an error too; an answer
// that tells neither (a refusal of the check itself) is not.
func (f *FS) checkRoot(ctx context.Context, force bool) error {
	if !force && f.rootSeen.Load() {
		return nil
	}
	e, err := f.pool.Stat(ctx, f.opt.Root)
	switch {
	case err == nil && e.Type == remote.File:
		return f.rootMissing(true)
	case err == nil:
		f.rootSeen.Store(true)
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return f.rootMissing(false)
	case transient(err):
		return f.wrap("stat", ".", err)
	}
	return nil
}

func (f *FS) rootMissing(file bool) error {
	f.rootSeen.Store(false)
	if !f.rootWarned.Swap(true) {
		f.opt.Logger.Warn("mounted remote folder does not exist", "remote_name", f.opt.Remote, "remote_path", f.opt.Root,
			"is_file", file, "fix", "create the folder on the remote, or point the mount elsewhere (wharf mount remove, then wharf mount add)")
	}
	return &missingRoot{remote: f.opt.Remote, root: f.opt.Root, file: file}
}

// notFound wraps err, an error of op on name. When err says name does not
// exist and the mounted folder itself is missing, it says that instead.
func (f *FS) notFound(ctx context.Context, op, name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) && !f.rootSeen.Load() {
		var mr *missingRoot
		if rerr := f.checkRoot(ctx, false); errors.As(rerr, &mr) {
			return rerr
		}
	}
	return f.wrap(op, name, err)
}

// missingRoot is the error of the operations of a mount whose remote
// folder does not exist, or is a file.
type missingRoot struct {
	remote, root string
	file         bool
}

func (e *missingRoot) Error() string {
	if e.file {
		return fmt.Sprintf("remote path %s on %s is a file, not a folder", e.root, e.remote)
	}
	return fmt.Sprintf("remote folder %s does not exist on %s", e.root, e.remote)
}

func (e *missingRoot) Unwrap() error { return fs.ErrNotExist }

// FTPCode is 550: permanent, until an operator acts.
func (e *missingRoot) FTPCode() int { return 550 }

func (f *FS) change(op, name string, fn func(ctx context.Context) error) error {
	if f.opt.ReadOnly {
		return f.wrap(op, name, remote.ErrReadOnly)
	}
	defer f.invalidate()
	ctx, cancel := f.op()
	defer cancel()
	return f.wrap(op, name, fn(ctx))
}

// Mkdir creates a remote folder.
func (f *FS) Mkdir(name string, _ fs.FileMode) error {
	return f.change("mkdir", name, func(ctx context.Context) error { return f.pool.MakeDir(ctx, f.remotePath(name)) })
}

// MkdirAll creates a remote folder and its missing parents.
func (f *FS) MkdirAll(name string, perm fs.FileMode) error {
	if name == "." || name == "/" {
		return nil
	}
	if fi, err := f.Stat(name); err == nil {
		if fi.IsDir() {
			return nil
		}
		return f.wrap("mkdir", name, fs.ErrExist)
	}
	if err := f.MkdirAll(path.Dir(name), perm); err != nil {
		return err
	}
	return f.Mkdir(name, perm)
}

// Remove deletes a remote file.
func (f *FS) Remove(name string) error {
	return f.change("delete", name, func(ctx context.Context) error { return f.pool.Delete(ctx, f.remotePath(name)) })
}

// RemoveDir removes an empty remote folder.
func (f *FS) RemoveDir(name string) error {
	return f.change("rmdir", name, func(ctx context.Context) error { return f.pool.RemoveDir(ctx, f.remotePath(name)) })
}

// Chtimes sets the remote modification time (MFMT, or the server's
// equivalent); atime is ignored.
func (f *FS) Chtimes(name string, _, mtime time.Time) error {
	return f.change("mfmt", name, func(ctx context.Context) error { return f.pool.SetModTime(ctx, f.remotePath(name), mtime) })
}

// Rename moves a file or folder on the remote. A folder the server
// refuses to rename is moved entry by entry. A folder is never moved into
// itself: rename(2) refuses that (EINVAL), and so does every server, which
// moving entry by entry would turn into a folder nested in itself without
// end.
func (f *FS) Rename(oldname, newname string) error {
	return f.change("rename", oldname, func(ctx context.Context) error {
		from, to := f.remotePath(oldname), f.remotePath(newname)
		if to != from && vfs.Within(strings.TrimPrefix(to, "/"), strings.TrimPrefix(from, "/")) {
			return errIntoItself{}
		}
		err := f.pool.Rename(ctx, from, to)
		if err == nil || remote.Transient(err) || to == from {
			return err
		}
		e, serr := f.pool.Stat(ctx, from)
		if serr != nil || e.Type != remote.Dir {
			return err
		}
		return f.moveTree(ctx, from, to)
	})
}

// moveTree moves folder from to to by creating to, renaming each entry
// into it (recursing into folders the server refuses to rename) and
// removing from. Rename keeps to out of from, which keeps the walk finite.
func (f *FS) moveTree(ctx context.Context, from, to string) error {
	if err := f.pool.MakeDir(ctx, to); err != nil {
		return err
	}
	es, err := f.pool.List(ctx, from)
	if err != nil {
		return err
	}
	for _, e := range es {
		src, dst := path.Join(from, e.Name), path.Join(to, e.Name)
		if err := f.pool.Rename(ctx, src, dst); err != nil {
			if e.Type != remote.Dir || remote.Transient(err) {
				return err
			}
			if err := f.moveTree(ctx, src, dst); err != nil {
				return err
			}
		}
	}
	return f.pool.RemoveDir(ctx, from)
}

// errIntoItself refuses to move a folder into itself or one of its
// subfolders.
type errIntoItself struct{}

func (errIntoItself) Error() string { return "cannot move a folder into itself" }
func (errIntoItself) Unwrap() error { return fs.ErrInvalid }

// FTPCode is 550: the action was not taken, and never will be.
func (errIntoItself) FTPCode() int { return 550 }

// unavailable is a transient failure of the remote: the FTP reply is 451
// so clients retry later, and it names the remote.
type unavailable struct {
	remote string
	err    error
}

func (e *unavailable) Error() string {
	return fmt.Sprintf("remote %q is unavailable (%v); try again later", e.remote, e.err)
}
func (e *unavailable) Unwrap() error { return e.err }

// FTPCode is the reply code ftpserverlib sends for this error.
func (e *unavailable) FTPCode() int { return 451 }

// wrap turns a remote error into an io/fs error the server can show.
func (f *FS) wrap(op, name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrInvalid),
		errors.As(err, new(*errReplaced)):
		return &fs.PathError{Op: op, Path: name, Err: err}
	case errors.Is(err, remote.ErrReadOnly):
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrPermission}
	case errors.As(err, new(*remote.CertError)), errors.Is(err, remote.ErrSelf):
		return &unusable{remote: f.opt.Remote, err: err}
	case remote.Transient(err), errors.Is(err, context.DeadlineExceeded):
		return &unavailable{remote: f.opt.Remote, err: err}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		// A 5xx the remote gave for this one operation: most often the
		// file is missing or the remote's own permissions refuse it.
		return &refused{remote: f.opt.Remote, err: te}
	}
	return &unavailable{remote: f.opt.Remote, err: err}
}

// unusable is a remote that Wharf refuses to use as it is configured: its
// certificate fails the remote's policy, or it is this same instance.
// Trying again changes nothing until an operator acts on the advice the
// error ends with, so the reply is 550, not 451.
type unusable struct {
	remote string
	err    error
}

func (e *unusable) Error() string {
	return fmt.Sprintf("remote %q cannot be used as configured: %v", e.remote, e.err)
}
func (e *unusable) Unwrap() error { return e.err }

// FTPCode is 550: the action was not taken.
func (e *unusable) FTPCode() int { return 550 }

// refused is a permanent refusal by the remote, shown to the client.
type refused struct {
	remote string
	err    *textproto.Error
}

func (e *refused) Error() string {
	return fmt.Sprintf("remote %q refused: %d %s", e.remote, e.err.Code, e.err.Msg)
}
func (e *refused) Unwrap() error { return e.err }

// FTPCode is 550: the action was not taken.
func (e *refused) FTPCode() int { return 550 }
