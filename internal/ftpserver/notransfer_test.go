package ftpserver_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestTransferWithoutDataConnection: STOR, APPE and RETR with no PASV,
// EPSV, PORT or EPRT before them are refused before any file is opened:
// no upload starts, nothing is left, and no aborted transfer is recorded.
func TestTransferWithoutDataConnection(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte("alpha"))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	for _, cmd := range []string{"STOR /receive/x.edi", "APPE /receive/y.edi", "RETR /send/a.edi"} {
		if code, msg := c.cmd(cmd); code != 550 || !strings.Contains(msg, "no transfer connection") {
			t.Errorf("%s = %d %s, want 550 saying there is no transfer connection", cmd, code, msg)
		}
	}
	if got := dirNames(t, filepath.Join(ts.root, "acme", "receive")); len(got) != 0 {
		t.Errorf("receive/ holds %q, want nothing", got)
	}
	c.cmd("QUIT")
	for _, kind := range []string{store.EventAborted, store.EventSent, store.EventReceived} {
		if n, paths := ts.countEvents(t, kind); n != 0 {
			t.Errorf("%d %s events (%v), want none", n, kind, paths)
		}
	}
}

// TestTransferWithoutPROTP: over TLS without PROT P, a transfer is refused
// with 521 (RFC 4217) saying to send PROT P, and the session goes on (421
// would tell the client it is closing).
func TestTransferWithoutPROTP(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte("alpha"))
	c, _, _ := rawDial(t, "", ts.addr)
	tc := c.startTLS(t)
	tc.login("acme")
	addr := tc.pasv()
	dc, err := dialFrom(t, "", addr)
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	defer dc.Close()
	if code, msg := tc.cmd("RETR /send/a.edi"); code != 521 || !strings.Contains(msg, "send PBSZ 0 and PROT P first") {
		t.Errorf("RETR without PROT P = %d %s, want 521 saying to send PROT P", code, msg)
	}
	if code, msg := tc.cmd("NOOP"); code != 200 {
		t.Errorf("NOOP after the refusal = %d %s, want 200: the session goes on", code, msg)
	}
}
