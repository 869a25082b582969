package ftpserver_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestSilentTLSClientClosedAtLoginTimeout: a client that opens a TLS
// handshake and never sends its ClientHello (on the implicit port from
// the first byte, on the explicit one after AUTH TLS) is closed at the
// login timeout, as one that says nothing over plain FTP is. The greeting
// on the implicit port, or the 421 of the login timeout, waited for the
// handshake without a deadline, so such connections stayed open for
// good, each counted against max_conns and max_conns_per_ip.
func TestSilentTLSClientClosedAtLoginTimeout(t *testing.T) {
	for _, implicit := range []bool{true, false} {
		t.Run(map[bool]string{true: "implicit", false: "explicit"}[implicit], func(t *testing.T) {
			ts := startServer(t, ftpserver.Config{LoginTimeout: time.Second, IdleTimeout: time.Hour})
			addr := ts.addr
			if implicit {
				addr = ts.implicit
			}
			conn, err := net.DialTimeout("tcp", addr, clientTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if !implicit {
				r := bufio.NewReader(conn)
				for _, want := range []string{"220 ", "234 "} {
					if want == "234 " {
						if _, err := io.WriteString(conn, "AUTH TLS\r\n"); err != nil {
							t.Fatal(err)
						}
					}
					_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
					line, err := r.ReadString('\n')
					if err != nil || !strings.HasPrefix(line, want) {
						t.Fatalf("reply %q, %v; want %s...", line, err, want)
					}
				}
			}
			// Now silence: no ClientHello. The server must close within
			// the login timeout and its 1 s reply deadline, well before
			// the idle timeout (an hour) or the test's deadline.
			start := time.Now()
			_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
			_, err = io.Copy(io.Discard, conn)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection still open after %v; want it closed at the 1s login timeout", time.Since(start).Round(time.Second))
			}
			deadline := time.Now().Add(clientTimeout)
			for {
				if open, _ := ts.srv.SessionCounts(); open == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("session still counted after its connection closed")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
