package filesync

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestPushSettle: a local file modified less than the push settle ago (or
// dated less than that ahead) is not pushed yet, and the plan says when it
// may go; an older file, a time far ahead and a settle of 0 go at once. In
// two-way the same holds for a local change and for a conflict.
func TestPushSettle(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 30, 0, time.UTC)
	old := now.Add(-time.Hour)
	rec := []store.SyncFile{{Path: "a.edi", Local: store.SyncSide{Exists: true, Size: 1, ModTime: old, Precise: true},
		Remote: store.SyncSide{Exists: true, Size: 1, ModTime: old, Precise: true}}}
	for _, tc := range []struct {
		name    string
		dir     string
		local   File
		remote  *File // with rec as the last synced state; nil: a new file
		settle  time.Duration
		want    Action
		settles time.Time
	}{
		{"push, 1 s old", store.SyncPush, File{Size: 1, ModTime: now.Add(-time.Second), Precise: true}, nil, 3 * time.Second, Skip, now.Add(2 * time.Second)},
		{"push, 10 s old", store.SyncPush, File{Size: 1, ModTime: now.Add(-10 * time.Second), Precise: true}, nil, 3 * time.Second, Push, time.Time{}},
		{"push, 1 s ahead", store.SyncPush, File{Size: 1, ModTime: now.Add(time.Second), Precise: true}, nil, 3 * time.Second, Skip, now.Add(4 * time.Second)},
		{"push, an hour ahead", store.SyncPush, File{Size: 1, ModTime: now.Add(time.Hour), Precise: true}, nil, 3 * time.Second, Push, time.Time{}},
		{"push, settle off", store.SyncPush, File{Size: 1, ModTime: now, Precise: true}, nil, 0, Push, time.Time{}},
		{"two-way, changed locally 1 s ago", store.SyncTwoWay, File{Size: 2, ModTime: now.Add(-time.Second), Precise: true},
			&File{Size: 1, ModTime: old, Precise: true}, 3 * time.Second, Skip, now.Add(2 * time.Second)},
		{"two-way, changed locally 10 s ago", store.SyncTwoWay, File{Size: 2, ModTime: now.Add(-10 * time.Second), Precise: true},
			&File{Size: 1, ModTime: old, Precise: true}, 3 * time.Second, Push, time.Time{}},
		{"two-way conflict, local 1 s old", store.SyncTwoWay, File{Size: 2, ModTime: now.Add(-time.Second), Precise: true},
			&File{Size: 3, ModTime: now.Add(-5 * time.Minute), Precise: true}, 3 * time.Second, Skip, now.Add(2 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := planner{dir: tc.dir, now: now, localSettle: tc.settle}
			rv, state := view{}, []store.SyncFile(nil)
			if tc.remote != nil {
				rv, state = view{"a.edi": *tc.remote}, rec
			}
			p := pl.plan(view{"a.edi": tc.local}, rv, state)
			if len(p.Items) != 1 || p.Items[0].Action != tc.want {
				t.Fatalf("plan = %+v, want %s", p.Items, tc.want)
			}
			if tc.want == Skip && !strings.Contains(p.Items[0].Reason, "may still get its time") {
				t.Errorf("reason %q does not say why it waits", p.Items[0].Reason)
			}
			if got := p.Settles(); !got.Equal(tc.settles) {
				t.Errorf("Settles() = %v, want %v", got, tc.settles)
			}
		})
	}
}

// TestPushSettleDeliversOnce: a partner's client uploads a file and sets
// its time one round trip later (STOR, then MFMT). A run between the two
// holds the file back instead of pushing it with the upload's time, and
// the file goes once, with its final time, after it settles.
func TestPushSettleDeliversOnce(t *testing.T) {
	e := newEnv(t, store.Sync{})
	now := t0
	e.engine.cfg.PushSettle = 3 * time.Second
	e.engine.clock = func() time.Time { return now }
	write(t, e.local, "a.edi", "order", t0) // just received: its time is the upload's
	now = t0.Add(500 * time.Millisecond)
	res, err := e.run(RunOptions{})
	if err != nil || res.Run.Copied != 0 || !res.Plan.Settles().Equal(t0.Add(3*time.Second)) {
		t.Fatalf("run during the upload's last round trip: copied %d, settles %v, %v; want nothing copied, settles at %v",
			res.Run.Copied, res.Plan.Settles(), err, t0.Add(3*time.Second))
	}
	if _, ok := tree(t, e.rem.root)["a.edi"]; ok {
		t.Fatal("a.edi pushed while its time may still change")
	}
	kept := t0.Add(-24 * time.Hour) // the client's MFMT: the file's original time
	write(t, e.local, "a.edi", "order", kept)
	now = t0.Add(3 * time.Second)
	if res := e.mustRun(); res.Run.Copied != 1 {
		t.Fatalf("run after it settled copied %d, want 1", res.Run.Copied)
	}
	if res := e.mustRun(); res.Run.Copied != 0 {
		t.Errorf("a further run copied %d, want 0: delivered once", res.Run.Copied)
	}
	f, err := e.rem.Stat(context.Background(), "a.edi")
	if err != nil || !f.ModTime.Equal(kept) {
		t.Errorf("remote a.edi = %+v, %v; want the client's time %v", f, err, kept)
	}
}

// settlingRunner's first run holds a file back until settleIn later.
type settlingRunner struct {
	failingRunner
	settleIn time.Duration
}

func (r *settlingRunner) Run(ctx context.Context, name string, o RunOptions) (Result, error) {
	res, err := r.failingRunner.Run(ctx, name, o)
	r.mu.Lock()
	first := len(r.at) == 1
	r.mu.Unlock()
	if first {
		res.Plan.Items = []Item{{Path: "a.edi", Action: Skip, settles: time.Now().Add(r.settleIn)}}
	}
	return res, err
}

// TestSchedulerRunsAgainWhenFilesSettle: a run that held a young file back
// is followed by another when the file settles, with no new event, and
// then none until the next trigger.
func TestSchedulerRunsAgainWhenFilesSettle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &settlingRunner{failingRunner: failingRunner{start: time.Now()}, settleIn: 3 * time.Second}
		got := runTimes(t, r, &r.mu, &r.at, fakeLister{{Name: "out", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPush}}, time.Hour)
		if d := cmp.Diff([]time.Duration{0, 3 * time.Second}, got); d != "" {
			t.Errorf("run times (-want +got):\n%s", d)
		}
	})
}
