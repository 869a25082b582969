package filesync

import (
	"context"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
)

// lastRow returns the sync's newest run as the store keeps it.
func lastRow(t *testing.T, e *env) store.SyncRun {
	t.Helper()
	runs, err := e.st.SyncRuns(context.Background(), e.sync.ID, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("SyncRuns = %v, %v", runs, err)
	}
	return runs[0]
}

// counts is what a run's figures say, the sources removed after their copy
// apart from the other deletes.
type counts struct{ copied, deleted, removed int }

// TestAfterCopyCounts: a source removed after its verified copy counts in
// the run's Deleted (every file the run deleted), and as one of its
// SourcesRemoved, the same in a dry run, in the run's result and in its
// stored row, whether it goes with its copy or in a later run.
func TestAfterCopyCounts(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{store.SyncPush, store.SyncPull} {
		t.Run(dir, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: dir, AfterCopy: store.AfterCopyDelete})
			src := e.local
			if dir == store.SyncPull {
				src = e.rem.root
			}
			write(t, src, "a.edi", "alpha", t0)
			write(t, src, "in/b.edi", "bravo", t0)
			want := counts{copied: 2, deleted: 2, removed: 2}
			dry, err := e.run(RunOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := (counts{dry.Run.Copied, dry.Run.Deleted, dry.SourcesRemoved}); got != want {
				t.Errorf("dry run counts %+v, want %+v", got, want)
			}
			res := e.mustRun()
			if got := (counts{res.Run.Copied, res.Run.Deleted, res.SourcesRemoved}); got != want {
				t.Errorf("run counts %+v, want %+v", got, want)
			}
			if len(tree(t, src)) != 0 {
				t.Fatalf("sources left: %v", keys(tree(t, src)))
			}
			row := lastRow(t, e)
			removed, err := SourcesRemoved(ctx, e.st, row)
			if err != nil {
				t.Fatal(err)
			}
			if got := (counts{row.Copied, row.Deleted, removed}); got != want {
				t.Errorf("stored run %+v: counts %+v, want %+v", row, got, want)
			}
			if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.SourcesRemoved != 0 {
				t.Errorf("second run = %+v, removed %d; want nothing done", res.Run, res.SourcesRemoved)
			}
		})
	}
}

// TestAfterCopyCountsLaterRun: a source kept when its delete was refused
// and removed by a later run counts there, as a removal after copy, not as
// a propagated delete.
func TestAfterCopyCountsLaterRun(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
	write(t, e.rem.root, "x.edi", "xray", t0)
	e.rem.failDelete["x.edi"] = dele550("x.edi")
	if res := partialRun(t, e, "x.edi"); res.Run.Deleted+res.SourcesRemoved != 0 {
		t.Errorf("run whose delete was refused = %+v, removed %d; want nothing deleted", res.Run, res.SourcesRemoved)
	}
	delete(e.rem.failDelete, "x.edi")
	want := counts{copied: 0, deleted: 1, removed: 1}
	dry, err := e.run(RunOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := (counts{dry.Run.Copied, dry.Run.Deleted, dry.SourcesRemoved}); got != want {
		t.Errorf("dry run counts %+v, want %+v", got, want)
	}
	res := e.mustRun()
	if got := (counts{res.Run.Copied, res.Run.Deleted, res.SourcesRemoved}); got != want {
		t.Errorf("run counts %+v, want %+v", got, want)
	}
	row := lastRow(t, e)
	removed, err := SourcesRemoved(context.Background(), e.st, row)
	if err != nil {
		t.Fatal(err)
	}
	if got := (counts{row.Copied, row.Deleted, removed}); got != want {
		t.Errorf("stored run: counts %+v, want %+v", got, want)
	}
}

// TestAfterCopyCountsTwoWay: a two-way sync's deletes propagate deletions;
// none is a source removed after its copy.
func TestAfterCopyCountsTwoWay(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, MaxDelete: 100})
	write(t, e.local, "a.edi", "alpha", t0)
	e.mustRun()
	remove(t, e.local, "a.edi")
	res := e.mustRun()
	if got, want := (counts{res.Run.Copied, res.Run.Deleted, res.SourcesRemoved}), (counts{0, 1, 0}); got != want {
		t.Errorf("run counts %+v, want %+v", got, want)
	}
	if removed, err := SourcesRemoved(context.Background(), e.st, lastRow(t, e)); err != nil || removed != 0 {
		t.Errorf("SourcesRemoved = %d, %v; want 0", removed, err)
	}
}

// TestAfterCopyCountsRecovered: a source removed by a run that was killed
// before it recorded the removal counts once: in the run that recovers the
// copy when the removal is what recovery finds, and in the interrupted
// run's row when the removal was journaled.
func TestAfterCopyCountsRecovered(t *testing.T) {
	ctx := context.Background()
	t.Run("removal not journaled", func(t *testing.T) {
		e := newEnv(t, store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete})
		write(t, e.rem.root, "a.edi", "alpha", t0)
		dest := store.SyncSide{Exists: true, Size: 5, ModTime: t0}
		crashed(t, e, Push, "a.edi", opDetail{Size: 5, ModTime: t0, DeleteSource: true, Step: "copied", Dest: &dest})
		res := e.mustRun()
		if got, want := (counts{res.Run.Copied, res.Run.Deleted, res.SourcesRemoved}), (counts{1, 1, 1}); got != want {
			t.Errorf("recovering run counts %+v, want %+v", got, want)
		}
		removed, err := SourcesRemoved(ctx, e.st, lastRow(t, e))
		if err != nil || removed != 1 {
			t.Errorf("SourcesRemoved of the recovering run = %d, %v; want 1", removed, err)
		}
	})
	t.Run("removal journaled", func(t *testing.T) {
		e := newEnv(t, store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete})
		write(t, e.rem.root, "a.edi", "alpha", t0)
		write(t, e.rem.root, "b.edi", "bravo", t0)
		write(t, e.local, "b.edi", "bravo", t0)
		// The killed run finished a.edi, source removed, and the
		// removal of b.edi's source kept from an earlier run.
		run := &store.SyncRun{SyncID: e.sync.ID, Holder: "gone/1/x", Status: store.RunRunning}
		if err := e.st.SaveSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		for _, op := range []store.SyncOp{
			{Path: "a.edi", Action: string(Push), Status: store.OpDone, Bytes: 5, Detail: `{"size":5,"delete_source":true,"step":"copied","source_removed":true}`},
			{Path: "b.edi", Action: string(DeleteLocal), Status: store.OpDone, Detail: `{"size":0,"after_copy":true}`},
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
		for _, r := range runs {
			if r.ID != run.ID {
				continue
			}
			removed, err := SourcesRemoved(ctx, e.st, r)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := (counts{r.Copied, r.Deleted, removed}), (counts{1, 2, 2}); r.Status != store.RunInterrupted || got != want {
				t.Errorf("interrupted run %s: counts %+v, want interrupted, %+v", r.Status, got, want)
			}
		}
	})
}
