package filesync

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestMaxDeleteZeroRefusesAnyDelete: --max-delete 0 lets no two-way
// delete through without --force, not the default 50 %.
func TestMaxDeleteZeroRefusesAnyDelete(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	e.sync.MaxDelete = 0
	if err := e.st.UpdateSync(t.Context(), &e.sync); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c", "d"} {
		write(t, e.local, n+".edi", n, t0)
	}
	e.mustRun()
	remove(t, e.local, "a.edi")
	_, err := e.run(RunOptions{})
	if !errors.Is(err, ErrTooManyDeletes) || !strings.Contains(err.Error(), "1 of 4 remote files (25%), more than --max-delete 0% allows") {
		t.Fatalf("run deleting 1 of 4 with max-delete 0 = %v, want ErrTooManyDeletes", err)
	}
	if got := len(tree(t, e.rem.root)); got != 4 {
		t.Errorf("refused run left %d remote files, want 4", got)
	}
	res, err := e.run(RunOptions{Force: true})
	if err != nil || res.Run.Deleted != 1 {
		t.Fatalf("forced run = %+v, %v; want 1 deleted", res.Run, err)
	}
	if d := cmp.Diff([]string{"b.edi", "c.edi", "d.edi"}, keys(tree(t, e.rem.root))); d != "" {
		t.Errorf("remote after the forced run (-want +got):\n%s", d)
	}
}
