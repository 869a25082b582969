package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// testSyncs covers sync definitions, file state, leases and the run journal.
func testSyncs(t *testing.T, s store.Store) {
	ctx := context.Background()
	sy := &store.Sync{Name: "acme-out", Folder: "acme/send", Remote: "bank", RemotePath: "/in",
		Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete, Every: 5 * time.Minute,
		OnReceive: true, Filter: "*.edi,-*.tmp", Conflict: store.ConflictNewer, MaxDelete: 30}
	if err := s.CreateSync(ctx, sy); err != nil {
		t.Fatalf("CreateSync: %v", err)
	}
	if sy.ID == 0 {
		t.Errorf("CreateSync left ID 0")
	}
	if err := s.CreateSync(ctx, &store.Sync{Name: "acme-out"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateSync duplicate = %v, want ErrExists", err)
	}
	got, err := s.Sync(ctx, "acme-out")
	if err != nil {
		t.Fatal(err)
	}
	ignoreTimes := cmp.FilterPath(func(p cmp.Path) bool {
		n := p.Last().String()
		return n == ".CreatedAt" || n == ".UpdatedAt"
	}, cmp.Ignore())
	if d := cmp.Diff(*sy, got, ignoreTimes); d != "" {
		t.Errorf("Sync(acme-out) mismatch (-want +got):\n%s", d)
	}
	got.Cron, got.Every = "*/5 * * * *", 0
	if err := s.UpdateSync(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if all, err := s.Syncs(ctx); err != nil || len(all) != 1 || all[0].Cron != "*/5 * * * *" {
		t.Errorf("Syncs() = %+v, %v", all, err)
	}
	if err := s.UpdateSync(ctx, &store.Sync{Name: "nobody"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateSync(nobody) = %v, want ErrNotFound", err)
	}

	mt := time.Date(2026, 11, 22, 1, 2, 3, 4, time.UTC)
	files := []store.SyncFile{
		{Path: "a.edi", Local: store.SyncSide{Exists: true, Size: 4, ModTime: mt}, Remote: store.SyncSide{Exists: true, Size: 4, ModTime: mt.Truncate(time.Minute)}},
		{Path: "sub/b.edi", Local: store.SyncSide{}, Remote: store.SyncSide{Exists: true, Size: 9, ModTime: mt, Precise: true}},
	}
	if err := s.PutSyncFiles(ctx, sy.ID, files, nil); err != nil {
		t.Fatal(err)
	}
	gotFiles, err := s.SyncFiles(ctx, sy.ID)
	if err != nil {
		t.Fatal(err)
	}
	ignoreSynced := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".SyncedAt" }, cmp.Ignore())
	if d := cmp.Diff(files, gotFiles, ignoreSynced, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
		t.Errorf("SyncFiles mismatch (-want +got):\n%s", d)
	}

	// Leases: one holder at a time until it ends or is released.
	now := time.Now()
	if _, ok, err := s.AcquireSyncLease(ctx, sy.ID, "h1", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("AcquireSyncLease(h1) = %v, %v; want ok", ok, err)
	}
	if cur, ok, err := s.AcquireSyncLease(ctx, sy.ID, "h2", now, now.Add(time.Minute)); err != nil || ok || cur.Holder != "h1" {
		t.Errorf("AcquireSyncLease(h2) while h1 holds = %+v, %v, %v; want h1, false", cur, ok, err)
	}
	if _, ok, err := s.AcquireSyncLease(ctx, sy.ID, "h1", now, now.Add(2*time.Minute)); err != nil || !ok {
		t.Errorf("renewing AcquireSyncLease(h1) = %v, %v; want ok", ok, err)
	}
	if _, ok, err := s.AcquireSyncLease(ctx, sy.ID, "h2", now.Add(3*time.Minute), now.Add(4*time.Minute)); err != nil || !ok {
		t.Errorf("AcquireSyncLease(h2) after expiry = %v, %v; want ok", ok, err)
	}
	if err := s.ReleaseSyncLease(ctx, sy.ID, "h1"); err != nil {
		t.Fatal(err)
	}
	if cur, ok, _ := s.AcquireSyncLease(ctx, sy.ID, "h3", now, now.Add(time.Minute)); ok || cur.Holder != "h2" {
		t.Errorf("release by a non-holder dropped the lease: %+v, %v", cur, ok)
	}
	if err := s.ReleaseSyncLease(ctx, sy.ID, "h2"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.AcquireSyncLease(ctx, sy.ID, "h3", now, now.Add(time.Minute)); !ok {
		t.Errorf("AcquireSyncLease(h3) after release failed")
	}

	// Journal: an op saved with its state change, then finished.
	run := &store.SyncRun{SyncID: sy.ID, Holder: "h3", Status: store.RunRunning}
	if err := s.SaveSyncRun(ctx, run); err != nil || run.ID == 0 {
		t.Fatalf("SaveSyncRun = %v, ID %d", err, run.ID)
	}
	op := &store.SyncOp{RunID: run.ID, SyncID: sy.ID, Path: "c.edi", Action: "push", Status: store.OpStarted, Detail: `{"size":3}`}
	if err := s.SaveSyncOp(ctx, op, nil, nil, nil); err != nil || op.ID == 0 {
		t.Fatalf("SaveSyncOp = %v, ID %d", err, op.ID)
	}
	if started, err := s.SyncOps(ctx, sy.ID, 0, store.OpStarted); err != nil || len(started) != 1 || started[0].Detail != `{"size":3}` {
		t.Errorf("SyncOps(started) = %+v, %v", started, err)
	}
	op.Status, op.Bytes, op.Finished = store.OpDone, 3, time.Now()
	put := []store.SyncFile{{Path: "c.edi", Local: store.SyncSide{Exists: true, Size: 3}, Remote: store.SyncSide{Exists: true, Size: 3}}}
	before, _ := s.Events(ctx, 0, 1000)
	if err := s.SaveSyncOp(ctx, op, put, []string{"a.edi"}, &store.Event{Kind: store.EventSyncFile, Account: "sync:acme-out", Path: "/acme/send/c.edi", Bytes: 3}); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.Events(ctx, 0, 1000); len(after) != len(before)+1 || after[len(after)-1].Kind != store.EventSyncFile {
		t.Errorf("SaveSyncOp with an event: %d events before, %d after", len(before), len(after))
	}
	if started, _ := s.SyncOps(ctx, sy.ID, 0, store.OpStarted); len(started) != 0 {
		t.Errorf("SyncOps(started) after finishing = %+v", started)
	}
	ops, err := s.SyncOps(ctx, sy.ID, run.ID, "")
	if err != nil || len(ops) != 1 || ops[0].Status != store.OpDone || ops[0].Bytes != 3 || ops[0].Finished.IsZero() {
		t.Errorf("SyncOps(run) = %+v, %v", ops, err)
	}
	gotFiles, _ = s.SyncFiles(ctx, sy.ID)
	var paths []string
	for _, f := range gotFiles {
		paths = append(paths, f.Path)
	}
	if d := cmp.Diff([]string{"c.edi", "sub/b.edi"}, paths); d != "" {
		t.Errorf("state after op (-want +got):\n%s", d)
	}
	run.Status, run.Copied, run.Finished = store.RunOK, 1, time.Now()
	if err := s.SaveSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	runs, err := s.SyncRuns(ctx, sy.ID, 10)
	if err != nil || len(runs) != 1 || runs[0].Status != store.RunOK || runs[0].Copied != 1 {
		t.Errorf("SyncRuns = %+v, %v", runs, err)
	}
	for _, r := range []store.SyncRun{{Status: store.RunFailed}, {Status: store.RunOK, DryRun: true}} {
		r.SyncID, r.Holder, r.Started, r.Finished = sy.ID, "test", time.Now(), time.Now()
		if err := s.SaveSyncRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	if last, err := s.LastSyncRun(ctx, sy.ID, ""); err != nil || last.Status != store.RunFailed {
		t.Errorf("LastSyncRun(any) = %+v, %v; want the failed run (dry runs do not count)", last, err)
	}
	if ok, err := s.LastSyncRun(ctx, sy.ID, store.RunOK); err != nil || ok.ID != run.ID {
		t.Errorf("LastSyncRun(ok) = %+v, %v; want run %d", ok, err, run.ID)
	}
	if _, err := s.LastSyncRun(ctx, sy.ID, store.RunRefused); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LastSyncRun(refused) = %v, want ErrNotFound", err)
	}

	if err := s.DeleteSync(ctx, "acme-out"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSync(ctx, "acme-out"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteSync = %v, want ErrNotFound", err)
	}
	if left, _ := s.SyncFiles(ctx, sy.ID); len(left) != 0 {
		t.Errorf("DeleteSync left %d file states", len(left))
	}
}
