package ftpserver_test

// Raw control-connection tests: commands and connection patterns that
// real clients do not produce, against the same loopback server.

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropRawPreLogin: every command that needs a login gets 530
// before it, and changes nothing.
func TestInteropRawPreLogin(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true, ActiveMode: true})
	c, code, _ := rawDial(t, "", ts.addr)
	if code != 220 {
		t.Fatalf("greeting %d, want 220", code)
	}
	for _, cmd := range []string{
		"LIST", "NLST", "MLSD /", "MLST /send", "RETR /send/a.edi", "STOR /receive/x.edi", "APPE /receive/x.edi",
		"STOU", "CWD /send", "CDUP", "PWD", "MKD /receive/d", "RMD /receive", "DELE /receive/x", "RNFR /send",
		"RNTO /x", "SIZE /send/a.edi", "MDTM /send/a.edi", "PASV", "EPSV", "PORT 127,0,0,1,200,10",
		"EPRT |1|127.0.0.1|51210|", "REST 10", "ALLO 10", "STAT /send", "HASH /send/a.edi", "MFMT 20200101000000 /send/a.edi",
		"SITE CHMOD 777 /send", "TYPE I", "MODE S", "STRU F",
	} {
		if code, msg := c.cmd(cmd); code != 530 {
			t.Errorf("%s before login = %d %s, want 530", cmd, code, msg)
		}
	}
	if got := tree(t, ts.root); len(got) != 0 {
		t.Errorf("files appeared before login: %v", got)
	}
	if got := dirNames(t, filepath.Join(ts.root, "acme", "receive")); len(got) != 0 {
		t.Errorf("receive/ holds %q after pre-login commands", got)
	}
	if code, msg := c.cmd("NOOP"); code != 200 {
		t.Errorf("NOOP after the refusals = %d %s, want 200 (session alive)", code, msg)
	}
}

// TestInteropRawConfinement: a partner cannot leave its root by "..",
// absolute host paths or names with CR, LF or NUL.
func TestInteropRawConfinement(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	const secret = "SECRET-OUTSIDE-ROOT"
	writeFile(t, filepath.Join(ts.root, "secret.txt"), []byte(secret))
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte("in-root"))
	abs := filepath.ToSlash(filepath.Join(ts.root, "secret.txt"))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")

	for _, cwd := range []string{"..", "../..", "/..", "/../..", "////", "/./.", "/send/../../..", filepath.Dir(abs)} {
		c.cmd("CWD " + cwd) // 250 or 550; either way PWD stays inside
		if code, msg := c.cmd("PWD"); code != 257 || !strings.HasPrefix(msg, `"/"`) {
			t.Errorf("CWD %s; PWD = %d %s, want 257 \"/\"", cwd, code, msg)
		}
		c.cmd("CWD /")
	}
	for _, p := range []string{"../secret.txt", "/../secret.txt", "/send/../../secret.txt", "../../../../../../.." + abs, abs, "%2e%2e/secret.txt", `..\secret.txt`, `\..\secret.txt`} {
		for _, verb := range []string{"SIZE", "MDTM", "MLST"} {
			code, msg := c.cmd(verb + " " + p)
			if code != 550 && code != 501 && code != 553 {
				t.Errorf("%s %s = %d %s, want 550", verb, p, code, msg)
			}
			if strings.Contains(msg, ts.root) && !strings.Contains(p, ts.root) {
				t.Errorf("%s %s reply reveals the host path: %s", verb, p, msg)
			}
		}
		code, msg, data := c.retr(t, "", p)
		if code == 226 || strings.Contains(data, secret) {
			t.Errorf("RETR %s = %d %s with %d bytes; want a refusal", p, code, msg, len(data))
		}
	}
	// The in-root control: the same path spelled inside the root works.
	if code, msg, data := c.retr(t, "", "/send/../send/a.edi"); code != 226 || data != "in-root" {
		t.Errorf("RETR /send/../send/a.edi = %d %s %q, want 226 \"in-root\"", code, msg, data)
	}

	// CR, LF and NUL inside arguments (a bare CR mid-line, NUL anywhere).
	for _, line := range []string{
		"MKD /receive/a\rb", "MKD /receive/a\x00b", "RNFR /receive/x\ry",
		"DELE /receive/a\rDELE b", "SIZE /send/a.edi\r\x00", "CWD /receive\rCWD /..",
	} {
		c.send(line + "\r\n")
		code, msg, err := c.reply()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if code < 500 {
			t.Errorf("%q = %d %s, want 5xx", line, code, msg)
		}
	}
	for _, name := range []string{"x\ry.edi", "x\x00y.edi", "../x.edi"} {
		if code, msg := c.stor(t, "/receive/"+name, "payload"); code == 226 {
			t.Errorf("STOR /receive/%q = %d %s, want a refusal", name, code, msg)
		}
	}
	if got := dirNames(t, filepath.Join(ts.root, "acme", "receive")); len(got) != 0 {
		t.Errorf("receive/ holds %q after bad names", got)
	}
	if got := dirNames(t, filepath.Join(ts.root, "acme")); strings.Join(got, ",") != "receive,send" {
		t.Errorf("acme/ holds %q, want [receive send]", got)
	}
	if code, msg := c.cmd("NOOP"); code != 200 {
		t.Errorf("NOOP = %d %s: the session did not survive", code, msg)
	}
}

