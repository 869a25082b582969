package ftpserver_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/localfs"
)

// TestMountDispatch checks that operations under a mount point go to the
// mount's file system, with the account's rights and the mount's
// read-only flag applied. The mount here is a second local tree; ftpfs
// tests cover real remotes.
func TestMountDispatch(t *testing.T) {
	ext := t.TempDir()
	if err := os.WriteFile(filepath.Join(ext, "remote.edi"), []byte("from remote"), 0o644); err != nil {
		t.Fatal(err)
	}
	ro := t.TempDir()
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		o.OpenMount = func(_ context.Context, m store.Mount) (vfs.FS, error) {
			if m.ReadOnly {
				return localfs.Open(ro)
			}
			return localfs.Open(ext)
		}
	})
	ctx := context.Background()
	for _, m := range []store.Mount{{Account: "acme", Path: "/receive/bank", Remote: "bank"}, {Account: "acme", Path: "/receive/ro", Remote: "ro", ReadOnly: true}} {
		if err := ts.store.CreateMount(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	c := ts.dial(t, "acme", false)
	names, err := c.NameList("/receive/bank")
	if err != nil || len(names) != 1 || !strings.HasSuffix(names[0], "remote.edi") {
		t.Fatalf("NLST mount = %v, %v; want [remote.edi]", names, err)
	}
	if err := c.Stor("/receive/bank/up.edi", strings.NewReader("up")); err != nil {
		t.Fatalf("Stor into mount: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(ext, "up.edi")); err != nil || string(b) != "up" {
		t.Errorf("mounted tree has up.edi = %q, %v", b, err)
	}
	if !ts.hasEvent(t, store.EventReceived, "/receive/bank/up.edi") {
		t.Errorf("no received event for the mount upload")
	}
	if err := c.Rename("/receive/bank/up.edi", "/receive/up.edi"); err == nil {
		t.Errorf("rename across the mount boundary succeeded")
	}
	if err := c.RemoveDir("/receive/bank"); err == nil {
		t.Errorf("removing the mount point succeeded")
	}
	err = c.Stor("/receive/ro/x.edi", strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), "read-only mount of remote") {
		t.Errorf("Stor into read-only mount = %v, want a refusal naming the read-only mount", err)
	}
	if _, err := c.List("/receive/ro"); err != nil {
		t.Errorf("List read-only mount: %v", err)
	}
}
