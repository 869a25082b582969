package filesync

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

type fakeRunner struct {
	mu      sync.Mutex
	calls   []string
	block   chan struct{} // when set, runs wait for it
	active  map[string]int
	overlap bool
}

func (f *fakeRunner) Run(ctx context.Context, name string, o RunOptions) (Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	if f.active == nil {
		f.active = map[string]int{}
	}
	f.active[name]++
	if f.active[name] > 1 {
		f.overlap = true
	}
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
		}
	}
	f.mu.Lock()
	f.active[name]--
	f.mu.Unlock()
	return Result{}, nil
}

func (f *fakeRunner) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type fakeLister []store.Sync

func (l fakeLister) Syncs(context.Context) ([]store.Sync, error) { return l, nil }

func TestSchedulerEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		s := NewScheduler(r, fakeLister{
			{Name: "five", Every: 5 * time.Minute, Direction: store.SyncPush},
			{Name: "cron", Cron: "0 * * * *", Direction: store.SyncPull},
			{Name: "manual", Direction: store.SyncPush},
		}, SchedulerConfig{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		// synctest's clock starts at 2000-01-01 00:00 UTC: the cron sync
		// runs at 01:00, the five-minute one at :05, :10, ...
		time.Sleep(61 * time.Minute)
		synctest.Wait()
		got := map[string]int{}
		for _, n := range r.got() {
			got[n]++
		}
		if d := cmp.Diff(map[string]int{"five": 12, "cron": 1}, got); d != "" {
			t.Errorf("runs in 61 minutes (-want +got):\n%s", d)
		}
		cancel()
		<-done
	})
}

func TestSchedulerOnReceive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{block: make(chan struct{})}
		s := NewScheduler(r, fakeLister{
			{Name: "out", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPush},
			{Name: "no-trigger", Folder: "acme/receive", Direction: store.SyncPush},
			{Name: "pull", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPull},
			{Name: "other", Folder: "acme/receive2", OnReceive: true, Direction: store.SyncTwoWay},
		}, SchedulerConfig{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		// At start each on-receive sync that sends runs once, for files
		// that arrived while no scheduler ran.
		if d := cmp.Diff([]string{"other", "out"}, sorted(r.got())); d != "" {
			t.Fatalf("runs at start (-want +got):\n%s", d)
		}
		r.block <- struct{}{}
		r.block <- struct{}{}
		synctest.Wait()
		s.Received("acme/receive/order.edi")
		synctest.Wait()
		if d := cmp.Diff([]string{"out"}, r.got()[2:]); d != "" {
			t.Fatalf("runs after one file (-want +got):\n%s", d)
		}
		// Files arriving while it runs: exactly one more run afterwards,
		// never two at once.
		s.Received("/acme/receive/sub/a.edi")
		synctest.Wait()
		s.Received("acme/receive/b.edi")
		synctest.Wait()
		r.block <- struct{}{}
		synctest.Wait()
		r.block <- struct{}{}
		synctest.Wait()
		if d := cmp.Diff([]string{"out", "out"}, r.got()[2:]); d != "" {
			t.Errorf("runs (-want +got):\n%s", d)
		}
		if r.overlap {
			t.Errorf("runs of one sync overlapped")
		}
		cancel()
		<-done
	})
}

// failingRunner fails its first fail runs, the first busy of them with
// ErrBusy (another process runs the sync), and records when each ran.
type failingRunner struct {
	mu         sync.Mutex
	fail, busy int
	at         []time.Duration
	start      time.Time
}

func (f *failingRunner) Run(context.Context, string, RunOptions) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.at)
	f.at = append(f.at, time.Since(f.start))
	switch {
	case n < f.busy:
		return Result{}, ErrBusy
	case n < f.fail:
		return Result{}, errors.New("remote down")
	}
	return Result{}, nil
}

// TestSchedulerRetriesFailedRuns: an on-receive sync whose runs fail (the
// remote is down) runs again at doubling delays until one succeeds, then
// waits for the next file. A run that found the sync busy (another process
// holds it) is tried again after the first delay and does not double it
// (see TestSchedulerRetriesBusySync).
func TestSchedulerRetriesFailedRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &failingRunner{busy: 1, fail: 4, start: time.Now()}
		got := runTimes(t, r, &r.mu, &r.at, fakeLister{{Name: "out", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPush}}, time.Hour)
		want := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("run times (-want +got):\n%s", d)
		}
	})
}

