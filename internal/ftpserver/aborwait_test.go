package ftpserver_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestAbortWhileWaitingForDataConnection: ABOR while a RETR waits for its
// passive data connection (the client never connects: a firewall, a
// client that gave up) ends the wait at once: 425 for the RETR, then 226
// for the ABOR. The wait held the session's transfer lock, which ABOR
// needs, for its whole 30 s, and the client heard nothing meanwhile.
func TestAbortWhileWaitingForDataConnection(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	writeFile(t, ts.root+"/acme/send/a.edi", []byte("a"))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	c.pasv()
	c.send("RETR /send/a.edi\r\n")
	// Until the RETR is in its accept (in-process: its stack shows it).
	deadline := time.Now().Add(clientTimeout)
	for !stackHas("ConnectionWait") {
		if time.Now().After(deadline) {
			t.Fatal("RETR never waited for its data connection")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	c.send("ABOR\r\n")
	var codes []int
	for len(codes) < 2 {
		code, msg, err := c.reply()
		if err != nil {
			t.Fatalf("after ABOR: %v (replies %v)", err, codes)
		}
		t.Logf("< %d %s", code, msg)
		codes = append(codes, code)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("ABOR answered after %v; want at once, not after the 30 s accept timeout", d.Round(time.Second))
	}
	if codes[0] != 425 || codes[1] != 226 {
		t.Errorf("replies to RETR and ABOR = %v, want [425 226]", codes)
	}
	if code, msg := c.cmd("NOOP"); code != 200 {
		t.Errorf("NOOP after ABOR = %d %s", code, msg)
	}
}

// stackHas reports whether some goroutine's stack names fn.
func stackHas(fn string) bool {
	buf := make([]byte, 1<<20)
	return bytes.Contains(buf[:runtime.Stack(buf, true)], []byte(fn))
}
