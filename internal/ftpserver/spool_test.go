package ftpserver_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// refusingEvents is a store whose AddEvent fails while refuse is set, as
// a full disk or a lock held past the busy timeout makes it.
// With block set it waits, as a store locked by another process does,
// until the caller gives up.
type refusingEvents struct {
	store.Store
	refuse, block atomic.Bool
}

func (r *refusingEvents) AddEvent(ctx context.Context, e store.Event) (int64, error) {
	if r.block.Load() {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	if r.refuse.Load() {
		return 0, errors.New("database or disk is full")
	}
	return r.Store.AddEvent(ctx, e)
}

// startRefusing starts a server whose store's AddEvent a test can make
// fail or block.
func startRefusing(t *testing.T) (*testServer, *refusingEvents) {
	var st *refusingEvents
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		st = &refusingEvents{Store: o.Store}
		o.Store = st
	})
	return ts, st
}

// TestLockedStoreDelaysRepliesBriefly: while the store is locked, a
// login and an upload wait for their events only briefly (not the store's
// 10-second busy timeout each), and the events are written once it is
// free.
func TestLockedStoreDelaysRepliesBriefly(t *testing.T) {
	ts, st := startRefusing(t)
	st.block.Store(true)
	start := time.Now()
	c := ts.dial(t, "acme", false)
	if err := c.Stor("/receive/locked.edi", strings.NewReader("order")); err != nil {
		t.Fatalf("upload while the store is locked: %v", err)
	}
	c.Quit()
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("login and upload took %v with the store locked; want a few seconds at most", took)
	}
	st.block.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitFor(ctx, t, "the received event once the store is free", func() bool {
		return ts.hasEvent(t, store.EventReceived, "/receive/locked.edi")
	})
}

// TestEventsKeptWhileStoreRefuses: events the store refuses (the login,
// the received file) are not lost: the upload is still published and
// answered, and once the store takes events again they are written, in
// the order they happened, with the time they happened.
func TestEventsKeptWhileStoreRefuses(t *testing.T) {
	ts, st := startRefusing(t)
	st.refuse.Store(true)
	before := time.Now()
	c := ts.dial(t, "acme", false)
	if err := c.Stor("/receive/a.edi", strings.NewReader("order")); err != nil {
		t.Fatalf("upload while the store refuses events: %v", err)
	}
	c.Quit()
	if b, err := readIfExists(filepath.Join(ts.root, "acme", "receive", "a.edi")); err != nil || string(b) != "order" {
		t.Fatalf("a.edi = %q, %v; want it published", b, err)
	}
	if ts.hasEvent(t, store.EventReceived, "/receive/a.edi") {
		t.Fatal("received event written while the store refused events")
	}
	st.refuse.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitFor(ctx, t, "the spooled received event", func() bool { return ts.hasEvent(t, store.EventReceived, "/receive/a.edi") })
	var kinds []string
	for _, e := range ts.events(t) {
		if e.Account != "acme" {
			continue
		}
		kinds = append(kinds, e.Kind)
		if e.Time.Before(before.Add(-time.Second)) || e.Time.After(before.Add(10*time.Second)) {
			t.Errorf("%s event dated %v, not when it happened (about %v)", e.Kind, e.Time, before)
		}
	}
	if len(kinds) < 2 || kinds[0] != store.EventLogin || kinds[len(kinds)-1] != store.EventReceived {
		t.Errorf("acme's events in the log: %v; want the login first and the received file last", kinds)
	}
}
