package ftpserver_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropLftpPgetRemoveAfterSend: a segmented download (lftp pget
// -n 4: four RETRs from four offsets, each but the last closed at its
// part's end) delivers the file once its parts cover it: remove-after-send
// then removes it, with one sent event for the whole file.
func TestInteropLftpPgetRemoveAfterSend(t *testing.T) {
	interop(t, "lftp")
	t.Parallel()
	ts := startServer(t, ftpserver.Config{RemoveAfterSend: true})
	send := filepath.Join(ts.root, "acme", "send")
	data := randomData(t, 8<<20)
	writeFile(t, filepath.Join(send, "parts.bin"), data)
	out := filepath.Join(t.TempDir(), "parts.bin")
	if r := lftp(t, ts.addr, "acme", "pget -n 4 /send/parts.bin -o "+out); r.exit != 0 {
		t.Fatalf("lftp pget: %v", r)
	}
	if fileSum(out) != sum(data) {
		t.Fatal("pget's file differs from the one sent")
	}
	// The last part to close may do so after lftp exits.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitFor(ctx, t, "parts.bin removed after send", func() bool { return !exists(filepath.Join(send, "parts.bin")) })
	n := 0
	for _, e := range ts.events(t) {
		if e.Kind == store.EventSent && e.Path == "/send/parts.bin" && e.Bytes == int64(len(data)) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d sent events for the whole of parts.bin, want 1: %v", n, ts.events(t))
	}
}
