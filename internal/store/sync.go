package store

import (
	"errors"
	"path"
	"strings"
	"time"
)

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
	// MaxDelete is the percent of a side's files a two-way run may
	// delete because they are gone from the other side; 0 allows none
	// (without --force). `wharf sync add` sets DefaultMaxDelete unless
	// told otherwise, and syncs stored before 0 meant 0 read as that.
	MaxDelete int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultMaxDelete is the MaxDelete a sync gets unless one is given.
const DefaultMaxDelete = 50

// ErrSyncRunning: a run of the sync holds its lease, so the change that
// would reset its state waits until the run ends.
var ErrSyncRunning = errors.New("a run of this sync is in progress")

// PairChanged reports whether b syncs another pair of folders than a: its
// local folder, remote or remote folder differ. The synced state of a then
// says nothing about b's files, and UpdateSync drops it (and aborts its
// unfinished journal), so that the next run treats both sides as new: kept,
// it would take every recorded file for one deleted from the new folder,
// and a push would never send the new folder what the old one received.
func PairChanged(a, b Sync) bool {
	clean := func(p string) string { return strings.Trim(path.Clean("/"+p), "/") }
	return clean(a.Folder) != clean(b.Folder) || a.Remote != b.Remote || clean(a.RemotePath) != clean(b.RemotePath)
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
