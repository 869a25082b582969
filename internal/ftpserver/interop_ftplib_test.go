package ftpserver_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// wantStep checks that step name succeeded with a reply starting with code.
func wantStep(t *testing.T, steps map[string]pyStep, name, code string) pyStep {
	t.Helper()
	s, ok := steps[name]
	switch {
	case !ok:
		t.Errorf("ftplib step %s did not run", name)
	case !s.OK:
		t.Errorf("ftplib %s failed: %s", name, s.Exc)
	case code != "" && s.code() != code:
		t.Errorf("ftplib %s reply = %q, want %s", name, s.Reply, code)
	}
	return s
}

// baseNames returns the last element of each NLST line.
func baseNames(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l[strings.LastIndex(l, "/")+1:])
	}
	return out
}

// TestInteropFtplibRoundTrip drives the server with ftplib's FTP_TLS:
// login, PROT P, MKD, STOR, NLST, MLSD, RNFR/RNTO, DELE and RETR.
func TestInteropFtplibRoundTrip(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	dir := t.TempDir()
	up, down := randomData(t, 200_000), randomData(t, 150_000)
	writeFile(t, filepath.Join(dir, "up"), up)
	writeFile(t, filepath.Join(ts.root, "acme", "send", "x.edi"), down)
	steps := ftplib(t, ts.addr, "acme", "roundtrip", filepath.Join(dir, "up"), filepath.Join(dir, "down"))
	wantStep(t, steps, "login", "230")
	wantStep(t, steps, "prot_p", "200")
	wantStep(t, steps, "mkd", "")
	wantStep(t, steps, "stor_a", "226")
	wantStep(t, steps, "stor_c", "226")
	if s := wantStep(t, steps, "nlst", ""); strings.Join(baseNames(s.Lines), ",") != "a.edi,c.edi" {
		t.Errorf("NLST /receive/dir = %q, want a.edi and c.edi", s.Lines)
	}
	if s := wantStep(t, steps, "mlsd", ""); strings.Join(s.Lines, ",") != "a.edi type=file size=200000,c.edi type=file size=200000" {
		t.Errorf("MLSD /receive/dir = %q", s.Lines)
	}
	wantStep(t, steps, "rename", "250")
	wantStep(t, steps, "delete", "250")
	wantStep(t, steps, "retr", "226")
	if s := wantStep(t, steps, "nlst_after", ""); strings.Join(baseNames(s.Lines), ",") != "b.edi" {
		t.Errorf("NLST after rename and delete = %q, want [b.edi]", s.Lines)
	}
	recv := filepath.Join(ts.root, "acme", "receive", "dir")
	if got := dirNames(t, recv); strings.Join(got, ",") != "b.edi" {
		t.Errorf("receive/dir holds %q, want [b.edi]", got)
	}
	if got, want := fileSum(filepath.Join(recv, "b.edi")), sum(up); got != want {
		t.Errorf("b.edi sha256 = %s, want %s", got, want)
	}
	if got, want := fileSum(filepath.Join(dir, "down")), sum(down); got != want {
		t.Errorf("downloaded x.edi sha256 = %s, want %s", got, want)
	}
	for _, ev := range []struct{ kind, path string }{
		{store.EventMkdir, "/receive/dir"},
		{store.EventReceived, "/receive/dir/a.edi"},
		{store.EventReceived, "/receive/dir/c.edi"},
		{store.EventRenamed, "/receive/dir/b.edi"},
		{store.EventDeleted, "/receive/dir/c.edi"},
		{store.EventSent, "/send/x.edi"},
	} {
		if !ts.hasEvent(t, ev.kind, ev.path) {
			t.Errorf("no %s event for %s", ev.kind, ev.path)
		}
	}
}

