package ftpserver_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// The replies these tests pin.
const (
	replyTLSRequired  = "TLS is required: use AUTH TLS (explicit FTPS) or the implicit FTPS port"
	replyProtCRefused = "PROT C refused: this server requires protected data connections; use PROT P"
	replyLoggedIn     = "Already logged in: to use another account, open a new connection"
	replyProtChanged  = "unable to open transfer: the data connection does not have this PROT setting: it was set up before PROT "
)

// acmePlain lets the partner acme use plain FTP; the staff account ops
// still needs TLS.
func acmePlain(a *store.Account) {
	yes := true
	a.Policy.AllowPlain = &yes
}

// want fails the test unless r answers line with code and a text holding
// text.
func (r *rawFTP) want(line string, code int, text string) {
	r.t.Helper()
	if got, msg := r.cmd(line); got != code || !strings.Contains(msg, text) {
		r.t.Errorf("%s = %d %s, want %d %s", line, got, msg, code, text)
	}
}

// TestUserCannotLaunderTLSRequirement: the TLS requirement is the account's
// that logs in, whichever names USER gave before. A USER naming an account
// that may use plain FTP relaxes nothing for the next USER.
func TestUserCannotLaunderTLSRequirement(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{}, acmePlain)
	writeFile(t, filepath.Join(ts.root, "acme", "send", "secret.edi"), []byte("SECRET-PAYLOAD"))

	t.Run("plain control", func(t *testing.T) {
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r.want("USER acme", 331, "")
		// Refused at USER, before the password crosses the wire.
		r.want("USER ops", 530, replyTLSRequired)
		if closed, rest := r.closed(); !closed {
			t.Errorf("connection still open after the refusal (then %q)", rest)
		}
		refused := false
		for _, e := range ts.events(t) {
			refused = refused || e.Kind == store.EventLoginFailed && e.Account == "ops" && strings.Contains(e.Detail, "TLS required")
		}
		if !refused {
			t.Errorf("no login_failed event for ops without TLS: %+v", ts.events(t))
		}
	})
	t.Run("plain control, PROT C before the switch", func(t *testing.T) {
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r.want("USER acme", 331, "")
		r = r.startTLS(t)
		r.want("PBSZ 0", 200, "")
		// acme may have clear data; whether PROT C is taken before PASS
		// or not, none of it may reach ops.
		if code, msg := r.cmd("PROT C"); code != 200 && code != 534 {
			t.Errorf("PROT C after USER acme = %d %s, want 200 or 534", code, msg)
		}
		r.login("ops")
		r.want("PROT C", 534, replyProtCRefused)
		// The PROT C given for acme holds no data connection open for ops.
		code, msg, data := r.retr(t, "127.0.0.1", "/acme/send/secret.edi")
		if code != 521 || !strings.Contains(msg, "send PBSZ 0 and PROT P first") || data != "" {
			t.Errorf("RETR by ops under acme's PROT C = %d %s (data %q), want 521 saying to send PROT P", code, msg, data)
		}
	})
	t.Run("TLS control", func(t *testing.T) {
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r = r.startTLS(t)
		r.want("USER acme", 331, "")
		r.login("ops")
		r.want("PBSZ 0", 200, "")
		r.want("PROT C", 534, replyProtCRefused)
	})
	t.Run("plain-allowed account over plain", func(t *testing.T) {
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r.want("USER ops", 530, replyTLSRequired)
		r, _, _ = rawDial(t, "127.0.0.1", ts.addr)
		r.login("acme")
		if code, msg, data := r.retr(t, "127.0.0.1", "/send/secret.edi"); code != 226 || data != "SECRET-PAYLOAD" {
			t.Errorf("plain RETR by acme = %d %s (data %q), want 226 and the file", code, msg, data)
		}
	})
}

// TestUserRefusedOnceLoggedIn: USER and PASS after login get 503; the
// session stays the logged-in account's, TLS requirement included.
func TestUserRefusedOnceLoggedIn(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{}, acmePlain)
	t.Run("TLS-only account", func(t *testing.T) {
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r = r.startTLS(t)
		r.login("ops")
		r.want("PBSZ 0", 200, "")
		r.want("PROT C", 534, replyProtCRefused)
		r.want("USER acme", 503, replyLoggedIn)
		r.want("PASS "+testPass, 503, replyLoggedIn)
		r.want("PROT C", 534, replyProtCRefused)
		r.want("NOOP", 200, "")
	})
	t.Run("plain-allowed account", func(t *testing.T) {
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r = r.startTLS(t)
		r.login("acme")
		r.want("PBSZ 0", 200, "")
		r.want("PROT C", 200, "")
		r.want("USER ops", 503, replyLoggedIn)
		r.want("NOOP", 200, "")
	})
}

