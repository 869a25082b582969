package filesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/textproto"
	"path"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// runOnce is a real (not dry) run: lease, recovery, listing, plan, actions.
func (x *runner) runOnce(ctx context.Context, o RunOptions) (res Result, err error) {
	ctx, l, err := x.acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("sync %q: %w", x.sy.Name, err)
	}
	defer x.release(ctx, l)
	x.start = x.e.now()
	x.run = store.SyncRun{SyncID: x.sy.ID, Holder: l.holder, Started: x.start, Status: store.RunRunning}
	if err := x.e.st.SaveSyncRun(ctx, &x.run); err != nil {
		return res, err
	}
	x.log.Debug("sync run started", "run", x.run.ID, "direction", x.sy.Direction)
	defer func() {
		res.Run = x.run
		x.finish(ctx, &res, err)
	}()

	var kept []error
	res.Recovered, kept, err = x.recover(ctx)
	// A copy recovery completed moved to this run's journal: it counts
	// in this run's row (once: the interrupted run's row leaves it out).
	x.run.Copied += res.Recovered
	x.run.Failed += len(kept)
	res.Errors = append(res.Errors, kept...)
	if err != nil {
		return res, fmt.Errorf("sync %q: recover interrupted run: %w", x.sy.Name, err)
	}
	// Recovery finishes what a crash cut short whatever the settings are
	// now; new work waits until no other sync takes this one's files.
	if err := x.checkOverlaps(ctx); err != nil {
		return res, fmt.Errorf("sync %q: %w", x.sy.Name, err)
	}
	p, temps, err := x.listAndPlan(ctx, false)
	if err != nil {
		return res, fmt.Errorf("sync %q: %w", x.sy.Name, err)
	}
	res.Plan = p
	if n := toDo(p); n > 0 {
		// A run with work says so before it starts on it (an idle one
		// logs only at debug).
		x.log.Info("sync run planned", "run", x.run.ID, "direction", x.sy.Direction, "to_do", n)
	}
	for _, t := range temps {
		// After recovery no temporary of this sync is in use.
		if err := x.local.Remove(t); err != nil && !isNotExist(err) {
			x.log.Warn("remove leftover temporary file", "path", t, "err", err)
		}
	}
	if o.OnPlan != nil {
		o.OnPlan(p)
	}
	if !o.Force {
		if err := x.guard(p, false); err != nil {
			x.run.Status = store.RunRefused
			return res, fmt.Errorf("sync %q: %w", x.sy.Name, err)
		}
	}
	if err := x.recordSkips(ctx, p); err != nil {
		return res, err
	}
	x.j = x.e.startJournal(ctx)
	res.Errors = append(res.Errors, x.execute(ctx, p, o)...)
	for _, f := range x.j.close() {
		// The action happened but its record did not: the op stays
		// started and the next run's recovery verifies it. Counted as
		// failed here, not also as done.
		for _, op := range f.ops {
			x.uncount(op)
			x.run.Failed++
		}
		res.Errors = append(res.Errors, fmt.Errorf("journal: %w (the next run verifies the copy)", f.err))
	}
	x.j = nil
	if err := context.Cause(ctx); err != nil {
		return res, fmt.Errorf("sync %q: %w", x.sy.Name, err)
	}
	return res, nil
}

// sourceRemoved counts a source removed after its copy, once its record
// is journaled (posted, during the actions).
func (x *runner) sourceRemoved() {
	x.mu.Lock()
	x.removed++
	x.mu.Unlock()
}

// uncount takes back what op, finished but not recorded (its post
// failed), counted. Until finish, run.Deleted counts only propagated
// deletes, and removed the sources removed after their copy.
func (x *runner) uncount(op *store.SyncOp) {
	a := Action(op.Action)
	if !RemovedSource(*op) {
		countAction(&x.run, a, -1)
		return
	}
	x.mu.Lock()
	x.removed--
	x.mu.Unlock()
	if a == Push || a == Pull {
		x.run.Copied--
	}
}

