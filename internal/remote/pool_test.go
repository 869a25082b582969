package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// 25 parallel transfers through one pool never open more than MaxConns
// connections, and each file arrives intact.
func TestInteropPoolParallel(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{}},
		{"proftpd", peertest.ProFTPD, peertest.Options{}},
		{"pure-ftpd", peertest.PureFTPd, peertest.Options{}},
		{"wharf", peertest.Wharf, peertest.Options{}},
	} {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			poolParallel(t, pr.start(t, pr.opts))
		})
	}
}

func poolParallel(t *testing.T, s *peertest.Server) {
	cfg := configFor(s)
	p, err := NewPool(cfg, PoolOptions{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	var maxOpen atomic.Int64
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			name := fmt.Sprintf("f%02d.bin", i)
			data := bytes.Repeat([]byte{byte(i)}, 256<<10+i)
			if _, err := p.Store(ctx, name, bytes.NewReader(data)); err != nil {
				errs <- err
				return
			}
			if o := int64(p.Stats().Open); o > maxOpen.Load() {
				maxOpen.Store(o)
			}
			var buf bytes.Buffer
			if _, err := p.Retrieve(ctx, name, 0, &buf); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(buf.Bytes(), data) {
				errs <- fmt.Errorf("%s: content differs", name)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := p.Stats()
	if st.Dials > DefaultMaxConns || maxOpen.Load() > DefaultMaxConns {
		t.Errorf("stats %+v, max open %d: more than %d connections", st, maxOpen.Load(), DefaultMaxConns)
	}
	es, err := p.List(ctx, "/")
	if err != nil || len(es) != 50 {
		t.Errorf("List = %d entries, %v; want 50", len(es), err)
	}
}

// Acquire waits for a free slot only as long as ctx allows.
func TestPoolAcquireBoundedByContext(t *testing.T) {
	s := newFake(t).start()
	cfg := s.config()
	cfg.MaxConns = 1
	p, err := NewPool(cfg, PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Acquire err = %v, want DeadlineExceeded", err)
	}
	p.Release(c)
	c2, err := p.Acquire(context.Background())
	if err != nil || c2 != c {
		t.Fatalf("Acquire after Release = %p, %v; want the idle connection %p", c2, err, c)
	}
	p.Release(c2)
	if st := p.Stats(); st.Dials != 1 || st.Idle != 1 {
		t.Errorf("stats %+v, want 1 dial and 1 idle", st)
	}
}

// An idle connection past IdleTimeout is closed and replaced, not reused; a
// stale one (NOOP fails) is replaced and counted.
func TestPoolIdleExpiryAndStale(t *testing.T) {
	s := newFake(t)
	var noopFails atomic.Bool
	s.handlers["NOOP"] = func(fc *fakeConn, _ string) {
		if noopFails.Load() {
			fc.reply("421 timeout, closing")
			fc.c.Close()
			return
		}
		fc.reply("200 ok")
	}
	s.start()
	cfg := s.config()
	cfg.IdleTimeout = time.Minute
	p, err := NewPool(cfg, PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	now := time.Now()
	p.now = func() time.Time { return now }
	ctx := context.Background()
	c, _ := p.Acquire(ctx)
	p.Release(c)
	now = now.Add(2 * time.Minute)
	c2, err := p.Acquire(ctx)
	if err != nil || c2 == c {
		t.Fatalf("Acquire after idle expiry reused the old connection (%v)", err)
	}
	p.Release(c2)
	noopFails.Store(true)
	c3, err := p.Acquire(ctx)
	if err != nil || c3 == c2 {
		t.Fatalf("Acquire with a stale idle connection = %p, %v", c3, err)
	}
	p.Release(c3)
	if st := p.Stats(); st.Dials != 3 || st.Reconnects != 1 {
		t.Errorf("stats %+v, want 3 dials and 1 reconnect", st)
	}
}

// Retries stop at a permanent error and go on after a transient one.
func TestPoolRetryPolicy(t *testing.T) {
	s := newFake(t)
	var deletes atomic.Int64
	s.handlers["DELE"] = func(fc *fakeConn, arg string) {
		n := deletes.Add(1)
		switch {
		case arg == "/perm":
			fc.reply("550 permission denied")
		case n < 3:
			fc.reply("450 busy, try later")
		default:
			fc.reply("250 deleted")
		}
	}
	s.start()
	p, err := NewPool(s.config(), PoolOptions{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	if err := p.Delete(ctx, "tmp"); err != nil {
		t.Fatalf("Delete after two 450s: %v", err)
	}
	deletes.Store(0)
	if err := p.Delete(ctx, "perm"); !isReply(err, 550) || deletes.Load() != 1 {
		t.Fatalf("Delete(perm) = %v after %d tries, want one 550", err, deletes.Load())
	}
	if st := p.Stats(); st.Retries != 2 {
		t.Errorf("stats %+v, want 2 retries", st)
	}
}

// A server restarted under a pooled connection: the next operation finds the
// idle connection stale and reconnects.
func TestInteropPoolServerRestart(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{})
	p, err := NewPool(configFor(s), PoolOptions{Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	if _, err := p.Store(ctx, "a", bytes.NewReader([]byte("one"))); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	if _, err := p.Store(ctx, "b", bytes.NewReader([]byte("two"))); err != nil {
		t.Fatalf("Store after restart: %v", err)
	}
	if st := p.Stats(); st.Reconnects != 1 || st.Dials != 2 {
		t.Errorf("stats %+v, want 1 reconnect and 2 dials", st)
	}
}

// A server that freezes mid-transfer (SIGSTOP) trips the I/O deadline; the
// retry resumes at the right offset once the server is back (C-08).
func TestInteropPoolFrozenServer(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{})
	data := make([]byte, 32<<20) // more than loopback socket buffers hold
	rand.NewChaCha8([32]byte{1}).Read(data)
	s.WriteFile(t, "work/big.bin", data)
	cfg := configFor(s)
	cfg.IOTimeout = 2 * time.Second
	p, err := NewPool(cfg, PoolOptions{
		Logger:  testLogger(t),
		Backoff: time.Millisecond,
		OnRetry: func(int, error) { s.Resume() },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	w := &freezeWriter{after: 1 << 20, freeze: s.Pause}
	n, err := p.Retrieve(context.Background(), "big.bin", 0, w)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) || sha256.Sum256(w.buf.Bytes()) != sha256.Sum256(data) {
		t.Fatalf("Retrieve = %d bytes, content equal %v", n, bytes.Equal(w.buf.Bytes(), data))
	}
	if st := p.Stats(); st.Retries < 1 {
		t.Errorf("stats %+v, want a retry", st)
	}
}

// freezeWriter calls freeze once after `after` bytes.
type freezeWriter struct {
	buf    bytes.Buffer
	after  int
	freeze func()
	done   bool
}

func (w *freezeWriter) Write(p []byte) (int, error) {
	if !w.done && w.buf.Len()+len(p) >= w.after {
		w.done = true
		w.freeze()
	}
	return w.buf.Write(p)
}

// Active mode (PORT) with TLS: we are the TLS client on the connection the
// server opens, and only the control peer may connect.
func TestInteropActiveMode(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{}},
		{"proftpd", peertest.ProFTPD, peertest.Options{}},
		{"pure-ftpd", peertest.PureFTPd, peertest.Options{}},
	} {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			s := pr.start(t, pr.opts)
			cfg := configFor(s)
			cfg.Active = true
			ctx := context.Background()
			c, err := Dial(ctx, cfg, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			data := bytes.Repeat([]byte("active "), 50000)
			if _, err := c.Store(ctx, "a.bin", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := c.Retrieve(ctx, "a.bin", 0, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("Retrieve = %d bytes, %v", buf.Len(), err)
			}
			if es, err := c.List(ctx, "/"); err != nil || len(es) != 1 {
				t.Fatalf("List = %v, %v", es, err)
			}
		})
	}
}

// A 200 MiB round trip per server type keeps its SHA-256.
func TestInteropLargeRoundTrip(t *testing.T) {
	peertest.Interop(t)
	if testing.Short() {
		t.Skip("-short")
	}
	const size = 200 << 20
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{}},
		{"proftpd", peertest.ProFTPD, peertest.Options{}},
		{"pure-ftpd", peertest.PureFTPd, peertest.Options{}},
		{"wharf", peertest.Wharf, peertest.Options{}},
	} {
		t.Run(pr.name, func(t *testing.T) {
			s := pr.start(t, pr.opts)
			p, err := NewPool(configFor(s), PoolOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx := context.Background()
			up := sha256.New()
			src := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{2}), size), up)
			if n, err := p.Store(ctx, "big.bin", src); err != nil || n != size {
				t.Fatalf("Store = %d, %v", n, err)
			}
			down := sha256.New()
			if n, err := p.Retrieve(ctx, "big.bin", 0, down); err != nil || n != size {
				t.Fatalf("Retrieve = %d, %v", n, err)
			}
			if !bytes.Equal(up.Sum(nil), down.Sum(nil)) {
				t.Fatal("SHA-256 differs after the round trip")
			}
		})
	}
}

// A connection that breaks after the server stored the temporary file: the
// retry deletes that file over the new connection and stores again (C-19).
func TestPoolStoreCleansLeftover(t *testing.T) {
	s := newFake(t)
	var first atomic.Bool
	first.Store(true)
	s.handlers["STOR"] = func(fc *fakeConn, arg string) {
		if !first.Swap(false) {
			fc.standard("STOR", arg)
			return
		}
		dc := fc.accept()
		fc.reply("150 go ahead")
		b, _ := io.ReadAll(dc)
		dc.Close()
		fc.s.mu.Lock()
		fc.s.files[arg] = b
		fc.s.mu.Unlock()
		fc.c.Close() // the control connection dies before 226
	}
	s.start()
	p, err := NewPool(s.config(), PoolOptions{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Store(context.Background(), "f.txt", bytes.NewReader([]byte("hello"))); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.files) != 1 || string(s.files["/f.txt"]) != "hello" {
		t.Errorf("files on server: %q", s.files)
	}
}

// A store that fails after reading its source is retried only when the
// source can rewind.
func TestPoolStoreRetryNeedsSeeker(t *testing.T) {
	for _, tt := range []struct {
		name  string
		src   func() io.Reader
		tries int64
		ok    bool
	}{
		{"seeker", func() io.Reader { return bytes.NewReader([]byte("hello")) }, 2, true},
		{"stream", func() io.Reader { return io.MultiReader(strings.NewReader("hello")) }, 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			var tries atomic.Int64
			s.handlers["STOR"] = func(fc *fakeConn, arg string) {
				if tries.Add(1) > 1 {
					fc.standard("STOR", arg)
					return
				}
				dc := fc.accept()
				fc.reply("150 go ahead")
				io.ReadAll(dc)
				dc.Close()
				fc.reply("451 local error in processing")
			}
			s.start()
			p, err := NewPool(s.config(), PoolOptions{Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			_, err = p.Store(context.Background(), "f", tt.src())
			if (err == nil) != tt.ok || tries.Load() != tt.tries {
				t.Fatalf("Store err = %v after %d tries; want ok %v after %d", err, tries.Load(), tt.ok, tt.tries)
			}
		})
	}
}

// Many callers against a server that drops every connection do not storm it:
// after the first failed dials, the rest fail fast until the hold ends (C-15).
func TestPoolDialHold(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepts atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-done }()
	cfg := Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: TLSNever, MaxConns: 50}
	p, err := NewPool(cfg, PoolOptions{MaxAttempts: 3, Backoff: 20 * time.Millisecond, MaxBackoff: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := p.NoOpCheck(context.Background()); err == nil {
				t.Error("operation succeeded against a dead server")
			}
		})
	}
	wg.Wait()
	if n := accepts.Load(); n > 25 {
		t.Errorf("%d connections for 20 callers with 3 attempts each, want the hold to stop retries", n)
	}
	// A lone caller's retries are not held back by its own failures.
	p2, _ := NewPool(cfg, PoolOptions{MaxAttempts: 3, Backoff: 20 * time.Millisecond})
	defer p2.Close()
	before := accepts.Load()
	p2.NoOpCheck(context.Background())
	if n := accepts.Load() - before; n != 3 {
		t.Errorf("lone caller dialled %d times, want 3", n)
	}
}