// retrProtected runs RETR p over a TLS passive data connection and returns
// the final reply and the data read.
func (r *rawFTP) retrProtected(t *testing.T, p string) (int, string, string) {
	t.Helper()
	dc, err := dialFrom(t, "127.0.0.1", r.pasv())
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	defer dc.Close()
	r.send("RETR " + p + "\r\n")
	if code, msg, err := r.reply(); err != nil || code != 150 {
		t.Fatalf("RETR %s = %d %s %v, want 150", p, code, msg, err)
	}
	tc := tls.Client(dc, clientTLS())
	_ = tc.SetReadDeadline(time.Now().Add(clientTimeout))
	b, err := io.ReadAll(tc)
	if err != nil {
		t.Errorf("RETR %s over TLS: %v", p, err)
	}
	code, msg, err := r.reply()
	if err != nil {
		t.Fatalf("RETR %s: final reply: %v", p, err)
	}
	return code, msg, string(b)
}

// refusedData sends cmd with a data connection dialled to addr and checks
// that it is refused with 521 saying the data connection predates the PROT
// named, and that the data connection carries nothing.
func (r *rawFTP) refusedData(t *testing.T, addr, cmd, prot string) {
	t.Helper()
	dc, err := dialFrom(t, "127.0.0.1", addr)
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	defer dc.Close()
	r.want(cmd, 521, replyProtChanged+prot+"; send PASV or EPSV (or PORT or EPRT) again")
	// The stale listener is closed: the connection ends, unused.
	_ = dc.SetReadDeadline(time.Now().Add(clientTimeout))
	if b, _ := io.ReadAll(dc); len(b) != 0 {
		t.Errorf("%s sent %q over a data connection set up before PROT %s", cmd, b, prot)
	}
	// NOOP waits for cmd's goroutine: the session goes on.
	r.want("NOOP", 200, "")
}

// TestDataConnectionKeepsItsPROT: a data connection has the protection of
// the PROT in force when PASV, EPSV, PORT or EPRT set it up. A PROT since
// then refuses the transfer with 521, so no file goes clear after PROT P.
func TestDataConnectionKeepsItsPROT(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{ActiveMode: true}, acmePlain)
	const payload = "SECRET-PAYLOAD"
	writeFile(t, filepath.Join(ts.root, "acme", "send", "secret.edi"), []byte(payload))
	tlsLogin := func(t *testing.T, user string) *rawFTP {
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r = r.startTLS(t)
		r.login(user)
		r.want("TYPE I", 200, "")
		return r
	}

	t.Run("PASV before PROT P", func(t *testing.T) {
		r := tlsLogin(t, "ops")
		addr := r.pasv()
		r.want("PBSZ 0", 200, "")
		r.want("PROT P", 200, "")
		r.refusedData(t, addr, "RETR /acme/send/secret.edi", "P")
		// PASV after PROT P: a TLS data connection.
		if code, msg, data := r.retrProtected(t, "/acme/send/secret.edi"); code != 226 || data != payload {
			t.Errorf("RETR after PROT P then PASV = %d %s (data %q), want 226 and the file", code, msg, data)
		}
	})
	t.Run("EPSV before PROT P, upload", func(t *testing.T) {
		r := tlsLogin(t, "ops")
		code, msg := r.cmd("EPSV")
		var port int
		if i := strings.Index(msg, "(|||"); code != 229 || i < 0 {
			t.Fatalf("EPSV = %d %s, want 229", code, msg)
		} else if _, err := fmt.Sscanf(msg[i+4:], "%d", &port); err != nil {
			t.Fatalf("EPSV reply %q: %v", msg, err)
		}
		r.want("PBSZ 0", 200, "")
		r.want("PROT P", 200, "")
		r.refusedData(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), "STOR /acme/receive/up.edi", "P")
		if _, err := os.Stat(filepath.Join(ts.root, "acme", "receive", "up.edi")); !os.IsNotExist(err) {
			t.Errorf("refused upload stored up.edi (stat: %v)", err)
		}
		if ts.hasEvent(t, store.EventReceived, "/acme/receive/up.edi") {
			t.Errorf("received event for a refused upload")
		}
	})
	t.Run("PORT before PROT P", func(t *testing.T) {
		r := tlsLogin(t, "ops")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan int, 1)
		go func() {
			n := 0
			for {
				c, err := ln.Accept()
				if err != nil {
					got <- n
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(clientTimeout))
				b, _ := io.ReadAll(c)
				n += len(b)
				c.Close()
			}
		}()
		r.want("PORT "+portArg("127.0.0.1", port(ln.Addr().String())), 200, "")
		r.want("PBSZ 0", 200, "")
		r.want("PROT P", 200, "")
		r.want("RETR /acme/send/secret.edi", 521, replyProtChanged+"P")
		r.want("NOOP", 200, "")
		ln.Close()
		if n := <-got; n != 0 {
			t.Errorf("active RETR sent %d bytes over a data connection set up before PROT P", n)
		}
	})
	t.Run("PASV before PROT C", func(t *testing.T) {
		r := tlsLogin(t, "acme")
		r.want("PBSZ 0", 200, "")
		r.want("PROT P", 200, "")
		addr := r.pasv()
		r.want("PROT C", 200, "")
		r.refusedData(t, addr, "RETR /send/secret.edi", "C")
		// PASV after PROT C: clear data, for an account that may have it.
		if code, msg, data := r.retr(t, "127.0.0.1", "/send/secret.edi"); code != 226 || data != payload {
			t.Errorf("RETR after PROT C then PASV = %d %s (data %q), want 226 and the file", code, msg, data)
		}
	})
}
