package ftpserver_test

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDebugTranscript: at debug level a session logs the commands it
// received and the replies it sent, with PASS's argument masked; at info
// level it logs neither.
func TestDebugTranscript(t *testing.T) {
	t.Parallel()
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		t.Run(level.String(), func(t *testing.T) {
			var logs lockedBuffer
			ts := startServerWith(t, ftpserver.Config{AllowPlain: true}, func(o *ftpserver.Options) {
				o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))
			})
			c, _, _ := rawDial(t, "", ts.addr)
			c.login("acme")
			c.cmd("NOOP")
			c.cmd("QUIT")
			ts.stop()
			out := logs.String()
			if strings.Contains(out, testPass) {
				t.Errorf("the log holds the password:\n%s", out)
			}
			transcript := []string{`msg="Received line"`, `line="USER acme"`, `line="PASS ****"`, `msg="Sending answer"`, `line="200 OK"`}
			for _, want := range transcript {
				if got := strings.Contains(out, want); got != (level == slog.LevelDebug) {
					t.Errorf("log has %q: %v, want %v\n%s", want, got, level == slog.LevelDebug, out)
				}
			}
		})
	}
}

// TestProbesLogNoErrors: a connect-and-close (a load balancer's health
// check) and plain text on the implicit TLS port are the client's end:
// they log no warning or error.
func TestProbesLogNoErrors(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	for _, p := range []struct{ addr, send string }{{ts.addr, ""}, {ts.implicit, ""}, {ts.implicit, "USER acme\r\n"}} {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		if p.send != "" {
			_, _ = c.Write([]byte(p.send))
		}
		c.Close()
	}
	// stop returns once Serve has, after every session ended.
	ts.stop()
	for _, bad := range []string{"level=WARN", "level=ERROR"} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("probes logged %s:\n%s", bad, logs.String())
		}
	}
}
