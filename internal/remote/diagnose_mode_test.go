package remote

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeGreeter listens on loopback and runs serve on each connection.
func fakeGreeter(t *testing.T, serve func(c net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// lastStep is the step a report stopped at.
func lastStep(r Report) Step { return r.Steps[len(r.Steps)-1] }

// TestDiagnoseWrongTLSMode: the three ways of choosing the wrong TLS mode
// each get advice naming --tls, not a misleading cause.
func TestDiagnoseWrongTLSMode(t *testing.T) {
	ctx := context.Background()
	// Implicit TLS against a port that greets in clear.
	clear := fakeGreeter(t, func(c net.Conn) { io.WriteString(c, "220 ready\r\n"); io.Copy(io.Discard, c) })
	r := Diagnose(ctx, Config{Host: "127.0.0.1", Port: clear, TLS: TLSImplicit, User: "u"}, nil)
	if s := lastStep(r); s.OK || s.Name != "tls" || !strings.Contains(s.Detail+s.Err.Error(), FlagTLS+" explicit") || strings.Contains(s.Detail+s.Err.Error(), FlagMaxTLS) {
		t.Errorf("implicit TLS on a clear port: step %s: %q (%v); want advice to set %s explicit and none about %s", s.Name, s.Detail, s.Err, FlagTLS, FlagMaxTLS)
	}
	// Explicit TLS against a port that waits for a ClientHello.
	silent := fakeGreeter(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	start := time.Now()
	r = Diagnose(ctx, Config{Host: "127.0.0.1", Port: silent, TLS: TLSExplicit, User: "u", DialTimeout: 300 * time.Millisecond}, nil)
	if s := lastStep(r); s.OK || s.Name != "greeting" || !strings.Contains(s.Detail, FlagTLS+" implicit") {
		t.Errorf("explicit TLS on a silent port: step %s: %q; want advice to set %s implicit", s.Name, s.Detail, FlagTLS)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a silent server took %v to diagnose; want about the 300ms dial timeout", d)
	}
	// No TLS against a server that wants it.
	wantsTLS := fakeGreeter(t, func(c net.Conn) {
		io.WriteString(c, "220 ready\r\n")
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(l, "USER"):
				io.WriteString(c, "530 Anonymous sessions must use encryption.\r\n")
			default:
				io.WriteString(c, "500 no\r\n")
			}
		}
	})
	r = Diagnose(ctx, Config{Host: "127.0.0.1", Port: wantsTLS, TLS: TLSNever, User: "anonymous"}, nil)
	if s := lastStep(r); s.OK || s.Name != "login" || !strings.Contains(s.Detail, "the server requires TLS") || !strings.Contains(s.Detail, FlagTLS+" explicit") {
		t.Errorf("no TLS against a server requiring it: step %s: %q; want advice to set %s explicit", s.Name, s.Detail, FlagTLS)
	}
}