// finish records the run's outcome and an event.
func (x *runner) finish(ctx context.Context, res *Result, err error) {
	// Ended from outside (serve stopping, ^C) rather than by what it met
	// (a lost lease cancels with its own cause): what it did is journaled,
	// and the next run goes on from there.
	stopped := ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) && (err != nil || x.run.Failed > 0)
	ctx = context.WithoutCancel(ctx)
	r := &x.run
	r.Finished = time.Now()
	x.mu.Lock()
	res.SourcesRemoved = x.removed
	x.mu.Unlock()
	r.Deleted += res.SourcesRemoved
	switch {
	case r.Status == store.RunRefused:
	case stopped:
		r.Status = store.RunStopped
	case err != nil:
		r.Status = store.RunFailed
	case r.Failed > 0:
		r.Status = store.RunPartial
	default:
		r.Status = store.RunOK
	}
	if err != nil {
		r.Error = err.Error()
	} else if len(res.Errors) > 0 {
		r.Error = fmt.Sprintf("%d files failed; first: %v", len(res.Errors), res.Errors[0])
	}
	if serr := x.e.st.SaveSyncRun(ctx, r); serr != nil {
		x.log.Error("record sync run", "run", r.ID, "err", serr)
	}
	res.Run = *r
	detail := fmt.Sprintf("run %d %s: copied %d, deleted %d, removed from source after copy %d, conflicts %d, failed %d, bytes %d",
		r.ID, r.Status, r.Copied, r.Deleted-res.SourcesRemoved, res.SourcesRemoved, r.Conflicts, r.Failed, r.Bytes)
	if r.Error != "" {
		detail += ": " + r.Error
	}
	// A scheduled run that found nothing to do (every 15 s, say) is in
	// the sync's run history; it adds no event and no info line.
	idle := r.Status == store.RunOK && r.Copied == 0 && r.Deleted == 0 && r.Conflicts == 0 && r.Bytes == 0 && res.Recovered == 0
	level := slog.LevelInfo
	if idle {
		level = slog.LevelDebug
	} else {
		x.event(ctx, store.EventSyncRun, "", r.Bytes, detail)
	}
	x.log.Log(ctx, level, "sync run finished", "run", r.ID, "status", r.Status, "copied", r.Copied, "deleted", r.Deleted-res.SourcesRemoved,
		"removed_from_source", res.SourcesRemoved, "conflicts", r.Conflicts, "failed", r.Failed, "bytes", r.Bytes, "dur", r.Finished.Sub(r.Started))
}

func (x *runner) eventOf(kind, p string, bytes int64, detail string) store.Event {
	e := store.Event{Kind: kind, Account: "sync:" + x.sy.Name, Bytes: bytes, Detail: detail}
	if p != "" {
		e.Path = "/" + path.Join(x.sy.Folder, p)
	}
	return e
}

func (x *runner) event(ctx context.Context, kind, p string, bytes int64, detail string) {
	e := x.eventOf(kind, p, bytes, detail)
	x.e.jmu.Lock()
	_, err := x.e.st.AddEvent(context.WithoutCancel(ctx), e)
	x.e.jmu.Unlock()
	if err != nil {
		x.log.Error("record sync event", "kind", kind, "err", err)
	}
}

// recordSkips stores the state changes of skipped paths (pairs found in
// step, paths gone from both sides) in one transaction.
func (x *runner) recordSkips(ctx context.Context, p Plan) error {
	var put []store.SyncFile
	var drop []string
	for _, it := range p.Items {
		if it.Action != Skip {
			continue
		}
		if it.put != nil {
			f := *it.put
			f.SyncedAt = x.start
			put = append(put, f)
		}
		if it.drop {
			drop = append(drop, it.Path)
		}
	}
	if len(put)+len(drop) == 0 {
		return nil
	}
	if err := x.e.st.PutSyncFiles(ctx, x.sy.ID, put, drop); err != nil {
		return fmt.Errorf("record unchanged files: %w", err)
	}
	return nil
}

// execute runs the plan's actions, Transfers at a time. Deletes that
// propagate a deletion wait until every copy is done.
func (x *runner) execute(ctx context.Context, p Plan, o RunOptions) []error {
	var copies, deletes []Item
	for _, it := range p.Items {
		switch {
		case it.Action == Skip:
			x.run.Skipped++
		case (it.Action == DeleteLocal || it.Action == DeleteRemote) && !it.AfterCopy:
			deletes = append(deletes, it)
		default:
			copies = append(copies, it)
		}
	}
	var mu sync.Mutex
	var errs []error
	do := func(items []Item) {
		work := make(chan task)
		var wg sync.WaitGroup
		for range min(x.e.cfg.Transfers, max(len(items), 1)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for tk := range work {
					if ctx.Err() != nil {
						// The run is stopping: what was journaled
						// ahead is not started.
						x.abandon(ctx, []task{tk})
						continue
					}
					n, err := x.attempt(ctx, tk)
					var kept *sourceKept
					mu.Lock()
					switch {
					case errors.As(err, &kept):
						// Copied and recorded; only its source is left.
						countAction(&x.run, tk.it.Action, 1)
						x.run.Bytes += n
						fallthrough
					case err != nil:
						x.run.Failed++
						errs = append(errs, fmt.Errorf("%s %s: %w", tk.it.Action, tk.it.Path, err))
					case tk.it.AfterCopy:
						// A source removed: counted by delete, with
						// the sources removed after their copies.
					default:
						countAction(&x.run, tk.it.Action, 1)
						x.run.Bytes += n
					}
					mu.Unlock()
					if o.OnItem != nil {
						o.OnItem(ItemResult{Item: tk.it, Bytes: n, Err: err})
					}
				}
			}()
		}
		// Copies are journaled as started a chunk at a time, in one
		// commit, ahead of the workers that carry them out.
		chunk := 2 * x.e.cfg.Transfers
	feed:
		for i := 0; i < len(items); i += chunk {
			tasks := x.beginAll(ctx, items[i:min(i+chunk, len(items))])
			for j, tk := range tasks {
				select {
				case work <- tk:
				case <-ctx.Done():
					x.abandon(ctx, tasks[j:])
					break feed
				}
			}
		}
		close(work)
		wg.Wait()
	}
	do(workOrder(copies))
	do(deletes)
	return errs
}