// retr runs RETR p over a passive connection from local address from
// and returns the final reply and the data read.
func (r *rawFTP) retr(t *testing.T, from, p string) (int, string, string) {
	t.Helper()
	data := r.pasv()
	dc, err := dialFrom(t, from, data)
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	defer dc.Close()
	r.send("RETR " + p + "\r\n")
	code, msg, err := r.reply()
	if err != nil {
		t.Fatalf("RETR %s: %v", p, err)
	}
	if code != 150 {
		return code, msg, ""
	}
	_ = dc.SetReadDeadline(time.Now().Add(clientTimeout))
	b, _ := io.ReadAll(dc)
	code, msg, err = r.reply()
	if err != nil {
		t.Fatalf("RETR %s: final reply: %v", p, err)
	}
	return code, msg, string(b)
}

// stor runs STOR p with payload over a passive connection.
func (r *rawFTP) stor(t *testing.T, p, payload string) (int, string) {
	t.Helper()
	data := r.pasv()
	dc, err := dialFrom(t, "", data)
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	defer dc.Close()
	r.send("STOR " + p + "\r\n")
	code, msg, err := r.reply()
	if err != nil {
		t.Fatalf("STOR %q: %v", p, err)
	}
	if code != 150 {
		return code, msg
	}
	_, _ = io.WriteString(dc, payload)
	dc.Close()
	code, msg, err = r.reply()
	if err != nil {
		t.Fatalf("STOR %q: final reply: %v", p, err)
	}
	return code, msg
}

// TestInteropRawPassiveOtherIP: a connection to the PASV port from another
// address than the control connection's gets nothing, and the session
// keeps working.
func TestInteropRawPassiveOtherIP(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	data := strings.Repeat("ISA*00*SECRET~", 1000)
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte(data))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")

	addr := c.pasv()
	thief, err := dialFrom(t, "127.0.0.2", addr)
	if err != nil {
		t.Fatalf("connect to the PASV port from 127.0.0.2: %v", err)
	}
	defer thief.Close()
	c.send("RETR /send/a.edi\r\n")
	code, msg, err := c.reply()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		_ = thief.SetReadDeadline(time.Now().Add(clientTimeout))
		b, _ := io.ReadAll(thief)
		got <- string(b)
	}()
	switch code {
	case 425: // refused: the first connection came from the wrong address
	case 150: // the server waits for the right peer; the thief must see nothing
		t.Logf("RETR = 150 with a foreign connection pending; the real client did not connect")
		code, msg, err = c.reply()
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("RETR ended %d %s without the real client connecting", code, msg)
	default:
		t.Errorf("RETR with a foreign data connection = %d %s, want 425", code, msg)
	}
	thief.Close()
	if b := <-got; b != "" {
		t.Errorf("the connection from 127.0.0.2 received %d bytes", len(b))
	}
	if code, msg, b := c.retr(t, "127.0.0.1", "/send/a.edi"); code != 226 || b != data {
		t.Errorf("RETR after the refused theft = %d %s, %d bytes; want 226 and the file", code, msg, len(b))
	}
	// The whole session from 127.0.0.2 as control and 127.0.0.1 as data.
	c2, _, _ := rawDial(t, "127.0.0.2", ts.addr)
	c2.login("acme")
	if code, msg, b := c2.retr(t, "127.0.0.1", "/send/a.edi"); code == 226 || b != "" {
		t.Errorf("RETR with control from 127.0.0.2 and data from 127.0.0.1 = %d %s, %d bytes; want a refusal", code, msg, len(b))
	}
}

