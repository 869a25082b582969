package filesync

import (
	"slices"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

func TestPlanOneWayAndTwoWay(t *testing.T) {
	a := File{Size: 5, ModTime: t0, Precise: true}
	a2 := File{Size: 6, ModTime: t0.Add(time.Hour), Precise: true}
	// The same file as a LIST line shows it: minutes only.
	aList := File{Size: 5, ModTime: t0.Truncate(time.Minute)}
	synced := &store.SyncFile{Path: "f", Local: sideOf(&a), Remote: sideOf(&a)}
	syncedList := &store.SyncFile{Path: "f", Local: sideOf(&a), Remote: sideOf(&aList)}
	deliveredGone := &store.SyncFile{Path: "f", Local: store.SyncSide{}, Remote: sideOf(&a)}
	pulledGone := &store.SyncFile{Path: "f", Local: sideOf(&a), Remote: store.SyncSide{}}
	// An edit of the same size in the minute a LIST line shows for a.
	aEdit := File{Size: 5, ModTime: t0.Add(20 * time.Second), Precise: true}
	for _, tc := range []struct {
		name       string
		dir        string
		delete     bool
		l, r       *File
		s          *store.SyncFile
		wantAction Action
	}{
		{"push new", store.SyncPush, false, &a, nil, nil, Push},
		{"push unchanged", store.SyncPush, false, &a, &a, synced, Skip},
		{"push unchanged, LIST times", store.SyncPush, false, &a, &aList, syncedList, Skip},
		{"push consumed: exactly once", store.SyncPush, false, &a, nil, synced, Skip},
		{"push changed after consumption", store.SyncPush, false, &a2, nil, synced, Push},
		{"push identical already there", store.SyncPush, false, &a, &a, nil, Skip},
		{"push differs, no record", store.SyncPush, false, &a2, &a, nil, Push},
		{"push remote-only file ignored", store.SyncPush, false, nil, &a, nil, Skip},
		{"push delete: delivered earlier", store.SyncPush, true, &a, &a, synced, DeleteLocal},
		{"push delete: new file again after source removal", store.SyncPush, true, &a, nil, deliveredGone, Push},
		{"push delete: back after source removal, delivery still there", store.SyncPush, true, &a, &a, deliveredGone, Push},
		{"push keep: back after source removal, delivery still there", store.SyncPush, false, &a, &a, deliveredGone, Push},
		{"push delete: looks like the target's, nothing on record", store.SyncPush, true, &a, &a, nil, Push},
		{"push changed within the listed minute", store.SyncPush, false, &aEdit, &aList, syncedList, Push},
		{"pull delete: back after source removal, copy still there", store.SyncPull, true, &a, &a, pulledGone, Pull},
		{"pull delete: looks like the target's, nothing on record", store.SyncPull, true, &a, &a, nil, Pull},
		{"pull new", store.SyncPull, false, nil, &a, nil, Pull},
		{"pull consumed locally", store.SyncPull, false, nil, &a, synced, Skip},
		{"pull changed remotely", store.SyncPull, false, &a, &a2, synced, Pull},
		{"two-way unchanged", store.SyncTwoWay, false, &a, &a, synced, Skip},
		{"two-way new local", store.SyncTwoWay, false, &a, nil, nil, Push},
		{"two-way new remote", store.SyncTwoWay, false, nil, &a, nil, Pull},
		{"two-way deleted locally", store.SyncTwoWay, false, nil, &a, synced, DeleteRemote},
		{"two-way deleted remotely", store.SyncTwoWay, false, &a, nil, synced, DeleteLocal},
		{"two-way deleted both", store.SyncTwoWay, false, nil, nil, synced, Skip},
		{"two-way changed both", store.SyncTwoWay, false, &a2, &File{Size: 7, ModTime: t0}, synced, Conflict},
		{"two-way same change both", store.SyncTwoWay, false, &a2, &a2, synced, Skip},
		{"two-way both new, differ", store.SyncTwoWay, false, &a, &a2, nil, Conflict},
		{"two-way changed local, deleted remote", store.SyncTwoWay, false, &a2, nil, synced, Push},
		{"two-way deleted local, changed remote", store.SyncTwoWay, false, nil, &a2, synced, Pull},
	} {
		lv, rv := view{}, view{}
		if tc.l != nil {
			lv["f"] = *tc.l
		}
		if tc.r != nil {
			rv["f"] = *tc.r
		}
		var state []store.SyncFile
		if tc.s != nil {
			state = append(state, *tc.s)
		}
		p := planner{dir: tc.dir, deleteSource: tc.delete}.plan(lv, rv, state)
		if len(p.Items) != 1 {
			t.Errorf("%s: %d items, want 1", tc.name, len(p.Items))
			continue
		}
		if it := p.Items[0]; it.Action != tc.wantAction {
			t.Errorf("%s: action %s (%s), want %s", tc.name, it.Action, it.Reason, tc.wantAction)
		}
	}
}

// A source gone while its delivery stays on the target is recorded as
// gone, so that a file back under its name is a new delivery; unless the
// source lists no file at all (a folder missing for a while).
func TestPlanRecordsSourceGone(t *testing.T) {
	a := File{Size: 5, ModTime: t0, Precise: true}
	synced := store.SyncFile{Path: "f", Local: sideOf(&a), Remote: sideOf(&a)}
	for _, dir := range []string{store.SyncPush, store.SyncPull} {
		for _, others := range []bool{true, false} {
			src, dst := view{}, view{"f": a}
			if others {
				src["g"] = a
			}
			want := &store.SyncFile{Path: "f", Remote: sideOf(&a)}
			if dir == store.SyncPull {
				want = &store.SyncFile{Path: "f", Local: sideOf(&a)}
			}
			if !others {
				want = nil
			}
			lv, rv := src, dst
			if dir == store.SyncPull {
				lv, rv = rv, lv
			}
			p := planner{dir: dir}.plan(lv, rv, []store.SyncFile{synced})
			it := p.Items[0]
			ok := it.Action == Skip && (it.put == nil) == (want == nil)
			if ok && want != nil {
				ok = sameSide(it.put.Local, want.Local) && sameSide(it.put.Remote, want.Remote)
			}
			if !ok {
				t.Errorf("%s, source gone, other source files %v: %s (%s) recording %+v, want a skip recording %+v",
					dir, others, it.Action, it.Reason, it.put, want)
			}
		}
	}
}

func TestNewerSide(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // a LIST line with a date only
	for _, tc := range []struct {
		l, r     time.Time
		rPrecise bool
		want     string
	}{
		{t0, t0.Add(time.Second), true, SideRemote},
		{t0.Add(time.Second), t0, true, SideLocal},
		{t0, t0.Add(400 * time.Millisecond), true, ""},
		{t0, t0.Truncate(time.Minute), false, ""},                          // 10:30:15 vs a LIST 10:30
		{t0, t0.Truncate(time.Minute).Add(time.Minute), false, SideRemote}, // vs 10:31
		{t0, t0.Truncate(time.Minute).Add(-time.Minute), false, SideLocal}, // vs 10:29
		{t0, day, false, ""},                                               // vs Nov 20
		{t0, day.AddDate(0, 0, 1), false, SideRemote},                      // vs Nov 21
		{t0, time.Time{}, false, ""},                                       // no time
		{day, t0.Truncate(time.Minute), false, SideRemote},                 // local at midnight
	} {
		if got := newerSide(File{ModTime: tc.l, Precise: true}, File{ModTime: tc.r, Precise: tc.rPrecise}); got != tc.want {
			t.Errorf("newerSide(%v, %v precise %v) = %q, want %q", tc.l, tc.r, tc.rPrecise, got, tc.want)
		}
	}
}

func TestTimesMatch(t *testing.T) {
	for _, tc := range []struct {
		a, b    time.Time
		precise bool
		want    bool
	}{
		{t0, t0.Add(500 * time.Millisecond), true, true},
		{t0, t0.Add(time.Second), true, false},
		{t0, t0.Truncate(time.Minute), false, true},
		{t0, t0.Add(time.Minute), false, false},
		{t0, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), false, true}, // a LIST date without time
		{t0, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), false, false},
	} {
		if got := timesMatch(tc.a, tc.b, tc.precise); got != tc.want {
			t.Errorf("timesMatch(%v, %v, %v) = %v, want %v", tc.a, tc.b, tc.precise, got, tc.want)
		}
	}
}

