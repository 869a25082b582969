package filesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// errChanged reports a file that changed after it was listed; the next run
// picks it up.
var errChanged = fmt.Errorf("%w: changed since it was listed; the next run handles it", errNotRetried)

// errGone reports a local source removed after it was listed and before
// its copy started: nothing was copied, and a later run copies it only if
// it comes back.
var errGone = fmt.Errorf("%w: gone from the folder since it was listed (deleted or moved by another program); nothing was copied", errNotRetried)

// localGone reports whether the local file p is verifiably absent.
func (x *runner) localGone(p string) bool {
	_, err := x.local.Stat(p)
	return isNotExist(err)
}

// localIs reports whether the local file p is still f.
func (x *runner) localIs(p string, f File) (bool, error) {
	fi, err := x.local.Stat(p)
	if isNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return fi.Mode().IsRegular() && fi.Size() == f.Size && fi.ModTime().Equal(f.ModTime), nil
}

// ensureDirs creates the remote directories above p that are not known
// to exist.
func (x *runner) ensureDirs(ctx context.Context, p string) error {
	x.mu.Lock()
	root := x.dirs["."]
	x.mu.Unlock()
	if !root {
		if err := x.ensureRoot(ctx); err != nil {
			return err
		}
	}
	for _, d := range parentDirs(p) {
		x.mu.Lock()
		known := x.dirs[d]
		x.mu.Unlock()
		if known {
			continue
		}
		err := x.makeDir(ctx, x.rem, d)
		if err != nil && x.base != "" {
			// Some servers (vsftpd) list a missing folder as empty, so
			// the sync's own folder may not exist after all.
			if rerr := x.ensureRoot(ctx); rerr == nil {
				err = x.makeDir(ctx, x.rem, d)
			}
		}
		if err != nil {
			return err
		}
		x.mu.Lock()
		x.dirs[d] = true
		x.mu.Unlock()
	}
	return nil
}

// ensureRoot creates the sync's remote folder and those above it.
func (x *runner) ensureRoot(ctx context.Context) error {
	if x.base != "" {
		for _, d := range parentDirs(x.base + "/x") {
			if err := x.makeDir(ctx, x.raw, d); err != nil {
				return err
			}
		}
	}
	x.mu.Lock()
	x.dirs["."] = true
	x.mu.Unlock()
	return nil
}

// makeDir creates d on r unless it exists already.
func (x *runner) makeDir(ctx context.Context, r Remote, d string) error {
	err := r.MakeDir(ctx, d)
	if err == nil {
		return nil
	}
	// Exists already (another worker, or a listing filtered it)?
	if e, serr := r.Stat(ctx, d); serr == nil && e.Type == remote.Dir {
		return nil
	}
	return err
}

// pushFile uploads local p (listed as src) to remote dst through the
// temporary name tmp ("" for a fresh one) and returns the remote side to
// record. The remote shows dst only once the upload is complete and
// verified, with its time where the server sets one (Remote.Store,
// remote.Pool.Upload), and only when the file read was src from its first
// byte to its last (listedSource): never a copy torn by a local change.
func (x *runner) pushFile(ctx context.Context, p, dst, tmp string, src File) (store.SyncSide, int64, error) {
	if err := x.ensureDirs(ctx, dst); err != nil {
		return store.SyncSide{}, 0, err
	}
	f, err := x.local.OpenFile(p, os.O_RDONLY, 0)
	if err != nil {
		if isNotExist(err) {
			return store.SyncSide{}, 0, errGone
		}
		return store.SyncSide{}, 0, err
	}
	x.mu.Lock()
	mt := src.ModTime
	if x.noMTime {
		mt = time.Time{}
	}
	x.mu.Unlock()
	up, err := x.rem.Upload(ctx, dst, &listedSource{f: f, want: src}, remote.UploadOptions{Temp: tmp, ModTime: mt})
	f.Close()
	n := up.Bytes
	if err != nil {
		return store.SyncSide{}, n, err
	}
	if n != src.Size {
		// Read a different file than was listed. What landed is complete
		// and verified, and the next run sees the local change.
		return store.SyncSide{}, n, errChanged
	}
	side := store.SyncSide{Exists: true, Size: n}
	switch {
	case up.ModTimeSet:
		side.ModTime = src.ModTime
	case !mt.IsZero() && ctx.Err() == nil:
		// A server that refuses once is not asked again in this run; the
		// record then holds no time and later runs compare the size.
		x.log.Warn("remote cannot set modification times; comparing sizes", "path", dst)
		x.mu.Lock()
		x.noMTime = true
		x.mu.Unlock()
	}
	return side, n, nil
}