// TestInteropRawActive: PORT/EPRT to a privileged port or to another host
// is refused and never connected; a correct PORT works; with active mode
// off PORT and EPRT get 500/502.
func TestInteropRawActive(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true, ActiveMode: true})
	data := "ST*850*0001~"
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte(data))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")

	other, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	op := other.Addr().(*net.TCPAddr).Port
	for _, cmd := range []string{
		"PORT 127,0,0,1,0,25", "PORT 127,0,0,1,0,21", "EPRT |1|127.0.0.1|25|", "EPRT |1|127.0.0.1|1023|",
		"PORT " + portArg("127.0.0.2", op), "EPRT |1|127.0.0.2|" + strconv.Itoa(op) + "|",
		"PORT " + portArg("127.0.0.3", 5555), "EPRT |2|::1|5555|", "EPRT |3|x|1|", "PORT 127,0,0,1,300,1",
	} {
		code, msg := c.cmd(cmd)
		if code < 500 {
			t.Errorf("%s = %d %s, want 5xx", cmd, code, msg)
		}
		// A RETR now must not connect anywhere.
		code, msg = c.cmd("RETR /send/a.edi")
		if code == 150 {
			t.Errorf("after refused %s, RETR = %d %s", cmd, code, msg)
			c.reply()
		}
	}
	_ = other.(*net.TCPListener).SetDeadline(time.Now().Add(100 * time.Millisecond))
	if conn, err := other.Accept(); err == nil {
		conn.Close()
		t.Errorf("the server connected to 127.0.0.2 (FTP bounce)")
	}

	// Control: PORT to the client's own address and a high port works.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if code, msg := c.cmd("PORT " + portArg("127.0.0.1", ln.Addr().(*net.TCPAddr).Port)); code != 200 {
		t.Fatalf("PORT to own high port = %d %s, want 200", code, msg)
	}
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- "accept: " + err.Error()
			return
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
		b, _ := io.ReadAll(conn)
		got <- string(b)
	}()
	if code, msg := c.cmd("RETR /send/a.edi"); code != 150 {
		t.Fatalf("RETR (active) = %d %s, want 150", code, msg)
	}
	if b := <-got; b != data {
		t.Errorf("active RETR delivered %q, want %q", b, data)
	}
	if code, msg, err := c.reply(); err != nil || code != 226 {
		t.Errorf("active RETR final reply = %d %s %v, want 226", code, msg, err)
	}

	t.Run("disabled", func(t *testing.T) {
		ts := startServer(t, ftpserver.Config{AllowPlain: true})
		c, _, _ := rawDial(t, "", ts.addr)
		c.login("acme")
		for _, cmd := range []string{"PORT 127,0,0,1,117,48", "EPRT |1|127.0.0.1|30000|"} {
			if code, msg := c.cmd(cmd); code != 500 && code != 502 {
				t.Errorf("%s with active mode off = %d %s, want 500 or 502", cmd, code, msg)
			}
		}
		if code, msg := c.cmd("NOOP"); code != 200 {
			t.Errorf("NOOP after refused PORT = %d %s: session closed", code, msg)
		}
	})
}

// TestInteropRawLongLine: an oversized command line is refused and the
// server keeps serving.
func TestInteropRawLongLine(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	go c.conn.Write([]byte("NOOP " + strings.Repeat("A", 70000) + "\r\n")) // the server may stop reading
	closed, sent := c.closed()
	if !closed {
		t.Fatalf("connection still open %v after a 70000-byte line", clientTimeout)
	}
	t.Run("reply", func(t *testing.T) {
		// Checklist R-07: 500 (or 421) "line too long", then close.
		if !strings.HasPrefix(sent, "500") && !strings.HasPrefix(sent, "421") {
			t.Errorf("reply to a 70000-byte line = %q, want 500/421 (line too long) before the close", sent)
		}
	})
	c2, code, _ := rawDial(t, "", ts.addr)
	if code != 220 {
		t.Fatalf("greeting after the long line = %d, want 220", code)
	}
	c2.login("acme")
	if code, msg := c2.cmd("NOOP"); code != 200 {
		t.Errorf("NOOP on a new session = %d %s", code, msg)
	}
}

