package filesync

import (
	"context"
	"encoding/json"

	"github.com/wharf-mft/wharf/internal/store"
)

// A run's row (store.SyncRun) counts every file the run deleted in Deleted:
// the deletes that propagate a deletion (two-way) and the sources removed
// after their verified copy (--after-copy delete), whether with the copy or
// in a later run. Which of them were sources the journal says (see
// RemovedSource), and a run's Result says as SourcesRemoved.

// countAction adds n (1, or -1 to take one back) to a's count in r.
func countAction(r *store.SyncRun, a Action, n int) {
	switch a {
	case Push, Pull:
		r.Copied += n
	case DeleteLocal, DeleteRemote:
		r.Deleted += n
	case Conflict:
		r.Conflicts += n
	case Skip:
		r.Skipped += n
	}
}

// countItem counts what a dry run would do with it: its action, and the
// source it would remove after its copy.
func countItem(r *store.SyncRun, removed *int, it Item) {
	countAction(r, it.Action, 1)
	if it.AfterCopy || it.DeleteSource && (it.Action == Push || it.Action == Pull) {
		*removed++
		if !it.AfterCopy {
			r.Deleted++
		}
	}
}

// countOp adds op, a done op, to r as a row counts it (see above).
func countOp(r *store.SyncRun, op store.SyncOp) {
	a := Action(op.Action)
	countAction(r, a, 1)
	if (a == Push || a == Pull) && RemovedSource(op) {
		r.Deleted++
	}
}

// RemovedSource reports whether op, once done, removed the source of a
// verified copy (--after-copy delete): a push or pull that removed its
// source, or the removal of a source copied by an earlier run. Ops
// journaled before the journal said so report false.
func RemovedSource(op store.SyncOp) bool {
	var d opDetail
	if op.Status != store.OpDone || json.Unmarshal([]byte(op.Detail), &d) != nil {
		return false
	}
	switch Action(op.Action) {
	case Push, Pull:
		return d.SourceRemoved
	case DeleteLocal, DeleteRemote:
		return d.AfterCopy
	}
	return false
}

// opLister is what SourcesRemoved reads.
type opLister interface {
	SyncOps(ctx context.Context, syncID, runID int64, status string) ([]store.SyncOp, error)
}

// SourcesRemoved returns how many of run r's deletes (r.Deleted counts them
// all) removed the source of a verified copy rather than propagating a
// deletion, from r's journal. A run that deleted nothing, or is still
// running (its row is counted when it finishes), is answered without
// reading the journal.
func SourcesRemoved(ctx context.Context, st opLister, r store.SyncRun) (int, error) {
	if r.Deleted == 0 {
		return 0, nil
	}
	ops, err := st.SyncOps(ctx, r.SyncID, r.ID, store.OpDone)
	if err != nil {
		return 0, err
	}
	return min(CountSourcesRemoved(ops), r.Deleted), nil
}

// CountSourcesRemoved returns how many of ops removed a source after its
// copy (see RemovedSource).
func CountSourcesRemoved(ops []store.SyncOp) int {
	n := 0
	for _, op := range ops {
		if RemovedSource(op) {
			n++
		}
	}
	return n
}
