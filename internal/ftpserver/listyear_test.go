package ftpserver_test

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestListShowsYearOfFutureFile: LIST shows the year of a file dated far
// ahead (as ls does), of one older than six months, and the time of a
// recent one, so clients that parse LIST date each right.
func TestListShowsYearOfFutureFile(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	send := filepath.Join(ts.root, "acme", "send")
	for name, mt := range map[string]time.Time{
		"future.edi": time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		"old.edi":    time.Date(2020, 3, 4, 5, 6, 0, 0, time.UTC),
		"recent.edi": time.Now().Add(-time.Hour),
	} {
		p := filepath.Join(send, name)
		writeFile(t, p, []byte("x"))
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	r.login("acme")
	dc, err := net.Dial("tcp", r.pasv())
	if err != nil {
		t.Fatal(err)
	}
	r.send("LIST /send\r\n")
	b, _ := io.ReadAll(dc)
	r.reply()
	r.reply()
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		lines[f[len(f)-1]] = l
	}
	for name, want := range map[string]string{"future.edi": " 2030 ", "old.edi": " 2020 "} {
		if !strings.Contains(lines[name], want) {
			t.Errorf("LIST line of %s = %q; want the year (%q)", name, lines[name], strings.TrimSpace(want))
		}
	}
	if l := lines["recent.edi"]; !strings.Contains(l, ":") {
		t.Errorf("LIST line of recent.edi = %q; want hours and minutes", l)
	}
}
