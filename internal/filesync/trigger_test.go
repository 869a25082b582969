package filesync

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestSchedulerRenameTriggers: a file renamed into an on-receive sync's
// folder (a partner renaming a.edi to b.edi, or moving it from a sibling
// folder; a staff user moving a file in) is a file the sync has not sent,
// so it starts the sync as an upload does; without it the file waits for
// the next upload, which may never come.
func TestSchedulerRenameTriggers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		ev := &fakeEvents{}
		s := NewScheduler(r, fakeLister{
			{Name: "acme-in", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPush},
		}, SchedulerConfig{Events: ev})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if d := cmp.Diff([]string{"acme-in"}, r.got()); d != "" {
			t.Fatalf("runs at start (-want +got):\n%s", d)
		}
		ev.add(store.Event{Kind: store.EventRenamed, Account: "acme", Path: "/receive/b.edi", Detail: "from /receive/a.edi"})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if d := cmp.Diff([]string{"acme-in", "acme-in"}, r.got()); d != "" {
			t.Errorf("runs after a rename into the folder (-want +got):\n%s", d)
		}
		// Out of the folder: nothing new to send. An aborted upload
		// published nothing.
		ev.add(store.Event{Kind: store.EventRenamed, Account: "acme", Path: "/send/c.edi", Detail: "from /receive/c.edi"})
		ev.add(store.Event{Kind: store.EventAborted, Account: "acme", Path: "/receive/d.edi", Detail: "upload not published"})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := len(r.got()); n != 2 {
			t.Errorf("%d runs after a rename out of the folder and an aborted upload, want 2", n)
		}
		cancel()
		<-done
	})
}

// bigEventLog is an event log of n old events that counts the events
// the scheduler reads.
type bigEventLog struct {
	fakeEvents
	n    int64
	read atomic.Int64
}

func (b *bigEventLog) Events(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	var out []store.Event
	for id := after + 1; id <= b.n && len(out) < limit; id++ {
		out = append(out, store.Event{ID: id, Kind: store.EventLogin, Account: "acme"})
	}
	b.read.Add(int64(len(out)))
	return out, nil
}

func (b *bigEventLog) LastEvents(ctx context.Context, limit int) ([]store.Event, error) {
	return []store.Event{{ID: b.n, Kind: store.EventLogin, Account: "acme"}}, nil
}

// TestSchedulerStartSkipsOldEvents: at start the scheduler finds where the
// event log ends without reading it through (90 days of a busy server's
// events take seconds to read, and no sync runs meanwhile).
func TestSchedulerStartSkipsOldEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		ev := &bigEventLog{n: 100_000}
		s := NewScheduler(r, fakeLister{
			{Name: "acme-in", Folder: "acme/receive", OnReceive: true, Direction: store.SyncPush},
		}, SchedulerConfig{Events: ev})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if n := ev.read.Load(); n != 0 {
			t.Errorf("read %d old events at start, want 0", n)
		}
		if d := cmp.Diff([]string{"acme-in"}, r.got()); d != "" {
			t.Errorf("runs at start (-want +got):\n%s", d)
		}
		cancel()
		<-done
	})
}