// TestInteropRawLoginTimeout: an unauthenticated connection is closed
// after LoginTimeout, NOOPs or not.
func TestInteropRawLoginTimeout(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{LoginTimeout: 200 * time.Millisecond})
	for _, tc := range []struct {
		name string
		noop bool
	}{{"idle", false}, {"noop", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			c, _, _ := rawDial(t, "", ts.addr)
			if tc.noop {
				// The reply may race the timeout; only the close matters.
				c.send("NOOP\r\n")
			}
			closed, got := c.closed()
			if !closed {
				t.Fatalf("unauthenticated connection still open after %v", clientTimeout)
			}
			if !strings.Contains(got, "421 no login within 200ms: closing control connection\r\n") {
				t.Errorf("closed with %q, want a 421 saying why", got)
			}
			if d := time.Since(start); d < 200*time.Millisecond {
				t.Errorf("closed after %v, before the 200ms login timeout", d)
			}
		})
	}
}

// startTLS sends AUTH TLS and returns the control connection over TLS.
func (r *rawFTP) startTLS(t *testing.T) *rawFTP {
	t.Helper()
	if code, msg := r.cmd("AUTH TLS"); code != 234 {
		t.Fatalf("AUTH TLS = %d %s", code, msg)
	}
	tc := tls.Client(r.conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	return &rawFTP{t: t, conn: tc, r: bufio.NewReader(tc)}
}

// TestInteropRawConnCap: MaxConnsPerIP 2 refuses a third connection from
// the same address with 421, but not one from another address.
func TestInteropRawConnCap(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{MaxConnsPerIP: 2})
	for i := range 2 {
		if _, code, msg := rawDial(t, "127.0.0.1", ts.addr); code != 220 {
			t.Fatalf("connection %d: %d %s, want 220", i+1, code, msg)
		}
	}
	c, code, msg := rawDial(t, "127.0.0.1", ts.addr)
	if code != 421 || !strings.Contains(msg, "too many connections") {
		t.Errorf("third connection = %d %s, want 421 too many connections", code, msg)
	}
	if closed, rest := c.closed(); !closed {
		t.Errorf("refused connection left open (sent %q)", rest)
	}
	if _, code, msg := rawDial(t, "127.0.0.2", ts.addr); code != 220 {
		t.Errorf("connection from 127.0.0.2 = %d %s, want 220", code, msg)
	}
}

// TestInteropRawListenerIDs: sessions on the explicit and the implicit
// listener are independent. ftpserverlib numbers clients per listener, so
// both listeners' first clients have the same ID.
func TestInteropRawListenerIDs(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte("x"))
	c, _, _ := rawDial(t, "", ts.addr)
	ex := c.startTLS(t)
	ex.login("acme")
	for _, cmd := range []string{"PBSZ 0", "PROT P"} {
		if code, msg := ex.cmd(cmd); code != 200 {
			t.Fatalf("%s = %d %s", cmd, code, msg)
		}
	}
	// A client on the implicit listener comes and goes.
	ic, err := tls.Dial("tcp", ts.implicit, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	im := &rawFTP{t: t, conn: ic, r: bufio.NewReader(ic)}
	if code, msg, err := im.reply(); err != nil || code != 220 {
		t.Fatalf("implicit greeting = %d %s %v", code, msg, err)
	}
	im.login("acme")
	if code, msg := im.cmd("QUIT"); code != 221 {
		t.Errorf("QUIT = %d %s", code, msg)
	}
	im.closed()
	// The explicit session must be unaffected.
	if code, msg := ex.cmd("PASV"); code != 227 {
		t.Errorf("PASV on the explicit session after an implicit session ended = %d %s, want 227", code, msg)
	}
	if code, msg := ex.cmd("SIZE /send/a.edi"); code != 213 {
		t.Errorf("SIZE on the explicit session after an implicit session ended = %d %s, want 213", code, msg)
	}
	if n, _ := ts.countEvents(t, store.EventLogin); n != 2 {
		t.Errorf("%d login events, want 2", n)
	}
}

