// Package store holds Wharf's state: accounts, remotes, mounts and the event log, and the
// Store contract that the SQLite and PostgreSQL implementations satisfy.
//
// Static configuration (listeners, certificates, limits) lives in
// internal/config; everything an administrator changes at run time lives here.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a named record does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating a record whose name is taken.
var ErrExists = errors.New("already exists")

// AccessStamper is the optional Store capability of telling cheaply
// whether what decides an open session's access changed: the stamp it
// returns differs after any create, update or delete of an account, mount
// or remote. Found by type assertion; the FTP server's account check reads
// it every few seconds and loads everything only when it changed.
type AccessStamper interface {
	AccessStamp(ctx context.Context) (string, error)
}

// Store is the persistence contract. Implementations are safe for
// concurrent use.
type Store interface {
	CreateAccount(ctx context.Context, a *Account) error
	Account(ctx context.Context, name string) (Account, error)
	Accounts(ctx context.Context, kind Kind) ([]Account, error)
	UpdateAccount(ctx context.Context, a *Account) error
	DeleteAccount(ctx context.Context, name string) error

	CreateRemote(ctx context.Context, r *Remote) error
	Remote(ctx context.Context, name string) (Remote, error)
	Remotes(ctx context.Context) ([]Remote, error)
	// UpdateRemote stores r's fields. When its settings move it to other
	// files (RemoteMoved), it drops the file state of every sync of the
	// remote and aborts their started journal entries in the same
	// transaction, as UpdateSync does, or fails with ErrSyncRunning (naming
	// the sync) while a run holds one's lease.
	UpdateRemote(ctx context.Context, r *Remote) error
	DeleteRemote(ctx context.Context, name string) error

	// CreateMount fails with ErrExists when the account already has a
	// mount at that path.
	CreateMount(ctx context.Context, m *Mount) error
	// Mounts lists mounts, of one account when account is not empty.
	Mounts(ctx context.Context, account string) ([]Mount, error)
	DeleteMount(ctx context.Context, account, path string) error

	// CreateSync fails with ErrExists when the name is taken.
	CreateSync(ctx context.Context, s *Sync) error
	Sync(ctx context.Context, name string) (Sync, error)
	Syncs(ctx context.Context) ([]Sync, error)
	// UpdateSync stores s's settings. When they change its pair of
	// folders (PairChanged), it drops the sync's file state and aborts its
	// started journal entries in the same transaction, or fails with
	// ErrSyncRunning while a run holds the sync's lease.
	UpdateSync(ctx context.Context, s *Sync) error
	// DeleteSync removes a sync with its file state, lease and history.
	DeleteSync(ctx context.Context, name string) error
	// SyncFiles returns the last synced state of every path of a sync.
	SyncFiles(ctx context.Context, syncID int64) ([]SyncFile, error)
	// PutSyncFiles upserts put and removes the paths in drop, atomically.
	PutSyncFiles(ctx context.Context, syncID int64, put []SyncFile, drop []string) error
	// AcquireSyncLease takes or extends the lease on a sync for holder
	// until until. It succeeds when there is no lease, the lease ended
	// before now, or holder holds it; otherwise it returns the current
	// lease and false.
	AcquireSyncLease(ctx context.Context, syncID int64, holder string, now, until time.Time) (SyncLease, bool, error)
	// ReleaseSyncLease drops the lease when holder holds it.
	ReleaseSyncLease(ctx context.Context, syncID int64, holder string) error
	// SaveSyncRun inserts r (ID 0, setting the ID) or updates it.
	SaveSyncRun(ctx context.Context, r *SyncRun) error
	// SyncRuns returns up to limit runs of a sync, newest first.
	SyncRuns(ctx context.Context, syncID int64, limit int) ([]SyncRun, error)
	// LastSyncRun returns the sync's latest run that is not a dry run,
	// with status status ("" for any), or ErrNotFound.
	LastSyncRun(ctx context.Context, syncID int64, status string) (SyncRun, error)
	// SaveSyncOp inserts op (ID 0, setting the ID) or updates it, and in
	// the same transaction applies put and drop as PutSyncFiles does and
	// appends ev to the event log when it is not nil.
	SaveSyncOp(ctx context.Context, op *SyncOp, put []SyncFile, drop []string, ev *Event) error
	// SyncOps returns the ops of a sync in journal order: of one run when
	// runID is not 0, and only those with status when status is not "".
	SyncOps(ctx context.Context, syncID, runID int64, status string) ([]SyncOp, error)

	// AddEvent appends e to the event log and returns its ID.
	AddEvent(ctx context.Context, e Event) (int64, error)
	// Events returns up to limit events with ID > afterID, oldest first.
	Events(ctx context.Context, afterID int64, limit int) ([]Event, error)
	// LastEvents returns the newest limit events, oldest first.
	LastEvents(ctx context.Context, limit int) ([]Event, error)
	// FilterEvents returns up to limit events that f matches, oldest
	// first: the first ones after afterID, or with newest the newest ones.
	FilterEvents(ctx context.Context, f EventFilter, afterID int64, limit int, newest bool) ([]Event, error)
	// PruneHistory deletes the events and the finished sync runs (with
	// their ops) from before before, in short transactions. It keeps each
	// sync's latest run, and every run that a recovery still reads: one
	// marked running, or with an op still started.
	PruneHistory(ctx context.Context, before time.Time) (Pruned, error)

	// SaveBan stores b, replacing any ban of b.IP; a zero CreatedAt is
	// set to now.
	SaveBan(ctx context.Context, b Ban) error
	// Ban returns the ban of ip, or ErrNotFound when there is none that
	// has not ended.
	Ban(ctx context.Context, ip string) (Ban, error)
	// Bans lists the bans that have not ended, soonest to end first.
	Bans(ctx context.Context) ([]Ban, error)
	// LiftBan removes the ban of ip and reports whether one that had not
	// ended was there.
	LiftBan(ctx context.Context, ip string) (bool, error)

	Close() error
}
