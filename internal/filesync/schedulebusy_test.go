package filesync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// scriptedRunner returns the errors of script in turn (nil once it runs
// out) and records when each run started.
type scriptedRunner struct {
	mu     sync.Mutex
	script []error
	at     []time.Duration
	start  time.Time
}

func (r *scriptedRunner) Run(context.Context, string, RunOptions) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.at)
	r.at = append(r.at, time.Since(r.start))
	if n < len(r.script) {
		return Result{}, r.script[n]
	}
	return Result{}, nil
}

// TestSchedulerRetriesBusySync: a run refused because another process
// holds the sync's lease (a `wharf sync run` from the command line while
// `wharf serve` runs) is tried again every firstRetry, without doubling,
// so a file received meanwhile goes at most firstRetry after that run
// ends. Real failures keep their doubling delays, which busy runs in
// between neither double nor reset.
func TestSchedulerRetriesBusySync(t *testing.T) {
	busy, down := ErrBusy, errors.New("remote down")
	for _, tc := range []struct {
		name   string
		script []error
		want   []time.Duration
	}{
		{"long run elsewhere", []error{busy, busy, busy, busy, busy, busy},
			[]time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second, 50 * time.Second, 60 * time.Second}},
		{"wrapped busy", []error{
			fmt.Errorf("sync %q: %w: held by process 1 on host vm", "out", busy),
			fmt.Errorf("sync %q: %w: held by process 1 on host vm", "out", busy)},
			[]time.Duration{0, 10 * time.Second, 20 * time.Second}},
		{"failures after busy", []error{busy, busy, down, down, down},
			[]time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 50 * time.Second, 90 * time.Second}},
		{"busy between failures", []error{down, down, busy, down},
			[]time.Duration{0, 10 * time.Second, 30 * time.Second, 40 * time.Second, 80 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := &scriptedRunner{script: tc.script, start: time.Now()}
				got := runTimes(t, r, &r.mu, &r.at, fakeLister{{Name: "out", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPush}}, time.Hour)
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("run times (-want +got):\n%s", d)
				}
			})
		})
	}
}
