package remote

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// testClock is a Pool's clock that a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logBuffer collects a logger's text output, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// refusingFake is a fake server that answers PASS with reply while refuse
// is set, and counts the PASS commands it gets.
func refusingFake(t *testing.T, reply string) (s *fakeServer, refuse *atomic.Bool, passes *atomic.Int64) {
	s = newFake(t)
	refuse, passes = new(atomic.Bool), new(atomic.Int64)
	refuse.Store(true)
	s.handlers["PASS"] = func(fc *fakeConn, _ string) {
		passes.Add(1)
		if refuse.Load() {
			fc.reply(reply)
			return
		}
		fc.reply("230 welcome")
	}
	return s.start(), refuse, passes
}

// poolOps are operations of every kind a mount or a sync runs.
var poolOps = []struct {
	name string
	run  func(ctx context.Context, p *Pool) error
}{
	{"list", func(ctx context.Context, p *Pool) error { _, err := p.List(ctx, "/"); return err }},
	{"stat", func(ctx context.Context, p *Pool) error { _, err := p.Stat(ctx, "/f"); return err }},
	{"noop", func(ctx context.Context, p *Pool) error { return p.NoOpCheck(ctx) }},
	{"store", func(ctx context.Context, p *Pool) error {
		_, err := p.Store(ctx, "f", strings.NewReader("x"))
		return err
	}},
	{"retrieve", func(ctx context.Context, p *Pool) error {
		_, err := p.Retrieve(ctx, "f", 0, &bytes.Buffer{})
		return err
	}},
	{"delete", func(ctx context.Context, p *Pool) error { return p.Delete(ctx, "f") }},
}

