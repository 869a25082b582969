package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/secret"
)

// Failures against real peers that each must name their cause and the fix,
// without waiting out a timeout the cause could be known before.

// dialReady dials s until it accepts the login: a peer with a per-address
// limit may still count the session of peertest's readiness probe for a
// moment after it closed.
func dialReady(t *testing.T, cfg Config) *Conn {
	t.Helper()
	delay := 10 * time.Millisecond
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := Dial(context.Background(), cfg, nil)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("Dial: %v", err)
		}
		select {
		case <-time.After(delay): // polling an external process: it gives no other signal
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// A server that allows one session per address turns the second away, at
// the greeting (vsftpd, pure-ftpd: 421) or at the login (ProFTPD: 530).
// The error says the server's connection limit is the cause and names
// --max-conns, never the user or password, and the pool does not hold
// logins back as if the password were wrong.
func TestInteropConnLimit(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{MaxPerIP: 1}},
		{"proftpd", peertest.ProFTPD, peertest.Options{MaxPerIP: 1}},
		{"pure-ftpd", peertest.PureFTPd, peertest.Options{MaxPerIP: 1}},
	} {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			s := pr.start(t, pr.opts)
			cfg := configFor(s)
			first := dialReady(t, cfg)
			defer first.Close()

			_, err := Dial(context.Background(), cfg, nil)
			var le *LoginError
			if err == nil || errors.As(err, &le) || !strings.Contains(err.Error(), "set "+FlagMaxConns) {
				t.Errorf("second Dial: %v\nwant a connection-limit error naming %s, not a refused login", err, FlagMaxConns)
			}
			if !Transient(err) {
				t.Errorf("Transient(%v) = false: a connection frees up when another closes", err)
			}

			named := cfg
			named.Name = "acme"
			st := lastStep(Diagnose(context.Background(), named, nil))
			if st.OK || !strings.Contains(st.Detail, "run `wharf remote set acme "+FlagMaxConns) || strings.Contains(st.Detail, "password") {
				t.Errorf("Diagnose step %s: %q\nwant the --max-conns command and nothing about the password", st.Name, st.Detail)
			}

			p, err := NewPool(cfg, PoolOptions{MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.NoOpCheck(context.Background()); err == nil {
				t.Fatal("pool dialled past the server's limit")
			}
			first.Close()
			c := dialReady(t, cfg) // the server saw the first session end
			c.Close()
			p.mu.Lock()
			refusal := p.refusal
			p.mu.Unlock()
			if refusal != nil {
				t.Errorf("pool holds logins back after a connection-limit refusal: %v", refusal)
			}
		})
	}
}

// A remote root that does not exist, or that the login may not enter, fails
// Diagnose at a root step that names the folder and how to point the remote
// elsewhere. vsftpd lists such a folder as empty (226), so without the
// step the report blamed the upload.
func TestInteropDiagnoseBadRoot(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{}},
		{"proftpd", peertest.ProFTPD, peertest.Options{}},
	} {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			s := pr.start(t, pr.opts)
			// Owned by root, mode 0700: the server's unprivileged user cannot enter it.
			if err := os.Mkdir(filepath.Join(s.Root, "work", "locked"), 0o700); err != nil {
				t.Fatal(err)
			}
			for _, root := range []string{"/work/nope", "/work/locked"} {
				cfg := configFor(s)
				cfg.Root, cfg.Name = root, "acme"
				r := Diagnose(context.Background(), cfg, nil)
				st := lastStep(r)
				if st.OK || st.Name != "root" || !strings.Contains(st.Detail, root) || !strings.Contains(st.Detail, "run `wharf remote set acme --url") {
					t.Errorf("root %s: Diagnose:\n%s\nwant it to fail at a root step naming %s and --url", root, r, root)
				}
			}
			cfg := configFor(s)
			if r := Diagnose(context.Background(), cfg, nil); !r.OK() {
				t.Errorf("root %s: Diagnose:\n%s", cfg.Root, r)
			}
		})
	}
}

// Explicit TLS against an implicit FTPS port: the server waits for a
// ClientHello and never greets. The error says the port speaks implicit
// FTPS and names --tls implicit, well before the dial timeout, in Dial (what
// syncs and mounts see) as in Diagnose, and it is not retried.
func TestInteropExplicitOnImplicitPort(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{TLS: peertest.ImplicitTLS})
	cfg := configFor(s)
	cfg.TLS = TLSExplicit
	cfg.DialTimeout = 15 * time.Second
	start := time.Now()
	_, err := Dial(context.Background(), cfg, nil)
	if d := time.Since(start); d > cfg.DialTimeout/2 {
		t.Errorf("Dial took %v; want the cause known well before the %v dial timeout", d, cfg.DialTimeout)
	}
	if err == nil || !strings.Contains(err.Error(), "implicit FTPS") || !strings.Contains(err.Error(), "set "+FlagTLS+" implicit") {
		t.Errorf("Dial: %v\nwant it to say the port speaks implicit FTPS and name %s implicit", err, FlagTLS)
	}
	if Transient(err) {
		t.Errorf("Transient(%v) = true: every try fails the same way", err)
	}
	cfg.Name = "acme"
	st := lastStep(Diagnose(context.Background(), cfg, nil))
	if st.Name != "greeting" || !strings.Contains(st.Detail, "run `wharf remote set acme --tls implicit`") {
		t.Errorf("Diagnose step %s: %q; want the --tls implicit command", st.Name, st.Detail)
	}
}

