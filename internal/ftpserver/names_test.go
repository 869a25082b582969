package ftpserver_test

import (
	"encoding/json"
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

// Names no upload, MKD or RNTO may create (vfs.CheckNewName, plus the
// server's reserved temp prefix), each as sent after the command and one
// space, with the reason the reply gives. The argument's own leading space
// is kept by ftpserverlib: "STOR  lead.edi" names " lead.edi".
var refusedNames = []struct{ arg, reason string }{
	{`a\b.edi`, "backslash is not allowed in names on this server; use / to separate folders"},
	{" lead.edi", "a name may not begin or end with a space"},
	{"trail.edi ", "a name may not begin or end with a space"},
	{"   ", "a name may not begin or end with a space"},
	{"dot.edi.", "a name may not end with a dot"},
	{"tab\there.edi", "control characters (such as NUL, tab, CR or LF) are not allowed in names"},
	{"\xff.edi", "a name must be valid UTF-8"},
	{".wharf-x", "names starting with .wharf- are reserved for uploads in progress; use another name"},
}

// TestNewNameRefused: STOR, APPE, MKD and RNTO of a refused name get 553
// and the name, quoted, with the reason, not "no such file or directory";
// nothing is created, not even where the backslash could be read as a
// folder that exists.
func TestNewNameRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	recv := filepath.Join(ts.root, "acme", "receive")
	writeFile(t, filepath.Join(recv, "ok.edi"), []byte("ok"))
	if err := os.Mkdir(filepath.Join(recv, "a"), 0o750); err != nil {
		t.Fatal(err)
	}
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	if code, msg := c.cmd("CWD /receive"); code != 250 {
		t.Fatalf("CWD /receive = %d %s", code, msg)
	}
	for _, tc := range refusedNames {
		want := strconv.Quote(tc.arg) + ": " + tc.reason
		for _, verb := range []string{"STOR", "APPE"} {
			code, msg := c.upload(t, verb, tc.arg, "payload")
			if code != 553 || msg != "Could not access file: "+want {
				t.Errorf("%s %q = %d %s; want 553 Could not access file: %s", verb, tc.arg, code, msg, want)
			}
		}
		if code, msg := c.cmd("MKD " + tc.arg); code != 553 || msg != `Could not create "/receive/`+tc.arg+`" : `+want {
			t.Errorf("MKD %q = %d %s; want 553 ending %s", tc.arg, code, msg, want)
		}
		if code, msg := c.cmd("RNFR ok.edi"); code != 350 {
			t.Fatalf("RNFR ok.edi = %d %s, want 350", code, msg)
		}
		if code, msg := c.cmd("RNTO " + tc.arg); code != 553 || msg != "Couldn't rename /receive/ok.edi to /receive/"+tc.arg+": "+want {
			t.Errorf("RNTO %q = %d %s; want 553 ending %s", tc.arg, code, msg, want)
		}
	}
	if got := strings.Join(dirNames(t, recv), ","); got != "a,ok.edi" {
		t.Errorf("receive/ holds %q, want only a and ok.edi", got)
	}
	if got := dirNames(t, filepath.Join(recv, "a")); len(got) != 0 {
		t.Errorf(`receive/a holds %q after STOR a\b.edi, want nothing`, got)
	}
	// Reads of names Clean refuses say why too: ftpserverlib answers a CR or
	// NUL inside the line itself; invalid UTF-8 reaches vfs.Clean.
	if code, msg := c.cmd("SIZE \xff.edi"); code != 550 || msg != "Couldn't access /receive/\xff.edi: invalid path: bad path: not valid UTF-8" {
		t.Errorf("SIZE %q = %d %s, want 550 saying not valid UTF-8", "\xff.edi", code, msg)
	}
	if code, msg := c.cmd("MKD a\rb"); code != 501 || !strings.Contains(msg, "contains CR or NUL") {
		t.Errorf("MKD %q = %d %s, want 501 saying it contains CR or NUL", "a\rb", code, msg)
	}
	// Spaces and dots inside a name, and a backslash in a folder already
	// there (Clean reads it as "/"), are fine.
	if code, msg := c.upload(t, "STOR", "an order.v1.edi", "x"); code != 226 {
		t.Errorf("STOR %q = %d %s, want 226", "an order.v1.edi", code, msg)
	}
	if code, msg := c.cmd("MKD new folder"); code != 257 {
		t.Errorf("MKD %q = %d %s, want 257", "new folder", code, msg)
	}
	c.cmd("CWD /")
	if code, msg := c.cmd(`CWD receive\a`); code != 250 {
		t.Errorf(`CWD receive\a = %d %s, want 250`, code, msg)
	}
	if code, msg := c.upload(t, "STOR", "in-a.edi", "x"); code != 226 || !exists(filepath.Join(recv, "a", "in-a.edi")) {
		t.Errorf(`STOR in-a.edi in receive\a = %d %s, want 226 and receive/a/in-a.edi`, code, msg)
	}
}

