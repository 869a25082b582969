package filesync

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropMissingRemoteFolder: against real servers, vsftpd among them
// (whose LIST of a missing folder is an empty 226 listing), a pull from a
// missing remote folder fails and says what to do, and so do a pull and a
// two-way sync whose folder disappears after they synced, without
// deleting anything; a new two-way sync still creates its missing folder.
func TestInteropMissingRemoteFolder(t *testing.T) {
	peertest.Interop(t)
	for _, start := range interopPeers(t) {
		p := start(t)
		t.Run(p.name, func(t *testing.T) {
			t.Run("pull-mistyped", func(t *testing.T) {
				q := sub(t, p, "pull-mistyped")
				e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPull, RemotePath: "/nosuch"})
				for range 2 {
					res, err := e.run(RunOptions{})
					wantMissingFolderError(t, e, res, err, "nosuch", "create the folder on the server")
				}
				// The folder above it exists and is empty: that is fine.
				e2, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPull})
				if res := e2.mustRun(); res.Run.Status != store.RunOK || res.Run.Copied != 0 {
					t.Errorf("pull from an existing empty folder = %+v, want ok, nothing copied", res.Run)
				}
			})
			t.Run("pull-vanished", func(t *testing.T) {
				q := sub(t, p, "pull-vanished")
				q.seed(t, "in/a.edi", "alpha", t0)
				e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPull, RemotePath: "in"})
				if res := e.mustRun(); res.Run.Copied != 1 {
					t.Fatalf("run = %+v, want 1 copied", res.Run)
				}
				if err := os.RemoveAll(filepath.Join(q.dir, "in")); err != nil {
					t.Fatal(err)
				}
				res, err := e.run(RunOptions{})
				wantMissingFolderError(t, e, res, err, "in", "create the folder on the server")
				if d := cmp.Diff(map[string]string{"a.edi": "alpha"}, tree(t, e.local)); d != "" {
					t.Errorf("local after the failed run (-want +got):\n%s", d)
				}
			})
			t.Run("two-way-vanished", func(t *testing.T) {
				q := sub(t, p, "two-way-vanished")
				q.seed(t, "shared/a.edi", "alpha", t0)
				e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay, RemotePath: "shared"})
				write(t, e.local, "b.edi", "bravo", t0)
				if res := e.mustRun(); res.Run.Copied != 2 {
					t.Fatalf("run = %+v, want 2 copied", res.Run)
				}
				if err := os.RemoveAll(filepath.Join(q.dir, "shared")); err != nil {
					t.Fatal(err)
				}
				res, err := e.run(RunOptions{Force: true})
				wantMissingFolderError(t, e, res, err, "shared", "restore the folder on the server")
				if d := cmp.Diff(map[string]string{"a.edi": "alpha", "b.edi": "bravo"}, tree(t, e.local)); d != "" {
					t.Errorf("local after the failed run (-want +got):\n%s", d)
				}
			})
			t.Run("two-way-new", func(t *testing.T) {
				q := sub(t, p, "two-way-new")
				e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay, RemotePath: "new/in"})
				write(t, e.local, "a.edi", "alpha", t0)
				if res := e.mustRun(); res.Run.Copied != 1 {
					t.Errorf("run = %+v, want 1 copied", res.Run)
				}
				if d := cmp.Diff(map[string]string{"new/in/a.edi": "alpha"}, visible(tree(t, q.dir))); d != "" {
					t.Errorf("remote (-want +got):\n%s", d)
				}
			})
		})
	}
}
