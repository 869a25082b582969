package ftpserver_test

// Exact reply texts of STAT, FEAT, MKD and refusals (Wharf patches in the vendored
// ftpserverlib), read off a raw control connection, plus the clients that
// parse them: Python's ftplib.mkd() and our own remote package's FEAT
// parser.

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestReplySTATDir: STAT on a folder answers 212 with one " <ls -l line>"
// per entry, the lines LIST sends over a data connection; STAT on a file
// answers 213 with its own line.
func TestReplySTATDir(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	for _, name := range []string{"a.edi", "b.edi", "c d.edi"} {
		writeFile(t, filepath.Join(ts.root, "acme", "send", name), []byte("payload "+name))
	}
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	code, msg, data := c.list(t, "LIST /send")
	if code != 226 {
		t.Fatalf("LIST /send = %d %s, want 226", code, msg)
	}
	listed := strings.Split(strings.TrimSuffix(data, "\r\n"), "\r\n")
	if len(listed) != 3 {
		t.Fatalf("LIST /send = %q, want 3 entries", listed)
	}

	code, msg = c.cmd("STAT /send")
	lines := strings.Split(msg, "\n")
	if code != 212 || len(lines) != len(listed)+2 {
		t.Fatalf("STAT /send = %d %q, want 212 with a header, %d entries and an end line", code, msg, len(listed))
	}
	if want := "STAT /send"; lines[0] != want {
		t.Errorf("STAT /send first line = %q, want %q", lines[0], want)
	}
	// Both come from one ReadDir each; compare them in name order.
	entries := slices.Sorted(slices.Values(lines[1 : len(lines)-1]))
	slices.Sort(listed)
	for i, l := range listed {
		if got, want := entries[i], " "+l; got != want {
			t.Errorf("STAT /send entry %d = %q, want %q (the LIST line after one space)", i, got, want)
		}
	}

	i := slices.IndexFunc(listed, func(l string) bool { return strings.HasSuffix(l, " a.edi") })
	if i < 0 {
		t.Fatalf("LIST /send = %q: no a.edi", listed)
	}
	code, msg = c.cmd("STAT /send/a.edi")
	if want := "STAT /send/a.edi\n " + listed[i] + "\n213 End"; code != 213 || msg != want {
		t.Errorf("STAT /send/a.edi = %d %q, want 213 %q", code, msg, want)
	}
}

// TestReplySTATServer: STAT without an argument names the server address
// the client connected to and the client's own address.
func TestReplySTATServer(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	code, msg := c.cmd("STAT")
	lines := strings.Split(msg, "\n")
	if code != 211 || len(lines) < 3 {
		t.Fatalf("STAT = %d %q, want a multi-line 211", code, msg)
	}
	prefix := "Connected to " + ts.addr + " from " + c.conn.LocalAddr().String() + " for "
	rest, ok := strings.CutPrefix(lines[1], prefix)
	if !ok {
		t.Fatalf("STAT line 1 = %q, want %q<duration>", lines[1], prefix)
	}
	if _, err := time.ParseDuration(rest); err != nil {
		t.Errorf("STAT line 1 = %q: duration %q: %v", lines[1], rest, err)
	}
	if want := "Logged in as acme"; lines[2] != want {
		t.Errorf("STAT line 2 = %q, want %q", lines[2], want)
	}
}

