package remoteset

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// livePool is the pool of a remote as its record is now, for a mount that
// lives as long as a session. When the record changes, the next Pool call
// (any session's login, a sync) makes a new pool and closes the old one; an
// operation that then finds its pool closed runs again on the new pool.
// ErrPoolClosed comes from taking a connection, before the operation sent
// anything, so running it again is safe; a transfer resumes where it was.
type livePool struct {
	set  *Set
	name string

	mu  sync.Mutex
	cur ftpfs.Pool
}

var (
	_ ftpfs.Pool   = (*livePool)(nil)
	_ ftpfs.Hasher = (*livePool)(nil)
)

func (l *livePool) pool() ftpfs.Pool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// do runs f on the current pool, and once more on a new one when that was
// closed.
func (l *livePool) do(ctx context.Context, f func(ftpfs.Pool) error) error {
	err := f(l.pool())
	if !errors.Is(err, remote.ErrPoolClosed) {
		return err
	}
	p, _, perr := l.set.Pool(ctx, l.name)
	if perr != nil {
		return errors.Join(err, perr)
	}
	next := ftpfs.FromPool(p)
	l.mu.Lock()
	l.cur = next
	l.mu.Unlock()
	return f(next)
}

func (l *livePool) List(ctx context.Context, dir string) (es []remote.Entry, err error) {
	err = l.do(ctx, func(p ftpfs.Pool) error { es, err = p.List(ctx, dir); return err })
	return es, err
}

func (l *livePool) Stat(ctx context.Context, name string) (e remote.Entry, err error) {
	err = l.do(ctx, func(p ftpfs.Pool) error { e, err = p.Stat(ctx, name); return err })
	return e, err
}

func (l *livePool) Retrieve(ctx context.Context, name string, offset int64, w io.Writer) (n int64, err error) {
	err = l.do(ctx, func(p ftpfs.Pool) error {
		got, err := p.Retrieve(ctx, name, offset+n, w)
		n += got
		return err
	})
	return n, err
}

func (l *livePool) Upload(ctx context.Context, name string, r io.Reader, o remote.UploadOptions) (up remote.Uploaded, err error) {
	err = l.send(ctx, r, func(p ftpfs.Pool, r io.Reader) (err error) { up, err = p.Upload(ctx, name, r, o); return err })
	return up, err
}

func (l *livePool) Append(ctx context.Context, name string, r io.Reader) (n int64, err error) {
	err = l.send(ctx, r, func(p ftpfs.Pool, r io.Reader) (err error) { n, err = p.Append(ctx, name, r); return err })
	return n, err
}

// send runs an upload, again on a new pool only if it read nothing of r:
// what it read cannot be read again.
func (l *livePool) send(ctx context.Context, r io.Reader, f func(ftpfs.Pool, io.Reader) error) error {
	cr, read := counting(r)
	var first error
	return l.do(ctx, func(p ftpfs.Pool) error {
		if *read > 0 {
			return first // it read part of r
		}
		first = f(p, cr)
		return first
	})
}

// counting wraps r to count what is read from it, keeping what the pool's
// upload looks for: WriteTo and the file behind it (remote.CountReader),
// and Seek (a source it can rewind to try again).
func counting(r io.Reader) (io.Reader, *int64) {
	c := &remote.CountReader{R: r}
	if s, ok := r.(io.Seeker); ok {
		return countingSeeker{c, s}, &c.N
	}
	return c, &c.N
}

type countingSeeker struct {
	*remote.CountReader
	s io.Seeker
}

func (c countingSeeker) Seek(off int64, whence int) (int64, error) { return c.s.Seek(off, whence) }

// HashAlg asks the remote for a digest (see ftpfs.Hasher).
func (l *livePool) HashAlg(ctx context.Context, name, alg string) (sum string, err error) {
	err = l.do(ctx, func(p ftpfs.Pool) error {
		h, ok := p.(ftpfs.Hasher)
		if !ok {
			return remote.ErrNoHash
		}
		sum, err = h.HashAlg(ctx, name, alg)
		return err
	})
	return sum, err
}

func (l *livePool) Delete(ctx context.Context, name string) error {
	return l.do(ctx, func(p ftpfs.Pool) error { return p.Delete(ctx, name) })
}

func (l *livePool) MakeDir(ctx context.Context, name string) error {
	return l.do(ctx, func(p ftpfs.Pool) error { return p.MakeDir(ctx, name) })
}

func (l *livePool) RemoveDir(ctx context.Context, name string) error {
	return l.do(ctx, func(p ftpfs.Pool) error { return p.RemoveDir(ctx, name) })
}

func (l *livePool) Rename(ctx context.Context, from, to string) error {
	return l.do(ctx, func(p ftpfs.Pool) error { return p.Rename(ctx, from, to) })
}

func (l *livePool) SetModTime(ctx context.Context, name string, t time.Time) error {
	return l.do(ctx, func(p ftpfs.Pool) error { return p.SetModTime(ctx, name, t) })
}
