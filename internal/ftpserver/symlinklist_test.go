package ftpserver_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestListingSymlinks: symbolic links an operator put in a partner's
// folder are listed as what they point to when that stays inside the
// partner's tree (a folder as a folder, a file with its size), and left
// out when they point outside it or nowhere: the partner can use neither
// (os.Root refuses them). They were listed as links ("Lrwxrwxrwx", the
// link's own size; MLSD Type=file even for a folder), which clients read
// as a file to download, and got "local error" for.
func TestListingSymlinks(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	home := filepath.Join(ts.root, "acme")
	send := filepath.Join(home, "send")
	writeFile(t, filepath.Join(send, "real.edi"), []byte("12345"))
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.edi"), []byte("secret"))
	for link, target := range map[string]string{
		"in-file.edi": "real.edi",
		"in-dir":      "../receive",
		"out-file":    filepath.Join(outside, "secret.edi"),
		"out-dir":     outside,
		"out-rel":     "../../../" + filepath.Base(ts.root),
		"dangling":    "nothing-here",
	} {
		if err := os.Symlink(target, filepath.Join(send, link)); err != nil {
			t.Fatal(err)
		}
	}
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	code, msg, data := c.list(t, "MLSD /send")
	if code != 226 {
		t.Fatalf("MLSD /send = %d %s", code, msg)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(data, "\r\n"), "\r\n") {
		facts, name, _ := strings.Cut(l, " ")
		typ, _, _ := strings.Cut(facts, ";Modify=")
		got = append(got, name+" "+typ)
	}
	sort.Strings(got)
	want := "in-dir Type=dir;Size=" // the folder's size varies by file system
	if len(got) != 3 || !strings.HasPrefix(got[0], want) || got[1] != "in-file.edi Type=file;Size=5" || got[2] != "real.edi Type=file;Size=5" {
		t.Errorf("MLSD /send = %q; want in-dir as a folder, in-file.edi and real.edi as 5-byte files, and no link out of the tree", got)
	}
	code, msg, data = c.list(t, "LIST /send")
	if code != 226 || strings.Count(data, "\n") != 3 || strings.Contains(data, "out-") || strings.Contains(data, "dangling") ||
		strings.Contains(data, "Lrwx") || !strings.Contains(data, "\r\nd") && !strings.HasPrefix(data, "d") {
		t.Errorf("LIST /send = %d %s with %q; want three entries, in-dir a folder, and no links", code, msg, data)
	}
	if code, msg, b := c.retr(t, "", "/send/in-file.edi"); code != 226 || b != "12345" {
		t.Errorf("RETR /send/in-file.edi = %d %s %q, want 226 and real.edi's content", code, msg, b)
	}
	// A partner who knows an outward link's name is denied, not told of
	// a local error (which the server logged at ERROR for each try).
	for _, name := range []string{"/send/out-file", "/send/out-dir/secret.edi"} {
		if code, msg, b := c.retr(t, "", name); code != 550 || !strings.Contains(msg, "denied") || b != "" {
			t.Errorf("RETR %s = %d %s %q, want 550 permission denied", name, code, msg, b)
		}
	}
}
