package cli

import (
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// TestMountAfterRemoteSet: a session's mount keeps working after its
// remote's settings change, also when another session opened the remote's
// new pool first and closed the old one under it: downloads and uploads
// run again on the new pool.
func TestMountAfterRemoteSet(t *testing.T) {
	dir := t.TempDir()
	const opsPW, acmePW = "staff-pw-123456", "partner-pw-123456"
	mustRun(t, dir, opsPW+"\n", "staff", "add", "ops", "--password-stdin")
	mustRun(t, dir, acmePW+"\n", "partner", "add", "acme", "--password-stdin", "--send", "rw")
	if err := os.MkdirAll(filepath.Join(dir, "files", "outbox"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "outbox", "a.edi"), []byte("a"), 0o640); err != nil {
		t.Fatal(err)
	}
	addr, _ := serveAddr(t, dir)
	mustRun(t, dir, opsPW+"\n", "remote", "add", "self", "--url", "ftps://ops@"+addr, "--allow-self-signed", "--allow-self", "--password-stdin")
	mustRun(t, dir, "", "mount", "add", "acme", "/send/bank", "self:/outbox")
	login := func() *ftp.ServerConn {
		c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true}), ftp.DialWithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Quit() })
		if err := c.Login("acme", acmePW); err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := login()
	if names, err := a.NameList("/send/bank"); err != nil || len(names) != 1 {
		t.Fatalf("session A: NLST = %v, %v", names, err)
	}
	mustRun(t, dir, "", "remote", "set", "self", "--max-conns", "5")
	b := login()
	if names, err := b.NameList("/send/bank"); err != nil || len(names) != 1 {
		t.Fatalf("session B after remote set: NLST = %v, %v", names, err)
	}
	// A download: listings are cached for a few seconds.
	r, err := a.Retr("/send/bank/a.edi")
	if err != nil {
		t.Fatalf("session A after remote set and B's login: RETR: %v", err)
	}
	if b, err := io.ReadAll(r); err != nil || string(b) != "a" {
		t.Errorf("session A: read %q, %v", b, err)
	}
	r.Close()

	// An upload, after the pool changed once more.
	mustRun(t, dir, "", "remote", "set", "self", "--max-conns", "6")
	if names, err := login().NameList("/send/bank"); err != nil || len(names) != 1 {
		t.Fatalf("session C after the second remote set: NLST = %v, %v", names, err)
	}
	if err := a.Stor("/send/bank/up.edi", strings.NewReader("up")); err != nil {
		t.Fatalf("session A: STOR after the pool changed: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "files", "outbox", "up.edi")); err != nil || string(b) != "up" {
		t.Errorf("the remote has up.edi = %q, %v", b, err)
	}
}
