package ftpserver_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// lftp runs lftp with FTPS forced on control and data, then cmds, against
// addr as user. HOME is a temp dir so no user settings apply.
func lftp(t *testing.T, addr, user string, cmds ...string) result {
	t.Helper()
	script := []string{
		"set cmd:fail-exit yes",
		"set ftp:ssl-force true",
		"set ftp:ssl-protect-data true",
		"set ssl:verify-certificate no",
		"set net:max-retries 1",
		"set net:timeout 10",
		"set net:reconnect-interval-base 1",
		"set xfer:clobber on",
		fmt.Sprintf("open -u %q ftp://%s", user+","+testPass, addr),
	}
	script = append(script, cmds...)
	return run(t, []string{"HOME=" + t.TempDir()}, "lftp", "-d", "-c", strings.Join(script, "; "))
}

// TestInteropLftpMirror mirrors send/ down and a local tree up into
// receive/ with lftp over explicit FTPS.
func TestInteropLftpMirror(t *testing.T) {
	interop(t, "lftp")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{})
	send := filepath.Join(ts.root, "acme", "send")
	for p, n := range map[string]int{"a.edi": 70_000, "sub/b.edi": 1, "sub/deeper/c.x12": 300_000, "empty.edi": 0} {
		writeFile(t, filepath.Join(send, p), randomData(t, n))
	}
	local := filepath.Join(t.TempDir(), "down")
	if r := lftp(t, ts.addr, "acme", "mirror /send "+local); r.exit != 0 {
		t.Fatalf("lftp mirror: %v", r)
	}
	if diff := cmp.Diff(tree(t, send), tree(t, local)); diff != "" {
		t.Errorf("mirrored tree differs from send/ (-send +local):\n%s", diff)
	}

	up := filepath.Join(t.TempDir(), "up")
	for p, n := range map[string]int{"x.edi": 50_000, "d1/y.edi": 123_457, "d1/d2/z.x12": 10, "d3/empty.edi": 0} {
		writeFile(t, filepath.Join(up, p), randomData(t, n))
	}
	if r := lftp(t, ts.addr, "acme", "mirror -R "+up+" /receive/up"); r.exit != 0 {
		t.Fatalf("lftp mirror -R: %v", r)
	}
	recv := filepath.Join(ts.root, "acme", "receive", "up")
	if diff := cmp.Diff(tree(t, up), tree(t, recv)); diff != "" {
		t.Errorf("receive/up differs from the uploaded tree (-local +receive):\n%s", diff)
	}
	for _, p := range []string{"x.edi", "d1/y.edi", "d1/d2/z.x12", "d3/empty.edi"} {
		if !ts.hasEvent(t, store.EventReceived, "/receive/up/"+p) {
			t.Errorf("no received event for /receive/up/%s", p)
		}
	}
	// Running it again changes nothing (files exist and may not be
	// overwritten, but they are equal, so lftp skips them).
	if r := lftp(t, ts.addr, "acme", "mirror -R "+up+" /receive/up"); r.exit != 0 {
		t.Errorf("second lftp mirror -R: %v", r)
	}
	if diff := cmp.Diff(tree(t, up), tree(t, recv)); diff != "" {
		t.Errorf("receive/up changed on the second mirror -R:\n%s", diff)
	}
	ents, err := os.ReadDir(recv)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("hidden leftover %s in receive/up", e.Name())
		}
	}
}
