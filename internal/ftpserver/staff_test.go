package ftpserver_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestStaffCannotDismantleHomes: staff see the whole file root, but may
// not remove or rename a partner's home or its send/ and receive/ folders;
// what is inside them, and other folders, they may.
func TestStaffCannotDismantleHomes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	for _, d := range []string{"acme/send/sub", "other"} {
		if err := os.MkdirAll(filepath.Join(ts.root, filepath.FromSlash(d)), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("ops")
	for _, tc := range []struct{ cmds []string }{
		{[]string{"RMD /acme/receive"}},
		{[]string{"RMD /acme"}},
		{[]string{"RNFR /acme", "RNTO /acme-old"}},
		{[]string{"RNFR /acme/send", "RNTO /acme/sent"}},
	} {
		var code int
		var msg string
		for _, cmd := range tc.cmds {
			code, msg = c.cmd(cmd)
		}
		if code != 550 || !strings.Contains(msg, "partner acme's") || !strings.Contains(msg, "wharf partner remove acme") {
			t.Errorf("%v = %d %s, want 550 saying it is partner acme's and how to remove the partner", tc.cmds, code, msg)
		}
	}
	for _, d := range []string{"acme", "acme/send", "acme/receive"} {
		if fi, err := os.Stat(filepath.Join(ts.root, filepath.FromSlash(d))); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v, want it kept", d, err)
		}
	}
	for _, cmd := range []string{"RMD /acme/send/sub", "RMD /other"} {
		if code, msg := c.cmd(cmd); code != 250 {
			t.Errorf("%s = %d %s, want 250", cmd, code, msg)
		}
	}
}