// TestInteropFtplibAbortedUpload: ABOR mid-upload (the data socket then
// dropped without close_notify) leaves no file, not even an empty one, and
// no temp name in listings.
func TestInteropFtplibAbortedUpload(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	steps := ftplib(t, ts.addr, "acme", "upload-abor", "/receive/big.edi", "1048576", "/receive")
	wantStep(t, steps, "stor", "")
	// While the upload was open, another session saw nothing in receive/.
	if s := wantStep(t, steps, "nlst_during", ""); len(s.Lines) != 0 {
		t.Errorf("NLST /receive during the upload = %q, want empty (no partial file, no temp name)", s.Lines)
	}
	if s := wantStep(t, steps, "list_during", ""); len(s.Lines) != 0 {
		t.Errorf("LIST -a /receive during the upload = %q, want empty", s.Lines)
	}
	ab := steps["abort"]
	if ab.code() != "426" && ab.code() != "226" && ab.code() != "225" {
		t.Errorf("ABOR reply = %q (%s), want 426 then 226", ab.Reply, ab.Exc)
	}
	if s := wantStep(t, steps, "nlst_after", ""); len(s.Lines) != 0 {
		t.Errorf("NLST /receive after ABOR = %q, want empty (no file, no temp name)", s.Lines)
	}
	if got := dirNames(t, filepath.Join(ts.root, "acme", "receive")); len(got) != 0 {
		t.Errorf("receive/ holds %q after an aborted upload, want nothing", got)
	}
	if ts.hasEvent(t, store.EventReceived, "/receive/big.edi") {
		t.Errorf("received event for an aborted upload")
	}
	if !ts.hasEvent(t, store.EventAborted, "/receive/big.edi") {
		t.Errorf("no aborted event for /receive/big.edi")
	}
}

// TestInteropFtplibTruncatedUpload: a TLS upload whose data connection
// ends with a bare TCP FIN (no close_notify) is refused and leaves no file.
func TestInteropFtplibTruncatedUpload(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	steps := ftplib(t, ts.addr, "acme", "upload-fin", "/receive/trunc.edi", "300000", "/receive")
	wantStep(t, steps, "stor", "")
	if s := steps["result"]; s.OK || (!strings.HasPrefix(s.Reply, "4") && !strings.HasPrefix(s.Reply, "5")) {
		t.Errorf("reply to the truncated upload = %q (%s), want 4xx/5xx", s.Reply, s.Exc)
	} else if !strings.Contains(s.Reply, "close_notify") {
		t.Errorf("reply %q does not say the upload ended without close_notify", s.Reply)
	}
	if s := wantStep(t, steps, "nlst_after", ""); len(s.Lines) != 0 {
		t.Errorf("NLST /receive after truncation = %q, want empty", s.Lines)
	}
	if got := dirNames(t, filepath.Join(ts.root, "acme", "receive")); len(got) != 0 {
		t.Errorf("receive/ holds %q after a truncated upload, want nothing", got)
	}
	if ts.hasEvent(t, store.EventReceived, "/receive/trunc.edi") {
		t.Errorf("received event for a truncated upload")
	}
}

// TestInteropFtplibAbortedDownload: with remove_after_send, a download
// aborted midway keeps the file in send/, and the session goes on. Over
// plain FTP ftplib's abort() sends ABOR with its last byte as TCP urgent
// data, which the server must still read as part of the line.
func TestInteropFtplibAbortedDownload(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	for _, tc := range []struct{ name, scenario string }{{"TLS", "download-abort"}, {"plain", "download-abort-plain"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, ftpserver.Config{AllowPlain: tc.name == "plain", RemoveAfterSend: true})
			// Bigger than any loopback socket buffers, so the server cannot
			// have sent it all when ABOR arrives.
			data := randomData(t, 16<<20)
			p := filepath.Join(ts.root, "acme", "send", "big.edi")
			writeFile(t, p, data)
			steps := ftplib(t, ts.addr, "acme", tc.scenario, "/send/big.edi", "100000")
			wantStep(t, steps, "retr", "")
			if ab := steps["abort"]; ab.code() != "426" && ab.code() != "226" && ab.code() != "225" {
				t.Errorf("ABOR reply = %q (%s), want 426 then 226", ab.Reply, ab.Exc)
			}
			wantStep(t, steps, "noop_after", "200")
			if got := fileSum(p); got != sum(data) {
				t.Errorf("send/big.edi after an aborted download: %s, want it unchanged", got)
			}
			if ts.hasEvent(t, store.EventSent, "/send/big.edi") || ts.hasEvent(t, store.EventDeleted, "/send/big.edi") {
				t.Errorf("sent/deleted event for an aborted download: %v", ts.events(t))
			}
		})
	}
}

