package store

import "time"

// Sync directions.
const (
	SyncPush   = "push"    // local folder -> remote
	SyncPull   = "pull"    // remote -> local folder
	SyncTwoWay = "two-way" // both ways, deletes propagated
)

// What a one-way sync does with a source file once its copy is verified.
const (
	AfterCopyKeep   = "keep"
	AfterCopyDelete = "delete"
)

// Conflict policies for two-way syncs: who keeps the file's name when both
// sides changed it. The other version is kept under a conflict name, except
// with ConflictKeepBoth, where neither keeps the name.
const (
	ConflictNewer    = "newer" // the later modification time wins (default)
	ConflictKeepBoth = "keep-both"
	ConflictLocal    = "local"
	ConflictRemote   = "remote"
)

// Event kinds recorded by sync runs.
const (
	EventSyncRun  = "sync_run"  // a run ended that changed something or failed (not an idle one); Detail holds its outcome
	EventSyncFile = "sync_file" // a file was copied, deleted or renamed by a sync
)

// Sync is a job keeping a local folder and a remote path in step.
type Sync struct {
	ID         int64
	Name       string
	Folder     string // path under DATA/files, e.g. "acme/receive"
	Remote     string // remote name
	RemotePath string // path under the remote's root; "" is the root
	Direction  string // SyncPush, SyncPull or SyncTwoWay
	AfterCopy  string // AfterCopyKeep or AfterCopyDelete; one-way only
	Every      time.Duration
	Cron       string // standard 5-field cron expression; "" for none
	OnReceive  bool   // run when a file is received into Folder
	Filter     string // "*.edi,-*.tmp": comma-separated globs, "-" excludes
	Conflict   string // Conflict*; "" means ConflictNewer
	MaxDelete  int    // percent of known files a run may delete; 0 means 50
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SyncSide is what one side of a sync pair looked like when it was last in
// step. Exists is false for a side that had no file (a file delivered and
// since deleted by the counterparty, or a source removed after copy).
type SyncSide struct {
	Exists  bool      `json:"exists"`
	Size    int64     `json:"size,omitempty"`
	ModTime time.Time `json:"mtime,omitzero"`
	// Precise is false when ModTime came from a listing with minute
	// precision (LIST), so comparisons must be coarse.
	Precise bool `json:"precise,omitempty"`
}

// SyncFile is the last synced state of one path of a sync.
type SyncFile struct {
	Path     string // slash-separated, relative to the sync's folder
	Local    SyncSide
	Remote   SyncSide
	SyncedAt time.Time
}

// Sync run statuses.
const (
	RunRunning     = "running"
	RunOK          = "ok"
	RunPartial     = "partial"     // some files failed; the rest was done
	RunFailed      = "failed"      // the run stopped (listing failed, lost lease, ...)
	RunRefused     = "refused"     // the mass-delete guard stopped it
	RunInterrupted = "interrupted" // the process died; a later run recovered it
	RunStopped     = "stopped"     // ended from outside (serve stopping, ^C); the next run goes on
)

// SyncRun is one run of a sync.
type SyncRun struct {
	ID        int64
	SyncID    int64
	Holder    string // lease holder that ran it
	Started   time.Time
	Finished  time.Time // zero while running
	Status    string
	DryRun    bool
	Copied    int
	Deleted   int
	Conflicts int
	Skipped   int
	Failed    int
	Bytes     int64
	Error     string
}

// Sync op statuses.
const (
	OpStarted = "started"
	OpDone    = "done"
	OpFailed  = "failed"
	OpAborted = "aborted" // found started after a crash and recovered
)

// SyncOp is one journaled action of a run: written as OpStarted before the
// action touches anything, and finished together with the state it leaves.
type SyncOp struct {
	ID       int64
	RunID    int64
	SyncID   int64
	Path     string
	Action   string // filesync action name
	Status   string
	Detail   string // JSON the engine needs to recover the action
	Bytes    int64
	Error    string
	Started  time.Time
	Finished time.Time
}

// SyncLease says which run may act on a sync until when.
type SyncLease struct {
	SyncID int64
	Holder string
	Until  time.Time
}

// SyncOpSave is one SaveSyncOp call (op, put, drop, ev) of a batch. A
// store that can commit several in one transaction offers
//
//	SaveSyncOps(ctx context.Context, batch []SyncOpSave) error
//
// which applies them in order, all or none; SQLite does (group commit).
type SyncOpSave struct {
	Op    *SyncOp
	Put   []SyncFile
	Drop  []string
	Event *Event
}
