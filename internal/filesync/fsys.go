package filesync

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/textproto"
	"path"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
)

// Remote is what a sync needs from a remote: *remote.Pool provides it.
// Paths are slash-separated and relative to the remote's root.
type Remote interface {
	List(ctx context.Context, dir string) ([]remote.Entry, error)
	Stat(ctx context.Context, name string) (remote.Entry, error)
	Retrieve(ctx context.Context, name string, offset int64, w io.Writer) (int64, error)
	// Store must publish name only once the upload is complete and
	// verified (remote.Pool.Store writes a temporary name and renames it).
	Store(ctx context.Context, name string, r io.Reader) (int64, error)
	Delete(ctx context.Context, name string) error
	MakeDir(ctx context.Context, name string) error
	Rename(ctx context.Context, from, to string) error
	SetModTime(ctx context.Context, name string, t time.Time) error
}

var _ Remote = (*remote.Pool)(nil)

// modTimer is the optional Remote capability of telling one file's exact
// modification time in one round trip (MDTM), used when a listing gave
// minutes only (LIST). Without it, pulled files from LIST-only servers
// (vsftpd) get the listed time, to the minute: a Stat there lists the
// whole directory, which would cost a listing per file.
type modTimer interface {
	ModTime(ctx context.Context, name string) (time.Time, error)
}

// timedRetriever is the optional Remote capability of downloading a file
// and telling its exact modification time in the same round trip (SIZE,
// MDTM and EPSV pipelined); *remote.Pool has it. Without it a pull asks
// modTimer after the download.
type timedRetriever interface {
	RetrieveTimed(ctx context.Context, name string, offset int64, w io.Writer, wantTime bool) (remote.Retrieved, error)
}

// uploader is the optional Remote capability of uploading through a
// temporary name the caller chose (so the journal can record it before the
// upload starts, and recovery delete it) and of setting the modification
// time before the rename; *remote.Pool has it.
type uploader interface {
	Upload(ctx context.Context, name string, r io.Reader, o remote.UploadOptions) (remote.Uploaded, error)
}

// Upload uploads with the remote's Upload, or with Store and then
// SetModTime (on a random temporary name) when it has none.
func (u under) Upload(ctx context.Context, name string, r io.Reader, o remote.UploadOptions) (remote.Uploaded, error) {
	if m, ok := u.r.(uploader); ok {
		if o.Temp != "" {
			o.Temp = u.p(o.Temp)
		}
		return m.Upload(ctx, u.p(name), r, o)
	}
	n, err := u.Store(ctx, name, r)
	up := remote.Uploaded{Bytes: n}
	if err != nil || o.ModTime.IsZero() {
		return up, err
	}
	up.ModTimeSet = u.SetModTime(ctx, name, o.ModTime) == nil
	return up, nil
}

// RetrieveTimed downloads with the remote's RetrieveTimed, or with
// Retrieve and then ModTime (when asked) where it has none.
func (u under) RetrieveTimed(ctx context.Context, name string, offset int64, w io.Writer, wantTime bool) (remote.Retrieved, error) {
	if m, ok := u.r.(timedRetriever); ok {
		return m.RetrieveTimed(ctx, u.p(name), offset, w, wantTime)
	}
	n, err := u.Retrieve(ctx, name, offset, w)
	r := remote.Retrieved{Bytes: n}
	if err != nil || !wantTime {
		return r, err
	}
	if t, err := u.ModTime(ctx, name); err == nil {
		r.ModTime = t
	}
	return r, nil
}

func (u under) ModTime(ctx context.Context, name string) (time.Time, error) {
	m, ok := u.r.(modTimer)
	if !ok {
		return time.Time{}, nil
	}
	return m.ModTime(ctx, u.p(name))
}

// under is a Remote view of the directory base of another.
type under struct {
	r    Remote
	base string // "" or a clean relative path
}

func (u under) p(name string) string {
	if u.base == "" {
		return name
	}
	if name == "." || name == "" {
		return u.base
	}
	return path.Join(u.base, name)
}

func (u under) List(ctx context.Context, dir string) ([]remote.Entry, error) {
	return u.r.List(ctx, u.p(dir))
}
func (u under) Stat(ctx context.Context, name string) (remote.Entry, error) {
	return u.r.Stat(ctx, u.p(name))
}
func (u under) Retrieve(ctx context.Context, name string, off int64, w io.Writer) (int64, error) {
	return u.r.Retrieve(ctx, u.p(name), off, w)
}
func (u under) Store(ctx context.Context, name string, r io.Reader) (int64, error) {
	return u.r.Store(ctx, u.p(name), r)
}
func (u under) Delete(ctx context.Context, name string) error { return u.r.Delete(ctx, u.p(name)) }
func (u under) MakeDir(ctx context.Context, name string) error {
	return u.r.MakeDir(ctx, u.p(name))
}
func (u under) Rename(ctx context.Context, from, to string) error {
	return u.r.Rename(ctx, u.p(from), u.p(to))
}
func (u under) SetModTime(ctx context.Context, name string, t time.Time) error {
	return u.r.SetModTime(ctx, u.p(name), t)
}

// notExist reports whether err may say a remote file is missing: an
// fs.ErrNotExist, or a 550 reply (RFC 959: file unavailable). A 550 is as
// often "permission denied" (vsftpd answers DELE on a file it may not
// remove with "550 Delete operation failed."), so where the answer decides
// what is recorded (a delete done, a folder that does not exist),
// verifiedGone checks it.
func notExist(err error) bool {
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	var te *textproto.Error
	return errors.As(err, &te) && te.Code == 550
}

// verifiedGone reports whether p is verifiably not on r: a Stat says it is
// missing and a listing of its folder, which must succeed, does not show
// it. Either alone can be wrong: a 550 to MLST or SIZE may be a refusal,
// and a listing may hide names (vsftpd hides dot files, such as upload
// temporaries).
func verifiedGone(ctx context.Context, r Remote, p string) bool {
	_, err := r.Stat(ctx, p)
	return notExist(err) && unlisted(ctx, r, p)
}

// unlisted reports whether a listing of p's folder succeeds without p.
func unlisted(ctx context.Context, r Remote, p string) bool {
	es, err := r.List(ctx, path.Dir(p))
	if err != nil {
		return false
	}
	for _, e := range es {
		if e.Name == path.Base(p) {
			return false
		}
	}
	return true
}
