package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// SaveSyncOps commits a batch in order, all or none.
func TestSaveSyncOpsBatch(t *testing.T) {
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
	run := store.SyncRun{SyncID: sy.ID, Status: store.RunRunning}
	if err := s.SaveSyncRun(ctx, &run); err != nil {
		t.Fatal(err)
	}
	a := &store.SyncOp{RunID: run.ID, SyncID: sy.ID, Path: "a", Action: "push", Status: store.OpStarted}
	b := &store.SyncOp{RunID: run.ID, SyncID: sy.ID, Path: "b", Action: "push", Status: store.OpStarted}
	if err := s.SaveSyncOps(ctx, []store.SyncOpSave{{Op: a}, {Op: b}}); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || b.ID <= a.ID {
		t.Fatalf("op IDs %d, %d: want increasing IDs set", a.ID, b.ID)
	}
	a.Status, a.Bytes = store.OpDone, 5
	put := []store.SyncFile{{Path: "a", Local: store.SyncSide{Exists: true, Size: 5}}}
	ev := &store.Event{Kind: store.EventSyncFile, Account: "sync:s", Path: "/acme/send/a", Bytes: 5}
	if err := s.SaveSyncOps(ctx, []store.SyncOpSave{{Op: a, Put: put, Event: ev}, {Op: b, Drop: []string{"b"}}}); err != nil {
		t.Fatal(err)
	}
	files, err := s.SyncFiles(ctx, sy.ID)
	if err != nil || len(files) != 1 || files[0].Path != "a" {
		t.Fatalf("SyncFiles = %+v, %v; want a", files, err)
	}
	// A batch with a bad op (no such run) changes nothing.
	c := &store.SyncOp{RunID: run.ID, SyncID: sy.ID, Path: "c", Action: "push", Status: store.OpStarted}
	bad := &store.SyncOp{RunID: run.ID + 100, SyncID: sy.ID, Path: "bad", Action: "push", Status: store.OpStarted}
	if err := s.SaveSyncOps(ctx, []store.SyncOpSave{{Op: c}, {Op: bad}}); err == nil {
		t.Fatal("batch with an op of no run succeeded")
	}
	if c.ID != 0 {
		t.Errorf("op of a rolled back batch keeps ID %d, want 0", c.ID)
	}
	ops, err := s.SyncOps(ctx, sy.ID, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[0].Status != store.OpDone || ops[0].Bytes != 5 || ops[1].Status != store.OpStarted {
		t.Errorf("ops after batches = %+v; want a done (5 bytes) and b started only", ops)
	}
	evs, err := s.Events(ctx, 0, 10)
	if err != nil || len(evs) != 1 || evs[0].Path != "/acme/send/a" {
		t.Errorf("events = %+v, %v; want the one of a", evs, err)
	}
	// An op adopted by a later run (recovery) moves to that run, and a
	// move to a run that does not exist fails as an insert would.
	run2 := store.SyncRun{SyncID: sy.ID, Status: store.RunRunning}
	if err := s.SaveSyncRun(ctx, &run2); err != nil {
		t.Fatal(err)
	}
	b.RunID, b.Status = run2.ID, store.OpDone
	if err := s.SaveSyncOps(ctx, []store.SyncOpSave{{Op: b}}); err != nil {
		t.Fatal(err)
	}
	if ops, err := s.SyncOps(ctx, sy.ID, run2.ID, ""); err != nil || len(ops) != 1 || ops[0].Path != "b" || ops[0].Status != store.OpDone {
		t.Errorf("ops of the adopting run = %+v, %v; want b done", ops, err)
	}
	if ops, err := s.SyncOps(ctx, sy.ID, run.ID, ""); err != nil || len(ops) != 1 || ops[0].Path != "a" {
		t.Errorf("ops of the first run = %+v, %v; want a only", ops, err)
	}
	b.RunID = run2.ID + 100
	if err := s.SaveSyncOps(ctx, []store.SyncOpSave{{Op: b}}); err == nil {
		t.Error("moving an op to a run that does not exist succeeded")
	}
}
