package filesync

import (
	"context"
	"fmt"
	"sync"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// featurer is the optional Remote capability of telling the server's FEAT
// keywords (upper case); *remote.Pool has it.
type featurer interface {
	Features(ctx context.Context) (map[string]string, error)
}

// hidesDotFiles reports whether r's listings leave out dot names: it lists
// with LIST only (no MLST), as vsftpd does, whose bare LIST hides them
// (remote.Conn.List sends no "-a"). A remote that cannot tell its features
// is taken to show them.
func hidesDotFiles(ctx context.Context, r Remote) (bool, error) {
	f, ok := r.(featurer)
	if !ok {
		return false, nil
	}
	feat, err := f.Features(ctx)
	if err != nil {
		return false, err
	}
	_, mlst := feat["MLST"]
	return !mlst, nil
}

// errStillThere fails the delete of a local file whose remote copy the
// remote's listing leaves out, though the remote still has it.
var errStillThere = fmt.Errorf("%w: not deleted: the remote still has it, though its listing leaves it out", errNotRetried)

// confirmGone asks the remote about each two-way path planned on the
// strength of an absence alone (Item.unlisted): a file it held at the last
// sync that its listing no longer shows. A listing may leave out a file
// that is there (a name the server hides or the client drops), and
// deleting the local copy then loses it. So a Stat (MLST, or SIZE and
// MDTM, which see hidden names) decides: a file it finds is planned again
// as listed with what the Stat tells (unchanged, changed on the remote, a
// conflict: never a delete), anything else there is left alone, and only
// a path Stat reports missing keeps its delete. A delete whose Stat failed
// is checked again before it is carried out (Item.unconfirmed). Such paths
// are few (files deleted on the remote since the last run), and are
// asked about Transfers at a time.
func (x *runner) confirmGone(ctx context.Context, pl planner, p *Plan, state []store.SyncFile) {
	var todo []int
	for i, it := range p.Items {
		if it.unlisted {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return
	}
	rec := make(map[string]store.SyncFile, len(todo))
	for _, f := range state {
		rec[f.Path] = f
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(x.e.cfg.Transfers, 1))
	for _, i := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func(it *Item) {
			defer wg.Done()
			defer func() { <-sem }()
			s := rec[it.Path]
			x.confirmOne(ctx, pl, it, &s)
		}(&p.Items[i])
	}
	wg.Wait()
}

// confirmOne is confirmGone for one item, s its record.
func (x *runner) confirmOne(ctx context.Context, pl planner, it *Item, s *store.SyncFile) {
	it.unlisted = false
	e, err := x.rem.Stat(ctx, it.Path)
	switch {
	case notExist(err):
		return
	case err != nil:
		x.log.Warn("remote stat of a file its listing leaves out", "path", it.Path, "err", err)
		if it.Action == DeleteLocal {
			it.unconfirmed = true
		}
		return
	case e.Type != remote.File:
		*it = Item{Path: it.Path, Local: it.Local, Action: Skip,
			Reason: fmt.Sprintf("the remote's listing leaves it out, but the remote has a %s under its name; left alone", e.Type)}
		return
	}
	r := File{Size: e.Size, ModTime: e.ModTime, Precise: e.PreciseTime}
	n := pl.twoWay(it.Path, it.Local, &r, s)
	n.Path, n.Local, n.Remote = it.Path, it.Local, &r
	n.Reason += " (the remote's listing leaves it out, but the remote has it)"
	*it = n
}

// stillGone checks again, right before a delete-local, that the remote
// does not have the file (see Item.unconfirmed).
func (x *runner) stillGone(ctx context.Context, p string) error {
	_, err := x.rem.Stat(ctx, p)
	switch {
	case notExist(err):
		return nil
	case err != nil:
		return fmt.Errorf("not deleted: could not confirm it is gone from the remote: %w", err)
	}
	return errStillThere
}

// remoteIs checks that the remote file p is still f as listed (size, and
// time at the precision both tell), before a copy replaces it or a conflict
// renames it: a partner's change made since the listing is never
// overwritten, and the next run sees it (a conflict, say). A file gone
// since is no change to keep, once its folder's listing agrees: a 550 to
// Stat is as often a refusal.
func (x *runner) remoteIs(ctx context.Context, p string, f File) error {
	e, err := x.rem.Stat(ctx, p)
	switch {
	case notExist(err) && unlisted(ctx, x.rem, p):
		return nil
	case notExist(err):
		return fmt.Errorf("%w, though its folder lists it", err)
	case err != nil:
		return err
	case e.Type != remote.File || e.Size != f.Size:
		return errChanged
	case !e.ModTime.IsZero() && !f.ModTime.IsZero() && !timesMatch(e.ModTime, f.ModTime, e.PreciseTime && f.Precise):
		return errChanged
	}
	return nil
}