// setMTime sets a remote file's time, reporting whether the server took it.
// A server that refuses once is not asked again in this run; the record
// then holds no time and later runs compare the size.
func (x *runner) setMTime(ctx context.Context, p string, t time.Time) bool {
	x.mu.Lock()
	no := x.noMTime
	x.mu.Unlock()
	if no || t.IsZero() {
		return false
	}
	if err := x.rem.SetModTime(ctx, p, t); err != nil {
		if ctx.Err() == nil {
			x.log.Warn("remote cannot set modification times; comparing sizes", "path", p, "err", err)
			x.mu.Lock()
			x.noMTime = true
			x.mu.Unlock()
		}
		return false
	}
	return true
}

// pullFile downloads remote p (listed as src) into local dst through a
// temporary name next to it, and returns the local side to record. dst is
// replaced only while it is still prior (absent when prior is nil). With
// durable, the data is flushed to disk before the rename.
func (x *runner) pullFile(ctx context.Context, p, dst, tmp string, src File, prior *File, durable bool) (store.SyncSide, int64, error) {
	if dir := path.Dir(dst); dir != "." {
		x.mu.Lock()
		made := x.localDirs[dir]
		x.mu.Unlock()
		if !made {
			if err := x.local.MkdirAll(dir, 0o755); err != nil {
				return store.SyncSide{}, 0, err
			}
			x.mu.Lock()
			x.localDirs[dir] = true
			x.mu.Unlock()
		}
	}
	f, err := x.local.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return store.SyncSide{}, 0, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			x.local.Remove(tmp)
		}
	}()
	// A LIST time has minutes at best: ask for the exact one, in the same
	// round trip as the download where the remote can (under has the
	// method whatever the remote behind it offers).
	r, err := x.rem.RetrieveTimed(ctx, p, 0, f, !src.Precise)
	n := r.Bytes
	if err != nil {
		return store.SyncSide{}, n, err
	}
	if n != src.Size {
		return store.SyncSide{}, n, fmt.Errorf("%w: got %d bytes, listed %d", errChanged, n, src.Size)
	}
	// The page cache outlives a killed process, so only a power cut can
	// lose a renamed file's data: worth a flush when the remote source is
	// about to be deleted, not on every copy.
	if s, ok := f.(interface{ Sync() error }); ok && durable {
		if err := s.Sync(); err != nil {
			return store.SyncSide{}, n, err
		}
	}
	if err := f.Close(); err != nil {
		return store.SyncSide{}, n, err
	}
	mt := src.ModTime
	if !r.ModTime.IsZero() {
		mt = r.ModTime
	}
	if !mt.IsZero() {
		if err := x.local.Chtimes(tmp, mt, mt); err != nil {
			return store.SyncSide{}, n, err
		}
	}
	// Never overwrite a local change made since the listing.
	fi, err := x.local.Stat(dst)
	switch {
	case isNotExist(err):
		if prior != nil {
			return store.SyncSide{}, n, errChanged
		}
	case err != nil:
		return store.SyncSide{}, n, err
	case prior == nil || fi.Size() != prior.Size || !fi.ModTime().Equal(prior.ModTime):
		return store.SyncSide{}, n, errChanged
	}
	if err := x.local.Rename(tmp, dst); err != nil {
		return store.SyncSide{}, n, err
	}
	ok = true
	fi, err = x.local.Stat(dst)
	if err != nil {
		return store.SyncSide{}, n, err
	}
	return store.SyncSide{Exists: true, Size: fi.Size(), ModTime: fi.ModTime(), Precise: true}, n, nil
}

// tempFor returns a fresh pull temporary next to p.
func (x *runner) tempFor(p string) string {
	x.mu.Lock()
	x.seq++
	n := x.seq
	x.mu.Unlock()
	return path.Join(path.Dir(p), fmt.Sprintf("%s%d-%d", x.tempMark(), x.run.ID, n))
}

