package ftpserver_test

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestPassiveIntruderDropped: a connection to a PASV port from another
// address fails the transfer it was taken for (425), and is dropped: a
// second RETR on the same PASV does not hand the file to it, but waits
// for, and sends to, a data connection from the client's own address.
// The intruder used to stay the passive handler's connection, and the
// next transfer went to it unchecked.
func TestPassiveIntruderDropped(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	const secret = "ISA*00*SECRET~"
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte(secret))
	c, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	c.login("acme")
	addr := c.pasv()
	thief, err := dialFrom(t, "127.0.0.2", addr)
	if err != nil {
		t.Fatalf("connect to the PASV port from 127.0.0.2: %v", err)
	}
	defer thief.Close()
	stolen := make(chan string, 1)
	go func() {
		_ = thief.SetReadDeadline(time.Now().Add(clientTimeout))
		b, _ := io.ReadAll(thief)
		stolen <- string(b)
	}()
	if code, msg := c.cmd("RETR /send/a.edi"); code != 425 {
		t.Fatalf("RETR with a foreign data connection = %d %s, want 425", code, msg)
	}
	// The same PASV again, now with the client's own connection.
	dc, err := dialFrom(t, "127.0.0.1", addr)
	if err != nil {
		t.Fatalf("connect to the PASV port again from 127.0.0.1: %v", err)
	}
	defer dc.Close()
	c.send("RETR /send/a.edi\r\n")
	code, msg, err := c.reply()
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	if code == 150 {
		_ = dc.SetReadDeadline(time.Now().Add(clientTimeout))
		got, _ = io.ReadAll(dc)
		code, msg, err = c.reply()
		if err != nil {
			t.Fatal(err)
		}
	}
	if b := <-stolen; b != "" {
		t.Errorf("the connection from 127.0.0.2 received %q", b)
	}
	if code != 226 || string(got) != secret {
		t.Errorf("second RETR on the PASV = %d %s with %q read; want 226 and the file on the client's own connection", code, msg, got)
	}
}
