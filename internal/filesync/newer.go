package filesync

import (
	"context"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// newerSide returns the side whose version is newer, or "" when their
// times cannot be told apart at the precision the remote gives: the second
// for a precise time (MLSD, MDTM), else the minute a LIST line shows, or
// the day when it shows a date only (midnight). Local times are exact. A
// LIST time is cut to its minute, so a local time in a later minute is
// newer, and one in an earlier minute older.
func newerSide(l, r File) string {
	if r.ModTime.IsZero() {
		return ""
	}
	lt, rt := l.ModTime.UTC(), r.ModTime.UTC()
	switch {
	case r.Precise:
		lt, rt = lt.Truncate(time.Second), rt.Truncate(time.Second)
	case midnight(rt):
		lt = time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)
	default:
		lt, rt = lt.Truncate(time.Minute), rt.Truncate(time.Minute)
	}
	switch {
	case lt.After(rt):
		return SideLocal
	case rt.After(lt):
		return SideRemote
	}
	return ""
}

// exactTimes plans again, with the remote's exact time, the two-way paths
// whose plan rests on a LIST time too coarse to decide (Item.coarse): a
// conflict that "newer" cannot settle to the minute, and two edits of a
// recorded pair that look the same to the minute. Both are rare, so the
// extra command or two each costs little. Where the remote cannot tell,
// the plan stands: a tie keeps both versions.
func (x *runner) exactTimes(ctx context.Context, pl planner, p *Plan, state []store.SyncFile) {
	var rec map[string]store.SyncFile
	for i := range p.Items {
		it := &p.Items[i]
		if !it.coarse {
			continue
		}
		r, ok := x.exactTime(ctx, it.Path, *it.Remote)
		if !ok {
			continue
		}
		if rec == nil {
			rec = make(map[string]store.SyncFile, len(state))
			for _, f := range state {
				rec[f.Path] = f
			}
		}
		var sp *store.SyncFile
		if f, ok := rec[it.Path]; ok {
			sp = &f
		}
		n := pl.twoWay(it.Path, it.Local, &r, sp)
		n.Path, n.Local, n.Remote = it.Path, it.Local, &r
		*it = n
	}
}

// exactTime returns f, the remote file p as a LIST line showed it, with its
// exact time: from MDTM where the remote has it as a method (modTimer),
// else from Stat (remote.Pool asks MLST, or SIZE and MDTM). ok is false
// when the remote cannot tell, or tells of another file than the one
// listed (another size or minute: it changed since).
func (x *runner) exactTime(ctx context.Context, p string, f File) (File, bool) {
	var t time.Time
	if _, ok := x.rem.r.(modTimer); ok {
		mt, err := x.rem.ModTime(ctx, p)
		if err != nil {
			x.log.Debug("remote exact time", "path", p, "err", err)
			return f, false
		}
		t = mt
	} else {
		e, err := x.rem.Stat(ctx, p)
		if err != nil {
			x.log.Debug("remote exact time", "path", p, "err", err)
			return f, false
		}
		if e.Type != remote.File || !e.PreciseTime || e.Size != f.Size {
			return f, false
		}
		t = e.ModTime
	}
	if t.IsZero() || !timesMatch(t, f.ModTime, false) {
		return f, false
	}
	f.ModTime, f.Precise = t.UTC(), true
	return f, true
}