// push copies a local file to the remote, then deletes the source when
// asked and the copy is verified.
func (x *runner) push(ctx context.Context, it Item, b *begun) (int64, error) {
	src := *it.Local
	op, d, err := x.started(ctx, it, b)
	if err != nil {
		return 0, err
	}
	var rs store.SyncSide
	var n int64
	if d.Stage != "" {
		rs, n, err = x.pushOver(ctx, it.Path, d, src, *it.Remote)
	} else {
		rs, n, err = x.pushFile(ctx, it.Path, it.Path, d.Temp, src)
	}
	if err != nil {
		err = x.explain(err, false)
		x.fail(ctx, op, err)
		return n, err
	}
	return n, x.afterPush(ctx, op, d, rs, n, false)
}

// pushOver is pushFile for a two-way push that replaces the remote file p
// listed as prior: the upload is published under d.Stage, p is checked to
// be still prior (remoteIs), and only then is the stage renamed over it.
// A partner's change made during the listing or the upload fails the file
// with errChanged and is left in place; the next run sees both changes, a
// conflict. It costs a Stat and a rename per file, so new files (nothing
// to overwrite) and one-way pushes (which go by their records) do not go
// this way.
func (x *runner) pushOver(ctx context.Context, p string, d opDetail, src, prior File) (store.SyncSide, int64, error) {
	rs, n, err := x.pushFile(ctx, p, d.Stage, d.Temp, src)
	if err == nil {
		err = x.remoteIs(ctx, p, prior)
	}
	if err == nil {
		err = x.rem.Rename(ctx, d.Stage, p)
	}
	if err != nil {
		if derr := x.rem.Delete(context.WithoutCancel(ctx), d.Stage); derr != nil && !notExist(derr) {
			x.log.Warn("remove staged upload", "path", d.Stage, "err", derr)
		}
		return store.SyncSide{}, n, err
	}
	return rs, n, nil
}

// copyDetail is the journal detail a push or pull starts with.
func (x *runner) copyDetail(it Item) opDetail {
	if it.Action == Push {
		src := *it.Local
		d := opDetail{Size: src.Size, ModTime: src.ModTime, Prior: it.Remote, Temp: remote.TempName(it.Path), DeleteSource: it.DeleteSource}
		if it.Remote != nil && x.sy.Direction == store.SyncTwoWay {
			d.Stage = d.Temp
			d.Temp = remote.TempName(d.Stage)
		}
		return d
	}
	src := *it.Remote
	return opDetail{Size: src.Size, ModTime: src.ModTime, Precise: src.Precise, Prior: it.Local,
		Temp: x.tempFor(it.Path), DeleteSource: it.DeleteSource}
}

// started returns the copy's op journaled as started: b when the executor
// journaled it ahead (beginAll), else a new one.
func (x *runner) started(ctx context.Context, it Item, b *begun) (*store.SyncOp, opDetail, error) {
	if b != nil {
		return b.op, b.d, nil
	}
	d := x.copyDetail(it)
	op, err := x.begin(ctx, it, d)
	return op, d, err
}

// afterPush deletes the pushed source when asked, then finishes op. A
// source that cannot be deleted is kept (see keepSource). resumed says an
// interrupted run had journaled the copy as verified, so it may have
// removed the source: a source gone counts as removed then.
func (x *runner) afterPush(ctx context.Context, op *store.SyncOp, d opDetail, rs store.SyncSide, n int64, resumed bool) error {
	src := File{Size: d.Size, ModTime: d.ModTime, Precise: true}
	ls := sideOf(&src)
	if d.DeleteSource && x.deletesSources() {
		d.Step, d.Dest = "copied", &rs
		if err := x.step(ctx, op, d); err != nil {
			return err
		}
		kept := func(err error) error {
			return x.keepSource(ctx, op, n, store.SyncFile{Path: op.Path, Local: ls, Remote: rs}, DeleteLocal, err)
		}
		same, err := x.localIs(op.Path, src)
		if err != nil {
			return kept(err)
		}
		switch {
		case same:
			if err := x.local.Remove(op.Path); err != nil && !isNotExist(err) {
				return kept(err)
			}
			ls, d.SourceRemoved = store.SyncSide{}, true
		case resumed && x.localGone(op.Path):
			// Removed by the interrupted run.
			ls, d.SourceRemoved = store.SyncSide{}, true
		default:
			x.log.Warn("source changed after its copy; kept", "path", op.Path)
		}
	}
	return x.finishCopy(ctx, op, d, n, store.SyncFile{Path: op.Path, Local: ls, Remote: rs})
}

