package ftpserver_test

import (
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// freeRange finds n consecutive free loopback ports.
func freeRange(t *testing.T, n int) (lo, hi int) {
	t.Helper()
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lo = l.Addr().(*net.TCPAddr).Port
		l.Close()
		if lo+n > 65535 {
			continue
		}
		ok := true
		for p := lo; p < lo+n; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return lo, lo + n - 1
		}
	}
	t.Fatal("no free port range")
	return 0, 0
}

// rawLogin opens a plain control connection and logs in as acme.
func rawLogin(t *testing.T, addr string) *textproto.Conn {
	t.Helper()
	c, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	cmd(t, c, 331, "USER acme")
	cmd(t, c, 230, "PASS %s", testPass)
	return c
}

func cmd(t *testing.T, c *textproto.Conn, want int, format string, args ...any) string {
	t.Helper()
	if err := c.PrintfLine(format, args...); err != nil {
		t.Fatal(err)
	}
	_, msg, err := c.ReadResponse(want)
	if err != nil {
		t.Fatalf("%s: %v", strings.Fields(format)[0], err)
	}
	return msg
}

func TestPassiveRangeAndAddress(t *testing.T) {
	lo, hi := freeRange(t, 5)
	yes := true
	ts := startServer(t, ftpserver.Config{PassivePorts: fmt.Sprintf("%d-%d", lo, hi), PassiveAddress: "127.0.0.1"},
		func(a *store.Account) { a.Policy.AllowPlain = &yes })
	c := rawLogin(t, ts.addr)
	for i := 0; i < 3; i++ {
		msg := cmd(t, c, 229, "EPSV")
		var p int
		if _, err := fmt.Sscanf(msg[strings.Index(msg, "(|||"):], "(|||%d|)", &p); err != nil || p < lo || p > hi {
			t.Errorf("EPSV reply %q: port %d outside %d-%d", msg, p, lo, hi)
		}
		msg = cmd(t, c, 227, "PASV")
		var a, b, cc, d, p1, p2 int
		if _, err := fmt.Sscanf(msg[strings.Index(msg, "("):], "(%d,%d,%d,%d,%d,%d)", &a, &b, &cc, &d, &p1, &p2); err != nil {
			t.Fatalf("PASV reply %q: %v", msg, err)
		}
		if ip := fmt.Sprintf("%d.%d.%d.%d", a, b, cc, d); ip != "127.0.0.1" || p1*256+p2 < lo || p1*256+p2 > hi {
			t.Errorf("PASV reply %q: want 127.0.0.1 and a port in %d-%d", msg, lo, hi)
		}
	}
}

// TestIdleTimeout: the server closes an idle session: the next read ends
// (with a 421 notice or EOF) well within the test's own deadline. A
// timeout under a second is rounded up to one, not to ftpserverlib's
// default for 0 (15 minutes).
func TestIdleTimeout(t *testing.T) {
	for _, idle := range []time.Duration{3 * time.Second, 500 * time.Millisecond} {
		t.Run(idle.String(), func(t *testing.T) {
			yes := true
			ts := startServer(t, ftpserver.Config{IdleTimeout: idle}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
			c := rawLogin(t, ts.addr)
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				for {
					if _, err := c.ReadLine(); err != nil {
						return
					}
				}
			}()
			select {
			case <-closed:
			case <-time.After(idle + 5*time.Second):
				t.Fatalf("session idle for %v not closed", idle+5*time.Second)
			}
		})
	}
}

// TestPassiveRangeUsedUp: when every port of the passive range is taken,
// PASV is refused with 425 (no data connection), not 421 (which says the
// control connection is closing), naming the range; the session goes on.
func TestPassiveRangeUsedUp(t *testing.T) {
	lo, hi := freeRange(t, 2)
	yes := true
	ts := startServer(t, ftpserver.Config{PassivePorts: fmt.Sprintf("%d-%d", lo, hi), PassiveAddress: "127.0.0.1"},
		func(a *store.Account) { a.Policy.AllowPlain = &yes })
	for range 2 { // each session keeps one port listening
		cmd(t, rawLogin(t, ts.addr), 227, "PASV")
	}
	c := rawLogin(t, ts.addr)
	msg := cmd(t, c, 425, "PASV")
	if want := fmt.Sprintf("every passive port (%d-%d) is in use", lo, hi); !strings.Contains(msg, want) {
		t.Errorf("PASV with the range used up = 425 %q, want it to say %q", msg, want)
	}
	cmd(t, c, 200, "NOOP")
}
