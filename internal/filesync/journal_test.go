package filesync

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// commits records the statuses of each transaction the journal commits
// and tells the test of each one.
type commits struct {
	*sqlite.Store
	tx chan []string
}

func (s commits) SaveSyncOps(ctx context.Context, batch []store.SyncOpSave) error {
	err := s.Store.SaveSyncOps(ctx, batch)
	var st []string
	for _, b := range batch {
		st = append(st, b.Op.Path+":"+b.Op.Status)
	}
	s.tx <- st
	return err
}

// Finished records (posts) do not get a transaction each: they commit with
// the next save, in the order queued; alone, once postDelay has passed
// since the first; and at the latest when the journal closes.
func TestJournalPostsShareCommits(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	ctx := context.Background()
	run := store.SyncRun{SyncID: e.sync.ID, Status: store.RunRunning}
	if err := e.st.SaveSyncRun(ctx, &run); err != nil {
		t.Fatal(err)
	}
	cs := commits{e.st, make(chan []string, 16)}
	op := func(p string) *store.SyncOp {
		return &store.SyncOp{RunID: run.ID, SyncID: e.sync.ID, Path: p, Action: string(Push), Status: store.OpStarted}
	}
	finish := func(o *store.SyncOp) []store.SyncOpSave {
		c := *o
		c.Status = store.OpDone
		return []store.SyncOpSave{{Op: &c}}
	}
	want := func(what string, w ...string) {
		t.Helper()
		if got := <-cs.tx; !slices.Equal(got, w) {
			t.Errorf("%s: committed %v, want %v", what, got, w)
		}
	}

	eng := New(cs, endpoints{files: e.files, rem: e.rem}, Config{})
	eng.postDelay = time.Hour // only a save or close commits posts
	j := eng.startJournal(ctx)
	a, b, c := op("a"), op("b"), op("c")
	if err := j.save([]store.SyncOpSave{{Op: a}, {Op: b}}); err != nil {
		t.Fatal(err)
	}
	want("first save", "a:started", "b:started")
	j.post(finish(a))
	j.post(finish(b))
	if err := j.save([]store.SyncOpSave{{Op: c}}); err != nil {
		t.Fatal(err)
	}
	want("save after two posts", "a:done", "b:done", "c:started")
	j.post(finish(c))
	if failed := j.close(); len(failed) != 0 {
		t.Fatalf("close: %v", failed)
	}
	want("close", "c:done")

	eng.postDelay = time.Millisecond
	j = eng.startJournal(ctx)
	d := op("d")
	if err := j.save([]store.SyncOpSave{{Op: d}}); err != nil {
		t.Fatal(err)
	}
	want("save", "d:started")
	j.post(finish(d))
	want("lone post after its delay", "d:done") // before close
	j.close()
	select {
	case extra := <-cs.tx:
		t.Errorf("close committed %v again", extra)
	default:
	}
	ops, err := e.st.SyncOps(ctx, e.sync.ID, run.ID, store.OpDone)
	if err != nil || len(ops) != 4 {
		t.Errorf("done ops in the store: %d, %v; want 4", len(ops), err)
	}
}