// finishCopy finishes op, a copy with detail d, leaving f as the pair's
// record, and counts its source when d says the copy removed it.
func (x *runner) finishCopy(ctx context.Context, op *store.SyncOp, d opDetail, n int64, f store.SyncFile) error {
	if d.SourceRemoved {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		op.Detail = string(b)
	}
	if err := x.done(ctx, op, n, []store.SyncFile{f}, nil); err != nil {
		return err
	}
	if d.SourceRemoved {
		x.sourceRemoved()
	}
	return nil
}

// pull copies a remote file into the folder, then deletes the remote
// source when asked and the copy is in place.
func (x *runner) pull(ctx context.Context, it Item, b *begun) (int64, error) {
	src := *it.Remote
	op, d, err := x.started(ctx, it, b)
	if err != nil {
		return 0, err
	}
	ls, n, err := x.pullFile(ctx, it.Path, it.Path, d.Temp, src, it.Local, it.DeleteSource)
	if err != nil {
		err = x.explain(err, false)
		x.fail(ctx, op, err)
		return n, err
	}
	return n, x.afterPull(ctx, op, d, ls, n, false)
}

// afterPull deletes the pulled remote source when asked and unchanged,
// then finishes op. A source that cannot be deleted is kept (see
// keepSource); resumed is as for afterPush.
func (x *runner) afterPull(ctx context.Context, op *store.SyncOp, d opDetail, ls store.SyncSide, n int64, resumed bool) error {
	src := File{Size: d.Size, ModTime: d.ModTime, Precise: d.Precise}
	rs := sideOf(&src)
	if d.DeleteSource && x.deletesSources() {
		d.Step, d.Dest = "copied", &ls
		if err := x.step(ctx, op, d); err != nil {
			return err
		}
		kept := func(err error) error {
			return x.keepSource(ctx, op, n, store.SyncFile{Path: op.Path, Local: ls, Remote: rs}, DeleteRemote, err)
		}
		e, err := x.rem.Stat(ctx, op.Path)
		switch {
		case err != nil && notExist(err) && unlisted(ctx, x.rem, op.Path):
			// Gone already: removed by the interrupted run (resumed),
			// else taken by the partner.
			rs, d.SourceRemoved = store.SyncSide{}, resumed
		case err != nil:
			return kept(err)
		case e.Size == src.Size && (src.ModTime.IsZero() || timesMatch(e.ModTime, src.ModTime, e.PreciseTime && src.Precise)):
			if err := x.removeRemote(ctx, op.Path); err != nil {
				return kept(err)
			}
			rs, d.SourceRemoved = store.SyncSide{}, true
		default:
			x.log.Warn("remote source changed after its copy; kept", "path", op.Path)
		}
	}
	return x.finishCopy(ctx, op, d, n, store.SyncFile{Path: op.Path, Local: ls, Remote: rs})
}

// deletesSources reports whether the sync deletes sources after a copy. It
// is the sync's setting now, not when an op was journaled: a sync set to
// --after-copy keep after a crash does not delete the sources it recovers.
func (x *runner) deletesSources() bool { return x.sy.AfterCopy == store.AfterCopyDelete }

// sourceKept is the error of a copy that was made and recorded whose
// source was not deleted. The run counts the copy and a failure; trying
// again in this run would copy again, so it does not, and as the record
// says the copy happened, the next run only tries the delete again.
type sourceKept struct{ err error }

func (e *sourceKept) Error() string {
	return "copied, but the source was not deleted: " + e.err.Error()
}
func (e *sourceKept) Unwrap() error { return e.err }

// keepSource finishes op, whose verified copy is in place, with f as the
// pair's record (the source still there), journals the delete of the
// source (action del) as failed with err, and returns a *sourceKept.
func (x *runner) keepSource(ctx context.Context, op *store.SyncOp, n int64, f store.SyncFile, del Action, err error) error {
	err = x.explain(err, true)
	if derr := x.done(ctx, op, n, []store.SyncFile{f}, nil); derr != nil {
		return derr
	}
	if dop, merr := x.newOp(Item{Path: op.Path, Action: del}, opDetail{}); merr == nil {
		x.fail(ctx, dop, err)
	}
	return &sourceKept{err}
}

// errDeleteRefused reports a remote delete answered with 550 while the
// file is still there: the login may not delete it.
var errDeleteRefused = errors.New("the remote refused to delete it")