// task is one action for a worker, with its op when journaled ahead.
type task struct {
	it Item
	b  *begun
}

// begun is a copy journaled as started before a worker took it.
type begun struct {
	op *store.SyncOp
	d  opDetail
}

// beginAll journals the pushes and pulls among items as started in one
// commit. If that fails, each is journaled by its worker as before.
func (x *runner) beginAll(ctx context.Context, items []Item) []task {
	tasks := make([]task, len(items))
	var saves []store.SyncOpSave
	for i, it := range items {
		tasks[i].it = it
		if it.Action != Push && it.Action != Pull {
			continue
		}
		d := x.copyDetail(it)
		op, err := x.newOp(it, d)
		if err != nil {
			continue
		}
		tasks[i].b = &begun{op: op, d: d}
		saves = append(saves, store.SyncOpSave{Op: op})
	}
	if len(saves) == 0 {
		return tasks
	}
	if err := x.save(ctx, saves...); err != nil {
		x.log.Warn("journal copies ahead", "err", err)
		for i := range tasks {
			tasks[i].b = nil
		}
	}
	return tasks
}

// abandon marks the ops journaled ahead for tasks no worker took as
// aborted, so the next run need not look for what they left (nothing).
func (x *runner) abandon(ctx context.Context, tasks []task) {
	var saves []store.SyncOpSave
	for _, tk := range tasks {
		if tk.b != nil {
			op := tk.b.op
			op.Status, op.Finished, op.Error = store.OpAborted, time.Now(), "not started: the run stopped"
			saves = append(saves, store.SyncOpSave{Op: op})
		}
	}
	if len(saves) > 0 {
		if err := x.save(context.WithoutCancel(ctx), saves...); err != nil {
			x.log.Error("journal abandoned copies", "err", err)
		}
	}
}

// toDo counts the plan's items that are not skips.
func toDo(p Plan) int {
	n := 0
	for _, it := range p.Items {
		if it.Action != Skip {
			n++
		}
	}
	return n
}

// errNotRetried marks failures that another try would not fix.
var errNotRetried = errors.New("not retried")

// final reports whether another try in this run would fail as err did: it
// is marked so (errNotRetried), or the remote refused for good: it is set
// read-only, it refused a delete of a file that is there, or it answered
// 530/532 (not logged in, need an account) or 553 (file name not allowed;
// vsftpd's "Could not create file." in a folder its login cannot write),
// or the local folder denied the change (EACCES: only remote errors come
// as *textproto.Error). Other 5xx replies are retried: ftpserverlib
// answers 550 to a transfer whose data connection broke.
func final(err error) bool {
	if errors.Is(err, errNotRetried) || errors.Is(err, remote.ErrReadOnly) || errors.Is(err, errDeleteRefused) || errors.Is(err, fs.ErrPermission) {
		return true
	}
	var te *textproto.Error
	return errors.As(err, &te) && (te.Code == 530 || te.Code == 532 || te.Code == 553)
}

// attempt journals and performs one action, retrying failures; only the
// first try uses an op journaled ahead. A copy that was made but whose
// source was kept (*sourceKept) returns its bytes and is not retried.
func (x *runner) attempt(ctx context.Context, tk task) (int64, error) {
	wait := x.e.cfg.RetryWait
	var err error
	for try := 1; ; try++ {
		var n int64
		n, err = x.perform(ctx, tk.it, tk.b)
		tk.b = nil
		if err == nil {
			return n, nil
		}
		if kept := (*sourceKept)(nil); errors.As(err, &kept) {
			return n, err
		}
		if ctx.Err() != nil || final(err) || try >= x.e.cfg.Retries {
			break
		}
		x.log.Warn("sync file failed, retrying", "path", tk.it.Path, "action", tk.it.Action, "try", try, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return 0, err
		}
		wait *= 2
	}
	return 0, err
}

