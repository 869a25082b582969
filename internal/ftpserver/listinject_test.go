package ftpserver_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestListingNamesCannotInjectLines: a file whose name holds CR or LF (put
// in send/ by an operator or a back-end; no client can create one) is left
// out of LIST, NLST, MLSD and STAT, whose lines it split: into a made-up
// entry in a listing, and on the control connection (STAT) into a reply
// line such as "212 End" that ended the reply early. No client can name
// such a file anyway.
func TestListingNamesCannotInjectLines(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	send := filepath.Join(ts.root, "acme", "send")
	writeFile(t, filepath.Join(send, "good.edi"), []byte("ok"))
	writeFile(t, filepath.Join(send, "evil\r\n212 End\r\n226 Fake.edi"), []byte("x"))
	writeFile(t, filepath.Join(send, "nl\nfake.edi"), []byte("x"))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	for _, verb := range []string{"LIST", "NLST", "MLSD"} {
		code, msg, data := c.list(t, verb+" /send")
		if code != 226 || strings.Count(data, "\n") != 1 || !strings.HasSuffix(data, "good.edi\r\n") || strings.Contains(data, "Fake") {
			t.Errorf("%s /send = %d %s with %q; want 226 and one line, for good.edi", verb, code, msg, data)
		}
	}
	code, msg := c.cmd("STAT /send")
	if lines := strings.Split(msg, "\n"); code != 212 || len(lines) != 3 || !strings.HasSuffix(lines[1], "good.edi") {
		t.Errorf("STAT /send = %d %q; want 212 with one entry, good.edi", code, msg)
	}
	if code, msg := c.cmd("NOOP"); code != 200 {
		t.Errorf("NOOP after STAT = %d %s: the replies are out of step", code, msg)
	}
}