// A refused login names the command that sets the right password, and
// never shows the wrong one.
func TestInteropDiagnoseLoginNamesCommand(t *testing.T) {
	peertest.Interop(t)
	s := peertest.ProFTPD(t, peertest.Options{})
	for _, tt := range []struct{ name, user, pass string }{
		{"wrong password", s.User, "Pw-not-this-one-7"},
		{"wrong user", "nosuch", s.Password},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configFor(s)
			cfg.Name, cfg.User, cfg.Password = "acme", tt.user, secret.Secret(tt.pass)
			r := Diagnose(context.Background(), cfg, nil)
			st := lastStep(r)
			if st.Name != "login" || !strings.Contains(st.Detail, "`wharf remote set acme --password-stdin`") || !strings.Contains(st.Detail, "--url") {
				t.Errorf("Diagnose step %s: %q; want the commands that set the password and the user", st.Name, st.Detail)
			}
			if strings.Contains(r.String(), tt.pass) {
				t.Errorf("the password shows in the report:\n%s", r)
			}
		})
	}
}

// killingReader calls kill once n bytes were read.
type killingReader struct {
	r    io.Reader
	n    int64
	kill func()
}

func (k *killingReader) Read(p []byte) (int, error) {
	if k.n <= 0 && k.kill != nil {
		k.kill()
		k.kill = nil
	}
	n, err := k.r.Read(p)
	k.n -= int64(n)
	return n, err
}

// A server that goes away during a transfer (its session killed) gives an
// error saying it closed the connection, not a bare "EOF". vsftpd's
// privileged process, when it outlives the session process by a moment,
// says why itself ("500 OOPS: ..." in clear), which is shown as its own.
func TestInteropServerGoneMidTransfer(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{})
	c := dialReady(t, configFor(s))
	defer c.Close()
	data := bytes.Repeat([]byte("wharf "), 8<<20)
	_, err := c.Store(context.Background(), "big", &killingReader{r: bytes.NewReader(data), n: 1 << 20, kill: s.Kill})
	if err == nil || !strings.Contains(err.Error(), "the server closed the connection") && !strings.Contains(err.Error(), "the server's own error") {
		t.Errorf("Store while the server dies: %v\nwant it to say the server closed the connection", err)
	}
}

// A passive port that cannot be reached (a firewall) on a connection where
// EPSV already worked, so the data command went with the EPSV: the server
// waits for our data connection before it answers that command (vsftpd,
// up to its accept_timeout of 60s). The client does not wait out its own
// I/O timeout for that answer after the dial failed: the failure says what
// happened as soon as the dial does, and what syncs and mounts see names
// the likely cause as Diagnose does. (Against vsftpd with its passive
// ports dropped by tc in a network namespace, each pooled retry of a List
// used to take 60s, 3 minutes in all.)
func TestBlockedPassivePipelinedFailsFast(t *testing.T) {
	s := newFake(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the fake's cleanup
	closed := closedPort(t)
	var mu sync.Mutex
	n := 0
	s.handlers["EPSV"] = func(fc *fakeConn, arg string) {
		mu.Lock()
		n++
		second := n == 2
		mu.Unlock()
		if !second {
			fc.standard("EPSV", arg)
			return
		}
		fc.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", closed))
	}
	s.handlers["LIST"] = func(fc *fakeConn, arg string) {
		mu.Lock()
		second := n == 2
		mu.Unlock()
		if !second {
			fc.standard("LIST", arg)
			return
		}
		<-release // waiting for a data connection that never comes
	}
	// Not empty: an empty "LIST -a" listing is asked again without -a
	// (listAll), which would take the second EPSV.
	s.list = "-rw-r--r-- 1 u g 5 Nov 22 01:30 a\r\n"
	s.start()
	cfg := s.config()
	cfg.IOTimeout = 30 * time.Second
	c := s.dial(cfg)
	ctx := context.Background()
	if _, err := c.List(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.List(ctx, "/")
	if d := time.Since(start); d > cfg.IOTimeout/3 {
		t.Errorf("List with the passive port unreachable took %v; want it to fail soon after the dial", d)
	}
	if !errorsAsData(err) || !Transient(err) || !strings.Contains(err.Error(), "passive port range is probably blocked by a firewall") {
		t.Errorf("List = %v; want a data-connection error, worth a retry, that names the firewall", err)
	}
}
