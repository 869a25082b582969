package filesync

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// setFilter changes e's sync filter as `wharf sync set --filter` does.
func setFilter(t *testing.T, e *env, f string) {
	t.Helper()
	e.sync.Filter = f
	if err := e.st.UpdateSync(context.Background(), &e.sync); err != nil {
		t.Fatal(err)
	}
}

// plannedReasons returns path -> "action: reason" of a dry run.
func plannedReasons(t *testing.T, e *env) map[string]string {
	t.Helper()
	res, err := e.run(RunOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range res.Plan.Items {
		got[it.Path] = string(it.Action) + ": " + it.Reason
	}
	return got
}

// TestFilterNarrowedKeepsState: paths a narrowed filter leaves out keep
// their state, so restoring the filter does not deliver a consumed file
// again (exactly once), and they are planned as excluded, not as gone.
func TestFilterNarrowedKeepsState(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush, Filter: "*.edi"})
	write(t, e.local, "x.edi", "xray", t0)
	write(t, e.local, "y.txt", "yankee", t0)
	e.mustRun()
	remove(t, e.rem.root, "x.edi") // the partner consumed it
	setFilter(t, e, "*.txt")
	want := map[string]string{"x.edi": "skip: excluded by filter", "y.txt": "push: new"}
	if d := cmp.Diff(want, plannedReasons(t, e)); d != "" {
		t.Errorf("narrowed plan (-want +got):\n%s", d)
	}
	e.mustRun()
	setFilter(t, e, "*.edi")
	want = map[string]string{"x.edi": "skip: delivered; since removed on the target", "y.txt": "skip: excluded by filter"}
	if d := cmp.Diff(want, plannedReasons(t, e)); d != "" {
		t.Errorf("restored plan (-want +got):\n%s", d)
	}
	if res := e.mustRun(); res.Run.Copied != 0 {
		t.Errorf("run with the filter restored copied %d, want 0", res.Run.Copied)
	}
	if d := cmp.Diff(map[string]string{"y.txt": "yankee"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]int{"x.edi": 1, "y.txt": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
	var paths []string
	for _, f := range mustFiles(t, e) {
		paths = append(paths, f.Path)
	}
	if d := cmp.Diff([]string{"x.edi", "y.txt"}, paths); d != "" {
		t.Errorf("sync state (-want +got):\n%s", d)
	}
}

// TestFilterNarrowedTwoWay: a file deleted on the remote while a narrowed
// filter left it out is still a deletion once the filter is restored, not
// a new local file to copy back.
func TestFilterNarrowedTwoWay(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, MaxDelete: 100})
	write(t, e.local, "a.txt", "alpha", t0)
	write(t, e.local, "b.edi", "bravo", t0)
	e.mustRun()
	setFilter(t, e, "*.edi")
	e.mustRun()
	remove(t, e.rem.root, "a.txt")
	setFilter(t, e, "")
	if res := e.mustRun(); res.Run.Copied != 0 || res.Run.Deleted != 1 {
		t.Errorf("run with the filter restored = %+v, want a.txt deleted locally, nothing copied", res.Run)
	}
	if d := cmp.Diff(map[string]string{"b.edi": "bravo"}, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
}
