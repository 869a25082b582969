package filesync

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// statusLister is a fakeLister whose syncs' last runs are runs[ID].
type statusLister struct {
	fakeLister
	runs map[int64]store.SyncRun
}

func (l statusLister) SyncRuns(_ context.Context, id int64, _ int) ([]store.SyncRun, error) {
	if r, ok := l.runs[id]; ok {
		return []store.SyncRun{r}, nil
	}
	return nil, nil
}

// TestSchedulerResumesUnfinishedRun: a scheduled sync whose last run did
// not finish its work (stopped by serve stopping, killed, failed, some files
// failed) runs at once when the scheduler starts, so the journal resumes it
// then and not at the next interval or cron time (a day later for a daily
// sync); one that finished, or that the mass-delete guard refused (which
// waits for a person), keeps its rhythm.
func TestSchedulerResumesUnfinishedRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // 2000-01-01 00:00 UTC in the bubble
		ago := start.Add(-10 * time.Minute)
		r := &fakeRunner{}
		l := statusLister{fakeLister: fakeLister{
			{ID: 1, Name: "stopped", Cron: "0 2 * * *", Direction: store.SyncPull},
			{ID: 2, Name: "killed", Every: 24 * time.Hour, Direction: store.SyncPush},
			{ID: 3, Name: "failed", Every: time.Hour, Direction: store.SyncPull},
			{ID: 4, Name: "partial", Every: time.Hour, Direction: store.SyncPull},
			{ID: 5, Name: "ok", Every: time.Hour, Direction: store.SyncPull},
			{ID: 6, Name: "refused", Every: time.Hour, Direction: store.SyncTwoWay},
			// Due at start twice over (on-receive, and its stopped run):
			// it runs once.
			{ID: 7, Name: "on-receive-stopped", Every: time.Hour, OnReceive: true, Folder: "acme/receive", Direction: store.SyncPush},
		}, runs: map[int64]store.SyncRun{
			7: {Started: ago, Status: store.RunStopped},
			1: {Started: ago, Status: store.RunStopped},
			// A kill -9 leaves the run marked running, its holder gone.
			2: {Started: ago, Status: store.RunRunning, Holder: "elsewhere/1/x"},
			3: {Started: ago, Status: store.RunFailed},
			4: {Started: ago, Status: store.RunPartial},
			5: {Started: ago, Status: store.RunOK},
			6: {Started: ago, Status: store.RunRefused},
		}}
		s := NewScheduler(r, l, SchedulerConfig{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		want := []string{"failed", "killed", "on-receive-stopped", "partial", "stopped"}
		if d := cmp.Diff(want, sorted(r.got())); d != "" {
			t.Errorf("runs at start (-want +got):\n%s", d)
		}
		cancel()
		<-done
	})
}
