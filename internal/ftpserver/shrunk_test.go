package ftpserver_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestDownloadOfShrunkFileFails: a file in send/ truncated while it is
// being downloaded (a back-end rewriting it in place) ends the download
// with 451, not 226: the client got less than the file had when the
// download began, and the server's own log records it as incomplete. It
// used to answer 226, and the partner took the cut file for the whole.
func TestDownloadOfShrunkFileFails(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true, RemoveAfterSend: true})
	p := filepath.Join(ts.root, "acme", "send", "big.edi")
	if err := os.WriteFile(p, make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	dc := c.dataConn(t)
	c.send("RETR /send/big.edi\r\n")
	if code, msg, err := c.reply(); err != nil || code != 150 {
		t.Fatalf("RETR = %d %s, %v; want 150", code, msg, err)
	}
	_ = dc.SetReadDeadline(time.Now().Add(clientTimeout))
	// One byte read: the server is sending, and blocks once the socket
	// buffers (a few MiB) are full, far from the file's 64 MiB.
	if _, err := io.ReadFull(dc, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 1<<20); err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, dc)
	code, msg := c.final(t, "RETR")
	if code != 451 || n+1 >= 64<<20 {
		t.Errorf("RETR of a file cut to 1 MiB while sent = %d %s after %d bytes; want 451", code, msg, n+1)
	}
	if ts.hasEvent(t, store.EventSent, "/send/big.edi") {
		t.Errorf("sent event for a download cut short")
	}
	if !exists(p) {
		t.Errorf("send/big.edi removed after a download cut short")
	}
}
