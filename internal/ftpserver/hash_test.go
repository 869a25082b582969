package ftpserver_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestHashIsNotADownload: HASH tells a file's digest without counting as a
// download: no "sent" event, and remove-after-send leaves the file in
// send/. It works in a write-only receive/ folder (a partner verifying its
// upload) and is refused where the account may not list.
func TestHashIsNotADownload(t *testing.T) {
	ts := startServer(t, ftpserver.Config{RemoveAfterSend: true, AllowPlain: true},
		func(a *store.Account) { a.Policy.Send = &store.Access{Read: true} })
	data := []byte(strings.Repeat("ISA*00*hash~", 1000))
	out := filepath.Join(ts.root, "acme", "send", "out.edi")
	writeFile(t, out, data)
	writeFile(t, filepath.Join(ts.root, "acme", "receive", "up.edi"), data)
	sum := sha256.Sum256(data)
	r, _, _ := rawDial(t, "", ts.addr)
	r.login("acme")
	for _, cmd := range []string{"HASH /send/out.edi", "HASH send/out.edi", "HASH /receive/up.edi"} {
		code, msg := r.cmd(cmd)
		if code != 213 || !strings.Contains(msg, "SHA-256 0-12000 "+hex.EncodeToString(sum[:])) {
			t.Errorf("%s = %d %q, want 213 with the SHA-256 of the whole file", cmd, code, msg)
		}
	}
	if code, msg := r.cmd("XCRC /send/out.edi 10 20"); code != 250 || !strings.Contains(msg, crc(data[10:20])) {
		t.Errorf("XCRC of a range = %d %q, want 250 with CRC32 %s", code, msg, crc(data[10:20]))
	}
	if !exists(out) {
		t.Fatal("HASH removed the file from send/ (remove-after-send)")
	}
	if ts.hasEvent(t, store.EventSent, "/send/out.edi") {
		t.Error("HASH recorded a sent event")
	}

	closed := startServer(t, ftpserver.Config{AllowPlain: true}, func(a *store.Account) { a.Policy.Send = &store.Access{} })
	writeFile(t, filepath.Join(closed.root, "acme", "send", "out.edi"), data)
	r, _, _ = rawDial(t, "", closed.addr)
	r.login("acme")
	if code, msg := r.cmd("HASH /send/out.edi"); code != 550 {
		t.Errorf("HASH in a folder closed to the account = %d %q, want 550", code, msg)
	}
}

func crc(b []byte) string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE(b)) }
