package filesync

import (
	"context"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// batchSaver is the optional store capability of committing several
// SaveSyncOp calls in one transaction (store.SyncOpSave); SQLite has it.
type batchSaver interface {
	SaveSyncOps(ctx context.Context, batch []store.SyncOpSave) error
}

// maxBatch bounds one group commit.
const maxBatch = 128

// postDelay is how long posts wait for a save or for more posts to share
// their commit. Each commit has a fixed cost (a transaction, WAL frames
// for every page it touched) that, paid per finished copy, was a third of
// the journal's CPU on a push of small files. Finished records that a
// crash loses in this window leave their ops started, for the next run's
// recovery to verify.
const postDelay = 100 * time.Millisecond

// journal writes a run's ops from one goroutine. Writes that queue up while
// a commit is under way go into the next transaction together (group
// commit), where the store can batch. A caller of save returns only once
// its own write is committed, so "journaled, then acted" holds exactly as
// with one transaction per write; only the commits are fewer. A batch that
// fails is retried write by write, so one bad write fails only its caller.
//
// post queues a write without waiting: for the record that finishes an op
// whose action is complete, which guards nothing after it. Posts commit
// with the next save, with maxBatch of them, or postDelay after the first,
// whichever comes first. Writes commit in the order they were queued, so a
// later save waits for every post before it. A post that fails leaves its
// op started, which the next run's recovery verifies (as after a crash
// between the action and its record); close reports it.
type journal struct {
	e    *Engine
	reqs chan *jreq
	wg   sync.WaitGroup

	mu     sync.Mutex
	failed []postFailure
}

// postFailure is a post whose commit failed: the ops it finished and why.
type postFailure struct {
	ops []*store.SyncOp
	err error
}

type jreq struct {
	saves []store.SyncOpSave // committed together
	done  chan error         // nil for a post
}

// startJournal starts the writer; close stops it once the run's workers
// have returned. ctx is the run's; writes outlive its cancellation (a
// finished action is recorded even when the run is stopping).
func (e *Engine) startJournal(ctx context.Context) *journal {
	j := &journal{e: e, reqs: make(chan *jreq, maxBatch)}
	ctx = context.WithoutCancel(ctx)
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		j.loop(ctx)
	}()
	return j
}

// close stops the writer once every queued write is committed and returns
// the posts that failed.
func (j *journal) close() []postFailure {
	close(j.reqs)
	j.wg.Wait()
	return j.failed
}

// save queues writes and waits until they are committed, together.
func (j *journal) save(saves []store.SyncOpSave) error {
	r := &jreq{saves: saves, done: make(chan error, 1)}
	j.reqs <- r
	return <-r.done
}

// post queues writes to be committed together, without waiting.
func (j *journal) post(saves []store.SyncOpSave) {
	j.reqs <- &jreq{saves: saves}
}

// finish hands r its outcome: to its waiting caller, or for a post to the
// errors close returns.
func (j *journal) finish(r *jreq, err error) {
	if r.done != nil {
		r.done <- err
		return
	}
	if err != nil {
		f := postFailure{err: err}
		for _, s := range r.saves {
			f.ops = append(f.ops, s.Op)
		}
		j.mu.Lock()
		j.failed = append(j.failed, f)
		j.mu.Unlock()
	}
}

func (j *journal) loop(ctx context.Context) {
	batch := make([]*jreq, 0, maxBatch)
	delay := postDelay
	if j.e.postDelay > 0 {
		delay = j.e.postDelay
	}
	timer := time.NewTimer(delay)
	timer.Stop()
	var due <-chan time.Time // while posts wait for company
	for closed := false; !closed; {
		select {
		case r, ok := <-j.reqs:
			if !ok {
				closed = true
				break
			}
			batch = append(batch, r)
			if r.done == nil && len(batch) < maxBatch {
				if due == nil {
					timer.Reset(delay)
					due = timer.C
				}
				continue
			}
		case <-due:
		}
		// Everything queued meanwhile goes into the same commit.
	more:
		for len(batch) < maxBatch && !closed {
			select {
			case r, ok := <-j.reqs:
				if !ok {
					closed = true
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		if len(batch) > 0 {
			j.commit(ctx, batch)
		}
		batch = batch[:0]
		timer.Stop()
		due = nil
	}
}

func (j *journal) commit(ctx context.Context, batch []*jreq) {
	j.e.jmu.Lock()
	defer j.e.jmu.Unlock()
	bs, ok := j.e.st.(batchSaver)
	if ok && len(batch) > 1 {
		var saves []store.SyncOpSave
		for _, r := range batch {
			saves = append(saves, r.saves...)
		}
		if bs.SaveSyncOps(ctx, saves) == nil {
			for _, r := range batch {
				j.finish(r, nil)
			}
			return
		}
	}
	for _, r := range batch {
		if ok {
			j.finish(r, bs.SaveSyncOps(ctx, r.saves))
			continue
		}
		var err error
		for _, s := range r.saves {
			if err = j.e.st.SaveSyncOp(ctx, s.Op, s.Put, s.Drop, s.Event); err != nil {
				break
			}
		}
		j.finish(r, err)
	}
}
