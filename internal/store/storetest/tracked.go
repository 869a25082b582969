package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// createTracked creates sy in s with files as its last synced state.
func createTracked(t *testing.T, ctx context.Context, s store.Store, sy store.Sync, files []store.SyncFile) store.Sync {
	t.Helper()
	if err := s.CreateSync(ctx, &sy); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSyncFiles(ctx, sy.ID, files, nil); err != nil {
		t.Fatal(err)
	}
	return sy
}

// tracked counts the files in sy's synced state.
func tracked(t *testing.T, ctx context.Context, s store.Store, sy store.Sync) int {
	t.Helper()
	got, err := s.SyncFiles(ctx, sy.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

// startOp records a run of sy in progress with one started push op, as a
// run cut short leaves its journal.
func startOp(t *testing.T, ctx context.Context, s store.Store, sy store.Sync) {
	t.Helper()
	run := &store.SyncRun{SyncID: sy.ID, Started: time.Now(), Status: store.RunRunning}
	if err := s.SaveSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	op := &store.SyncOp{RunID: run.ID, SyncID: sy.ID, Path: "a.edi", Action: "push", Status: store.OpStarted}
	if err := s.SaveSyncOp(ctx, op, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// checkAborted checks that the op startOp left was marked aborted by a
// state reset (after what).
func checkAborted(t *testing.T, ctx context.Context, s store.Store, sy store.Sync, after string) {
	t.Helper()
	if ops, err := s.SyncOps(ctx, sy.ID, 0, store.OpStarted); err != nil || len(ops) != 0 {
		t.Errorf("started ops after %s = %+v, %v; want none", after, ops, err)
	}
	if ops, err := s.SyncOps(ctx, sy.ID, 0, store.OpAborted); err != nil || len(ops) != 1 {
		t.Errorf("aborted ops after %s = %+v, %v; want 1", after, ops, err)
	}
}
