package remote

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// A caller that holds one of the pool's connections and asks for another,
// while the server allows no more (vsftpd max_per_ip=1 under a pool of
// 2), gets the connection-limit error after the pool's retries, not a wait
// that only its ctx ends. This is why the pool dials again rather than
// waiting for one of its own connections to be released: it cannot tell
// whether the caller waiting is the one holding them (here it is; so is a
// download into a pipe whose reader uploads over the same pool).
func TestInteropPoolConnLimitHeldConn(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{MaxPerIP: 1})
	cfg := configFor(s)
	cfg.MaxConns = 2
	p, err := NewPool(cfg, PoolOptions{Logger: testLogger(t), Backoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	held := acquireReady(t, p)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err = p.List(ctx, "/")
	d := time.Since(start)
	if !errors.Is(err, errConnLimit) || ctx.Err() != nil {
		t.Fatalf("List while holding the only connection the server allows: err = %v after %v; want the connection-limit error", err, d)
	}
	if d > 10*time.Second {
		t.Errorf("List took %v to give up", d)
	}
	p.Release(held)
	dials := p.Stats().Dials
	if _, err := p.List(ctx, "/"); err != nil {
		t.Fatalf("List once the connection is released: %v", err)
	}
	if st := p.Stats(); st.Dials != dials {
		t.Errorf("stats %+v: dialled again (%d dials before) instead of using the released connection", st, dials)
	}
}

// acquireReady acquires a connection from p once the server takes it: a
// peer with a per-address limit may still count the session of
// peertest's readiness probe for a moment after it closed (see dialReady).
func acquireReady(t *testing.T, p *Pool) *Conn {
	t.Helper()
	delay := 10 * time.Millisecond
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := p.Acquire(t.Context())
		if err == nil {
			return c
		}
		if !errors.Is(err, errConnLimit) || time.Now().After(deadline) {
			t.Fatalf("Acquire: %v", err)
		}
		select {
		case <-time.After(delay): // polling an external process: it gives no other signal
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}
