package ftpserver_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestStartRemovesStaleUploadsOnly: at start the server removes the
// hidden temp files of uploads a crash cut short, and leaves alone a
// sync's pull temporaries (a `wharf sync run` may be writing one) and
// every other file.
func TestStartRemovesStaleUploadsOnly(t *testing.T) {
	var stale, syncTemp, kept string
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		dir := filepath.Join(o.FileRoot, "acme", "receive")
		stale = filepath.Join(dir, ".wharf-0123456789abcdef.part")
		syncTemp = filepath.Join(dir, ".wharf-sync-7-42-1")
		kept = filepath.Join(dir, "order.edi")
		for _, p := range []string{stale, syncTemp, kept} {
			writeFile(t, p, []byte("x"))
		}
	})
	ts.dial(t, "acme", false).Quit() // served: the start's sweep is done
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale upload temp %s still there (%v)", filepath.Base(stale), err)
	}
	for _, p := range []string{syncTemp, kept} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed at start: %v", filepath.Base(p), err)
		}
	}
}
