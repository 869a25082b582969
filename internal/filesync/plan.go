package filesync

import (
	"fmt"
	"sort"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// Action is what a run does with one path.
type Action string

// Actions. Skip changes no file, but may record state (a file found
// identical on both sides, or gone from both).
const (
	Push         Action = "push"          // copy local -> remote
	Pull         Action = "pull"          // copy remote -> local
	DeleteLocal  Action = "delete-local"  // remove the local file
	DeleteRemote Action = "delete-remote" // remove the remote file
	Conflict     Action = "conflict"      // changed on both sides (two-way)
	Skip         Action = "skip"
)

// Conflict winners.
const (
	SideLocal  = "local"
	SideRemote = "remote"
)

// Item is one planned action.
type Item struct {
	Path   string
	Action Action
	Reason string
	// Local and Remote are the files as listed, the remote's time made
	// exact where a two-way decision needed it (exactTimes); nil when
	// absent.
	Local, Remote *File
	// DeleteSource: after a verified Push or Pull, delete the source.
	DeleteSource bool
	// AfterCopy marks a delete of a source whose copy was verified in an
	// earlier run; the mass-delete guard does not count it.
	AfterCopy bool
	// Winner of a Conflict: SideLocal, SideRemote, or "" to keep both
	// versions under conflict names.
	Winner string

	put  *store.SyncFile // state a Skip records
	drop bool            // a Skip forgets the path's state
	// again marks the copy of a file back after the source of its last
	// delivery was removed: a new delivery, made whatever the target
	// holds (byContent leaves it alone).
	again bool
	// settles is when a local source held back as young may go.
	settles time.Time
	// coarse marks a two-way plan that rests on a remote time from LIST,
	// too coarse to decide; exactTimes plans it again with the exact one.
	coarse bool
	// unlisted marks a two-way plan that rests on the remote's listing
	// no longer showing a file it held at the last sync: confirmGone asks
	// the remote before it is taken for deleted there.
	unlisted bool
	// unconfirmed marks a delete-local whose absence on the remote
	// confirmGone could not confirm: deleteFile asks again first.
	unconfirmed bool
}

// Plan is what a run will do, every listed or remembered path included.
type Plan struct {
	Items []Item // by path
	// Files on each side now, and in the last synced state.
	LocalFiles, RemoteFiles int
	KnownLocal, KnownRemote int
	// FromJournal: a push with every local file as last synced, planned
	// without listing the remote; RemoteFiles then counts the journal's.
	FromJournal bool
}

// Count returns how many items have action a.
func (p Plan) Count(a Action) int {
	n := 0
	for _, it := range p.Items {
		if it.Action == a {
			n++
		}
	}
	return n
}

// deletes counts the deletes the mass-delete guard weighs: those
// propagating a deletion, not after-copy removals of sources.
func (p Plan) deletes(a Action) int {
	n := 0
	for _, it := range p.Items {
		if it.Action == a && !it.AfterCopy {
			n++
		}
	}
	return n
}

// planner decides each path's action for one sync.
type planner struct {
	dir          string // store.Sync* direction
	deleteSource bool
	conflict     string
	// excluded, when set, says why the sync leaves a path alone (its
	// filter, a temp receive extension, a name the remote cannot list),
	// or "" when it handles it: the lister's rule, so that a recorded path
	// the listings leave out is not taken for a file gone from both sides.
	excluded func(p string) string
	// hidden are local files left alone as names the remote cannot list
	// (lister.unseen), planned as skips with excluded's reason.
	hidden []string
	// sourceEmpty: the source side listed no file at all (set by plan).
	sourceEmpty bool
	// now and settle: a remote source modified within settle of now is
	// not pulled yet (see Config.PullSettle); settle 0 pulls at once.
	// localSettle does the same for a local source (Config.PushSettle).
	now         time.Time
	settle      time.Duration
	localSettle time.Duration
}

// young says why a source is not copied yet, or "", and for a local one
// when it will be (Item.settles). A time from LIST stands for its whole
// minute, so the file may be up to a minute younger than it reads. A time
// far ahead of now (another clock, another zone) tells nothing, and holds
// nothing back.
func (pl planner) young(src *File, srcIsLocal bool) (string, time.Time) {
	settle := pl.settle
	if srcIsLocal {
		settle = pl.localSettle
	}
	if settle <= 0 {
		return "", time.Time{}
	}
	latest := src.ModTime
	if !srcIsLocal && !src.Precise {
		latest = latest.Add(time.Minute)
	}
	age := pl.now.Sub(latest)
	if age >= settle || age < -settle {
		return "", time.Time{}
	}
	ago := max(age, 0).Round(time.Second)
	if srcIsLocal {
		return fmt.Sprintf("modified %v ago or less: a local file younger than %v may still get its time from the client that uploaded it (MFMT after STOR); pushed once it is older", ago, settle),
			pl.now.Add(settle - age)
	}
	return fmt.Sprintf("modified %v ago or less: a remote file younger than %v may still be being written; pulled once it is older", ago, settle), time.Time{}
}

// Settles is when the earliest local file this plan held back (young)
// is old enough to go, or zero when it held none.
func (p Plan) Settles() time.Time {
	var at time.Time
	for _, it := range p.Items {
		if !it.settles.IsZero() && (at.IsZero() || it.settles.Before(at)) {
			at = it.settles
		}
	}
	return at
}

// plan compares the listings with the last synced state. A recorded path
// the sync now leaves alone (a narrowed filter) is a Skip that keeps its
// record: were it dropped, restoring the filter would deliver again a file
// the partner has consumed.
func (pl planner) plan(local, remote view, state []store.SyncFile) Plan {
	rec := make(map[string]store.SyncFile, len(state))
	paths := make(map[string]bool, len(local)+len(remote)+len(state))
	p := Plan{LocalFiles: len(local), RemoteFiles: len(remote)}
	pl.sourceEmpty = pl.dir == store.SyncPull && len(remote) == 0 || pl.dir == store.SyncPush && len(local) == 0
	skipped := map[string]bool{}
	for _, f := range state {
		if pl.excluded != nil {
			if why := pl.excluded(f.Path); why != "" {
				skipped[f.Path] = true
				p.Items = append(p.Items, Item{Path: f.Path, Action: Skip, Reason: why})
				continue
			}
		}
		rec[f.Path] = f
		paths[f.Path] = true
		if f.Local.Exists {
			p.KnownLocal++
		}
		if f.Remote.Exists {
			p.KnownRemote++
		}
	}
	for _, k := range pl.hidden {
		if _, ok := rec[k]; !ok && !skipped[k] && pl.excluded != nil {
			skipped[k] = true
			p.Items = append(p.Items, Item{Path: k, Action: Skip, Reason: pl.excluded(k)})
		}
	}
	for k := range local {
		paths[k] = !skipped[k]
	}
	for k := range remote {
		paths[k] = !skipped[k] // planFromJournal's view is the records'
	}
	for k, ok := range paths {
		if !ok {
			continue
		}
		var l, r *File
		if f, ok := local[k]; ok {
			l = &f
		}
		if f, ok := remote[k]; ok {
			r = &f
		}
		s, has := rec[k]
		var sp *store.SyncFile
		if has {
			sp = &s
		}
		var it Item
		switch pl.dir {
		case store.SyncPull:
			it = pl.oneWay(k, r, l, sp, false)
		case store.SyncTwoWay:
			it = pl.twoWay(k, l, r, sp)
		default:
			it = pl.oneWay(k, l, r, sp, true)
		}
		it.Path, it.Local, it.Remote = k, l, r
		p.Items = append(p.Items, it)
	}
	sort.Slice(p.Items, func(i, j int) bool { return p.Items[i].Path < p.Items[j].Path })
	return p
}

// sameLocal reports whether a local file is as recorded.
func sameLocal(f File, s store.SyncSide) bool {
	return s.Exists && f.Size == s.Size && f.ModTime.Equal(s.ModTime)
}

// sameRemote reports whether a remote file is as recorded. A record
// without a time (the server could not set or tell one) compares by size.
func sameRemote(f File, s store.SyncSide) bool {
	if !s.Exists || f.Size != s.Size {
		return false
	}
	if s.ModTime.IsZero() || f.ModTime.IsZero() {
		return true
	}
	return timesMatch(f.ModTime, s.ModTime, f.Precise && s.Precise)
}

// looksSame reports whether a local and a remote file look like copies of
// each other: same size and modification time, at the remote's precision.
func looksSame(l, r File) bool {
	return l.Size == r.Size && !r.ModTime.IsZero() && timesMatch(l.ModTime, r.ModTime, r.Precise)
}

// timesMatch compares modification times to the second when both are
// precise, else to the minute a LIST line shows, or to the day when a LIST
// line shows only a date (files older than about six months).
func timesMatch(a, b time.Time, precise bool) bool {
	a, b = a.UTC(), b.UTC()
	if precise {
		return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
	}
	if midnight(a) || midnight(b) {
		ay, am, ad := a.Date()
		by, bm, bd := b.Date()
		if ay == by && am == bm && ad == bd {
			return true
		}
	}
	return a.Truncate(time.Minute).Equal(b.Truncate(time.Minute))
}

func midnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// sides maps a one-way sync's source and target onto local and remote.
func sides(srcIsLocal bool, s *store.SyncFile) (src, dst store.SyncSide) {
	if srcIsLocal {
		return s.Local, s.Remote
	}
	return s.Remote, s.Local
}

// oneWay plans a push (srcIsLocal) or pull. Only the record tells that a
// source was delivered: a target file of the same name, size and time may
// be an earlier delivery of another file (a partner that uploads daily.edi
// each day with a preserved time), so it never stands in for a copy. A
// source is removed only after a copy this sync verified (a crash between
// the two is settled by recovery, from the journal).
func (pl planner) oneWay(p string, src, dst *File, s *store.SyncFile, srcIsLocal bool) Item {
	copyAct, delSrc := Push, DeleteLocal
	sameSrc, sameDst := sameLocal, sameRemote
	if !srcIsLocal {
		copyAct, delSrc = Pull, DeleteRemote
		sameSrc, sameDst = sameRemote, sameLocal
	}
	same := func(src, dst File) bool {
		if srcIsLocal {
			return looksSame(src, dst)
		}
		return looksSame(dst, src)
	}
	if src == nil {
		if s == nil {
			return Item{Action: Skip, Reason: "only on the target"}
		}
		if dst == nil {
			return Item{Action: Skip, Reason: "gone from both sides", drop: true}
		}
		it := Item{Action: Skip, Reason: "source removed; target kept"}
		if rs, _ := sides(srcIsLocal, s); rs.Exists && !pl.sourceEmpty {
			// Recorded as gone, so that a file that appears under the
			// name again is a new delivery, not the one delivered. Not
			// from a source that lists nothing at all: that may be its
			// folder missing for a while (vsftpd lists a missing folder
			// as empty), and its return must not make every file new.
			it.put = withoutSource(s, srcIsLocal)
		}
		return it
	}
	delivered := Item{Action: Skip, Reason: "unchanged"}
	if pl.deleteSource {
		delivered = Item{Action: delSrc, AfterCopy: true, Reason: "delivered earlier; removing the source"}
	}
	var rs store.SyncSide
	if s != nil {
		var rd store.SyncSide
		rs, rd = sides(srcIsLocal, s)
		if rs.Exists && sameSrc(*src, rs) {
			switch {
			case dst == nil:
				if !pl.deleteSource {
					delivered.Reason = "delivered; since removed on the target"
				}
				return delivered
			case sameDst(*dst, rd):
				if !pl.deleteSource {
					delivered.put = refreshed(s, src, dst, srcIsLocal)
				}
				return delivered
			default:
				if !pl.deleteSource {
					delivered.Reason = "changed on the target only; source unchanged"
				}
				return delivered
			}
		}
	}
	it := Item{Action: copyAct, DeleteSource: pl.deleteSource}
	switch {
	case s != nil && rs.Exists:
		it.Reason = "changed"
	case s != nil:
		// The source of the last delivery was removed, after its copy or
		// by someone else; the target may still hold that delivery.
		it.Reason, it.again = "new: back after the source of its last delivery was removed", true
	case dst == nil:
		it.Reason = "new"
	case !same(*src, *dst):
		it.Reason = "differs from the target"
	case !pl.deleteSource:
		return Item{Action: Skip, Reason: "identical on both sides", put: refreshed(&store.SyncFile{Path: p}, src, dst, srcIsLocal)}
	default:
		// Nothing on record: copied and verified before the source goes,
		// unless the server's digest shows the same content (byContent).
		it.Reason = "same size and time as the target's file, but no delivery of it on record"
	}
	if why, at := pl.young(src, srcIsLocal); why != "" {
		return Item{Action: Skip, Reason: why, settles: at}
	}
	return it
}

// withoutSource returns s with the source side recorded as absent.
func withoutSource(s *store.SyncFile, srcIsLocal bool) *store.SyncFile {
	n := *s
	if srcIsLocal {
		n.Local = store.SyncSide{}
	} else {
		n.Remote = store.SyncSide{}
	}
	return &n
}

// refreshed returns the record for a pair found in step, or nil when s
// already says so exactly.
func refreshed(s *store.SyncFile, src, dst *File, srcIsLocal bool) *store.SyncFile {
	l, r := src, dst
	if !srcIsLocal {
		l, r = dst, src
	}
	n := store.SyncFile{Path: s.Path, Local: sideOf(l), Remote: sideOf(r)}
	if sameSide(n.Local, s.Local) && sameSide(n.Remote, s.Remote) {
		return nil
	}
	return &n
}

// sameSide reports whether two records say the same. Times compare with
// Equal: the store hands them back in another location than a listing.
func sameSide(a, b store.SyncSide) bool {
	return a.Exists == b.Exists && a.Size == b.Size && a.Precise == b.Precise && a.ModTime.Equal(b.ModTime)
}

func sideOf(f *File) store.SyncSide {
	if f == nil {
		return store.SyncSide{}
	}
	return store.SyncSide{Exists: true, Size: f.Size, ModTime: f.ModTime, Precise: f.Precise}
}

// change is one side's state relative to the record.
type change int

const (
	absent    change = iota // not there, and not recorded
	added                   // there, not recorded (or recorded as absent)
	unchanged               // as recorded
	modified                // there, differs from the record
	removed                 // recorded, now gone
)

func changeOf(f *File, s *store.SyncFile, local bool) change {
	var rec store.SyncSide
	if s != nil {
		rec = s.Remote
		if local {
			rec = s.Local
		}
	}
	switch {
	case f == nil && rec.Exists:
		return removed
	case f == nil:
		return absent
	case !rec.Exists:
		return added
	case local && sameLocal(*f, rec), !local && sameRemote(*f, rec):
		return unchanged
	}
	return modified
}

// twoWay plans a two-way path.
func (pl planner) twoWay(p string, l, r *File, s *store.SyncFile) Item {
	lc, rc := changeOf(l, s, true), changeOf(r, s, false)
	newer := func(c change) bool { return c == added || c == modified }
	if newer(rc) {
		// A remote file still being written is not pulled, nor taken
		// into a conflict, until it settles (as in a pull). This also
		// means its copy is made once its listed minute is over, so a
		// later edit of the same size shows as another minute.
		if why, _ := pl.young(r, false); why != "" {
			return Item{Action: Skip, Reason: why}
		}
	}
	if newer(lc) {
		// Nor is a local change pushed, or taken into a conflict, while
		// its time may still change (PushSettle).
		if why, at := pl.young(l, true); why != "" {
			return Item{Action: Skip, Reason: why, settles: at}
		}
	}
	switch {
	case lc == unchanged && rc == unchanged:
		return Item{Action: Skip, Reason: "unchanged", put: refreshed(s, l, r, true)}
	case (lc == removed || lc == absent) && (rc == removed || rc == absent):
		return Item{Action: Skip, Reason: "gone from both sides", drop: s != nil}
	case newer(lc) && newer(rc):
		if looksSame(*l, *r) {
			// Two edits of a recorded pair with one size, made within the
			// minute a LIST line shows, look the same too.
			return Item{Action: Skip, Reason: "same change on both sides", put: refreshed(&store.SyncFile{Path: p}, l, r, true),
				coarse: s != nil && !r.Precise}
		}
		it := Item{Action: Conflict, Reason: "changed on both sides", Winner: pl.winner(*l, *r)}
		if it.Winner == "" && pl.byTime() {
			it.Reason = "changed on both sides at the same time, as far as the remote tells"
			it.coarse = !r.Precise
		}
		return it
	case newer(lc):
		reason := "new locally"
		if lc == modified {
			reason = "changed locally"
		}
		if rc == removed {
			return Item{Action: Push, Reason: "changed locally, deleted on the remote: the change wins", unlisted: true}
		}
		return Item{Action: Push, Reason: reason}
	case newer(rc):
		reason := "new on the remote"
		if rc == modified {
			reason = "changed on the remote"
		}
		if lc == removed {
			reason = "changed on the remote, deleted locally: the change wins"
		}
		return Item{Action: Pull, Reason: reason}
	case lc == removed:
		return Item{Action: DeleteRemote, Reason: "deleted locally"}
	default: // rc == removed, lc == unchanged
		return Item{Action: DeleteLocal, Reason: "deleted on the remote", unlisted: true}
	}
}

// winner applies the conflict policy: SideLocal, SideRemote, or "" to keep
// both versions under conflict names. With "newer" (the default), versions
// whose times cannot be told apart keep both too (see newerSide): which
// one is newer is not known, so neither takes the name.
func (pl planner) winner(l, r File) string {
	switch pl.conflict {
	case store.ConflictLocal:
		return SideLocal
	case store.ConflictRemote:
		return SideRemote
	case store.ConflictKeepBoth:
		return ""
	}
	return newerSide(l, r)
}

// byTime reports whether conflicts go to the newer version.
func (pl planner) byTime() bool {
	return pl.conflict == "" || pl.conflict == store.ConflictNewer
}
