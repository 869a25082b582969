package ftpserver_test

import (
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestRestClearedByOtherCommands: a REST holds for the transfer it
// prepares, with the data connection set up between (PASV, EPSV, PORT,
// TYPE...), and not past another command (RFC 3659 §5.2: REST is the last
// command before the transfer). It used to stay until a transfer: after
// REST, NOOP (or SIZE, LIST...), a STOR of a new file was refused as
// "nothing to resume", and a STOR over an existing file kept its first
// bytes before the new data.
func TestRestClearedByOtherCommands(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true}, overwrite, func(a *store.Account) {
		a.Policy.Receive = &store.Access{Read: true, Write: true}
	})
	recv := filepath.Join(ts.root, "acme", "receive")
	writeFile(t, filepath.Join(recv, "old.edi"), []byte("OLD-CONTENT"))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	for _, tc := range []struct{ between, path, payload string }{
		{"NOOP", "/receive/new.edi", "new"},
		{"SIZE /receive/old.edi", "/receive/old.edi", "replaced"},
	} {
		if code, msg := c.cmd("REST 3"); code != 350 {
			t.Fatalf("REST 3 = %d %s", code, msg)
		}
		c.cmd(tc.between)
		if code, msg := c.stor(t, tc.path, tc.payload); code != 226 {
			t.Errorf("STOR %s after REST 3, %s = %d %s; want 226", tc.path, tc.between, code, msg)
		}
		if got := fileSum(filepath.Join(ts.root, "acme", tc.path)); got != sum([]byte(tc.payload)) {
			t.Errorf("%s after REST 3, %s, STOR: not %q (sha256 %s)", tc.path, tc.between, tc.payload, got)
		}
	}
	// REST, then PASV (in r.stor) and TYPE, then STOR: still a resume.
	if code, msg := c.cmd("REST 3"); code != 350 {
		t.Fatalf("REST 3 = %d %s", code, msg)
	}
	c.cmd("TYPE I")
	if code, msg := c.stor(t, "/receive/old.edi", "-TAIL"); code != 226 {
		t.Fatalf("STOR after REST 3, TYPE I, PASV = %d %s", code, msg)
	}
	if got := fileSum(filepath.Join(recv, "old.edi")); got != sum([]byte("rep-TAIL")) {
		t.Errorf("old.edi after REST 3, TYPE I, PASV, STOR -TAIL is not %q", "rep-TAIL")
	}
}
