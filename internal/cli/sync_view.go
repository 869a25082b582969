package cli

import (
	"context"
	"path"
	"time"

	"github.com/wharf-mft/wharf/internal/filesync"
	"github.com/wharf-mft/wharf/internal/store"
)

// syncView is a sync as list --json prints it. Unset settings show their
// defaults; the keys are always there.
type syncView struct {
	Name         string   `json:"name"`
	Folder       string   `json:"folder"` // under DATA/files
	Remote       string   `json:"remote"`
	RemotePath   string   `json:"remote_path"`
	Direction    string   `json:"direction"`  // push, pull or two-way
	AfterCopy    string   `json:"after_copy"` // keep or delete
	EverySeconds int64    `json:"every_seconds"`
	Cron         string   `json:"cron"`
	OnReceive    bool     `json:"on_receive"`
	Filter       string   `json:"filter"`     // "": every file
	Conflict     string   `json:"conflict"`   // newer, keep-both, local or remote
	MaxDelete    int      `json:"max_delete"` // percent
	LastRun      *runView `json:"last_run"`   // null: never run
}

func newSyncView(sy store.Sync, last *runView) syncView {
	v := syncView{
		Name: sy.Name, Folder: sy.Folder, Remote: sy.Remote, RemotePath: path.Clean("/" + sy.RemotePath),
		Direction: sy.Direction, AfterCopy: pick(sy.AfterCopy == store.AfterCopyDelete, store.AfterCopyDelete, store.AfterCopyKeep),
		EverySeconds: int64(sy.Every / time.Second), Cron: sy.Cron, OnReceive: sy.OnReceive, Filter: sy.Filter,
		Conflict: pick(sy.Conflict == "", store.ConflictNewer, sy.Conflict), MaxDelete: sy.MaxDelete, LastRun: last,
	}
	return v
}

// statusView is one sync's entry in status --json.
type statusView struct {
	Name    string   `json:"name"`
	LastRun *runView `json:"last_run"` // null: never run
}

// runView is a sync run as status, history and list show it. Deleted and
// RemovedFromSource are apart, though the store's row counts both as
// deleted: a push or pull removing its sources after their copies deletes
// nothing the other side still expects.
type runView struct {
	ID         int64      `json:"id"`
	Status     string     `json:"status"` // running, ok, partial, failed, refused, interrupted or stopped
	Started    time.Time  `json:"started"`
	Finished   *time.Time `json:"finished"`    // null while running
	DurationMS *int64     `json:"duration_ms"` // null while running
	Copied     int        `json:"copied"`
	// Deleted: files deleted on one side because they were deleted on the
	// other (two-way).
	Deleted int `json:"deleted"`
	// RemovedFromSource: sources removed after their verified copy
	// (--after-copy delete), with the copy or in a later run.
	RemovedFromSource int      `json:"removed_from_source"`
	Conflicts         int      `json:"conflicts"`
	Skipped           int      `json:"skipped"`
	Failed            int      `json:"failed"`
	Bytes             int64    `json:"bytes"`
	Error             string   `json:"error"`
	Files             []opView `json:"files,omitzero"` // history --files
}

// newRunView returns r as shown, removed of its deletes being sources
// removed after their copy.
func newRunView(r store.SyncRun, removed int) runView {
	v := runView{ID: r.ID, Status: filesync.RunState(r), Started: r.Started.UTC(),
		Copied: r.Copied, Deleted: r.Deleted - removed, RemovedFromSource: removed,
		Conflicts: r.Conflicts, Skipped: r.Skipped, Failed: r.Failed, Bytes: r.Bytes, Error: r.Error}
	if !r.Finished.IsZero() {
		f, ms := r.Finished.UTC(), r.Finished.Sub(r.Started).Milliseconds()
		v.Finished, v.DurationMS = &f, &ms
	}
	return v
}

// runViewOf returns r as shown, reading its journal when it deleted files.
func runViewOf(ctx context.Context, st store.Store, r store.SyncRun) (runView, error) {
	removed, err := filesync.SourcesRemoved(ctx, st, r)
	if err != nil {
		return runView{}, err
	}
	return newRunView(r, removed), nil
}

// runWithFiles returns r as shown with its journal's file actions.
func runWithFiles(ctx context.Context, st store.Store, r store.SyncRun) (runView, error) {
	ops, err := st.SyncOps(ctx, r.SyncID, r.ID, "")
	if err != nil {
		return runView{}, err
	}
	v := newRunView(r, min(filesync.CountSourcesRemoved(ops), r.Deleted))
	v.Files = make([]opView, 0, len(ops))
	for _, op := range ops {
		v.Files = append(v.Files, newOpView(op))
	}
	return v, nil
}

// lastRunView returns the view of sy's last run, or nil when it never ran.
func lastRunView(ctx context.Context, st store.Store, sy store.Sync) (*runView, error) {
	runs, err := st.SyncRuns(ctx, sy.ID, 1)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	v, err := runViewOf(ctx, st, runs[0])
	return &v, err
}

// opView is one file action of a run, as history --files --json prints it.
type opView struct {
	Path   string `json:"path"`
	Action string `json:"action"` // push, pull, delete-local, delete-remote or conflict
	Status string `json:"status"` // started, done, failed or aborted
	Bytes  int64  `json:"bytes"`
	// RemovedFromSource: a done op that removed the source of a verified
	// copy.
	RemovedFromSource bool       `json:"removed_from_source"`
	Error             string     `json:"error"`
	Started           time.Time  `json:"started"`
	Finished          *time.Time `json:"finished"` // null while started
}

func newOpView(op store.SyncOp) opView {
	v := opView{Path: op.Path, Action: op.Action, Status: op.Status, Bytes: op.Bytes,
		RemovedFromSource: filesync.RemovedSource(op), Error: op.Error, Started: op.Started.UTC()}
	if !op.Finished.IsZero() {
		f := op.Finished.UTC()
		v.Finished = &f
	}
	return v
}