func TestFilter(t *testing.T) {
	f, err := ParseFilter("*.edi, *.X12 ,-tmp*")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"a.edi": true, "A.EDI": true, "b.x12": true, "c.txt": false, "tmp1.edi": false} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v, want %v", name, got, want)
		}
	}
	for _, bad := range []string{"a/b", "-", "[", "-["} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("ParseFilter(%q) succeeded", bad)
		}
	}
}

func TestWorkOrder(t *testing.T) {
	f := func(p string, a Action, size int64) Item {
		it := Item{Path: p, Action: a}
		if a == Pull {
			it.Remote = &File{Size: size}
		} else {
			it.Local = &File{Size: size}
		}
		return it
	}
	items := []Item{
		f("a/1", Push, 10), f("a/2", Push, 10), f("a/3", Push, 10),
		f("big/x", Push, 2<<20), f("big/y", Pull, 8<<20),
		f("b/1", Push, 10), f("c/1", Conflict, 0), f("c/2", Push, 10),
	}
	var got []string
	for _, it := range workOrder(items) {
		got = append(got, it.Path)
	}
	want := []string{"big/y", "big/x", "a/1", "b/1", "c/1", "a/2", "c/2", "a/3"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// TestPullSettle: a remote file modified less than the settle time ago is
// not pulled yet (it may still be being written); a LIST time counts as
// the end of its minute; an older file, a push, and a settle of 0 go.
func TestPullSettle(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 30, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		dir    string
		remote File
		settle time.Duration
		want   Action
	}{
		{"exact, 10 s old", store.SyncPull, File{Size: 1, ModTime: now.Add(-10 * time.Second), Precise: true}, time.Minute, Skip},
		{"exact, 2 min old", store.SyncPull, File{Size: 1, ModTime: now.Add(-2 * time.Minute), Precise: true}, time.Minute, Pull},
		{"LIST minute 70 s ago, may be 10 s old", store.SyncPull, File{Size: 1, ModTime: now.Add(-70 * time.Second).Truncate(time.Minute)}, time.Minute, Skip},
		{"LIST minute 3 min ago", store.SyncPull, File{Size: 1, ModTime: now.Add(-3 * time.Minute).Truncate(time.Minute)}, time.Minute, Pull},
		{"another clock, an hour ahead", store.SyncPull, File{Size: 1, ModTime: now.Add(time.Hour), Precise: true}, time.Minute, Pull},
		{"settle off", store.SyncPull, File{Size: 1, ModTime: now, Precise: true}, 0, Pull},
		{"two-way, exact, 10 s old", store.SyncTwoWay, File{Size: 1, ModTime: now.Add(-10 * time.Second), Precise: true}, time.Minute, Skip},
		{"two-way, LIST minute 3 min ago", store.SyncTwoWay, File{Size: 1, ModTime: now.Add(-3 * time.Minute).Truncate(time.Minute)}, time.Minute, Pull},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := planner{dir: tc.dir, deleteSource: tc.dir == store.SyncPull, now: now, settle: tc.settle}
			p := pl.plan(view{}, view{"a.edi": tc.remote}, nil)
			if len(p.Items) != 1 || p.Items[0].Action != tc.want {
				t.Fatalf("plan = %+v, want %s", p.Items, tc.want)
			}
		})
	}
}

