package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/textproto"
	"sync"
	"time"
)

// session is an idle, logged-in FTPS control connection.
type session struct {
	conn net.Conn
	tp   *textproto.Conn
	dead bool // failed a NOOP; checkSessions skips it
}

// login opens a control connection, upgrades it with AUTH TLS and logs in.
func login(ctx context.Context, s *server) (*session, error) {
	// No keepalive from this side: the sessions stand in for 2,000 partner
	// machines, and 2,000 probes from one process every 15 s (Go's
	// default), all in step because the sessions logged in together,
	// overflowed loopback's backlog and timed sessions out.
	d := net.Dialer{KeepAlive: -1}
	c, err := d.DialContext(ctx, "tcp", s.addr())
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	fail := func(err error) (*session, error) { c.Close(); return nil, err }
	tp := textproto.NewConn(c)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return fail(fmt.Errorf("greeting: %w", err))
	}
	if _, err := tp.Cmd("AUTH TLS"); err != nil {
		return fail(err)
	}
	if _, _, err := tp.ReadResponse(234); err != nil {
		return fail(fmt.Errorf("AUTH TLS: %w", err))
	}
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "127.0.0.1"})
	if err := tc.HandshakeContext(ctx); err != nil {
		return fail(fmt.Errorf("TLS handshake: %w", err))
	}
	tp = textproto.NewConn(tc)
	steps := []struct {
		cmd  string
		code int
	}{{"USER " + s.user, 331}, {"PASS " + s.password, 230}}
	for _, st := range steps {
		if _, err := tp.Cmd("%s", st.cmd); err != nil {
			return fail(err)
		}
		if _, _, err := tp.ReadResponse(st.code); err != nil {
			return fail(fmt.Errorf("%s: %w", st.cmd[:4], err))
		}
	}
	tc.SetDeadline(time.Time{})
	return &session{conn: tc, tp: tp}, nil
}

// noop checks that a session is still logged in; it also resets the
// server's idle timer.
func (se *session) noop() error {
	se.conn.SetDeadline(time.Now().Add(30 * time.Second))
	defer se.conn.SetDeadline(time.Time{})
	if _, err := se.tp.Cmd("NOOP"); err != nil {
		return err
	}
	_, _, err := se.tp.ReadResponse(200)
	return err
}

// openSessions logs in n sessions, parallel at a time. On error it closes the
// ones it opened.
func openSessions(ctx context.Context, s *server, n, parallel int) ([]*session, error) {
	out := make([]*session, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(parallel, 1) {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = login(ctx, s)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	var first error
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			if first == nil {
				first = fmt.Errorf("session %d: %w", i, err)
			}
		}
	}
	if first != nil {
		closeSessions(out)
		return nil, fmt.Errorf("%s: %d of %d logins failed; first: %w", s.name, failed, n, first)
	}
	return out, nil
}

// checkSessions sends NOOP on every session that answered the last time,
// marks the ones that fail dead, and returns how many answered and the first
// failure.
func checkSessions(ss []*session, parallel int) (int, error) {
	var mu sync.Mutex
	alive := 0
	var first error
	var wg sync.WaitGroup
	next := make(chan *session)
	for range max(parallel, 1) {
		wg.Go(func() {
			for se := range next {
				err := se.noop()
				mu.Lock()
				if err == nil {
					alive++
				} else {
					se.dead = true
					if first == nil {
						first = err
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, se := range ss {
		if !se.dead {
			next <- se
		}
	}
	close(next)
	wg.Wait()
	return alive, first
}

func closeSessions(ss []*session) {
	for _, se := range ss {
		if se != nil {
			se.conn.Close()
		}
	}
}
