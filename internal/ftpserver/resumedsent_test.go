package ftpserver_test

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestResumedDownloadSentEventCountsTheFile: with remove-after-send, a
// download cut short and then resumed to the end is recorded as one sent
// event for the whole file, as a segmented one is whichever of its parts
// closes last. When the part that completed the file was the one to reach
// its end (a resume, or lftp pget's last part closing last), the event
// counted that part's bytes alone: "sent 3 MiB" for a 4 MiB file, and
// TestInteropLftpPgetRemoveAfterSend failed when the last part closed last.
func TestResumedDownloadSentEventCountsTheFile(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true, RemoveAfterSend: true})
	const size, cut = 4 << 20, 1 << 20
	p := filepath.Join(ts.root, "acme", "send", "r.edi")
	writeFile(t, p, randomData(t, size))

	first, _, _ := rawDial(t, "", ts.addr)
	first.login("acme")
	dc := first.dataConn(t)
	first.send("RETR /send/r.edi\r\n")
	if code, msg, err := first.reply(); err != nil || code != 150 {
		t.Fatalf("RETR = %d %s, %v", code, msg, err)
	}
	_ = dc.SetReadDeadline(time.Now().Add(clientTimeout))
	if _, err := io.ReadFull(dc, make([]byte, cut)); err != nil {
		t.Fatal(err)
	}
	dc.Close()
	first.conn.Close() // the client dies with a megabyte of the file
	deadline := time.Now().Add(clientTimeout)
	for !ts.hasEvent(t, store.EventAborted, "/send/r.edi") {
		if time.Now().After(deadline) {
			t.Fatal("no aborted event for the cut download")
		}
		time.Sleep(10 * time.Millisecond)
	}

	again, _, _ := rawDial(t, "", ts.addr)
	again.login("acme")
	if code, msg := again.cmd("REST 1048576"); code != 350 {
		t.Fatalf("REST = %d %s", code, msg)
	}
	if code, msg, b := again.retr(t, "", "/send/r.edi"); code != 226 || len(b) != size-cut {
		t.Fatalf("resumed RETR = %d %s with %d bytes; want 226 and %d", code, msg, len(b), size-cut)
	}
	for exists(p) {
		if time.Now().After(deadline) {
			t.Fatal("r.edi not removed after its resumed download completed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var sent []int64
	for _, e := range ts.events(t) {
		if e.Kind == store.EventSent && e.Path == "/send/r.edi" {
			sent = append(sent, e.Bytes)
		}
	}
	if len(sent) != 1 || sent[0] != size {
		t.Errorf("sent events for r.edi count %v bytes; want one, of the file's %d", sent, size)
	}
}