// TestInteropFtplibActive: active-mode FTPS (PORT, server connects, TLS on
// the data connection) with ftplib.
func TestInteropFtplibActive(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{ActiveMode: true})
	down := randomData(t, 150_000)
	writeFile(t, filepath.Join(ts.root, "acme", "send", "x.edi"), down)
	out := filepath.Join(t.TempDir(), "x.edi")
	steps := ftplib(t, ts.addr, "acme", "data", "", "noreuse", out, "active")
	if s := wantStep(t, steps, "nlst", ""); len(s.Lines) != 1 || !strings.HasSuffix(s.Lines[0], "x.edi") {
		t.Errorf("active NLST /send = %q, want [x.edi]", s.Lines)
	}
	wantStep(t, steps, "retr", "226")
	if got, want := fileSum(out), sum(down); got != want {
		t.Errorf("active download sha256 = %s, want %s", got, want)
	}
}

// TestInteropFtplibProtC: with TLS required, PROT C (clear data under a
// TLS control connection) never moves data in clear: PROT C gets 534, or
// the data command gets 521 before any 150 (checklist T-03).
func TestInteropFtplibProtC(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	writeFile(t, filepath.Join(ts.root, "acme", "send", "x.edi"), randomData(t, 10_000))
	out := filepath.Join(t.TempDir(), "x.edi")
	steps := ftplib(t, ts.addr, "acme", "prot-c", out)
	pc := steps["prot_c"]
	if !pc.OK {
		if pc.code() != "534" {
			t.Errorf("PROT C = %q, want 534 (or 200 and 521 on data commands)", pc.Reply)
		}
		return
	}
	for _, name := range []string{"nlst", "retr"} {
		s := steps[name]
		if s.OK {
			t.Errorf("%s after PROT C succeeded in clear; want 521", name)
			continue
		}
		if s.code() != "521" {
			t.Errorf("%s after PROT C = %q (%s), want 521 before any 150", name, s.Reply, s.Exc)
		}
	}
	if b, err := readIfExists(out); len(b) != 0 || err != nil {
		t.Errorf("clear download wrote %d bytes (%v)", len(b), err)
	}
	if ts.hasEvent(t, store.EventSent, "/send/x.edi") {
		t.Errorf("sent event for a download under PROT C")
	}
}

// TestInteropFtplibProtCAllowPlain: an account that may use plain FTP may
// also ask for clear data under a TLS control connection.
func TestInteropFtplibProtCAllowPlain(t *testing.T) {
	interop(t, "python3")
	t.Parallel()
	yes := true
	ts := startServer(t, ftpserver.Config{}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
	data := randomData(t, 10_000)
	writeFile(t, filepath.Join(ts.root, "acme", "send", "x.edi"), data)
	out := filepath.Join(t.TempDir(), "x.edi")
	steps := ftplib(t, ts.addr, "acme", "prot-c", out)
	for _, name := range []string{"prot_c", "nlst", "retr"} {
		if s := steps[name]; !s.OK {
			t.Errorf("%s for an allow-plain account = %q (%s), want success", name, s.Reply, s.Exc)
		}
	}
	if got, want := fileSum(out), sum(data); got != want {
		t.Errorf("clear download sha256 = %s, want %s", got, want)
	}
}
