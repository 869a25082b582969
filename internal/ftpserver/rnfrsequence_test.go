package ftpserver_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestRNTOOnlyRightAfterRNFR: RNTO renames only the file the RNFR just
// before it named (RFC 959: RNFR "must be immediately followed by" RNTO).
// The name an RNFR accepted used to stay until an RNTO succeeded: after a
// refused RNTO, or another command, or an RNFR of a file that does not
// exist, a later RNTO renamed that earlier file instead of being refused.
func TestRNTOOnlyRightAfterRNFR(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true}, func(a *store.Account) {
		a.Policy.Receive = &store.Access{Read: true, Write: true}
	})
	recv := filepath.Join(ts.root, "acme", "receive")
	writeFile(t, filepath.Join(recv, "a.edi"), []byte("a"))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	c.cmd("CWD /receive")
	for _, tc := range []struct {
		name    string
		between []string // after RNFR a.edi, before RNTO
	}{
		{"after a refused RNTO", []string{"RNTO bad.edi "}},
		{"after a refused RNFR", []string{"RNFR missing.edi"}},
		{"after another command", []string{"NOOP"}},
	} {
		if code, msg := c.cmd("RNFR a.edi"); code != 350 {
			t.Fatalf("RNFR a.edi = %d %s", code, msg)
		}
		for _, l := range tc.between {
			c.cmd(l)
		}
		if code, msg := c.cmd("RNTO c.edi"); code != 503 {
			t.Errorf("%s: RNTO c.edi = %d %s; want 503 (no RNFR just before)", tc.name, code, msg)
		}
		if got := strings.Join(dirNames(t, recv), ","); got != "a.edi" {
			t.Fatalf("%s: receive/ holds %q, want a.edi alone", tc.name, got)
		}
	}
	if code, msg := c.cmd("RNFR a.edi"); code != 350 {
		t.Fatalf("RNFR a.edi = %d %s", code, msg)
	}
	if code, msg := c.cmd("RNTO c.edi"); code != 250 || !exists(filepath.Join(recv, "c.edi")) {
		t.Errorf("RNTO c.edi right after RNFR a.edi = %d %s, want 250 and c.edi", code, msg)
	}
}