// TestTwoWayConflictSettles: a two-way conflict whose remote version is
// still young waits, as a pull would, rather than take a version that may
// still be being written into a conflict.
func TestTwoWayConflictSettles(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 30, 0, time.UTC)
	old := now.Add(-time.Hour)
	rec := []store.SyncFile{{Path: "a.edi", Local: store.SyncSide{Exists: true, Size: 1, ModTime: old, Precise: true},
		Remote: store.SyncSide{Exists: true, Size: 1, ModTime: old, Precise: true}}}
	local := view{"a.edi": {Size: 2, ModTime: now.Add(-5 * time.Minute), Precise: true}}
	for _, tc := range []struct {
		name   string
		remote File
		want   Action
	}{
		{"remote 10 s old", File{Size: 3, ModTime: now.Add(-10 * time.Second), Precise: true}, Skip},
		{"remote 2 min old", File{Size: 3, ModTime: now.Add(-2 * time.Minute), Precise: true}, Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := planner{dir: store.SyncTwoWay, now: now, settle: time.Minute}
			p := pl.plan(local, view{"a.edi": tc.remote}, rec)
			if len(p.Items) != 1 || p.Items[0].Action != tc.want {
				t.Fatalf("plan = %+v, want %s", p.Items, tc.want)
			}
		})
	}
}
