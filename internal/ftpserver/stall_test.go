package ftpserver_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestStalledUploadIsCut: a client that opens a data connection, sends a
// little and then stalls is cut after the idle timeout, and nothing is
// published.
func TestStalledUploadIsCut(t *testing.T) {
	yes := true
	ts := startServer(t, ftpserver.Config{IdleTimeout: 3 * time.Second}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
	c := rawLogin(t, ts.addr)
	data := epsvDial(t, c)
	if err := c.PrintfLine("STOR /receive/stalled.edi"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadResponse(150); err != nil {
		t.Fatal(err)
	}
	if _, err := data.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	// Now stall. The server must end the transfer with an error reply.
	start := time.Now()
	code, reply, err := c.ReadResponse(226)
	if err == nil {
		t.Fatalf("stalled upload completed: %d %s", code, reply)
	}
	// The data watchdog and the control idle timeout share the 3s here:
	// either a 4xx/5xx reply or the session being closed ends it.
	if code < 400 && !errors.Is(err, io.EOF) {
		t.Fatalf("stalled upload: reply %d %q, %v; want 4xx/5xx or a closed session", code, reply, err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("cut after %v; want about the 3s idle timeout", d)
	}
	if exists(filepath.Join(ts.root, "acme", "stalled.edi")) || exists(filepath.Join(ts.root, "acme", "receive", "stalled.edi")) {
		t.Errorf("stalled upload was published")
	}
	ents, _ := os.ReadDir(filepath.Join(ts.root, "acme", "receive"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".wharf-") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

// TestStalledDownloadIsCut: a client that opens a plain data connection
// (passive, or active where the server dials it) and then reads nothing is
// cut after the idle timeout, instead of holding its session forever.
func TestStalledDownloadIsCut(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(map[bool]string{false: "passive", true: "active"}[active], func(t *testing.T) {
			yes := true
			ts := startServer(t, ftpserver.Config{IdleTimeout: 3 * time.Second, ActiveMode: true}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
			if err := os.WriteFile(filepath.Join(ts.root, "acme", "send", "big.edi"), make([]byte, 64<<20), 0o644); err != nil {
				t.Fatal(err)
			}
			c := rawLogin(t, ts.addr)
			var data net.Conn
			if active {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				cmd(t, c, 200, "EPRT |1|127.0.0.1|%d|", ln.Addr().(*net.TCPAddr).Port)
				if err := c.PrintfLine("RETR /send/big.edi"); err != nil {
					t.Fatal(err)
				}
				if data, err = ln.Accept(); err != nil {
					t.Fatal(err)
				}
			} else {
				data = epsvDial(t, c)
				if err := c.PrintfLine("RETR /send/big.edi"); err != nil {
					t.Fatal(err)
				}
			}
			defer data.Close() // connected, never read
			if _, _, err := c.ReadResponse(150); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			code, reply, err := c.ReadResponse(226)
			if err == nil {
				t.Fatalf("stalled download completed: %d %s", code, reply)
			}
			if code < 400 && !errors.Is(err, io.EOF) {
				t.Fatalf("stalled download: reply %d %q, %v; want 4xx/5xx or a closed session", code, reply, err)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("cut after %v; want about the 3s idle timeout", d)
			}
		})
	}
}

// TestAbortStalledDownload: ABOR while a plain download is blocked on a
// client that reads nothing ends the transfer at once (not after the idle
// timeout), keeps the file and records no sent event.
func TestAbortStalledDownload(t *testing.T) {
	yes := true
	ts := startServer(t, ftpserver.Config{IdleTimeout: time.Minute, RemoveAfterSend: true}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
	p := filepath.Join(ts.root, "acme", "send", "big.edi")
	if err := os.WriteFile(p, make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	c := rawLogin(t, ts.addr)
	data := epsvDial(t, c) // connected, never read
	if err := c.PrintfLine("RETR /send/big.edi"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadResponse(150); err != nil {
		t.Fatal(err)
	}
	// One byte read proves the transfer runs; the server then fills the
	// socket buffers and blocks on the client, which reads no more.
	if _, err := io.ReadFull(data, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.PrintfLine("ABOR"); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for len(codes) == 0 || codes[len(codes)-1] != 226 && codes[len(codes)-1] != 225 {
		code, line, err := c.ReadResponse(0)
		if err != nil && code == 0 {
			t.Fatalf("after ABOR: %v (replies so far %v)", err, codes)
		}
		codes = append(codes, code)
		if code >= 500 {
			t.Fatalf("ABOR: %d %s", code, line)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("ABOR took %v; want it at once, not after the 1-minute idle timeout", d)
	}
	if !exists(p) {
		t.Errorf("send/big.edi removed after an aborted download")
	}
	if ts.hasEvent(t, store.EventSent, "/send/big.edi") {
		t.Errorf("sent event for an aborted download")
	}
}

// epsvDial sends EPSV on c and connects to the port the reply names; the
// connection is closed when the test ends.
func epsvDial(t *testing.T, c *textproto.Conn) net.Conn {
	t.Helper()
	msg := cmd(t, c, 229, "EPSV")
	var p int
	if i := strings.Index(msg, "(|||"); i < 0 {
		t.Fatalf("EPSV reply %q names no port", msg)
	} else if _, err := fmt.Sscanf(msg[i:], "(|||%d|)", &p); err != nil {
		t.Fatalf("EPSV reply %q: %v", msg, err)
	}
	data, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	return data
}
