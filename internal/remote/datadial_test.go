package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// blackholePort returns a port on 127.0.0.1 where a TCP dial times out, as
// one to a passive port behind a firewall that drops packets does: a
// listener whose accept queue, cut to a backlog of 0 by a second listen(2)
// (Linux takes it on a listening socket), holds one connection that is
// never accepted, so the kernel drops every further SYN.
func blackholePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), 0) }); err != nil || lerr != nil {
		t.Fatalf("listen(2) with backlog 0: %v %v", err, lerr)
	}
	addr := ln.Addr().String()
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			t.Cleanup(func() { c.Close() }) // fills the queue
			continue
		}
		if !isTimeout(err) {
			t.Fatal(err)
		}
		return ln.Addr().(*net.TCPAddr).Port
	}
	t.Skip("the kernel accepts connections past a full accept queue: no dial timeout to stage on loopback")
	return 0
}

// A data connection that cannot be opened while the control connection
// works (a firewall in front of the passive ports) is retried once, not
// MaxAttempts times: each try pays the dial timeout, and the error already
// says what to do. Before, a List against such a remote took four times
// the 15s dial timeout (plus 2s for each pipelined reply) to fail. Other
// transient failures keep every attempt.
func TestPoolDataDialRetriedOnce(t *testing.T) {
	tests := []struct {
		name      string
		port      func(t *testing.T) int // the passive port EPSV names; nil: a working one
		list      string                 // the reply to LIST; "": the standard one
		wantTries int
		want      func(error) bool
	}{
		{"dial timed out", blackholePort, "425 Can't open data connection", 2, isFirewallErr},
		{"dial refused", closedPort, "425 Can't open data connection", 2, isFirewallErr},
		{"busy server", nil, "450 busy, try later", 4, func(err error) bool { return isReply(err, 450) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			var epsv atomic.Int64
			port := 0
			if tt.port != nil {
				port = tt.port(t)
			}
			s.handlers["EPSV"] = func(fc *fakeConn, arg string) {
				epsv.Add(1)
				if port == 0 {
					fc.standard("EPSV", arg)
					return
				}
				fc.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
			}
			// At once, as a server that saw no data connection coming:
			// the reply to a LIST sent with EPSV is not waited for.
			s.handlers["LIST"] = func(fc *fakeConn, _ string) { fc.reply(tt.list) }
			s.start()
			cfg := s.config()
			cfg.DialTimeout = 300 * time.Millisecond
			p, err := NewPool(cfg, PoolOptions{Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			start := time.Now()
			_, err = p.List(context.Background(), "/")
			d := time.Since(start)
			if !tt.want(err) {
				t.Errorf("List err = %v", err)
			}
			if n := epsv.Load(); n != int64(tt.wantTries) {
				t.Errorf("List tried %d times in %v, want %d", n, d, tt.wantTries)
			}
			if st := p.Stats(); st.Retries != tt.wantTries-1 {
				t.Errorf("stats %+v, want %d retries", st, tt.wantTries-1)
			}
		})
	}
}

func isFirewallErr(err error) bool {
	return errorsAsData(err) && strings.Contains(err.Error(), "passive port range is probably blocked by a firewall")
}

// A data dial that the dial timeout ends is always worth its one retry.
// net reports the end of a Dialer's Timeout as os.ErrDeadlineExceeded or,
// when its context timer wins the race (a third of the time here), as an
// error that matches context.DeadlineExceeded, which Transient takes for
// the caller's ctx ending.
func TestDataDialTimeoutTransient(t *testing.T) {
	port := blackholePort(t)
	s := newFake(t)
	s.handlers["EPSV"] = func(fc *fakeConn, _ string) {
		fc.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
	}
	s.handlers["LIST"] = func(fc *fakeConn, _ string) { fc.reply("425 Can't open data connection") }
	s.start()
	c := s.dial(Config{})
	c.cfg.DialTimeout = 10 * time.Millisecond
	for i := range 20 {
		_, err := c.List(context.Background(), "/")
		if !isTimeout(err) || !errorsAsData(err) || !Transient(err) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("List %d: err = %v, Transient %v; want a transient data-connection timeout", i, err, Transient(err))
		}
	}
}
