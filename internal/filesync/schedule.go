package filesync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"
	// Zones for CRON_TZ= schedules, also on hosts without a zoneinfo
	// database (minimal containers).
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/wharf-mft/wharf/internal/store"
)

// parseCron parses a standard 5-field cron expression (or a descriptor
// such as @hourly), in local time unless it starts with CRON_TZ=ZONE. A
// schedule at fixed times of day crosses daylight saving changes as cron
// does (see dstSchedule).
func parseCron(s string) (cron.Schedule, error) {
	sch, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", s, err)
	}
	if spec, ok := sch.(*cron.SpecSchedule); ok && fixedTime(s) {
		return dstSchedule{spec}, nil
	}
	return sch, nil
}

// syncRunner runs one sync; *Engine is one.
type syncRunner interface {
	Run(ctx context.Context, name string, o RunOptions) (Result, error)
}

// syncLister lists sync definitions; store.Store is one.
type syncLister interface {
	Syncs(ctx context.Context) ([]store.Sync, error)
}

// runHistory is a syncLister that also tells each sync's last runs
// (store.Store is one), so that a restart keeps the schedule's rhythm
// instead of starting every interval over.
type runHistory interface {
	SyncRuns(ctx context.Context, syncID int64, limit int) ([]store.SyncRun, error)
}

// Retry delays after a failed run (or one with files that failed): the
// first, doubled each time up to the last. A run refused because the sync
// is busy (ErrBusy: another process holds its lease) is tried again after
// firstRetry every time: nothing is wrong with the sync, and a file
// received while a long `wharf sync run` holds it should go soon after
// that run ends, not up to maxRetry later.
const (
	firstRetry = 10 * time.Second
	maxRetry   = 10 * time.Minute
)

// eventLog is the store's event log, read for files received; store.Store
// is one.
type eventLog interface {
	Events(ctx context.Context, afterID int64, limit int) ([]store.Event, error)
	Account(ctx context.Context, name string) (store.Account, error)
}

// SchedulerConfig tunes a Scheduler. Zero fields mean the defaults.
type SchedulerConfig struct {
	Logger *slog.Logger
	// Reload is how often sync definitions are read again, so added and
	// changed syncs are picked up. Default 30s.
	Reload time.Duration
	// Events, when set, is watched for "received" and "renamed" events
	// (from this process's FTP server or another sharing the store), each
	// of which counts as a call to Received with the file's (new) path.
	// Events recorded before Run started are not read: the run of every
	// OnReceive sync at start covers them.
	Events eventLog
	// PollEvents is how often Events is read. Default 1s.
	PollEvents time.Duration
}

// Scheduler starts syncs on their schedule (Sync.Every or Sync.Cron) and
// when a file arrives in the folder of a sync with OnReceive. A sync due
// while its run is in progress runs once more afterwards; runs of one sync
// never overlap. A run that fails or leaves files failed is run again
// after firstRetry, then at doubling delays up to maxRetry, until one
// succeeds; one that finds the sync busy (another process runs it) is run
// again after firstRetry each time. At start, every
// OnReceive sync runs once, for files that arrived while no scheduler ran,
// and a schedule missed meanwhile, or one whose last run left work undone
// (stopped, killed, failed), runs at once. Run blocks; Received may
// be called from any goroutine.
type Scheduler struct {
	r   syncRunner
	st  syncLister
	log *slog.Logger
	cfg SchedulerConfig

	wake chan struct{}

	mu       sync.Mutex
	received []string
	running  map[string]bool
	again    map[string]bool
	retryAt  map[string]time.Time     // failed syncs' next attempt
	backoff  map[string]time.Duration // their delay after that one
	waiting  map[string]bool          // syncs whose last run found them busy
	wg       sync.WaitGroup
}

// NewScheduler returns a scheduler running syncs listed by st through r.
func NewScheduler(r syncRunner, st syncLister, cfg SchedulerConfig) *Scheduler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Reload <= 0 {
		cfg.Reload = 30 * time.Second
	}
	if cfg.PollEvents <= 0 {
		cfg.PollEvents = time.Second
	}
	return &Scheduler{r: r, st: st, log: cfg.Logger, cfg: cfg, wake: make(chan struct{}, 1),
		running: map[string]bool{}, again: map[string]bool{},
		retryAt: map[string]time.Time{}, backoff: map[string]time.Duration{}, waiting: map[string]bool{}}
}

