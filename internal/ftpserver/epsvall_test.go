package ftpserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestEPSVAll: "EPSV ALL" (RFC 2428 §4) is acknowledged with 200 and
// opens no port; from then on PASV, PORT and EPRT are refused (503) and
// EPSV works. It was taken for a plain EPSV: a 229 with a port the client
// never asked for, and PASV or PORT still accepted after it, which NAT
// devices that saw EPSV ALL no longer translate.
func TestEPSVAll(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true, ActiveMode: true})
	c, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	c.login("acme")
	if code, msg := c.cmd("EPSV ALL"); code != 200 {
		t.Errorf("EPSV ALL = %d %s, want 200", code, msg)
	}
	for _, line := range []string{"PASV", "PORT 127,0,0,1,200,10", "EPRT |1|127.0.0.1|51210|"} {
		if code, msg := c.cmd(line); code != 503 || !strings.Contains(msg, "EPSV ALL") {
			t.Errorf("%s after EPSV ALL = %d %s, want 503 naming EPSV ALL", line, code, msg)
		}
	}
	if code, msg := c.cmd("epsv all"); code != 200 {
		t.Errorf("epsv all again = %d %s, want 200", code, msg)
	}
	code, msg := c.cmd("EPSV")
	var p int
	if i := strings.Index(msg, "(|||"); code != 229 || i < 0 {
		t.Fatalf("EPSV after EPSV ALL = %d %s, want 229", code, msg)
	} else if _, err := fmt.Sscanf(msg[i:], "(|||%d|)", &p); err != nil || p == 0 {
		t.Errorf("EPSV reply %q names no port", msg)
	}
}
