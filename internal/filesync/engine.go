package filesync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// Errors callers branch on.
var (
	// ErrBusy: another run of the sync holds its lease.
	ErrBusy = errors.New("another run of this sync is in progress")
	// ErrTooManyDeletes: the run would delete more than MaxDelete percent
	// of a side's files; nothing was changed. Run again with Force.
	ErrTooManyDeletes = errors.New("too many deletes")
	// ErrLeaseLost: the run's lease could not be renewed, so it stopped.
	ErrLeaseLost = errors.New("sync lease lost")
)

// syncStore is what the engine needs from the store.
type syncStore interface {
	Sync(ctx context.Context, name string) (store.Sync, error)
	Syncs(ctx context.Context) ([]store.Sync, error)
	SyncFiles(ctx context.Context, syncID int64) ([]store.SyncFile, error)
	PutSyncFiles(ctx context.Context, syncID int64, put []store.SyncFile, drop []string) error
	AcquireSyncLease(ctx context.Context, syncID int64, holder string, now, until time.Time) (store.SyncLease, bool, error)
	ReleaseSyncLease(ctx context.Context, syncID int64, holder string) error
	SaveSyncRun(ctx context.Context, r *store.SyncRun) error
	SyncRuns(ctx context.Context, syncID int64, limit int) ([]store.SyncRun, error)
	SaveSyncOp(ctx context.Context, op *store.SyncOp, put []store.SyncFile, drop []string, ev *store.Event) error
	SyncOps(ctx context.Context, syncID, runID int64, status string) ([]store.SyncOp, error)
	AddEvent(ctx context.Context, e store.Event) (int64, error)
}

// Endpoints opens the two sides of a sync.
type Endpoints interface {
	// Local returns the sync's folder (a path under DATA/files). When the
	// result is an io.Closer, the engine closes it after the run.
	Local(folder string) (vfs.FS, error)
	// Remote returns the named remote, shared between runs; the engine
	// does not close it.
	Remote(ctx context.Context, name string) (Remote, error)
}

// Config tunes an Engine. Zero fields mean the documented defaults.
type Config struct {
	Logger    *slog.Logger
	Transfers int           // files copied at once; 0: 8
	Retries   int           // tries per file; 0: 3
	RetryWait time.Duration // wait before the second try, doubled after; 0: 1s
	LeaseTTL  time.Duration // how long a lease lasts unless renewed; 0: 30s
	// TempExtensions are lower-case extensions with their dot (".tmp")
	// of files still being received; see ParseExtensions.
	TempExtensions []string
	// TempExtensionsFor, when set, gives the temp extensions of one
	// sync's folder (an account's own setting), overriding
	// TempExtensions when it returns ok.
	TempExtensionsFor func(ctx context.Context, folder string) (exts []string, ok bool)
	// PullSettle holds back a pull (or a two-way copy from the remote, or
	// a conflict) of a remote file modified less than this long ago (by its listed time, at the listing's precision): it
	// may still be being written, since servers such as pure-ftpd let a
	// file in progress be downloaded, and with --after-copy delete its
	// source would go while its writer still writes. 0 pulls at once.
	PullSettle time.Duration
	// PushSettle holds back a push (or a two-way copy to the remote, or
	// a conflict) of a local file modified less than this long ago (or
	// dated less than this far ahead): a partner's client that keeps
	// file times sets the time (MFMT) one round trip after its upload
	// ends, and a copy taken in between, with the upload's time, would go
	// again once the time changed: delivered twice. A run that holds a
	// file back says when it settles (Plan.Settles), and the scheduler
	// runs the sync again then. 0 pushes at once.
	PushSettle time.Duration
}

// DefaultPullSettle and DefaultPushSettle are the settle times the
// command line runs with.
const (
	DefaultPullSettle = time.Minute
	DefaultPushSettle = 3 * time.Second
)

// Engine runs syncs. It is safe for concurrent use; runs of one sync never
// overlap, in this process or any other sharing the store.
type Engine struct {
	st   syncStore
	ep   Endpoints
	cfg  Config
	log  *slog.Logger
	self holderID
	// jmu serialises this process's journal writes: SQLite takes one
	// writer at a time, and writers queued here cost less than writers
	// spinning in its busy handler.
	jmu sync.Mutex
	// clock, when set, gives a run's start time (tests name conflict
	// files with it).
	clock func() time.Time
	// postDelay, when set, replaces the journal's postDelay (tests).
	postDelay time.Duration
}

