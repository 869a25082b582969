package ftpserver_test

import (
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestUnreadDownloadKept: a client that reads the first 1,000 bytes of a
// download from send/ and closes the data connection, without ABOR, did
// not get the file, although it fits in socket buffers and the server's
// copy ended: with remove-after-send the server waits for the client's
// close and takes its reset (data left unread) as an aborted download, so
// the file stays and no "sent" event is recorded. A client that reads to
// the end gets it removed as before.
func TestUnreadDownloadKept(t *testing.T) {
	yes := true
	ts := startServer(t, ftpserver.Config{RemoveAfterSend: true}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
	data := randomData(t, 300<<10)
	for _, tc := range []struct {
		name   string
		read   int64 // bytes read before closing; -1 reads to the end
		remove bool
	}{
		{"unread.bin", 1000, false},
		{"whole.bin", -1, true},
	} {
		p := filepath.Join(ts.root, "acme", "send", tc.name)
		writeFile(t, p, data)
		r, _, _ := rawDial(t, "", ts.addr)
		r.login("acme")
		addr := r.pasv()
		r.send("RETR /send/" + tc.name + "\r\n")
		dc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if code, msg, err := r.reply(); err != nil || code != 150 {
			t.Fatalf("%s: RETR = %d %s %v, want 150", tc.name, code, msg, err)
		}
		_ = dc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var got int64
		if tc.read < 0 {
			got, err = io.Copy(io.Discard, dc)
		} else {
			got, err = io.CopyN(io.Discard, dc, tc.read)
		}
		if err != nil {
			t.Fatalf("%s: read %d bytes: %v", tc.name, got, err)
		}
		dc.Close()
		code, msg, err := r.reply()
		if err != nil {
			t.Fatalf("%s: final reply: %v", tc.name, err)
		}
		if removed := !exists(p); removed != tc.remove {
			t.Errorf("%s: read %d of %d bytes, reply %d %s: removed %v, want %v", tc.name, got, len(data), code, msg, removed, tc.remove)
		}
		if sent := ts.hasEvent(t, store.EventSent, "/send/"+tc.name); sent != tc.remove {
			t.Errorf("%s: sent event %v, want %v", tc.name, sent, tc.remove)
		}
	}
}
