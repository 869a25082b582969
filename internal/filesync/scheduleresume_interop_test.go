package filesync

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropStoppedRunResumesAtStart: serve stopping (its ctx ending)
// stops a daily sync's run part-way; the scheduler of the next start runs
// the sync at once, and it finishes the work (each file delivered once),
// rather than at the next day's cron time.
func TestInteropStoppedRunResumesAtStart(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{Extra: []string{"anon_max_rate=262144"}})
	p := sub(t, fromPeertest(t, s), "resume")
	// Daily at a time an hour from now: not due while the test runs.
	at := time.Now().Add(time.Hour)
	e, _ := interopEnv(t, p, store.Sync{Direction: store.SyncPush, Cron: fmt.Sprintf("%d %d * * *", at.Minute(), at.Hour())})
	want := map[string]string{}
	for i := range 20 {
		f := fmt.Sprintf("f%02d.edi", i)
		c := strings.Repeat(fmt.Sprint(i%10), 128<<10)
		write(t, e.local, f, c, t0)
		want[f] = c
	}
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			if countVisible(p.dir) >= 2 {
				stop() // SIGTERM
				return
			}
			time.Sleep(5 * time.Millisecond) // polling the server's folder
		}
		t.Error("no file reached the server within 30s")
	}()
	res, _ := e.engine.Run(ctx, e.sync.Name, RunOptions{})
	<-stopped
	if res.Run.Status != store.RunStopped {
		t.Fatalf("run = %+v, want stopped", res.Run)
	}
	sctx, cancel := context.WithCancel(context.Background())
	sch := NewScheduler(e.engine, e.st, SchedulerConfig{})
	done := make(chan error, 1)
	go func() { done <- sch.Run(sctx) }()
	defer func() {
		cancel()
		<-done
	}()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if got := visibleNow(p.dir); cmp.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("remote holds %d of %d files 30s after the scheduler started", len(visibleNow(p.dir)), len(want))
		}
		time.Sleep(20 * time.Millisecond) // polling the remote's folder
	}
	for f, n := range e.delivered() {
		if n != 1 {
			t.Errorf("%s delivered %d times", f, n)
		}
	}
}