func (e *Engine) now() time.Time {
	if e.clock != nil {
		return e.clock()
	}
	return time.Now()
}

// New returns an engine working on st.
func New(st syncStore, ep Endpoints, cfg Config) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Transfers <= 0 {
		cfg.Transfers = 8
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = time.Second
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	return &Engine{st: st, ep: ep, cfg: cfg, log: cfg.Logger, self: thisProcess()}
}

// RunOptions are per-run choices.
type RunOptions struct {
	DryRun bool // plan and report; change nothing, journal nothing
	Force  bool // pass the mass-delete guard
	// OnPlan is called once with the plan before anything changes, and
	// OnItem after each action, from any goroutine.
	OnPlan func(Plan)
	OnItem func(ItemResult)
}

// ItemResult is the outcome of one action.
type ItemResult struct {
	Item  Item
	Bytes int64
	Err   error
}

// Result is what a run did.
type Result struct {
	Run       store.SyncRun
	Plan      Plan
	Recovered int // ops of an interrupted run completed by this one (counted in Run.Copied)
	// SourcesRemoved is how many of Run.Deleted removed the source of a
	// verified copy (--after-copy delete), made by this run or an earlier
	// one, rather than propagating a deletion (two-way); see SourcesRemoved.
	SourcesRemoved int
	Errors         []error // one per failed file
}

