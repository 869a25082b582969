package filesync

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSchedulerSaysRunOverran: a scheduled run still going when the
// sync is due again does not overlap with a second one; the sync runs once
// more when it ends, and the log says so, with the interval, so an
// operator sees that runs take longer than it.
func TestSchedulerSaysRunOverran(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{block: make(chan struct{})}
		var logs lockedBuffer
		s := NewScheduler(r, fakeLister{{Name: "five", Every: 5 * time.Minute, Direction: store.SyncPush}},
			SchedulerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(5 * time.Minute) // the first run starts, and blocks
		synctest.Wait()
		time.Sleep(5 * time.Minute) // due again while it runs
		synctest.Wait()
		if n := len(r.got()); n != 1 {
			t.Fatalf("%d runs, want 1 (no overlap)", n)
		}
		if !strings.Contains(logs.String(), "sync due while its last run is still going") || !strings.Contains(logs.String(), "every=5m0s") {
			t.Errorf("log does not say the run overran its interval:\n%s", logs.String())
		}
		r.block <- struct{}{}
		synctest.Wait()
		if n := len(r.got()); n != 2 {
			t.Errorf("%d runs after the long one ended, want 2 (one more at once)", n)
		}
		if r.overlap {
			t.Errorf("runs overlapped")
		}
		cancel()
		<-done
	})
}