// Received tells the scheduler that a file arrived at p, a path under the
// file root such as "acme/receive/order.edi". Syncs with OnReceive whose
// folder holds p and that send files (push, two-way) start soon after. It
// never blocks; the FTP server calls it after an upload completes.
func (s *Scheduler) Received(p string) {
	s.mu.Lock()
	s.received = append(s.received, strings.Trim(path.Clean("/"+p), "/"))
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run schedules until ctx ends, then waits for the runs it started.
func (s *Scheduler) Run(ctx context.Context) error {
	defer s.wg.Wait()
	var syncs []store.Sync
	next, specs := map[string]time.Time{}, map[string]string{}
	var reloadAt, pollAt time.Time
	var lastEvent int64
	caughtUp := false
	if s.cfg.Events != nil {
		var err error
		if lastEvent, err = s.tailEvents(ctx); err != nil {
			s.log.Error("read the event log; on-receive triggers only for new events", "err", err)
		}
	}
	for {
		now := time.Now()
		if s.cfg.Events != nil && !now.Before(pollAt) {
			prev := lastEvent
			lastEvent = s.pollEvents(ctx, lastEvent)
			pollAt = now.Add(s.cfg.PollEvents)
			if lastEvent != prev {
				// New events may concern a sync added since the last
				// reload: read the definitions again before matching.
				reloadAt = now
			}
		}
		if !now.Before(reloadAt) {
			all, err := s.st.Syncs(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				s.log.Error("load syncs", "err", err)
			} else {
				syncs = all
				next = schedule(syncs, next, specs, now, s.lastRun(ctx), s.log)
				if !caughtUp {
					caughtUp = true
					for _, sy := range syncs {
						if at, ok := next[sy.Name]; ok && !now.Before(at) {
							continue // due by its schedule: it runs just below
						}
						if sy.OnReceive && sy.Direction != store.SyncPull {
							s.log.Info("sync run at start, for files received while no server ran", "sync", sy.Name)
							s.start(ctx, sy.Name)
						}
					}
				}
			}
			reloadAt = now.Add(s.cfg.Reload)
		}
		for name, at := range next {
			if !now.Before(at) {
				if s.busy(name) {
					// Runs of one sync never overlap: this one is queued,
					// once however many times it comes due meanwhile.
					s.log.Info("sync due while its last run is still going; it runs again once that ends", "sync", name,
						scheduleAttr(syncs, name))
				}
				s.start(ctx, name)
				next[name] = nextRun(syncs, name, now)
			}
		}
		for _, name := range s.takeReceived(syncs) {
			s.start(ctx, name)
		}
		for _, name := range s.dueRetries(now) {
			s.start(ctx, name)
		}
		wait := reloadAt.Sub(now)
		if s.cfg.Events != nil {
			wait = min(wait, pollAt.Sub(now))
		}
		for _, at := range next {
			if !at.IsZero() && at.Sub(now) < wait {
				wait = at.Sub(now)
			}
		}
		s.mu.Lock()
		for _, at := range s.retryAt {
			wait = min(wait, at.Sub(now))
		}
		s.mu.Unlock()
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// schedule returns the next run time of each scheduled sync, keeping the
// times already planned for syncs whose schedule did not change (specs
// holds each sync's schedule as last seen, and is updated). A sync seen
// for the first time continues from its last run (last; zero: none): an
// interval or cron time that passed meanwhile is due now, and so is a
// last run that left work undone (see unfinished).
func schedule(syncs []store.Sync, old map[string]time.Time, specs map[string]string, now time.Time, last func(store.Sync) store.SyncRun, log *slog.Logger) map[string]time.Time {
	out := map[string]time.Time{}
	for _, sy := range syncs {
		if sy.Every <= 0 && sy.Cron == "" {
			continue
		}
		spec := sy.Every.String() + "|" + sy.Cron
		if at, ok := old[sy.Name]; ok && specs[sy.Name] == spec {
			out[sy.Name] = at
			continue
		}
		_, seen := specs[sy.Name]
		specs[sy.Name] = spec
		at := nextRun(syncs, sy.Name, now)
		if at.IsZero() {
			log.Error("sync schedule invalid; not scheduled", "sync", sy.Name, "cron", sy.Cron)
			continue
		}
		if prev := last(sy); !seen && unfinished(prev.Status) {
			log.Info("sync run at start, to finish the work of its last run", "sync", sy.Name, "last_status", prev.Status)
			at = now
		} else if !seen && !prev.Started.IsZero() {
			if due := nextRun(syncs, sy.Name, prev.Started); due.Before(at) {
				at = due
				if at.Before(now) {
					at = now
				}
			}
		}
		out[sy.Name] = at
	}
	return out
}

// nextRun returns when the named sync runs next after now; zero for none.
func nextRun(syncs []store.Sync, name string, now time.Time) time.Time {
	for _, sy := range syncs {
		if sy.Name != name {
			continue
		}
		if sy.Every > 0 {
			return now.Add(sy.Every)
		}
		if sy.Cron != "" {
			if sch, err := parseCron(sy.Cron); err == nil {
				return sch.Next(now)
			}
		}
	}
	return time.Time{}
}

// unfinished reports whether a run that ended with status left work for
// the next run: it was stopped (serve stopping), killed (still marked
// running, or recorded interrupted), failed, or some files failed. A run
// the mass-delete guard refused waits for a person, not for a restart.
func unfinished(status string) bool {
	switch status {
	case store.RunStopped, store.RunRunning, store.RunInterrupted, store.RunFailed, store.RunPartial:
		return true
	}
	return false
}

// lastRun returns a function giving a sync's last real (not dry) run
// (zero: none), from the store when it keeps run history.
func (s *Scheduler) lastRun(ctx context.Context) func(store.Sync) store.SyncRun {
	h, ok := s.st.(runHistory)
	return func(sy store.Sync) store.SyncRun {
		if !ok {
			return store.SyncRun{}
		}
		runs, err := h.SyncRuns(ctx, sy.ID, 10)
		if err != nil {
			s.log.Warn("read the last runs; the schedule starts over", "sync", sy.Name, "err", err)
			return store.SyncRun{}
		}
		for _, r := range runs {
			if !r.DryRun {
				return r
			}
		}
		return store.SyncRun{}
	}
}

// dueRetries returns the failed syncs whose retry is due.
func (s *Scheduler) dueRetries(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name, at := range s.retryAt {
		if !now.Before(at) {
			delete(s.retryAt, name)
			out = append(out, name)
		}
	}
	return out
}

// runOutcome is how a run ended, for its retry.
type runOutcome int

const (
	ranOK     runOutcome = iota
	ranFailed            // the run, or some of its files
	foundBusy            // refused: another process holds the sync's lease
)

// settle records a run's outcome: a success clears the sync's retry, a
// failure plans the next one at the sync's doubling delay, and a refusal
// because the sync is busy plans it after firstRetry, leaving the delay of
// failures as it is. Either wakes Run to wait for it.
func (s *Scheduler) settle(name string, o runOutcome) {
	s.mu.Lock()
	again := s.waiting[name]
	s.waiting[name] = o == foundBusy
	var d time.Duration
	switch o {
	case ranOK:
		delete(s.retryAt, name)
		delete(s.backoff, name)
		delete(s.waiting, name)
		s.mu.Unlock()
		return
	case foundBusy:
		d = firstRetry
	default:
		d = cmp.Or(s.backoff[name], firstRetry)
		s.backoff[name] = min(2*d, maxRetry)
	}
	s.retryAt[name] = time.Now().Add(d)
	s.mu.Unlock()
	if again {
		// Every firstRetry while another process runs the sync: the first
		// refusal said so.
		s.log.Debug("sync run again later", "sync", name, "in", d)
	} else {
		s.log.Info("sync run again later", "sync", name, "in", d)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// recheck runs name again at at, when the local files its run held back
// as too young (Config.PushSettle) may go: a file received just now is
// pushed seconds later, not at the next scheduled run.
func (s *Scheduler) recheck(name string, at time.Time) {
	s.mu.Lock()
	if cur, ok := s.retryAt[name]; !ok || at.Before(cur) {
		s.retryAt[name] = at
	}
	s.mu.Unlock()
	s.log.Debug("sync run again when received files settle", "sync", name, "at", at)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// takeReceived returns the syncs triggered by the files received since the
// last call.
func (s *Scheduler) takeReceived(syncs []store.Sync) []string {
	s.mu.Lock()
	got := s.received
	s.received = nil
	s.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, p := range got {
		for _, sy := range syncs {
			if !sy.OnReceive || sy.Direction == store.SyncPull || seen[sy.Name] {
				continue
			}
			folder := strings.Trim(path.Clean("/"+sy.Folder), "/")
			if p == folder || strings.HasPrefix(p, folder+"/") {
				seen[sy.Name] = true
				out = append(out, sy.Name)
			}
		}
	}
	return out
}

// isWaiting reports whether the named sync's last run found it busy.
func (s *Scheduler) isWaiting(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting[name]
}

// busy reports whether a run of the named sync is in progress.
func (s *Scheduler) busy(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[name]
}

// scheduleAttr is the named sync's schedule, for a log line.
func scheduleAttr(syncs []store.Sync, name string) slog.Attr {
	for _, sy := range syncs {
		if sy.Name == name && sy.Every > 0 {
			return slog.Duration("every", sy.Every)
		}
		if sy.Name == name {
			return slog.String("cron", sy.Cron)
		}
	}
	return slog.Attr{}
}

// start runs the named sync in the background, or marks it to run again
// when it is running already.
func (s *Scheduler) start(ctx context.Context, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[name] {
		s.again[name] = true
		return
	}
	s.running[name] = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			res, err := s.r.Run(ctx, name, RunOptions{})
			o := ranOK
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, ErrBusy):
				o = foundBusy
				if !s.isWaiting(name) {
					s.log.Info("sync run skipped: another run is in progress", "sync", name, "err", err)
				}
			case err != nil:
				o = ranFailed
				s.log.Error("sync run failed", "sync", name, "err", err)
			default:
				if len(res.Errors) > 0 {
					o = ranFailed
				}
				for _, ferr := range res.Errors {
					s.log.Warn("sync file failed", "sync", name, "err", ferr)
				}
			}
			if ctx.Err() == nil {
				s.settle(name, o)
				if at := res.Plan.Settles(); err == nil && !at.IsZero() {
					s.recheck(name, at)
				}
			}
			s.mu.Lock()
			if !s.again[name] || ctx.Err() != nil {
				s.running[name] = false
				s.mu.Unlock()
				return
			}
			s.again[name] = false
			s.mu.Unlock()
		}
	}()
}

// lastEvents is the optional eventLog capability of telling the newest
// events without reading the log through; store.Store has it.
type lastEvents interface {
	LastEvents(ctx context.Context, limit int) ([]store.Event, error)
}

// tailEvents returns the ID of the newest event.
func (s *Scheduler) tailEvents(ctx context.Context) (int64, error) {
	if l, ok := s.cfg.Events.(lastEvents); ok {
		// One query, not one per thousand events of the log's history.
		evs, err := l.LastEvents(ctx, 1)
		if err != nil || len(evs) == 0 {
			return 0, err
		}
		return evs[len(evs)-1].ID, nil
	}
	var last int64
	for {
		evs, err := s.cfg.Events.Events(ctx, last, 1000)
		if err != nil || len(evs) == 0 {
			return last, err
		}
		last = evs[len(evs)-1].ID
	}
}

// pollEvents turns the received and renamed events after last into
// Received calls and returns the newest event ID seen.
func (s *Scheduler) pollEvents(ctx context.Context, last int64) int64 {
	partner := map[string]bool{}
	for {
		evs, err := s.cfg.Events.Events(ctx, last, 1000)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("read the event log", "err", err)
			}
			return last
		}
		for _, e := range evs {
			last = e.ID
			// A rename publishes a file under a new name in its folder
			// (or moves one in from another): a file the sync has not
			// sent, as much as an upload is (a rename from a temp
			// extension records both events).
			if (e.Kind != store.EventReceived && e.Kind != store.EventRenamed) || e.Account == "" {
				continue
			}
			isPartner, ok := partner[e.Account]
			if !ok {
				a, err := s.cfg.Events.Account(ctx, e.Account)
				isPartner = err == nil && a.Kind == store.Partner
				partner[e.Account] = isPartner
			}
			// A partner's paths are relative to its own folder,
			// DATA/files/NAME; a staff user's to DATA/files.
			p := e.Path
			if isPartner {
				p = e.Account + "/" + strings.TrimPrefix(p, "/")
			}
			s.mu.Lock()
			s.received = append(s.received, strings.Trim(path.Clean("/"+p), "/"))
			s.mu.Unlock()
		}
		if len(evs) < 1000 {
			return last
		}
	}
}