// Validate reports every problem with a sync definition.
func Validate(sy store.Sync) error {
	var errs []error
	if sy.Name == "" || strings.ContainsAny(sy.Name, "/\\\x00\r\n") {
		errs = append(errs, fmt.Errorf("name %q: want a non-empty name without slashes", sy.Name))
	}
	if _, err := vfs.Clean(sy.Folder); err != nil || hasDotDot(sy.Folder) || strings.Trim(sy.Folder, "/") == "" {
		errs = append(errs, fmt.Errorf("folder %q: want a path under the file root such as acme/send", sy.Folder))
	}
	if sy.Remote == "" {
		errs = append(errs, errors.New("remote is empty"))
	}
	if _, err := vfs.Clean(sy.RemotePath); err != nil || hasDotDot(sy.RemotePath) {
		errs = append(errs, fmt.Errorf(`remote path %q: want a path without ".."`, sy.RemotePath))
	}
	switch sy.Direction {
	case store.SyncPush, store.SyncPull, store.SyncTwoWay:
	default:
		errs = append(errs, fmt.Errorf("direction %q: want push, pull or two-way", sy.Direction))
	}
	switch sy.AfterCopy {
	case "", store.AfterCopyKeep:
	case store.AfterCopyDelete:
		if sy.Direction == store.SyncTwoWay {
			errs = append(errs, errors.New("after-copy delete needs a one-way sync (push or pull)"))
		}
	default:
		errs = append(errs, fmt.Errorf("after-copy %q: want keep or delete", sy.AfterCopy))
	}
	switch sy.Conflict {
	case "", store.ConflictNewer, store.ConflictKeepBoth, store.ConflictLocal, store.ConflictRemote:
	default:
		errs = append(errs, fmt.Errorf("conflict %q: want newer, keep-both, local or remote", sy.Conflict))
	}
	if sy.OnReceive && sy.Direction == store.SyncPull {
		errs = append(errs, errors.New("on-receive starts syncs that send received files: use it with push or two-way"))
	}
	if sy.MaxDelete < 0 || sy.MaxDelete > 100 {
		errs = append(errs, fmt.Errorf("max-delete %d: want a percentage 0-100", sy.MaxDelete))
	}
	if sy.Every < 0 {
		errs = append(errs, fmt.Errorf("every %v is negative", sy.Every))
	}
	if sy.Every > 0 && sy.Every < time.Second {
		errs = append(errs, fmt.Errorf("every %v: want at least 1s", sy.Every))
	}
	if sy.Cron != "" {
		if _, err := parseCron(sy.Cron); err != nil {
			errs = append(errs, err)
		}
	}
	if sy.Cron != "" && sy.Every > 0 {
		errs = append(errs, errors.New("give --every or --cron, not both"))
	}
	if _, err := ParseFilter(sy.Filter); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ValidateReadOnly reports why sy cannot work with its remote set
// read-only (Wharf changes nothing there): a push or two-way sync writes
// to the remote, and a pull with after-copy delete removes its sources.
// A pull that keeps them passes.
func ValidateReadOnly(sy store.Sync) error {
	writable := fmt.Sprintf("or let Wharf change the remote with `wharf remote set %s --read-only=false`", sy.Remote)
	switch {
	case sy.Direction == store.SyncPush:
		return fmt.Errorf("remote %q is read-only, so a push cannot deliver to it: use --direction pull to fetch from it, %s", sy.Remote, writable)
	case sy.Direction == store.SyncTwoWay:
		return fmt.Errorf("remote %q is read-only, so a two-way sync cannot copy or delete there: use --direction pull to fetch from it, %s", sy.Remote, writable)
	case sy.AfterCopy == store.AfterCopyDelete:
		return fmt.Errorf("remote %q is read-only, so --after-copy delete cannot remove the files pulled from it: use --after-copy keep (each file is still pulled once), %s", sy.Remote, writable)
	}
	return nil
}

func hasDotDot(p string) bool {
	for _, seg := range strings.Split(strings.ReplaceAll(p, "\\", "/"), "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

// Run runs the sync called name once and returns what it did. A run that
// fails as a whole (listing, lease, guard) returns an error and changes
// nothing it had not journaled; failures of single files are in
// Result.Errors and the run's status is partial.
func (e *Engine) Run(ctx context.Context, name string, o RunOptions) (Result, error) {
	sy, err := e.st.Sync(ctx, name)
	if err != nil {
		return Result{}, err
	}
	if err := Validate(sy); err != nil {
		return Result{}, fmt.Errorf("sync %q: %w", name, err)
	}
	log := e.log.With("sync", sy.Name)
	local, err := e.ep.Local(sy.Folder)
	if err != nil {
		return Result{}, fmt.Errorf("sync %q: open local folder %q: %w", name, sy.Folder, err)
	}
	if c, ok := local.(io.Closer); ok {
		defer c.Close()
	}
	rem, err := e.ep.Remote(ctx, sy.Remote)
	if err != nil {
		return Result{}, fmt.Errorf("sync %q: remote %q: %w", name, sy.Remote, err)
	}
	rp := strings.Trim(path.Clean("/"+sy.RemotePath), "/")
	x := &runner{e: e, sy: sy, local: local, rem: under{r: rem, base: rp}, raw: rem, base: rp, log: log,
		dirs: map[string]bool{}, localDirs: map[string]bool{}}
	if o.DryRun {
		return x.dryRun(ctx, o)
	}
	return x.runOnce(ctx, o)
}

// runner is one run of one sync.
type runner struct {
	e     *Engine
	sy    store.Sync
	local vfs.FS
	rem   under  // the sync's remote folder
	raw   Remote // the remote's root
	base  string // the sync's folder under raw; "" for the root
	log   *slog.Logger
	run   store.SyncRun
	start time.Time
	j     *journal // while the plan's actions run

	lv, rv view // listings, read-only once planning starts

	mu        sync.Mutex
	dirs      map[string]bool // remote directories known to exist
	localDirs map[string]bool // local directories made or seen by this run
	seq       int
	noMTime   bool // the remote refused to set a modification time
	removed   int  // sources removed after their copy, recorded (added to run.Deleted by finish)
}

// tempMark starts the names of this sync's pull temporaries.
func (x *runner) tempMark() string { return fmt.Sprintf("%ssync-%d-", tempPrefix, x.sy.ID) }

func (x *runner) lister(ctx context.Context) (lister, error) {
	f, err := ParseFilter(x.sy.Filter)
	exts := x.e.cfg.TempExtensions
	if fn := x.e.cfg.TempExtensionsFor; fn != nil {
		if e, ok := fn(ctx, x.sy.Folder); ok {
			exts = e
		}
	}
	if err != nil {
		return lister{}, err
	}
	l := lister{filter: f, tempExts: exts, twoWay: x.sy.Direction == store.SyncTwoWay}
	if l.twoWay {
		if l.hidesDot, err = hidesDotFiles(ctx, x.raw); err != nil {
			return lister{}, fmt.Errorf("remote %s: %w", x.sy.Remote, err)
		}
	}
	return l, nil
}

// listAndPlan lists both sides and plans against the stored state. A real
// push whose local files are all as last synced plans from the journal
// without listing the remote (see planFromJournal); dry runs always list.
func (x *runner) listAndPlan(ctx context.Context, dry bool) (Plan, []string, error) {
	l, err := x.lister(ctx)
	if err != nil {
		return Plan{}, nil, err
	}
	// The state loads while the folder is walked.
	var state []store.SyncFile
	var serr error
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		state, serr = x.e.st.SyncFiles(ctx, x.sy.ID)
	}()
	lv, temps, hidden, err := l.local(x.local, x.tempMark())
	<-loaded
	if serr != nil {
		return Plan{}, nil, fmt.Errorf("load sync state: %w", serr)
	}
	if err != nil {
		return Plan{}, nil, err
	}
	pl := planner{dir: x.sy.Direction, deleteSource: x.sy.AfterCopy == store.AfterCopyDelete, conflict: x.sy.Conflict, excluded: l.excludedPath, hidden: hidden}
	pl.now = x.e.now()
	if x.sy.Direction != store.SyncPush {
		pl.settle = x.e.cfg.PullSettle
	}
	if x.sy.Direction != store.SyncPull {
		pl.localSettle = x.e.cfg.PushSettle
	}
	if !dry && x.sy.Direction == store.SyncPush {
		if p, ok := planFromJournal(pl, lv, state); ok {
			x.lv = lv
			return p, temps, nil
		}
	}
	rv, dirs, err := l.remote(ctx, x.rem, x.e.cfg.Transfers)
	if errors.Is(err, errMissingRoot) {
		if x.sy.Direction != store.SyncPull && !knowsRemote(state) {
			// A new push or two-way sync: the remote folder does not
			// exist yet, and its first copy creates it.
			rv, dirs, err = view{}, map[string]bool{}, nil
		} else {
			err = x.missingRoot(err, state)
		}
	}
	if err != nil {
		return Plan{}, nil, fmt.Errorf("remote %s:/%s: %w", x.sy.Remote, x.base, err)
	}
	x.lv, x.rv = lv, rv
	x.mu.Lock()
	for d := range dirs {
		x.dirs[d] = true
	}
	x.mu.Unlock()
	p := pl.plan(lv, rv, state)
	x.exactTimes(ctx, pl, &p, state)
	x.confirmGone(ctx, pl, &p, state)
	x.byContent(ctx, &p)
	return p, temps, nil
}

// planFromJournal plans a push without listing the remote when that
// cannot change what the run does: every local file is as last synced
// (size and time), so the remote's side decides nothing. For such a file a
// push does nothing whether its copy is still there, changed, or consumed
// by the partner (exactly once: a consumed file is not sent again), and a
// path gone locally is never deleted remotely. The remote is taken to be as
// the journal last saw it; the plan is used only when it has no action and
// no state to record but local files gone (recorded as absent, which the
// remote's side does not change: see planner.oneWay). Otherwise (a new or
// changed local file, a source to delete, a record to drop) the remote is
// listed as usual.
func planFromJournal(pl planner, lv view, state []store.SyncFile) (Plan, bool) {
	if len(lv) == 0 {
		return Plan{}, false
	}
	rec := make(map[string]store.SyncSide, len(state))
	rv := make(view, len(state))
	for _, f := range state {
		rec[f.Path] = f.Local
		if f.Remote.Exists {
			rv[f.Path] = File{Size: f.Remote.Size, ModTime: f.Remote.ModTime, Precise: f.Remote.Precise}
		}
	}
	for p, f := range lv {
		if s, ok := rec[p]; !ok || !sameLocal(f, s) {
			return Plan{}, false
		}
	}
	p := pl.plan(lv, rv, state)
	for _, it := range p.Items {
		gone := it.Local == nil && it.put != nil && !it.put.Local.Exists
		if it.Action != Skip || it.put != nil && !gone || it.drop {
			return Plan{}, false
		}
	}
	p.FromJournal = true
	return p, true
}

// missingRoot adds to err, an errMissingRoot, why the run stops and what
// to do. A pull fails: it has nothing to fetch from, and a run that
// reported "ok, copied 0" instead would hide a mistyped --remote path for
// ever. A push or two-way sync with remote files on record fails too: the
// folder held them, and its absence is not their deletion (a two-way sync
// would delete them all locally).
func (x *runner) missingRoot(err error, state []store.SyncFile) error {
	why, fix := "a pull fetches from it", "create the folder on the server"
	switch {
	case x.sy.Direction == store.SyncTwoWay:
		why, fix = "it held files at the last sync, which are not taken for deleted there", "restore the folder on the server"
	case x.sy.Direction == store.SyncPush:
		why = "it held files at the last sync"
	case knowsRemote(state):
		why = "it held files at the last sync, and a pull fetches from it"
	}
	return fmt.Errorf("%w; %s, so nothing was done: check the sync's remote path (`wharf sync set %s --remote %s:PATH`), or %s",
		err, why, x.sy.Name, x.sy.Remote, fix)
}

func knowsRemote(state []store.SyncFile) bool {
	for _, f := range state {
		if f.Remote.Exists {
			return true
		}
	}
	return false
}

// guard applies the mass-delete limit to the deletes that propagate files
// gone from one side since the last sync to the other side: more than
// MaxDelete percent of the files that other side holds now (as listed)
// stops the run. Not of the files it held at the last sync: when the
// partner consumed most of them since, deleting the rest is still a mass
// delete. The error names the side
// that lost files, the side that would lose them too, and the commands to
// look (a dry run, unless this is one) or to go on (--force).
func (x *runner) guard(p Plan, dry bool) error {
	limit := x.sy.MaxDelete // 0: no delete of a file gone from the other side without Force
	local := "the local folder " + x.sy.Folder
	rem := fmt.Sprintf("the remote %s:/%s", x.sy.Remote, x.base)
	var over []string
	check := func(n, files int, lost, on, side string) {
		files = max(files, n, 1)
		if n == 0 || n*100 <= limit*files {
			return
		}
		files1, are, them := "files", "are", "them"
		if n == 1 {
			files1, are, them = "file", "is", "it"
		}
		over = append(over, fmt.Sprintf("%d %s %s gone from %s since the last sync, so the run would delete %s %s too: %d of %d %s files (%d%%), more than --max-delete %d%% allows",
			n, files1, are, lost, them, on, n, files, side, n*100/files, limit))
	}
	check(p.deletes(DeleteRemote), p.RemoteFiles, local, "on "+rem, "remote")
	check(p.deletes(DeleteLocal), p.LocalFiles, rem, "in "+local, "local")
	if len(over) == 0 {
		return nil
	}
	next := fmt.Sprintf("If they were deleted on purpose, run `wharf sync run %s --force`", x.sy.Name)
	if !dry {
		next += fmt.Sprintf("; to see every action first, run `wharf sync run %s --dry-run`", x.sy.Name)
	}
	return fmt.Errorf("%w: %s; nothing was changed. %s", ErrTooManyDeletes, strings.Join(over, "; "), next)
}

func (x *runner) dryRun(ctx context.Context, o RunOptions) (Result, error) {
	if err := x.checkOverlaps(ctx); err != nil {
		return Result{}, fmt.Errorf("sync %q: %w", x.sy.Name, err)
	}
	p, _, err := x.listAndPlan(ctx, true)
	if err != nil {
		return Result{}, fmt.Errorf("sync %q: %w", x.sy.Name, err)
	}
	if o.OnPlan != nil {
		o.OnPlan(p)
	}
	res := Result{Plan: p, Run: store.SyncRun{SyncID: x.sy.ID, DryRun: true, Status: store.RunOK}}
	for _, it := range p.Items {
		countItem(&res.Run, &res.SourcesRemoved, it)
	}
	if !o.Force {
		if err := x.guard(p, true); err != nil {
			res.Run.Status = store.RunRefused
			return res, fmt.Errorf("sync %q: %w", x.sy.Name, err)
		}
	}
	return res, nil
}
