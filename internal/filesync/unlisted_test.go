package filesync

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// reasons returns path -> "action: reason" of a plan.
func reasons(p Plan) map[string]string {
	out := map[string]string{}
	for _, it := range p.Items {
		out[it.Path] = string(it.Action) + ": " + it.Reason
	}
	return out
}

const (
	dotReason       = "skip: excluded: the remote lists folders with LIST only, which leaves out dot names (vsftpd), so a two-way sync would take it for deleted there"
	backslashReason = `skip: excluded: the remote's listings cannot show a name with "\", so a two-way sync would take it for deleted there`
)

// TestTwoWayLeavesAloneDotNamesOnListOnlyServer: a server whose LIST hides
// dot names (vsftpd) would show a pushed dot file as deleted on the
// remote; a two-way sync leaves such names alone on both sides, a dot
// folder with everything under it.
func TestTwoWayLeavesAloneDotNamesOnListOnlyServer(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	e.rem.listOnly = true
	write(t, e.local, ".settings", "alpha", t0)
	write(t, e.local, ".cfg/x.edi", "xray", t0)
	write(t, e.local, "c.edi", "charlie", t0)
	write(t, e.rem.root, ".profile", "remote dot", t0)
	want := map[string]string{".settings": dotReason, ".cfg/x.edi": dotReason, "c.edi": "push: new locally"}
	for run := 1; run <= 2; run++ {
		res := e.mustRun()
		if run == 1 {
			if d := cmp.Diff(want, reasons(res.Plan)); d != "" {
				t.Errorf("run 1 plan (-want +got):\n%s", d)
			}
		} else if res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
			t.Errorf("run 2 = %+v, want nothing done", res.Run)
		}
	}
	if d := cmp.Diff(map[string]string{".settings": "alpha", ".cfg/x.edi": "xray", "c.edi": "charlie"}, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{".profile": "remote dot", "c.edi": "charlie"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

// TestTwoWayKeepsRecordedDotFileWhenServerHidesIt: a dot file synced while
// the remote showed it (MLSD) is kept, with its record, once the remote
// lists with LIST only: neither deleted locally nor pushed again.
func TestTwoWayKeepsRecordedDotFileWhenServerHidesIt(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	write(t, e.local, ".settings", "alpha", t0)
	write(t, e.local, "c.edi", "charlie", t0)
	e.mustRun()
	e.rem.listOnly = true
	res := e.mustRun()
	if d := cmp.Diff(map[string]string{".settings": dotReason, "c.edi": "skip: unchanged"}, reasons(res.Plan)); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
	if got := tree(t, e.local)[".settings"]; got != "alpha" {
		t.Errorf("local .settings = %q, want it kept", got)
	}
	if d := cmp.Diff(map[string]int{".settings": 1, "c.edi": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
	files, err := e.st.SyncFiles(t.Context(), e.sync.ID)
	if err != nil || len(files) != 2 {
		t.Errorf("records after the server hid .settings = %+v, %v; want both kept", files, err)
	}
}

// TestTwoWayLeavesAloneBackslashNames: the remote client drops listed names
// with a backslash, so a two-way sync neither pushes nor deletes them.
func TestTwoWayLeavesAloneBackslashNames(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	write(t, e.local, `a\b.edi`, "ab", t0)
	write(t, e.local, "c.edi", "charlie", t0)
	for run := 1; run <= 2; run++ {
		res := e.mustRun()
		want := map[string]string{`a\b.edi`: backslashReason, "c.edi": "push: new locally"}
		if run == 2 {
			want["c.edi"] = "skip: unchanged"
		}
		if d := cmp.Diff(want, reasons(res.Plan)); d != "" {
			t.Errorf("run %d plan (-want +got):\n%s", run, d)
		}
	}
	if d := cmp.Diff(map[string]string{`a\b.edi`: "ab", "c.edi": "charlie"}, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"c.edi": "charlie"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

// TestPushStillDeliversDotAndBackslashNames: one-way syncs go by their
// records, not by what the target lists, so they copy such names.
func TestPushStillDeliversDotAndBackslashNames(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	e.rem.listOnly = true
	write(t, e.local, ".htaccess", "deny", t0)
	write(t, e.local, `a\b.edi`, "ab", t0)
	if res := e.mustRun(); res.Run.Copied != 2 {
		t.Fatalf("run = %+v, want 2 copied", res.Run)
	}
	if res := e.mustRun(); res.Run.Copied != 0 {
		t.Errorf("second run copied %d, want 0", res.Run.Copied)
	}
	if d := cmp.Diff(map[string]string{".htaccess": "deny", `a\b.edi`: "ab"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

// TestTwoWayDeletesLocallyOnlyWhatStatConfirmsGone: a recorded file the
// remote's listing leaves out is deleted locally only when a Stat agrees
// it is gone; one the remote still has is planned from what Stat tells
// (unchanged, then changed on the remote and pulled).
func TestTwoWayDeletesLocallyOnlyWhatStatConfirmsGone(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	for _, n := range []string{"x", "y", "z", "w"} {
		write(t, e.local, n+".edi", n, t0)
	}
	e.mustRun()
	e.rem.unlisted = map[string]bool{"x.edi": true}
	remove(t, e.rem.root, "y.edi")
	res := e.mustRun()
	want := map[string]string{
		"x.edi": "skip: unchanged (the remote's listing leaves it out, but the remote has it)",
		"y.edi": "delete-local: deleted on the remote",
		"z.edi": "skip: unchanged", "w.edi": "skip: unchanged",
	}
	if d := cmp.Diff(want, reasons(res.Plan)); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"x.edi": "x", "z.edi": "z", "w.edi": "w"}, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
	// Changed on the remote while still left out of its listing.
	write(t, e.rem.root, "x.edi", "x changed", t0.Add(time.Hour))
	res = e.mustRun()
	if got := reasons(res.Plan)["x.edi"]; got != "pull: changed on the remote (the remote's listing leaves it out, but the remote has it)" {
		t.Errorf("x.edi planned %q, want a pull", got)
	}
	if got := tree(t, e.local)["x.edi"]; got != "x changed" {
		t.Errorf("local x.edi = %q, want the remote's change", got)
	}
}

// TestTwoWayKeepsLocalFileWhenStatCannotTell: when the Stat that should
// confirm a delete fails, the delete is tried with another Stat and fails
// with it; the local file stays.
func TestTwoWayKeepsLocalFileWhenStatCannotTell(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	for _, n := range []string{"x", "y", "z"} {
		write(t, e.local, n+".edi", n, t0)
	}
	e.mustRun()
	e.rem.unlisted = map[string]bool{"x.edi": true}
	e.rem.failStat = map[string]error{"x.edi": errInjected}
	res, err := e.run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Status != store.RunPartial || res.Run.Deleted != 0 || len(res.Errors) != 1 || !errors.Is(res.Errors[0], errInjected) {
		t.Errorf("run = %+v, errors %v; want partial, nothing deleted, the Stat's error", res.Run, res.Errors)
	}
	if got := tree(t, e.local)["x.edi"]; got != "x" {
		t.Errorf("local x.edi = %q, want it kept", got)
	}
}
