package ftpserver_test

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestPASVOverIPv6LeaksNoPort: PASV on an IPv6 control connection, with no
// passive_address to advertise, is refused with 425 naming EPSV, the
// session goes on, and no port is left listening. Each such PASV used to
// leave a listener open for the life of the server (fds and passive ports
// used up by any logged-in client), and answered 421, which tells a client
// that the control connection is closing.
func TestPASVOverIPv6LeaksNoPort(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	ts := startServer(t, ftpserver.Config{Listen: "[::1]:0", AllowPlain: true})
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	before := openFDs(t)
	const n = 20
	for range n {
		code, msg := c.cmd("PASV")
		if code != 425 || !strings.Contains(msg, "EPSV") {
			t.Fatalf("PASV over IPv6 = %d %s; want 425 saying to use EPSV", code, msg)
		}
	}
	if code, msg := c.cmd("NOOP"); code != 200 {
		t.Fatalf("NOOP after PASV = %d %s", code, msg)
	}
	if after := openFDs(t); after-before >= n/2 {
		t.Errorf("%d PASV over IPv6 left %d more files open (%d, then %d): passive listeners leaked", n, after-before, before, after)
	}
	if code, msg := c.cmd("EPSV"); code != 229 {
		t.Errorf("EPSV over IPv6 = %d %s, want 229", code, msg)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(ents)
}
