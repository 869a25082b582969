package filesync

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestRemotePathChangeStartsAfresh: a sync pointed at another remote
// folder forgets the old pair's state, so the next run treats both sides
// as new: two-way deletes nothing (not even forced) and copies the local
// files there; a push sends the files it delivered to the old folder.
func TestRemotePathChangeStartsAfresh(t *testing.T) {
	for _, dir := range []string{store.SyncTwoWay, store.SyncPush} {
		t.Run(dir, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: dir, RemotePath: "old"})
			for _, n := range []string{"a", "b", "c"} {
				write(t, e.local, n+".edi", n, t0)
			}
			e.mustRun()
			if err := os.MkdirAll(filepath.Join(e.rem.root, "new"), 0o755); err != nil {
				t.Fatal(err)
			}
			e.sync.RemotePath = "new"
			if err := e.st.UpdateSync(t.Context(), &e.sync); err != nil {
				t.Fatal(err)
			}
			res, err := e.run(RunOptions{Force: true})
			if err != nil || res.Run.Deleted != 0 || res.Run.Copied != 3 {
				t.Fatalf("run after the change = %+v, %v; want 3 copied, none deleted", res.Run, err)
			}
			want := map[string]string{"a.edi": "a", "b.edi": "b", "c.edi": "c"}
			if d := cmp.Diff(want, tree(t, e.local)); d != "" {
				t.Errorf("local (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want, tree(t, filepath.Join(e.rem.root, "new"))); d != "" {
				t.Errorf("new remote folder (-want +got):\n%s", d)
			}
		})
	}
}
