package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// TestServeOnReceivePush: with `wharf serve` running, a file a partner
// uploads into a folder with an --on-receive push sync arrives at the
// remote within seconds, without `sync run`. The remote is this same
// instance's staff tree (--allow-self), so no outside peer is needed.
func TestServeOnReceivePush(t *testing.T) {
	dir := t.TempDir()
	const opsPW, acmePW = "staff-pw-123456", "partner-pw-123456"
	mustRun(t, dir, opsPW+"\n", "staff", "add", "ops", "--password-stdin")
	mustRun(t, dir, acmePW+"\n", "partner", "add", "acme", "--password-stdin")
	addr, _ := serveAddr(t, dir)
	if err := os.MkdirAll(filepath.Join(dir, "files", "outbox"), 0o750); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, opsPW+"\n", "remote", "add", "self", "--url", "ftps://ops@"+addr, "--allow-self-signed", "--allow-self", "--password-stdin")
	mustRun(t, dir, "", "sync", "add", "acme-out", "--folder", "acme/receive", "--remote", "self:/outbox", "--direction", "push", "--on-receive")

	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(4)}), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("acme", acmePW); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("ISA*00~"), 1000)
	if err := c.Stor("/receive/order.edi", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "files", "outbox", "order.edi")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for {
		if got, err := os.ReadFile(want); err == nil && bytes.Equal(got, data) {
			t.Logf("pushed %v after the upload", time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("received file not pushed to the remote within 20s")
		case <-tick.C:
		}
	}
}