// opDetail is what the journal keeps to recover an op.
type opDetail struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime,omitzero"` // the source's
	Precise bool      `json:"precise,omitempty"`
	Prior   *File     `json:"prior,omitempty"` // the target before the copy
	Temp    string    `json:"temp,omitempty"`  // the copy's temporary name (local for a pull, remote for a push)
	// Stage is the remote name a push that replaces a listed remote file
	// (two-way) publishes to first (through Temp), and renames into place
	// once it checked that file is unchanged; see pushOver.
	Stage        string `json:"stage,omitempty"`
	DeleteSource bool   `json:"delete_source,omitempty"`
	// Step is "copied" once the copy is verified and in place; Dest is
	// then the target's recorded side.
	Step     string          `json:"step,omitempty"`
	Dest     *store.SyncSide `json:"dest,omitempty"`
	Conflict []string        `json:"conflict,omitempty"`
	Winner   string          `json:"winner,omitempty"`
	// SourceRemoved: a done copy removed its source (or found it removed
	// by the interrupted run it completes). AfterCopy: a delete removed
	// the source of a copy verified by an earlier run. See RemovedSource.
	SourceRemoved bool `json:"source_removed,omitempty"`
	AfterCopy     bool `json:"after_copy,omitempty"`
}

// save journals one write: through the run's group-committing journal
// while the actions run, else directly. Either way it returns once the
// write is committed.
func (x *runner) save(ctx context.Context, saves ...store.SyncOpSave) error {
	if x.j != nil {
		if err := ctx.Err(); err != nil && saves[0].Op.Status == store.OpStarted && saves[0].Op.ID == 0 {
			return err // the run is stopping: start nothing new
		}
		return x.j.save(saves)
	}
	x.e.jmu.Lock()
	defer x.e.jmu.Unlock()
	for _, s := range saves {
		if err := x.e.st.SaveSyncOp(ctx, s.Op, s.Put, s.Drop, s.Event); err != nil {
			return err
		}
	}
	return nil
}

// newOp returns a started op for it with detail d, not yet journaled.
func (x *runner) newOp(it Item, d opDetail) (*store.SyncOp, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return &store.SyncOp{RunID: x.run.ID, SyncID: x.sy.ID, Path: it.Path, Action: string(it.Action), Status: store.OpStarted, Detail: string(b)}, nil
}

// begin journals op as started.
func (x *runner) begin(ctx context.Context, it Item, d opDetail) (*store.SyncOp, error) {
	op, err := x.newOp(it, d)
	if err != nil {
		return nil, err
	}
	if err := x.save(ctx, store.SyncOpSave{Op: op}); err != nil {
		return nil, err
	}
	return op, nil
}

// step journals a new detail for a started op.
func (x *runner) step(ctx context.Context, op *store.SyncOp, d opDetail) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	op.Detail = string(b)
	return x.save(ctx, store.SyncOpSave{Op: op})
}

// done finishes op together with the state it leaves. It is recorded even
// when ctx has ended: the action has happened. During a run it is queued
// without waiting for the commit (journal.post).
func (x *runner) done(ctx context.Context, op *store.SyncOp, n int64, put []store.SyncFile, drop []string) error {
	op.Status, op.Bytes, op.Finished = store.OpDone, n, time.Now()
	for i := range put {
		put[i].SyncedAt = op.Finished
	}
	ev := x.eventOf(store.EventSyncFile, op.Path, n, op.Action)
	s := store.SyncOpSave{Op: op, Put: put, Drop: drop, Event: &ev}
	if x.j != nil {
		// Nothing waits on this record: the action is complete, and what
		// follows it in the journal commits after it.
		x.j.post([]store.SyncOpSave{s})
		return nil
	}
	return x.save(context.WithoutCancel(ctx), s)
}

// fail finishes op as failed; the state is left as it was.
func (x *runner) fail(ctx context.Context, op *store.SyncOp, err error) {
	op.Status, op.Error, op.Finished = store.OpFailed, err.Error(), time.Now()
	if serr := x.save(context.WithoutCancel(ctx), store.SyncOpSave{Op: op}); serr != nil {
		x.log.Error("journal failed op", "path", op.Path, "err", serr)
	}
}

// perform journals and carries out one action once; b is the op
// journaled ahead, if any.
func (x *runner) perform(ctx context.Context, it Item, b *begun) (int64, error) {
	switch it.Action {
	case Push:
		return x.push(ctx, it, b)
	case Pull:
		return x.pull(ctx, it, b)
	case DeleteLocal, DeleteRemote:
		return 0, x.delete(ctx, it)
	case Conflict:
		return x.conflict(ctx, it)
	}
	return 0, fmt.Errorf("%w: unknown action %q", errNotRetried, it.Action)
}