// A wrong password costs the remote one failed login per hold, however
// many operations come meanwhile: the refusal is never retried, is
// counted as a failed dial, is logged once without the password, and
// every operation fails at once with the remembered error, which says
// what to run. After the hold one login is tried, and the next hold is
// twice as long. A successful login forgets the refusals.
func TestPoolLoginRefusedHeld(t *testing.T) {
	s, refuse, passes := refusingFake(t, "530 Login incorrect.")
	cfg := s.config()
	cfg.Name, cfg.Password = "w2bad", "s3cret-Pa55"
	var logs logBuffer
	p, err := NewPool(cfg, PoolOptions{Logger: logs.logger(), Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	clk := newTestClock()
	p.now = clk.now
	ctx := context.Background()
	t0 := clk.now()

	errs := make([]error, len(poolOps))
	for i, op := range poolOps {
		errs[i] = op.run(ctx, p)
	}
	if n := passes.Load(); n != 1 {
		t.Errorf("%d operations sent PASS %d times, want 1", len(poolOps), n)
	}
	if st := p.Stats(); st.Dials != 1 || st.DialFailures != 1 || st.Retries != 0 || st.Open != 0 {
		t.Errorf("stats %+v, want 1 dial, failed, no retry, nothing open", st)
	}
	for i, op := range poolOps {
		err := errs[i]
		var le *LoginError
		if !errors.As(err, &le) || !isReply(err, 530) || Transient(err) {
			t.Fatalf("%s: err = %v, want a permanent *LoginError with the 530", op.name, err)
		}
		if le.Count != 1 || !le.At.Equal(t0) || !le.Until.Equal(t0.Add(DefaultLoginHold)) {
			t.Errorf("%s: LoginError count %d at %v until %v, want 1 at %v until %v",
				op.name, le.Count, le.At, le.Until, t0, t0.Add(DefaultLoginHold))
		}
		for _, want := range []string{`remote "w2bad"`, "refused the login", "at " + t0.Format(time.RFC3339),
			"Login incorrect", "wharf remote set w2bad --password-stdin"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err %q does not say %q", op.name, err, want)
			}
		}
	}
	out := logs.String()
	if n := strings.Count(out, `msg="remote refused the login"`); n != 1 || !strings.Contains(out, "level=WARN") {
		t.Errorf("%d warnings of the refusal in the log, want 1:\n%s", n, out)
	}
	if strings.Contains(out, "s3cret-Pa55") {
		t.Errorf("password in the log:\n%s", out)
	}

	// The hold ends: one login is tried, refused again, held twice as long.
	clk.advance(DefaultLoginHold + time.Second)
	t1 := clk.now()
	for range 3 {
		err = p.NoOpCheck(ctx)
	}
	var le *LoginError
	if !errors.As(err, &le) || le.Count != 2 || !le.Until.Equal(t1.Add(2*DefaultLoginHold)) ||
		!strings.Contains(err.Error(), "2 times in a row") {
		t.Fatalf("after the hold: err = %v, want the second refusal, held %v", err, 2*DefaultLoginHold)
	}
	if n := passes.Load(); n != 2 {
		t.Errorf("after the hold PASS was sent %d times in all, want 2", n)
	}
	if st := p.Stats(); st.Dials != 2 || st.DialFailures != 2 || st.Retries != 0 {
		t.Errorf("stats %+v, want 2 failed dials", st)
	}

	// The password is fixed on the remote's side: after the hold, the
	// login works, and a later refusal starts from the first hold again.
	refuse.Store(false)
	clk.advance(2*DefaultLoginHold + time.Second)
	if err := p.NoOpCheck(ctx); err != nil {
		t.Fatalf("after the second hold: %v", err)
	}
	refuse.Store(true)
	clk.advance(DefaultIdleTimeout + time.Second) // the idle connection expires
	t2 := clk.now()
	err = p.NoOpCheck(ctx)
	if !errors.As(err, &le) || le.Count != 1 || !le.Until.Equal(t2.Add(DefaultLoginHold)) {
		t.Fatalf("refused after a successful login: err = %v, want a first refusal", err)
	}
	if n := passes.Load(); n != 4 {
		t.Errorf("PASS sent %d times in all, want 4", n)
	}
}

// Callers that arrive together at a new pool whose password is wrong cost
// the remote one failed login, not one each.
func TestPoolLoginRefusedConcurrent(t *testing.T) {
	s, _, passes := refusingFake(t, "530 Login incorrect.")
	p, err := NewPool(s.config(), PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			<-start
			if _, err := p.List(context.Background(), "/"); !errors.As(err, new(*LoginError)) {
				t.Errorf("List err = %v, want a *LoginError", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := passes.Load(); n != 1 {
		t.Errorf("20 callers sent PASS %d times, want 1", n)
	}
	if st := p.Stats(); st.DialFailures != 1 {
		t.Errorf("stats %+v, want 1 failed dial", st)
	}
}

// Which replies to USER and PASS refuse the login (never retried, held)
// and which are worth a retry (421: the server is closing, often for too
// many connections), as before.
func TestPoolLoginReplies(t *testing.T) {
	for _, tt := range []struct {
		reply   string
		refused bool
		passes  int64
	}{
		{"530 Login incorrect.", true, 1},
		{"430 Invalid user name or password", true, 1},
		{"550 Account disabled", true, 1},
		{"421 Too many connections from your IP", false, 3},
	} {
		t.Run(tt.reply[:3], func(t *testing.T) {
			s, _, passes := refusingFake(t, tt.reply)
			p, err := NewPool(s.config(), PoolOptions{MaxAttempts: 3, Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			err = p.NoOpCheck(context.Background())
			if got := errors.As(err, new(*LoginError)); got != tt.refused || Transient(err) == tt.refused {
				t.Errorf("err = %v: LoginError %v, transient %v; want LoginError %v", err, got, Transient(err), tt.refused)
			}
			if n := passes.Load(); n != tt.passes {
				t.Errorf("PASS sent %d times, want %d", n, tt.passes)
			}
			if st := p.Stats(); st.DialFailures != int(tt.passes) {
				t.Errorf("stats %+v, want %d failed dials", st, tt.passes)
			}
		})
	}
}

// A 530 to USER (no PASS asked for) refuses the login as well; outside a
// pool the error reads as it always did.
func TestDialLoginRefusedAtUser(t *testing.T) {
	s := newFake(t)
	s.handlers["USER"] = func(fc *fakeConn, _ string) { fc.reply("530 Not allowed here.") }
	s.start()
	_, err := Dial(context.Background(), s.config(), nil)
	var le *LoginError
	if !errors.As(err, &le) || le.User != "u" || !isReply(err, 530) {
		t.Fatalf("Dial err = %v, want a *LoginError for u with the 530", err)
	}
	if want := `login as "u": 530 "Not allowed here."`; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Dial err = %q, want it to end %q", err, want)
	}
}

// Against real servers with a wrong password, a mount's worth of
// operations is one failed login in the server's own log, until the hold
// ends; then one more.
func TestInteropLoginRefusedHeld(t *testing.T) {
	peertest.Interop(t)
	for _, tt := range []struct {
		peer
		failed string // how the server logs a failed login
	}{
		{peer{"proftpd", peertest.ProFTPD, peertest.Options{}}, "(Login failed)"},
		{peer{"wharf", peertest.Wharf, peertest.Options{}}, `msg="login failed"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.start(t, tt.opts)
			cfg := configFor(s)
			cfg.Name, cfg.Password = "w2bad", "wrong-"+cfg.Password
			p, err := NewPool(cfg, PoolOptions{Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			clk := newTestClock()
			p.now = clk.now
			failures := func() int { return strings.Count(s.Log(), tt.failed) }
			ctx := context.Background()
			var errs []error
			for range 3 {
				for _, op := range poolOps {
					errs = append(errs, op.run(ctx, p))
				}
			}
			waitFor(t, "the failed login in the server's log", func() bool { return failures() >= 1 })
			if st := p.Stats(); st.DialFailures != 1 || st.Retries != 0 {
				t.Errorf("stats %+v, want 1 failed dial and no retry", st)
			}
			for _, err := range errs {
				if !errors.As(err, new(*LoginError)) || !isReply(err, 530) {
					t.Fatalf("err = %v, want a *LoginError with the 530 (%d failed logins in the server's log)", err, failures())
				}
			}
			clk.advance(DefaultLoginHold + time.Second)
			for _, op := range poolOps {
				if err := op.run(ctx, p); !errors.As(err, new(*LoginError)) {
					t.Fatalf("%s after the hold: err = %v, want a *LoginError", op.name, err)
				}
			}
			waitFor(t, "the second failed login in the server's log", func() bool { return failures() >= 2 })
			// Anything the operations before sent would be in the log by now.
			if n := failures(); n != 2 {
				t.Errorf("%d failed logins in the server's log for %d operations, want 2:\n%s", n, 4*len(poolOps), s.Log())
			}
			if st := p.Stats(); st.DialFailures != 2 || st.Dials != 2 {
				t.Errorf("stats %+v, want 2 dials, both failed", st)
			}
		})
	}
}

// waitFor polls cond until it holds, failing t after 10 seconds: a peer's
// log is written by another process, with no other signal.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
