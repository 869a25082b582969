package filesync

import (
	"errors"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestTwoWayPushDoesNotOverwriteRemoteChangedDuringUpload: the partner
// changes the remote file while a two-way push of the local change is
// uploading. The push fails instead of publishing over it, and the next run
// settles both changes as a conflict, losing neither.
func TestTwoWayPushDoesNotOverwriteRemoteChangedDuringUpload(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	write(t, e.local, "a.edi", "v1", t0)
	e.mustRun()
	write(t, e.local, "a.edi", "local-v2", t0.Add(time.Hour))
	e.rem.storeHook = func(name string) {
		// The upload of a.edi goes to a staged name first.
		if strings.HasPrefix(path.Base(name), ".a.edi.") {
			write(t, e.rem.root, "a.edi", "partner-v2!", t0.Add(2*time.Hour))
		}
	}
	res, err := e.run(RunOptions{})
	e.rem.storeHook = nil
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Status != store.RunPartial || res.Run.Copied != 0 || len(res.Errors) != 1 || !errors.Is(res.Errors[0], errChanged) {
		t.Fatalf("run = %+v, errors %v; want partial, nothing copied, a.edi changed", res.Run, res.Errors)
	}
	if d := cmp.Diff(map[string]string{"a.edi": "partner-v2!"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote after the refused push (-want +got), staged upload left?:\n%s", d)
	}
	res, err = runAt(e, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	if err != nil || len(res.Errors) > 0 || res.Run.Conflicts != 1 {
		t.Fatalf("run = %+v, %v, %v; want 1 conflict", res.Run, err, res.Errors)
	}
	want := map[string]string{"a.edi": "partner-v2!", "a.conflict-local-20261120T120000Z.edi": "local-v2"}
	if d := cmp.Diff(want, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

// TestTwoWayPushOverUnchangedRemote: a two-way push of a local change
// replaces the remote file as listed, and leaves no staged upload.
func TestTwoWayPushOverUnchangedRemote(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	write(t, e.local, "in/a.edi", "v1", t0)
	e.mustRun()
	write(t, e.local, "in/a.edi", "local-v2", t0.Add(time.Hour))
	if res := e.mustRun(); res.Run.Copied != 1 {
		t.Fatalf("run = %+v, want 1 copied", res.Run)
	}
	if d := cmp.Diff(map[string]string{"in/a.edi": "local-v2"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
	if got := mtime(t, e.rem.root, "in/a.edi"); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("remote mtime %v, want the local file's %v", got, t0.Add(time.Hour))
	}
	if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
		t.Errorf("run after the push did %+v", res.Run)
	}
}

// TestTwoWayPushOfNewFilesAsksNothing: new files have nothing on the
// remote to overwrite, so their push makes no check (no Stat of a file)
// and goes straight to its name. (The empty remote folder's listing costs
// one Stat of the folder, to tell it from a missing one: see rootExists.)
func TestTwoWayPushOfNewFilesAsksNothing(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	for _, n := range []string{"a", "b", "c"} {
		write(t, e.local, n+".edi", n, t0)
	}
	if res := e.mustRun(); res.Run.Copied != 3 {
		t.Fatalf("run = %+v, want 3 copied", res.Run)
	}
	delete(e.rem.statted, ".")
	if len(e.rem.statted) != 0 {
		t.Errorf("pushing 3 new files made Stat calls %v, want none of a file", e.rem.statted)
	}
	if d := cmp.Diff(map[string]int{"a.edi": 1, "b.edi": 1, "c.edi": 1}, e.rem.stores); d != "" {
		t.Errorf("stores (-want +got):\n%s", d)
	}
}

// TestTwoWayConflictLeavesRemoteChangedAfterListing: a conflict whose
// remote version changes again after the listing is not settled over it:
// the remote is not renamed, and the next run settles the newest versions.
func TestTwoWayConflictLeavesRemoteChangedAfterListing(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, Conflict: store.ConflictLocal})
	write(t, e.local, "f.edi", "base", t0)
	e.mustRun()
	write(t, e.local, "f.edi", "local edit", t0.Add(time.Hour))
	write(t, e.rem.root, "f.edi", "remote edit", t0.Add(time.Hour))
	e.rem.afterList = func(dir string) {
		write(t, e.rem.root, "f.edi", "remote edit 2", t0.Add(2*time.Hour))
	}
	res, err := e.run(RunOptions{})
	e.rem.afterList = nil
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Conflicts != 0 || len(res.Errors) != 1 || !errors.Is(res.Errors[0], errChanged) {
		t.Fatalf("run = %+v, errors %v; want the conflict failed as changed", res.Run, res.Errors)
	}
	if d := cmp.Diff(map[string]string{"f.edi": "remote edit 2"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
	res, err = runAt(e, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	if err != nil || len(res.Errors) > 0 || res.Run.Conflicts != 1 {
		t.Fatalf("run = %+v, %v, %v; want 1 conflict", res.Run, err, res.Errors)
	}
	want := map[string]string{"f.edi": "local edit", "f.conflict-remote-20261120T120000Z.edi": "remote edit 2"}
	if d := cmp.Diff(want, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}
