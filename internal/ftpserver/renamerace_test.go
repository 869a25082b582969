package ftpserver_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestConcurrentRenamesOntoOneName: two sessions of an account without
// the overwrite right rename their own files onto one name at the same
// moment: exactly one wins (250) and the other is refused (550), and the
// name holds the winner's file, every round.
func TestConcurrentRenamesOntoOneName(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	recv := filepath.Join(ts.root, "acme", "receive")
	a, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	a.login("acme")
	b, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	b.login("acme")
	for i := range 100 {
		target := fmt.Sprintf("t%d.edi", i)
		writeFile(t, filepath.Join(recv, target+".a"), []byte("from a"))
		writeFile(t, filepath.Join(recv, target+".b"), []byte("from b"))
		for c, s := range map[*rawFTP]string{a: "a", b: "b"} {
			if code, msg := c.cmd("RNFR /receive/" + target + "." + s); code != 350 {
				t.Fatalf("RNFR = %d %s", code, msg)
			}
		}
		var wg sync.WaitGroup
		codes := map[string]int{}
		var mu sync.Mutex
		for c, s := range map[*rawFTP]string{a: "a", b: "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, _ := c.cmd("RNTO /receive/" + target)
				mu.Lock()
				codes[s] = code
				mu.Unlock()
			}()
		}
		wg.Wait()
		won := ""
		switch {
		case codes["a"] == 250 && codes["b"] == 550:
			won = "a"
		case codes["b"] == 250 && codes["a"] == 550:
			won = "b"
		default:
			t.Fatalf("round %d: RNTO replies %v; want one 250 and one 550", i, codes)
		}
		if got, _ := readIfExists(filepath.Join(recv, target)); string(got) != "from "+won {
			t.Fatalf("round %d: %s holds %q; want the winner's (%s) file", i, target, got, won)
		}
	}
}
