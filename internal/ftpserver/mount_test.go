package ftpserver_test

import (
	"context"
	"io/fs"
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

// downFS is a mount whose remote is down: every listing fails as ftpfs
// fails, with the remote's name and address and a 451.
type downFS struct{ *localfs.FS }

type downErr struct{}

func (downErr) Error() string {
	return `remote "erp" is unavailable (connect to 10.1.2.3:21: connection refused); try again later`
}
func (downErr) FTPCode() int { return 451 }

func (d downFS) ReadDir(string) ([]fs.FileInfo, error) { return nil, downErr{} }

// TestMountErrorsHideTheRemote: a partner is told that a mounted folder is
// unavailable and to try again, not the remote's name and address, which
// staff still see.
func TestMountErrorsHideTheRemote(t *testing.T) {
	dir := t.TempDir()
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		o.OpenMount = func(_ context.Context, m store.Mount) (vfs.FS, error) {
			l, err := localfs.Open(dir)
			return downFS{l}, err
		}
	})
	ctx := context.Background()
	for _, m := range []store.Mount{{Account: "acme", Path: "/send/erp", Remote: "erp"}, {Account: "ops", Path: "/erp", Remote: "erp"}} {
		if err := ts.store.CreateMount(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	_, err := ts.dial(t, "acme", false).List("/send/erp")
	if err == nil || !strings.Contains(err.Error(), "451") || !strings.Contains(err.Error(), "this folder is unavailable for now: try again later") || strings.Contains(err.Error(), "10.1.2.3") || strings.Contains(err.Error(), "erp\"") {
		t.Errorf("partner's LIST of a mount whose remote is down = %v, want 451 saying to try again, without the remote's name or address", err)
	}
	if _, err := ts.dial(t, "ops", false).List("/erp"); err == nil || !strings.Contains(err.Error(), "10.1.2.3") {
		t.Errorf("staff's LIST of it = %v, want the remote's detail", err)
	}
}
