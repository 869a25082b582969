package ftpserver_test

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestMLSTReply checks MLST's reply as RFC 3659 §7.2 has it: a first line,
// one fact line starting with a space, and an end line, all of it one
// reply (ftpserverlib patch 45 writes it in one piece), with nothing left
// over for the next command's reply.
func TestMLSTReply(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte("12345"))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	code, msg := c.cmd("MLST /send/a.edi")
	want := regexp.MustCompile(`^File details\n Type=file;Size=5;Modify=\d{14}; a\.edi\n250 End$`)
	if code != 250 || !want.MatchString(msg) {
		t.Fatalf("MLST /send/a.edi = %d %q, want 250 with one fact line", code, msg)
	}
	if code, msg := c.cmd("NOOP"); code != 200 {
		t.Fatalf("NOOP after MLST = %d %s, want 200", code, msg)
	}
}
