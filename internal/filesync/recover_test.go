package filesync

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// crashed journals what a run killed in the middle of op leaves: a run
// still marked running and the op still started.
func crashed(t *testing.T, e *env, action Action, p string, d opDetail) {
	t.Helper()
	ctx := context.Background()
	run := &store.SyncRun{SyncID: e.sync.ID, Holder: "gone/1/x", Status: store.RunRunning}
	if err := e.st.SaveSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d)
	op := &store.SyncOp{RunID: run.ID, SyncID: e.sync.ID, Path: p, Action: string(action), Status: store.OpStarted, Detail: string(b)}
	if err := e.st.SaveSyncOp(ctx, op, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestRecovery(t *testing.T) {
	for _, tc := range []struct {
		name        string
		sync        store.Sync
		setup       func(t *testing.T, e *env) // files as the crash left them, and the journal
		wantLocal   map[string]string
		wantRemote  map[string]string
		wantCopies  map[string]int // done copy ops per path, over all runs
		wantRecover int
	}{{
		name: "push killed before the upload landed",
		sync: store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete},
		setup: func(t *testing.T, e *env) {
			write(t, e.local, "a.edi", "alpha", t0)
			write(t, e.rem.root, ".a.edi.0123456789ab.wharf-part", "alp", t0) // Store's temporary
			crashed(t, e, Push, "a.edi", opDetail{Size: 5, ModTime: t0, DeleteSource: true})
		},
		wantLocal:  map[string]string{},
		wantRemote: map[string]string{"a.edi": "alpha"},
		wantCopies: map[string]int{"a.edi": 1},
	}, {
		name: "push killed mid-upload, its temporary journaled",
		sync: store.Sync{Direction: store.SyncPush},
		setup: func(t *testing.T, e *env) {
			write(t, e.local, "in/a.edi", "alpha", t0)
			write(t, e.rem.root, "in/.a.edi.0123456789ab.wharf-part", "al", t0)
			crashed(t, e, Push, "in/a.edi", opDetail{Size: 5, ModTime: t0, Temp: "in/.a.edi.0123456789ab.wharf-part"})
		},
		wantLocal:  map[string]string{"in/a.edi": "alpha"},
		wantRemote: map[string]string{"in/a.edi": "alpha"},
		wantCopies: map[string]int{"in/a.edi": 1},
	}, {
		name: "push killed after the upload landed, before the source was deleted",
		sync: store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete},
		setup: func(t *testing.T, e *env) {
			write(t, e.local, "a.edi", "alpha", t0)
			write(t, e.rem.root, "a.edi", "alpha", time.Now()) // mtime not set yet
			crashed(t, e, Push, "a.edi", opDetail{Size: 5, ModTime: t0, DeleteSource: true})
		},
		wantLocal:   map[string]string{},
		wantRemote:  map[string]string{"a.edi": "alpha"},
		wantCopies:  map[string]int{"a.edi": 1},
		wantRecover: 1,
	}, {
		name: "push killed after the source was deleted",
		sync: store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete},
		setup: func(t *testing.T, e *env) {
			write(t, e.rem.root, "a.edi", "alpha", t0)
			dest := store.SyncSide{Exists: true, Size: 5, ModTime: t0}
			crashed(t, e, Push, "a.edi", opDetail{Size: 5, ModTime: t0, DeleteSource: true, Step: "copied", Dest: &dest})
		},
		wantLocal:   map[string]string{},
		wantRemote:  map[string]string{"a.edi": "alpha"},
		wantCopies:  map[string]int{"a.edi": 1},
		wantRecover: 1,
	}, {
		name: "push over an older remote file, killed before it landed",
		sync: store.Sync{Direction: store.SyncPush},
		setup: func(t *testing.T, e *env) {
			write(t, e.local, "a.edi", "new!!", t0.Add(time.Hour))
			write(t, e.rem.root, "a.edi", "old!!", t0)
			crashed(t, e, Push, "a.edi", opDetail{Size: 5, ModTime: t0.Add(time.Hour), Prior: &File{Size: 5, ModTime: t0}})
		},
		wantLocal:  map[string]string{"a.edi": "new!!"},
		wantRemote: map[string]string{"a.edi": "new!!"},
		wantCopies: map[string]int{"a.edi": 1},
	}, {
		name: "pull killed during the download",
		sync: store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete},
		setup: func(t *testing.T, e *env) {
			write(t, e.rem.root, "x.edi", "xray", t0)
			tmp := ".wharf-sync-1-1-1"
			write(t, e.local, tmp, "xr", t0)
			crashed(t, e, Pull, "x.edi", opDetail{Size: 4, ModTime: t0, Precise: true, Temp: tmp, DeleteSource: true})
		},
		wantLocal:  map[string]string{"x.edi": "xray"},
		wantRemote: map[string]string{},
		wantCopies: map[string]int{"x.edi": 1},
	}, {
		name: "pull killed after the rename, before the remote source was deleted",
		sync: store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete},
		setup: func(t *testing.T, e *env) {
			write(t, e.rem.root, "x.edi", "xray", t0)
			write(t, e.local, "x.edi", "xray", t0)
			crashed(t, e, Pull, "x.edi", opDetail{Size: 4, ModTime: t0, Precise: true, Temp: ".wharf-sync-1-1-1", DeleteSource: true})
		},
		wantLocal:   map[string]string{"x.edi": "xray"},
		wantRemote:  map[string]string{},
		wantCopies:  map[string]int{"x.edi": 1},
		wantRecover: 1,
	}, {
		name: "stray temporaries of this sync are removed",
		sync: store.Sync{Direction: store.SyncPull},
		setup: func(t *testing.T, e *env) {
			write(t, e.local, "d/.wharf-sync-1-7-3", "junk", t0)
			write(t, e.local, ".wharf-sync-99-1-1", "another sync's", t0)
		},
		wantLocal:  map[string]string{".wharf-sync-99-1-1": "another sync's"},
		wantRemote: map[string]string{},
		wantCopies: map[string]int{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.sync)
			tc.setup(t, e)
			res := e.mustRun()
			if res.Recovered != tc.wantRecover {
				t.Errorf("recovered %d ops, want %d", res.Recovered, tc.wantRecover)
			}
			if d := cmp.Diff(tc.wantLocal, tree(t, e.local)); d != "" {
				t.Errorf("local (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantRemote, tree(t, e.rem.root)); d != "" {
				t.Errorf("remote (-want +got):\n%s", d)
			}
			e.mustRun()
			if d := cmp.Diff(tc.wantCopies, e.delivered()); d != "" {
				t.Errorf("deliveries (-want +got):\n%s", d)
			}
			if started, _ := e.st.SyncOps(context.Background(), e.sync.ID, 0, store.OpStarted); len(started) != 0 {
				t.Errorf("%d ops still started", len(started))
			}
			runs, _ := e.st.SyncRuns(context.Background(), e.sync.ID, 10)
			for _, r := range runs {
				if r.Status == store.RunRunning {
					t.Errorf("run %d still running", r.ID)
				}
			}
		})
	}
}

