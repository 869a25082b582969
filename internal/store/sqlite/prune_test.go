package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// PruneHistory gets through more rows than one of its transactions
// deletes: events and the ops of a large run.
func TestPruneHistoryInBatches(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sy := store.Sync{Name: "s", Folder: "acme/send", Remote: "r", Direction: store.SyncPush}
	if err := s.CreateSync(ctx, &sy); err != nil {
		t.Fatal(err)
	}
	defer sqlite.SetPruneBatch(100)()
	old := time.Now().Add(-time.Hour)
	const n = 234 // more than two batches
	for _, r := range []*store.SyncRun{
		{SyncID: sy.ID, Status: store.RunOK, Started: old, Finished: old},
		{SyncID: sy.ID, Status: store.RunOK, Started: old, Finished: old}, // the latest: kept
	} {
		if err := s.SaveSyncRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		batch := make([]store.SyncOpSave, n)
		for i := range batch {
			batch[i] = store.SyncOpSave{
				Op:    &store.SyncOp{RunID: r.ID, SyncID: sy.ID, Path: "a", Action: "push", Status: store.OpDone, Started: old},
				Event: &store.Event{Time: old, Kind: store.EventSyncFile},
			}
		}
		if err := s.SaveSyncOps(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PruneHistory(ctx, time.Now())
	if want := (store.Pruned{Events: 2 * n, Runs: 1, Ops: n}); err != nil || got != want {
		t.Fatalf("PruneHistory = %+v, %v; want %+v", got, err, want)
	}
	if evs, err := s.Events(ctx, 0, 10); err != nil || len(evs) != 0 {
		t.Errorf("Events after pruning = %d, %v; want none", len(evs), err)
	}
	if ops, err := s.SyncOps(ctx, sy.ID, 0, ""); err != nil || len(ops) != n {
		t.Errorf("ops after pruning = %d, %v; want the latest run's %d", len(ops), err, n)
	}
}