// TestReplyFEATHash: FEAT announces HASH as draft-bryan-ftpext-hash
// writes it ("HASH", a space, the names separated by ";", the selected one
// starred), in the same order on every connection, and OPTS HASH moves
// the star. Our own remote client then finds the HASH keyword.
func TestReplyFEATHash(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	const want = " HASH CRC32;MD5;SHA-1;SHA-256*;SHA-512"
	var first string
	for i := range 5 { // one order on every connection, not Go's map order
		c, _, _ := rawDial(t, "", ts.addr)
		code, msg := c.cmd("FEAT")
		if code != 211 {
			t.Fatalf("FEAT = %d %q, want 211", code, msg)
		}
		if i == 0 {
			first = msg
			if got := hashFeature(msg); got != want {
				t.Errorf("FEAT HASH line = %q, want %q\nFEAT:\n%s", got, want, msg)
			}
			for _, l := range strings.Split(msg, "\n") {
				if strings.HasSuffix(l, ";") {
					t.Errorf("FEAT line %q ends with ';'", l)
				}
			}
		} else if msg != first {
			t.Errorf("FEAT on connection %d =\n%s\nwant the same as on the first:\n%s", i+1, msg, first)
		}
	}

	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	if code, msg := c.cmd("OPTS HASH SHA-1"); code != 200 {
		t.Fatalf("OPTS HASH SHA-1 = %d %s, want 200", code, msg)
	}
	_, msg := c.cmd("FEAT")
	if got, want := hashFeature(msg), " HASH CRC32;MD5;SHA-1*;SHA-256;SHA-512"; got != want {
		t.Errorf("FEAT after OPTS HASH SHA-1: HASH line = %q, want %q", got, want)
	}

	host, p, _ := net.SplitHostPort(ts.addr)
	n, _ := strconv.Atoi(p)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	rc, err := remote.Dial(ctx, remote.Config{Host: host, Port: n, User: "acme", Password: secret.Secret(testPass),
		AllowSelfSigned: true, IOTimeout: 10 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("remote.Dial: %v", err)
	}
	defer rc.Close()
	if got, want := rc.Features()["HASH"], "CRC32;MD5;SHA-1;SHA-256*;SHA-512"; got != want {
		t.Errorf("remote Features()[HASH] = %q, want %q", got, want)
	}
}

// hashFeature returns the FEAT reply's line that starts with " HASH", or
// the line that names SHA-256 when none does.
func hashFeature(feat string) string {
	var named string
	for _, l := range strings.Split(feat, "\n") {
		if strings.HasPrefix(l, " HASH ") {
			return l
		}
		if strings.Contains(l, "SHA-256") {
			named = l
		}
	}
	return named
}

// TestReplyMKD: MKD answers 257 with the new folder's quoted path first
// and embedded quotes doubled (RFC 959 section 7 and appendix II).
func TestReplyMKD(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	c.cmd("CWD /receive")
	for _, tc := range []struct{ arg, want string }{
		{"/receive/sub2", `"/receive/sub2" created`},
		{"rel", `"/receive/rel" created`},
		{`/receive/say "hi"`, `"/receive/say ""hi""" created`},
	} {
		if code, msg := c.cmd("MKD " + tc.arg); code != 257 || msg != tc.want {
			t.Errorf("MKD %s = %d %s, want 257 %s", tc.arg, code, msg, tc.want)
		}
	}
	if got := dirNames(t, filepath.Join(ts.root, "acme", "receive")); strings.Join(got, ",") != `rel,say "hi",sub2` {
		t.Errorf("receive/ holds %q, want [rel say \"hi\" sub2]", got)
	}
}

// TestInteropFtplibMKD: Python's ftplib.mkd() returns the path it parses
// out of the 257 reply (ftplib.parse257), which was "" while the reply
// began with text instead of the quoted path.
func TestInteropFtplibMKD(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "up"), []byte("payload"))
	writeFile(t, filepath.Join(ts.root, "acme", "send", "x.edi"), []byte("x"))
	steps := ftplib(t, ts.addr, "acme", "roundtrip", filepath.Join(dir, "up"), filepath.Join(dir, "down"))
	if s := wantStep(t, steps, "mkd", ""); s.Reply != "/receive/dir" {
		t.Errorf("ftplib mkd('/receive/dir') = %q, want %q", s.Reply, "/receive/dir")
	}

	// A quote in the name: parse257 undoes the doubling.
	const script = `
import ftplib, os, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ftp = ftplib.FTP_TLS(context=ctx, timeout=10)
ftp.connect(sys.argv[1], int(sys.argv[2]))
ftp.login(sys.argv[3], os.environ["WHARF_FTP_PASSWORD"])
print(ftp.mkd(sys.argv[4]))
ftp.quit()
`
	host, p, _ := net.SplitHostPort(ts.addr)
	const quoted = `/receive/say "hi"`
	r := run(t, []string{"WHARF_FTP_PASSWORD=" + testPass}, "python3", "-c", script, host, p, "acme", quoted)
	if r.exit != 0 {
		t.Fatalf("python3 ftplib mkd: %v", r)
	}
	if got := strings.TrimSuffix(r.stdout, "\n"); got != quoted {
		t.Errorf("ftplib mkd(%q) = %q, want %q", quoted, got, quoted)
	}
}

// TestReplyRefusalReasons: each refusal names its real reason.
func TestReplyRefusalReasons(t *testing.T) {
	t.Parallel()
	none := store.Access{}
	ts := startServer(t, ftpserver.Config{AllowPlain: true}, func(a *store.Account) { a.Policy.Send = &none })
	if err := os.MkdirAll(filepath.Join(ts.root, "acme", "receive", "full", "inner"), 0o750); err != nil {
		t.Fatal(err)
	}
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("ops")
	if code, msg := c.cmd("RMD /acme/receive/full"); code != 550 || !strings.Contains(msg, "folder not empty") {
		t.Errorf("RMD of a folder with something in it = %d %s, want 550 saying it is not empty", code, msg)
	}
	p, _, _ := rawDial(t, "", ts.addr)
	p.login("acme")
	for _, tc := range []struct {
		cmd  string
		code int
		want string
	}{
		{"MKD /newdir", 550, "a partner's root holds only /send"},
		{"RNFR /receive/full", 0, ""},
		{"RNTO /elsewhere", 550, "a partner's root holds only /send"},
		// A name no folder may have: 553, file name not allowed (RFC 959).
		{"MKD /receive/" + strings.Repeat("a", 256), 553, "a name is longer than 255 bytes"},
		{"MKD /send/x", 550, "/send/x is closed to this account"},
	} {
		code, msg := p.cmd(tc.cmd)
		if tc.want == "" {
			continue
		}
		if code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%s = %d %s, want %d saying %q", tc.cmd, code, msg, tc.code, tc.want)
		}
	}
}

// TestReplyFEATEPRT: FEAT lists EPRT only where active mode is on.
func TestReplyFEATEPRT(t *testing.T) {
	t.Parallel()
	for _, active := range []bool{false, true} {
		ts := startServer(t, ftpserver.Config{AllowPlain: true, ActiveMode: active})
		c, _, _ := rawDial(t, "", ts.addr)
		_, msg := c.cmd("FEAT")
		listed := slices.Contains(strings.Split(msg, "\n"), " EPRT")
		if listed != active {
			t.Errorf("active mode %v: FEAT lists EPRT %v, want %v\n%s", active, listed, active, msg)
		}
	}
}