// TestInteropRawImplicitPlaintext: the implicit-TLS port never answers in
// clear (checklist T-07).
func TestInteropRawImplicitPlaintext(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	c, err := dialFrom(t, "", ts.implicit)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := &rawFTP{t: t, conn: c, r: bufio.NewReader(c)}
	r.send("USER acme\r\n")
	closed, got := r.closed()
	if !closed {
		t.Errorf("implicit port kept a plaintext connection open")
	}
	if strings.Contains(got, "220") || strings.Contains(got, "331") {
		t.Errorf("implicit port answered plaintext with %q", got)
	}
}

// TestInteropRawEnumeration: USER and a failed PASS read the same for an
// existing and an unknown account (checklist B-02).
func TestInteropRawEnumeration(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{BanAfter: -1})
	var replies [2][2]string
	for i, user := range []string{"acme", "nosuchuser"} {
		c, _, _ := rawDial(t, "", ts.addr)
		tc := c.startTLS(t)
		code, msg := tc.cmd("USER " + user)
		replies[i][0] = strconv.Itoa(code) + " " + msg
		code, msg = tc.cmd("PASS wrong")
		replies[i][1] = strconv.Itoa(code) + " " + msg
	}
	if replies[0] != replies[1] {
		t.Errorf("replies for an existing user %q differ from an unknown user's %q", replies[0], replies[1])
	}
	if !strings.HasPrefix(replies[0][0], "331") || !strings.HasPrefix(replies[0][1], "530") {
		t.Errorf("USER/PASS replies %q, want 331 and 530", replies[0])
	}
	if n, _ := ts.countEvents(t, store.EventLoginFailed); n != 2 {
		t.Errorf("%d login_failed events, want 2", n)
	}
}

// TestInteropRawTLSCommands: plaintext smuggled behind AUTH TLS is dropped
// (checklist T-10), a second AUTH is refused (T-14), and PBSZ/PROT before
// AUTH get 503 (T-04).
func TestInteropRawTLSCommands(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	t.Run("injection", func(t *testing.T) {
		c, _, _ := rawDial(t, "", ts.addr)
		c.send("AUTH TLS\r\nUSER evil\r\n")
		if code, msg, err := c.reply(); err != nil || code != 234 {
			t.Fatalf("AUTH TLS = %d %s %v, want 234", code, msg, err)
		}
		tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			return // refusing the handshake is acceptable
		}
		r := &rawFTP{t: t, conn: tc, r: bufio.NewReader(tc)}
		if code, msg := r.cmd("NOOP"); code != 200 {
			t.Errorf("first reply inside TLS = %d %s, want NOOP's 200 (the smuggled USER must be dropped)", code, msg)
		}
	})
	t.Run("second AUTH", func(t *testing.T) {
		c, _, _ := rawDial(t, "", ts.addr)
		tc := c.startTLS(t)
		tc.send("AUTH TLS\r\n")
		code, msg, err := tc.reply()
		if err == nil && code == 234 {
			t.Errorf("second AUTH TLS = %d %s, want 503 or 534", code, msg)
		}
	})
	t.Run("PROT before AUTH", func(t *testing.T) {
		c, _, _ := rawDial(t, "", ts.addr)
		for _, cmd := range []string{"PBSZ 0", "PROT P"} {
			if code, msg := c.cmd(cmd); code != 503 {
				t.Errorf("%s before AUTH = %d %s, want 503", cmd, code, msg)
			}
		}
	})
}

