package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// testPrune covers PruneHistory: old events and finished runs go; a sync's
// latest run and the runs a recovery reads stay.
func testPrune(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	old, cut := now.Add(-100*24*time.Hour), now.Add(-50*24*time.Hour)
	before, err := s.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range []time.Time{old, old.Add(time.Hour), now} {
		if _, err := s.AddEvent(ctx, store.Event{Time: tm, Kind: store.EventLogin, Account: "acme"}); err != nil {
			t.Fatal(err)
		}
	}
	p := &store.Sync{Name: "prune-p", Folder: "acme/send", Remote: "bank", Direction: store.SyncPush}
	q := &store.Sync{Name: "prune-q", Folder: "acme/send", Remote: "bank", Direction: store.SyncPush}
	for _, sy := range []*store.Sync{p, q} {
		if err := s.CreateSync(ctx, sy); err != nil {
			t.Fatal(err)
		}
	}
	run := func(sy *store.Sync, status string, started, finished time.Time, ops ...string) store.SyncRun {
		t.Helper()
		r := store.SyncRun{SyncID: sy.ID, Started: started, Finished: finished, Status: status}
		if err := s.SaveSyncRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		for _, st := range ops {
			op := &store.SyncOp{RunID: r.ID, SyncID: sy.ID, Path: "a.edi", Action: "push", Status: st, Started: started}
			if err := s.SaveSyncOp(ctx, op, nil, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	gone := run(p, store.RunOK, old, old.Add(time.Minute), store.OpDone, store.OpFailed)
	started := run(p, store.RunPartial, old, old.Add(time.Minute), store.OpDone, store.OpStarted)
	running := run(p, store.RunRunning, old, time.Time{}, store.OpDone)
	recent := run(p, store.RunOK, now, now, store.OpDone)
	latest := run(q, store.RunOK, old, old.Add(time.Minute), store.OpDone)

	got, err := s.PruneHistory(ctx, cut)
	if want := (store.Pruned{Events: 2, Runs: 1, Ops: 2}); err != nil || got != want {
		t.Fatalf("PruneHistory = %+v, %v; want %+v", got, err, want)
	}
	evs, err := s.Events(ctx, 0, 1000)
	if err != nil || len(evs) != len(before)+1 || !evs[len(evs)-1].Time.Equal(now) {
		t.Errorf("events after pruning: %d (%v), want the %d before and the recent one", len(evs), err, len(before))
	}
	runs, err := s.SyncRuns(ctx, p.ID, 10)
	if err != nil || len(runs) != 3 || runs[0].ID != recent.ID || runs[1].ID != running.ID || runs[2].ID != started.ID {
		t.Errorf("runs of %s after pruning: %+v, %v; want runs %d, %d, %d", p.Name, runs, err, recent.ID, running.ID, started.ID)
	}
	if ops, err := s.SyncOps(ctx, p.ID, gone.ID, ""); err != nil || len(ops) != 0 {
		t.Errorf("ops of the pruned run: %+v, %v; want none", ops, err)
	}
	if ops, err := s.SyncOps(ctx, p.ID, 0, store.OpStarted); err != nil || len(ops) != 1 || ops[0].RunID != started.ID {
		t.Errorf("started ops after pruning: %+v, %v; want the one of run %d", ops, err, started.ID)
	}
	if runs, err := s.SyncRuns(ctx, q.ID, 10); err != nil || len(runs) != 1 || runs[0].ID != latest.ID {
		t.Errorf("runs of %s after pruning: %+v, %v; want its only (latest) run", q.Name, runs, err)
	}
	if got, err := s.PruneHistory(ctx, cut); err != nil || got != (store.Pruned{}) {
		t.Errorf("second PruneHistory = %+v, %v; want nothing", got, err)
	}
	for _, sy := range []*store.Sync{p, q} {
		if err := s.DeleteSync(ctx, sy.Name); err != nil {
			t.Fatal(err)
		}
	}
}
