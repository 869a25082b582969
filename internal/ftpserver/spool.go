package ftpserver

import (
	"context"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// spool keeps the events the store refused (a full disk, a lock held past
// the busy timeout) and writes them, in order, once it takes them again:
// an event is the audit trail of what a partner was told, and "received"
// starts the --on-receive syncs, so it must not be lost because the store
// failed for a while. Events recorded while some wait go behind them.
type spool struct {
	mu      sync.Mutex
	pending []store.Event
	dropped int // oldest events let go when pending was full
	wake    chan struct{}
}

// spoolMax bounds the events kept in memory; past it the oldest go (and
// are counted in the log), so a store that never recovers cannot use up
// the memory.
const spoolMax = 100_000

func newSpool() *spool { return &spool{wake: make(chan struct{}, 1)} }

// queue adds e behind the events waiting, if any, and reports whether it
// did; else the caller writes e itself.
func (sp *spool) queue(e store.Event, always bool) bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.pending) == 0 && !always {
		return false
	}
	if len(sp.pending) == spoolMax {
		sp.pending = sp.pending[1:]
		sp.dropped++
	}
	sp.pending = append(sp.pending, e)
	select {
	case sp.wake <- struct{}{}:
	default:
	}
	return true
}

// eventWait bounds how long a reply waits for its event to be written:
// a store locked by another process (busy_timeout 10 s) would otherwise
// hold every login and 226 that long. An event not written by then waits
// in the spool.
const eventWait = 2 * time.Second

// record stores an event; a store failure is logged, never shown to the
// client, and does not undo the operation: the event waits in the spool
// until the store takes it.
func (s *Server) record(e store.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if s.spool.queue(e, false) {
		return
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	ctx, cancelWait := context.WithTimeout(ctx, eventWait)
	defer cancelWait()
	if _, err := s.store.AddEvent(ctx, e); err != nil {
		s.log.Error("record event; kept to write again", "kind", e.Kind, "path", e.Path, "err", err)
		s.spool.queue(e, true)
	}
}

// flushEvents writes the spooled events as the store takes them, retrying
// at growing intervals (1 s to 30 s), until ctx ends; then it tries once
// more, for up to final, and logs what it could not write.
func (s *Server) flushEvents(ctx context.Context, final time.Duration) {
	wait := time.Second
	for {
		var retry <-chan time.Time
		if s.spool.waiting() > 0 {
			retry = time.After(wait)
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), final)
			s.writeSpooled(fctx)
			cancel()
			if n := s.spool.waiting(); n > 0 {
				s.log.Error("events not recorded: the store did not take them before the server stopped", "events", n)
			}
			return
		case <-s.spool.wake:
			continue // wait before the first retry
		case <-retry:
		}
		if s.writeSpooled(ctx) {
			wait = time.Second
		} else {
			wait = min(2*wait, 30*time.Second)
		}
	}
}

func (sp *spool) waiting() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return len(sp.pending)
}

// writeSpooled writes the waiting events in order until the store fails
// or none is left, and reports whether none is.
func (s *Server) writeSpooled(ctx context.Context) bool {
	sp := s.spool
	for {
		sp.mu.Lock()
		if len(sp.pending) == 0 {
			sp.mu.Unlock()
			return true
		}
		e, dropped := sp.pending[0], sp.dropped
		sp.dropped = 0
		sp.mu.Unlock()
		if dropped > 0 {
			s.log.Error("events lost: the store refused them for too long", "events", dropped)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.store.AddEvent(wctx, e)
		cancel()
		if err != nil {
			return false
		}
		sp.mu.Lock()
		if len(sp.pending) > 0 && sp.pending[0] == e {
			sp.pending = sp.pending[1:]
		}
		sp.mu.Unlock()
	}
}