// An interrupted run's row gets its counts from its journal when a later
// run recovers it: it shows what it delivered before it died.
func TestRecoveryCountsInterruptedRun(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	ctx := context.Background()
	run := &store.SyncRun{SyncID: e.sync.ID, Holder: "gone/1/x", Status: store.RunRunning}
	if err := e.st.SaveSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	for _, op := range []store.SyncOp{
		{Path: "a.edi", Action: string(Push), Status: store.OpDone, Bytes: 5},
		{Path: "b.edi", Action: string(Push), Status: store.OpDone, Bytes: 7},
		{Path: "c.edi", Action: string(Push), Status: store.OpFailed},
	} {
		op.RunID, op.SyncID = run.ID, e.sync.ID
		if err := e.st.SaveSyncOp(ctx, &op, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.mustRun()
	runs, err := e.st.SyncRuns(ctx, e.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got store.SyncRun
	for _, r := range runs {
		if r.ID == run.ID {
			got = r
		}
	}
	if got.Status != store.RunInterrupted || got.Copied != 2 || got.Bytes != 12 || got.Failed != 1 {
		t.Errorf("interrupted run after recovery: status %s, copied %d, bytes %d, failed %d; want interrupted, 2, 12, 1",
			got.Status, got.Copied, got.Bytes, got.Failed)
	}
}