// TestInteropRawStagingNames: clients can neither name nor see the
// server's hidden upload names, even of an upload in progress (checklist
// P-13).
func TestInteropRawStagingNames(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	recv := filepath.Join(ts.root, "acme", "receive")
	up, _, _ := rawDial(t, "", ts.addr)
	up.login("acme")
	dc, err := dialFrom(t, "", up.pasv())
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if code, msg := up.cmd("STOR /receive/live.edi"); code != 150 {
		t.Fatalf("STOR = %d %s, want 150", code, msg)
	}
	if _, err := io.WriteString(dc, "first half;"); err != nil {
		t.Fatal(err)
	}
	// The staging file exists once STOR answered 150.
	names := dirNames(t, recv)
	if len(names) != 1 || !strings.HasPrefix(names[0], ".") {
		t.Fatalf("receive/ during the upload holds %q, want one hidden staging file", names)
	}
	staged := names[0]

	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	for _, cmd := range []string{"DELE /receive/" + staged, "SIZE /receive/" + staged, "MDTM /receive/" + staged,
		"RNFR /receive/" + staged, "MLST /receive/" + staged, "MKD /receive/.wharf-d"} {
		if code, msg := c.cmd(cmd); code < 500 {
			t.Errorf("%s = %d %s, want 5xx", cmd, code, msg)
		}
	}
	if code, msg := c.stor(t, "/receive/"+staged, "overwrite"); code == 226 {
		t.Errorf("STOR over the staging name = %d %s, want a refusal", code, msg)
	}
	if code, msg, data := c.retr(t, "", "/receive/"+staged); code == 226 || data != "" {
		t.Errorf("RETR of the staging name = %d %s %q, want a refusal", code, msg, data)
	}
	if code, msg, data := c.list(t, "LIST -a /receive"); code != 226 || strings.Contains(data, ".wharf") || strings.Contains(data, "live.edi") {
		t.Errorf("LIST -a /receive during the upload = %d %s %q, want 226 and nothing", code, msg, data)
	}

	if _, err := io.WriteString(dc, "second half"); err != nil {
		t.Fatal(err)
	}
	dc.Close()
	if code, msg, err := up.reply(); err != nil || code != 226 {
		t.Fatalf("upload end = %d %s %v, want 226", code, msg, err)
	}
	if got := dirNames(t, recv); strings.Join(got, ",") != "live.edi" {
		t.Errorf("receive/ after the upload holds %q, want [live.edi]", got)
	}
	if got := fileSum(filepath.Join(recv, "live.edi")); got != sum([]byte("first half;second half")) {
		t.Errorf("live.edi has the wrong content (sha256 %s)", got)
	}
}

// list runs a listing command over a passive connection.
func (r *rawFTP) list(t *testing.T, cmd string) (int, string, string) {
	t.Helper()
	dc, err := dialFrom(t, "", r.pasv())
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	r.send(cmd + "\r\n")
	code, msg, err := r.reply()
	if err != nil {
		t.Fatal(err)
	}
	if code != 150 {
		return code, msg, ""
	}
	_ = dc.SetReadDeadline(time.Now().Add(clientTimeout))
	b, _ := io.ReadAll(dc)
	code, msg, err = r.reply()
	if err != nil {
		t.Fatal(err)
	}
	return code, msg, string(b)
}

// TestInteropRawBadLineDuringTransfer: a command line with a bare CR sent
// while a download runs is refused, and the refusal does not interleave
// with the transfer's own replies (under -race: no concurrent writes to
// the control connection).
func TestInteropRawBadLineDuringTransfer(t *testing.T) {
	interop(t)
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	data := randomData(t, 16<<20)
	writeFile(t, filepath.Join(ts.root, "acme", "send", "big.edi"), data)
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	dc, err := dialFrom(t, "", c.pasv())
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if code, msg := c.cmd("RETR /send/big.edi"); code != 150 {
		t.Fatalf("RETR = %d %s, want 150", code, msg)
	}
	c.send("NOOP\rX\r\n")
	got := make(chan []byte, 1)
	go func() {
		_ = dc.SetReadDeadline(time.Now().Add(clientTimeout))
		b, _ := io.ReadAll(dc)
		got <- b
	}()
	var codes []int
	for range 2 {
		code, msg, err := c.reply()
		if err != nil {
			t.Fatalf("reply: %v (codes so far %v)", err, codes)
		}
		t.Logf("< %d %s", code, msg)
		codes = append(codes, code)
	}
	slices.Sort(codes)
	if codes[0] != 226 || codes[1] < 500 {
		t.Errorf("replies %v, want the transfer's 226 and a 5xx for the bad line", codes)
	}
	if b := <-got; sum(b) != sum(data) {
		t.Errorf("download got %d bytes, want the whole %d-byte file", len(b), len(data))
	}
}
