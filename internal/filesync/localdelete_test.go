package filesync

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/localfs"
)

// noRemoveFS is a local folder whose files may not be deleted (EACCES):
// its directory is not writable by the user Wharf runs as.
type noRemoveFS struct{ vfs.FS }

func (noRemoveFS) Remove(name string) error {
	return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrPermission}
}

type noRemoveEndpoints struct{ endpoints }

func (e noRemoveEndpoints) Local(folder string) (vfs.FS, error) {
	f, err := localfs.Open(filepath.Join(e.files, filepath.FromSlash(folder)))
	return noRemoveFS{f}, err
}

// TestPushDeleteSourceDenied: a pushed source the local folder does not
// let Wharf delete is kept, delivered once, and tried again by each run
// (once: another try in the same run meets the same permissions), with an
// error that says what to do.
func TestPushDeleteSourceDenied(t *testing.T) {
	e := newEnv(t, store.Sync{AfterCopy: store.AfterCopyDelete})
	e.engine.ep = noRemoveEndpoints{endpoints{files: e.files, rem: e.rem}}
	write(t, e.local, "a.edi", "alpha", t0)
	for i := range 2 {
		res := partialRun(t, e, "a.edi", "permission denied", e.sync.Folder, "--after-copy keep")
		runs, _ := e.st.SyncRuns(context.Background(), e.sync.ID, 1)
		ops, _ := e.st.SyncOps(context.Background(), e.sync.ID, runs[0].ID, store.OpFailed)
		if len(ops) != 1 {
			t.Errorf("run %d: %d failed ops, want 1 (the delete, tried once): %+v", i+1, len(ops), ops)
		}
		if got := tree(t, e.local)["a.edi"]; got != "alpha" {
			t.Errorf("run %d (%+v): local a.edi = %q, want it kept", i+1, res.Run, got)
		}
	}
	if d := cmp.Diff(map[string]int{"a.edi": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
}