// TestOddExistingNamesUsable: files and folders a back-end gave names
// that no client may create can still be downloaded, renamed to a good
// name and deleted, so a partner can fix them.
func TestOddExistingNamesUsable(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true}, func(a *store.Account) {
		a.Policy.Receive = &store.Access{Read: true, Write: true}
	})
	recv := filepath.Join(ts.root, "acme", "receive")
	writeFile(t, filepath.Join(recv, "old.edi "), []byte("old"))
	writeFile(t, filepath.Join(recv, " gone.edi"), []byte("gone"))
	writeFile(t, filepath.Join(recv, "dot."), []byte("dot"))
	if err := os.Mkdir(filepath.Join(recv, "dir "), 0o750); err != nil {
		t.Fatal(err)
	}
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	c.cmd("CWD /receive")

	if code, msg, data := c.retr(t, "", "old.edi "); code != 226 || data != "old" {
		t.Errorf("RETR %q = %d %s %q, want 226 \"old\"", "old.edi ", code, msg, data)
	}
	if code, msg := c.cmd("SIZE old.edi "); code != 213 || msg != "3" {
		t.Errorf("SIZE %q = %d %s, want 213 3", "old.edi ", code, msg)
	}
	for _, mv := range [][2]string{{"old.edi ", "old.edi"}, {"dot.", "dot.txt"}, {"dir ", "dir"}} {
		if code, msg := c.cmd("RNFR " + mv[0]); code != 350 {
			t.Errorf("RNFR %q = %d %s, want 350", mv[0], code, msg)
		}
		if code, msg := c.cmd("RNTO " + mv[1]); code != 250 {
			t.Errorf("RNTO %q after RNFR %q = %d %s, want 250", mv[1], mv[0], code, msg)
		}
	}
	if code, msg := c.cmd("DELE  gone.edi"); code != 250 {
		t.Errorf("DELE %q = %d %s, want 250", " gone.edi", code, msg)
	}
	if got := strings.Join(dirNames(t, recv), ","); got != "dir,dot.txt,old.edi" {
		t.Errorf("receive/ holds %q, want dir, dot.txt and old.edi", got)
	}
	if b, err := os.ReadFile(filepath.Join(recv, "old.edi")); err != nil || string(b) != "old" {
		t.Errorf("receive/old.edi = %q, %v; want \"old\"", b, err)
	}
	if !ts.hasEvent(t, store.EventRenamed, "/receive/old.edi") || !ts.hasEvent(t, store.EventDeleted, "/receive/ gone.edi") {
		t.Errorf("no renamed event for /receive/old.edi or deleted event for %q", "/receive/ gone.edi")
	}
}

// upload runs verb (STOR or APPE) with arg over a passive connection, so
// a refusal that let the upload through would show as a file.
func (r *rawFTP) upload(t *testing.T, verb, arg, payload string) (int, string) {
	t.Helper()
	dc, err := dialFrom(t, "", r.pasv())
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	defer dc.Close()
	code, msg := r.cmd(verb + " " + arg)
	if code != 150 {
		return code, msg
	}
	_ = dc.SetWriteDeadline(time.Now().Add(clientTimeout))
	_, _ = io.WriteString(dc, payload)
	dc.Close()
	code, msg, err = r.reply()
	if err != nil {
		t.Fatalf("%s %q: final reply: %v", verb, arg, err)
	}
	return code, msg
}

// TestInteropFtplibNames: Python's ftplib sends names as given, spaces
// included; the refusals reach it as 553 (error_perm) with the reason, and
// it can still download, fix and delete files a back-end misnamed.
func TestInteropFtplibNames(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{}, func(a *store.Account) {
		a.Policy.Receive = &store.Access{Read: true, Write: true}
	})
	recv := filepath.Join(ts.root, "acme", "receive")
	writeFile(t, filepath.Join(recv, "ok.edi"), []byte("ok"))
	writeFile(t, filepath.Join(recv, "old.edi "), []byte("old"))
	writeFile(t, filepath.Join(recv, "gone.edi "), []byte("gone"))
	host, port, _ := net.SplitHostPort(ts.addr)
	script, err := filepath.Abs(filepath.Join("testdata", "interop", "ftpnames.py"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, []string{"WHARF_FTP_PASSWORD=" + testPass}, "python3", script, host, port, "acme")
	if r.exit != 0 {
		t.Fatalf("python3 ftpnames.py: %v", r)
	}
	var steps map[string]pyStep
	if err := json.Unmarshal([]byte(r.stdout), &steps); err != nil {
		t.Fatalf("ftpnames.py output: %v\n%v", err, r)
	}
	t.Logf("ftpnames.py: %s", r.stdout)
	wantStep(t, steps, "login", "230")
	wantStep(t, steps, "cwd", "250")
	for _, tc := range []struct{ step, reply string }{
		{"stor_lead", `553 Could not access file: " lead.edi": a name may not begin or end with a space`},
		{"stor_trail", `553 Could not access file: "trail.edi ": a name may not begin or end with a space`},
		{"stor_backslash", `553 Could not access file: "a\\b.edi": backslash is not allowed in names on this server; use / to separate folders`},
		{"stor_dot", `553 Could not access file: "dot.edi.": a name may not end with a dot`},
		{"mkd_trail", `553 Could not create "/receive/dir " : "dir ": a name may not begin or end with a space`},
		{"rename_trail", `553 Couldn't rename /receive/ok.edi to /receive/ok.edi : "ok.edi ": a name may not begin or end with a space`},
	} {
		if s := steps[tc.step]; s.OK || s.Reply != tc.reply || !strings.HasPrefix(s.Exc, "error_perm") {
			t.Errorf("ftplib %s = ok %v, %q (%s); want error_perm %q", tc.step, s.OK, s.Reply, s.Exc, tc.reply)
		}
	}
	if s := wantStep(t, steps, "retr_old", "226"); strings.Join(s.Lines, "") != "old" {
		t.Errorf("RETR %q read %q, want \"old\"", "old.edi ", s.Lines)
	}
	wantStep(t, steps, "rename_fix", "250")
	wantStep(t, steps, "delete_gone", "250")
	if s := wantStep(t, steps, "nlst", ""); strings.Join(s.Lines, ",") != "ok.edi,old.edi" {
		t.Errorf("NLST /receive = %q, want ok.edi and old.edi", s.Lines)
	}
	if got := strings.Join(dirNames(t, recv), ","); got != "ok.edi,old.edi" {
		t.Errorf("receive/ holds %q, want ok.edi and old.edi", got)
	}
}
