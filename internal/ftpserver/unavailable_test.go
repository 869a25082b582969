package ftpserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// TestMountThatCannotOpen: a mount whose remote cannot be opened (its
// password does not decrypt with this data directory's key) does not
// refuse the account's login: the rest of its tree works, and the mount's
// folder answers 451 (the server log says why).
func TestMountThatCannotOpen(t *testing.T) {
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		o.OpenMount = func(context.Context, store.Mount) (vfs.FS, error) {
			return nil, errors.New(`decrypt secret for remote/bank: Decrypt failed`)
		}
	})
	m := store.Mount{Account: "acme", Path: "/send/bank", Remote: "bank"}
	if err := ts.store.CreateMount(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(t, "acme", false) // fails the test if the login is refused
	defer c.Quit()
	if err := c.Stor("/receive/order.edi", strings.NewReader("x")); err != nil {
		t.Errorf("upload outside the broken mount: %v", err)
	}
	_, err := c.List("/send/bank")
	if err == nil {
		t.Fatal("LIST of the mount that cannot open succeeded")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "451") || strings.Contains(msg, "Decrypt") {
		t.Errorf("LIST of the mount = %v; want 451 (try later), without the internal error", err)
	}
}