// runTimes runs a scheduler over l with runner r for d of the synctest
// bubble's time and returns the times r recorded in *at (under mu).
func runTimes(t *testing.T, r syncRunner, mu *sync.Mutex, at *[]time.Duration, l syncLister, d time.Duration) []time.Duration {
	t.Helper()
	s := NewScheduler(r, l, SchedulerConfig{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(d)
	synctest.Wait()
	mu.Lock()
	got := slices.Clone(*at)
	mu.Unlock()
	cancel()
	<-done
	return got
}

// historyLister is a fakeLister whose syncs last ran at last[name].
type historyLister struct {
	fakeLister
	last map[int64]time.Time
}

func (l historyLister) SyncRuns(_ context.Context, id int64, _ int) ([]store.SyncRun, error) {
	if at, ok := l.last[id]; ok {
		return []store.SyncRun{{SyncID: id, Started: at, Status: store.RunOK}}, nil
	}
	return nil, nil
}

// TestSchedulerContinuesFromLastRun: a (re)started scheduler keeps each
// schedule's rhythm from the sync's last run, and runs at once what it
// missed, instead of starting every interval over.
func TestSchedulerContinuesFromLastRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // 2000-01-01 00:00 UTC in the bubble
		r := &failingRunner{start: start}
		got := runTimes(t, r, &r.mu, &r.at, historyLister{
			fakeLister: fakeLister{
				{ID: 1, Name: "hourly-ran-50m-ago", Every: time.Hour, Direction: store.SyncPush},
				{ID: 2, Name: "daily-missed", Cron: "30 23 * * *", Direction: store.SyncPush},
				{ID: 3, Name: "never-ran", Every: 2 * time.Hour, Direction: store.SyncPush},
			},
			last: map[int64]time.Time{1: start.Add(-50 * time.Minute), 2: start.Add(-25 * time.Hour)},
		}, 150*time.Minute)
		// daily-missed at once; hourly at 0:10, 1:10, 2:10; never-ran at 2:00.
		want := []time.Duration{0, 10 * time.Minute, 70 * time.Minute, 120 * time.Minute, 130 * time.Minute}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("run times (-want +got):\n%s", d)
		}
	})
}

type fakeEvents struct {
	mu  sync.Mutex
	evs []store.Event
}

func (f *fakeEvents) add(e store.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.ID = int64(len(f.evs) + 1)
	f.evs = append(f.evs, e)
}

func (f *fakeEvents) Events(_ context.Context, after int64, limit int) ([]store.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Event
	for _, e := range f.evs {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeEvents) Account(_ context.Context, name string) (store.Account, error) {
	if name == "ops" {
		return store.Account{Name: name, Kind: store.Staff}, nil
	}
	return store.Account{Name: name, Kind: store.Partner}, nil
}

func TestSchedulerWatchesReceivedEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		ev := &fakeEvents{}
		ev.add(store.Event{Kind: store.EventReceived, Account: "acme", Path: "/receive/old.edi"}) // before start: the run at start covers it
		s := NewScheduler(r, fakeLister{
			{Name: "acme-in", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPush},
			{Name: "shared", Folder: "shared/in", OnReceive: true, Direction: store.SyncTwoWay},
		}, SchedulerConfig{Events: ev})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if d := cmp.Diff([]string{"acme-in", "shared"}, sorted(r.got())); d != "" {
			t.Fatalf("runs at start, one per on-receive sync whatever the old events (-want +got):\n%s", d)
		}
		ev.add(store.Event{Kind: store.EventLogin, Account: "acme"})
		ev.add(store.Event{Kind: store.EventReceived, Account: "acme", Path: "/receive/new.edi"})
		ev.add(store.Event{Kind: store.EventReceived, Account: "ops", Path: "/shared/in/x.edi"})
		ev.add(store.Event{Kind: store.EventReceived, Account: "acme", Path: "/send/not-synced.edi"})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if d := cmp.Diff([]string{"acme-in", "acme-in", "shared", "shared"}, sorted(r.got())); d != "" {
			t.Errorf("runs (-want +got):\n%s", d)
		}
		cancel()
		<-done
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

type changingLister struct {
	mu    sync.Mutex
	syncs []store.Sync
}

func (l *changingLister) Syncs(context.Context) ([]store.Sync, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.syncs), nil
}

func TestSchedulerPicksUpChangedSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		l := &changingLister{syncs: []store.Sync{{Name: "s", Every: time.Hour, Direction: store.SyncPush}}}
		s := NewScheduler(r, l, SchedulerConfig{Reload: time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		l.mu.Lock()
		l.syncs[0].Every = 2 * time.Minute
		l.mu.Unlock()
		// Reloaded at 1m, so runs at 3m, 5m, 7m, 9m: four in ten minutes
		// rather than none before the hour.
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if got := len(r.got()); got != 4 {
			t.Errorf("%d runs in 10 minutes after changing every 1h to 2m, want 4", got)
		}
		cancel()
		<-done
	})
}

// TestCronZone: a CRON_TZ= prefix sets the schedule's zone; an unknown
// zone is refused.
func TestCronZone(t *testing.T) {
	sch, err := parseCron("CRON_TZ=America/New_York 30 5 * * *")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	if got, want := sch.Next(from), time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next run = %v, want %v (05:30 in New York)", got.UTC(), want)
	}
	if _, err := parseCron("CRON_TZ=Nowhere/Land 30 5 * * *"); err == nil || !strings.Contains(err.Error(), "Nowhere/Land") {
		t.Errorf("unknown zone: err = %v, want one naming it", err)
	}
}