// removeRemote deletes the remote file p. A 550 reply counts as done only
// when p is verifiably absent (see notExist); otherwise the delete failed
// with errDeleteRefused.
func (x *runner) removeRemote(ctx context.Context, p string) error {
	err := x.rem.Delete(ctx, p)
	if err == nil || !notExist(err) {
		return err
	}
	if verifiedGone(ctx, x.rem, p) {
		return nil
	}
	return fmt.Errorf("%w (%w)", errDeleteRefused, err)
}

// hinted is an error with what the user can do about it.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + "; " + h.hint }
func (h *hinted) Unwrap() error { return h.err }

// explain adds what to do to a refusal every run would meet again (a
// read-only remote, a delete the remote refuses); afterCopy says err is
// the failed delete of a copied source. Other errors pass unchanged.
func (x *runner) explain(err error, afterCopy bool) error {
	var h *hinted
	if errors.As(err, &h) {
		return err
	}
	keep := fmt.Sprintf("keep the sources with `wharf sync set %s --after-copy keep`", x.sy.Name)
	writable := fmt.Sprintf("`wharf remote set %s --read-only=false` lets Wharf change it", x.sy.Remote)
	switch {
	case errors.Is(err, remote.ErrReadOnly) && afterCopy:
		return &hinted{err, fmt.Sprintf("remote %q is set read-only, so sources are not deleted there: %s, or %s", x.sy.Remote, keep, writable)}
	case errors.Is(err, remote.ErrReadOnly):
		return &hinted{err, fmt.Sprintf("remote %q is set read-only, so Wharf changes nothing there: %s, or change the sync to pull from it", x.sy.Remote, writable)}
	case errors.Is(err, errDeleteRefused) && afterCopy:
		return &hinted{err, "give the remote login the right to delete in that folder, or " + keep}
	case errors.Is(err, errDeleteRefused):
		return &hinted{err, "give the remote login the right to delete in that folder"}
	case errors.Is(err, fs.ErrPermission) && afterCopy:
		return &hinted{err, fmt.Sprintf("the local folder %s does not let Wharf's user delete it: give that user write permission on the folder, or %s", x.sy.Folder, keep)}
	case errors.Is(err, fs.ErrPermission):
		return &hinted{err, fmt.Sprintf("the local folder %s denies Wharf's user this: give that user read and write permission on the folder", x.sy.Folder)}
	}
	return err
}

// delete removes a file on one side: a deletion propagated by a two-way
// sync, or the source of a copy verified earlier.
func (x *runner) delete(ctx context.Context, it Item) error {
	op, err := x.begin(ctx, it, opDetail{AfterCopy: it.AfterCopy})
	if err != nil {
		return err
	}
	if err := x.deleteFile(ctx, it); err != nil {
		err = x.explain(err, it.AfterCopy)
		x.fail(ctx, op, err)
		return err
	}
	if !it.AfterCopy {
		return x.done(ctx, op, 0, nil, []string{it.Path})
	}
	// The source of a delivered file: remember the target as delivered.
	f := store.SyncFile{Path: it.Path, Remote: sideOf(it.Remote), Local: sideOf(it.Local)}
	if it.put != nil {
		f = *it.put
	}
	if it.Action == DeleteLocal {
		f.Local = store.SyncSide{}
	} else {
		f.Remote = store.SyncSide{}
	}
	var put []store.SyncFile
	var drop []string
	if f.Local.Exists || f.Remote.Exists {
		put = []store.SyncFile{f}
	} else {
		drop = []string{it.Path}
	}
	if err := x.done(ctx, op, 0, put, drop); err != nil {
		return err
	}
	x.sourceRemoved()
	return nil
}

func (x *runner) deleteFile(ctx context.Context, it Item) error {
	if it.Action == DeleteLocal {
		if it.unconfirmed {
			if err := x.stillGone(ctx, it.Path); err != nil {
				return err
			}
		}
		same, err := x.localIs(it.Path, *it.Local)
		if err != nil {
			return err
		}
		if !same {
			return errChanged
		}
		if err := x.local.Remove(it.Path); err != nil && !isNotExist(err) {
			return err
		}
		return nil
	}
	if it.Remote != nil {
		// A deletion must not take a remote file changed since the
		// listing with it.
		if err := x.remoteIs(ctx, it.Path, *it.Remote); err != nil {
			return err
		}
	}
	return x.removeRemote(ctx, it.Path)
}

