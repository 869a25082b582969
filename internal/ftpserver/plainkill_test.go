package ftpserver_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestPlainUploadCutWithItsClient: over plain FTP an upload ends with the
// data connection's FIN whether the file was sent whole or its client
// died; a client that dies closes its control connection too, in either
// order. Closing the data connection first and the control connection
// right after (as a killed process may) publishes nothing, every time.
func TestPlainUploadCutWithItsClient(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	recv := filepath.Join(ts.root, "acme", "receive")
	for i := range 20 {
		name := fmt.Sprintf("/receive/cut%d.edi", i)
		r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
		r.login("acme")
		r.cmd("TYPE I")
		dc, err := net.Dial("tcp", r.pasv())
		if err != nil {
			t.Fatal(err)
		}
		r.send("STOR " + name + "\r\n")
		if code, msg, err := r.reply(); code != 150 {
			t.Fatalf("STOR = %d %s, %v", code, msg, err)
		}
		if _, err := dc.Write([]byte("half of an order")); err != nil {
			t.Fatal(err)
		}
		dc.Close()
		r.conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		waitFor(ctx, t, "the server's verdict on "+name, func() bool {
			return ts.hasEvent(t, store.EventAborted, name) || ts.hasEvent(t, store.EventReceived, name)
		})
		cancel()
		if exists(filepath.Join(recv, filepath.Base(name))) || ts.hasEvent(t, store.EventReceived, name) {
			t.Fatalf("try %d: the upload of a client that closed both connections was published", i)
		}
	}
}
