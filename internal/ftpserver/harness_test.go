package ftpserver_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// testServer is a Wharf server on loopback with one partner ("acme") and
// one staff account ("ops"), both with password testPass.
type testServer struct {
	srv      *ftpserver.Server
	store    *sqlite.Store
	root     string // file root; acme's folders are root/acme/{send,receive}
	addr     string // plain + explicit TLS
	implicit string // implicit TLS
	// stop ends Serve and waits for it to return (cleanup calls it too).
	stop func()
}

const testPass = "correct horse"

// startServer starts a server with cfg's listeners on loopback: the
// implicit one on 127.0.0.1, the plain one there too unless cfg.Listen
// names another loopback address ("[::1]:0").
// mod may change the partner before it is created.
func startServer(t *testing.T, cfg ftpserver.Config, mod ...func(*store.Account)) *testServer {
	t.Helper()
	return startServerWith(t, cfg, nil, mod...)
}

// startServerWith is startServer with a hook to change the server's Options.
func startServerWith(t *testing.T, cfg ftpserver.Config, opt func(*ftpserver.Options), mod ...func(*store.Account)) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	cfg.ListenImplicit = "127.0.0.1:0"
	if cfg.LoginFailDelay == 0 {
		cfg.LoginFailDelay = time.Millisecond
	}
	ts := &testServer{store: st, root: filepath.Join(dir, "files")}
	hash, err := password.Hash(testPass)
	if err != nil {
		t.Fatal(err)
	}
	acme := store.Account{Name: "acme", Kind: store.Partner, PasswordHash: hash}
	for _, m := range mod {
		m(&acme)
	}
	for _, a := range []*store.Account{&acme, {Name: "ops", Kind: store.Staff, PasswordHash: hash}} {
		if err := st.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := ftpserver.EnsureHome(ts.root, *a); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := ftpserver.Options{Store: st, FileRoot: ts.root, DataDir: dir, Logger: logger}
	if opt != nil {
		opt(&o)
	}
	srv, err := ftpserver.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ts.srv, ts.addr, ts.implicit = srv, srv.Addr().String(), srv.ImplicitAddr().String()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		ts.stop()
		st.Close()
	})
	return ts
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(string(p[:len(p)-1]))
	}
	return len(p), nil
}

// port returns addr's port.
func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// clientTLS is a client TLS config for the self-signed test certificate,
// with a session cache and server name so data connections can resume.
func clientTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(8)}
}

// dial logs in with jlaffaye/ftp over explicit TLS (or plain when plain).
func (ts *testServer) dial(t *testing.T, user string, plain bool, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c, err := ts.dialErr(user, testPass, plain, opts...)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	t.Cleanup(func() { c.Quit() })
	return c
}

func (ts *testServer) dialErr(user, pass string, plain bool, opts ...ftp.DialOption) (*ftp.ServerConn, error) {
	opts = append([]ftp.DialOption{ftp.DialWithTimeout(10 * time.Second)}, opts...)
	if !plain {
		opts = append(opts, ftp.DialWithExplicitTLS(clientTLS()))
	}
	c, err := ftp.Dial(ts.addr, opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, pass); err != nil {
		c.Quit()
		return nil, err
	}
	return c, nil
}

// events returns the kinds and paths of all recorded events.
func (ts *testServer) events(t *testing.T) []store.Event {
	t.Helper()
	evs, err := ts.store.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// hasEvent reports whether an event of kind on path was recorded.
func (ts *testServer) hasEvent(t *testing.T, kind, path string) bool {
	for _, e := range ts.events(t) {
		if e.Kind == kind && e.Path == path {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, os.ErrNotExist)
}