// conflict settles a path changed on both sides. The loser (both versions
// with keep-both) is renamed to a conflict name on its side; then the
// winner is copied over the original name and each conflict file to the
// other side, so both sides end with the same files and no version is lost.
func (x *runner) conflict(ctx context.Context, it Item) (int64, error) {
	l, r := *it.Local, *it.Remote
	taken := func(n string) bool {
		_, a := x.lv[n]
		_, b := x.rv[n]
		return a || b
	}
	d := opDetail{Winner: it.Winner}
	switch it.Winner {
	case SideLocal:
		d.Conflict = []string{conflictName(it.Path, SideRemote, x.start, taken)}
	case SideRemote:
		d.Conflict = []string{conflictName(it.Path, SideLocal, x.start, taken)}
	default:
		d.Conflict = []string{conflictName(it.Path, SideLocal, x.start, taken), conflictName(it.Path, SideRemote, x.start, taken)}
	}
	op, err := x.begin(ctx, it, d)
	if err != nil {
		return 0, err
	}
	put, drop, n, err := x.settle(ctx, it, d, l, r)
	if err != nil {
		err = x.explain(err, false)
		x.fail(ctx, op, err)
		return n, err
	}
	return n, x.done(ctx, op, n, put, drop)
}

func (x *runner) settle(ctx context.Context, it Item, d opDetail, l, r File) (put []store.SyncFile, drop []string, n int64, err error) {
	p := it.Path
	var m int64
	switch it.Winner {
	case SideLocal:
		c := d.Conflict[0]
		if err := x.ensureDirs(ctx, c); err != nil {
			return nil, nil, 0, err
		}
		if err := x.remoteIs(ctx, p, r); err != nil {
			return nil, nil, 0, err
		}
		if err := x.rem.Rename(ctx, p, c); err != nil {
			return nil, nil, 0, err
		}
		rs, n, err := x.pushFile(ctx, p, p, "", l)
		if err != nil {
			return nil, nil, n, err
		}
		cl, m, err := x.pullFile(ctx, c, c, x.tempFor(c), r, nil, false)
		if err != nil {
			return nil, nil, n + m, err
		}
		return []store.SyncFile{{Path: p, Local: sideOf(&l), Remote: rs}, {Path: c, Local: cl, Remote: sideOf(&r)}}, nil, n + m, nil
	case SideRemote:
		c := d.Conflict[0]
		if err := x.local.Rename(p, c); err != nil {
			return nil, nil, 0, err
		}
		cl := l
		if fi, err := x.local.Stat(c); err == nil {
			cl = File{Size: fi.Size(), ModTime: fi.ModTime(), Precise: true}
		}
		ls, n, err := x.pullFile(ctx, p, p, x.tempFor(p), r, nil, false)
		if err != nil {
			return nil, nil, n, err
		}
		cr, m, err := x.pushFile(ctx, c, c, "", cl)
		if err != nil {
			return nil, nil, n + m, err
		}
		return []store.SyncFile{{Path: p, Local: ls, Remote: sideOf(&r)}, {Path: c, Local: sideOf(&cl), Remote: cr}}, nil, n + m, nil
	}
	cL, cR := d.Conflict[0], d.Conflict[1]
	if err := x.remoteIs(ctx, p, r); err != nil {
		return nil, nil, 0, err
	}
	if err := x.local.Rename(p, cL); err != nil {
		return nil, nil, 0, err
	}
	if err := x.ensureDirs(ctx, cR); err != nil {
		return nil, nil, 0, err
	}
	if err := x.rem.Rename(ctx, p, cR); err != nil {
		return nil, nil, 0, err
	}
	ll := l
	if fi, err := x.local.Stat(cL); err == nil {
		ll = File{Size: fi.Size(), ModTime: fi.ModTime(), Precise: true}
	}
	rsL, n, err := x.pushFile(ctx, cL, cL, "", ll)
	if err != nil {
		return nil, nil, n, err
	}
	lsR, m, err := x.pullFile(ctx, cR, cR, x.tempFor(cR), r, nil, false)
	if err != nil {
		return nil, nil, n + m, err
	}
	return []store.SyncFile{{Path: cL, Local: sideOf(&ll), Remote: rsL}, {Path: cR, Local: lsR, Remote: sideOf(&r)}}, []string{p}, n + m, nil
}
