package filesync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

func TestPushKeep(t *testing.T) {
	for _, precise := range []bool{true, false} {
		t.Run(map[bool]string{true: "mlsd", false: "list"}[precise], func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncPush})
			e.rem.precise = precise
			write(t, e.local, "a.edi", "alpha", t0)
			write(t, e.local, "sub/deep/b.edi", "bravo", t0.Add(time.Hour))
			res := e.mustRun()
			if res.Run.Copied != 2 || res.Run.Status != store.RunOK || res.Run.Bytes != 10 {
				t.Errorf("first run = %+v, want 2 copied, ok, 10 bytes", res.Run)
			}
			want := map[string]string{"a.edi": "alpha", "sub/deep/b.edi": "bravo"}
			if d := cmp.Diff(want, tree(t, e.rem.root)); d != "" {
				t.Errorf("remote tree (-want +got):\n%s", d)
			}
			if got := mtime(t, e.rem.root, "sub/deep/b.edi"); !got.Equal(t0.Add(time.Hour)) {
				t.Errorf("remote mtime = %v, want %v", got, t0.Add(time.Hour))
			}
			if d := cmp.Diff(want, tree(t, e.local)); d != "" {
				t.Errorf("local tree changed (-want +got):\n%s", d)
			}
			// A second run has nothing to do.
			res = e.mustRun()
			if res.Run.Copied != 0 || res.Run.Skipped != 2 {
				t.Errorf("no-op run = %+v, want 0 copied, 2 skipped", res.Run)
			}
			// A changed file is pushed again; mtime alone counts.
			write(t, e.local, "a.edi", "alpha", t0.Add(2*time.Hour))
			res = e.mustRun()
			if res.Run.Copied != 1 {
				t.Errorf("run after touching a.edi copied %d, want 1", res.Run.Copied)
			}
			if d := cmp.Diff(map[string]int{"a.edi": 2, "sub/deep/b.edi": 1}, e.delivered()); d != "" {
				t.Errorf("deliveries (-want +got):\n%s", d)
			}
		})
	}
}

func TestPushDeleteSource(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete})
	write(t, e.local, "a.edi", "alpha", t0)
	write(t, e.local, "in/b.edi", "bravo", t0)
	res := e.mustRun()
	if res.Run.Copied != 2 {
		t.Errorf("run = %+v, want 2 copied", res.Run)
	}
	if got := keys(tree(t, e.local)); len(got) != 0 {
		t.Errorf("local files left after push with delete: %v", got)
	}
	if d := cmp.Diff(map[string]string{"a.edi": "alpha", "in/b.edi": "bravo"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote tree (-want +got):\n%s", d)
	}
	// The partner consumes a.edi; a new file of the same name is a new
	// delivery.
	remove(t, e.rem.root, "a.edi")
	e.mustRun()
	if _, ok := tree(t, e.rem.root)["a.edi"]; ok {
		t.Errorf("a.edi reappeared on the remote")
	}
	write(t, e.local, "a.edi", "alpha-2", t0)
	e.mustRun()
	if got := tree(t, e.rem.root)["a.edi"]; got != "alpha-2" {
		t.Errorf("second a.edi on remote = %q, want alpha-2", got)
	}
}

func TestPushDeleteKeepsSourceWhenCopyFails(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete})
	write(t, e.local, "a.edi", "alpha", t0)
	write(t, e.local, "b.edi", "bravo", t0)
	e.rem.failStore["a.edi"] = 100
	res, err := e.run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "a.edi") || res.Run.Status != store.RunPartial {
		t.Errorf("run = %+v, errors %v; want a.edi failed, partial", res.Run, res.Errors)
	}
	if d := cmp.Diff(map[string]string{"a.edi": "alpha"}, tree(t, e.local)); d != "" {
		t.Errorf("local after failed copy (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"b.edi": "bravo"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

func TestRetryThenSucceed(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	write(t, e.local, "a.edi", "alpha", t0)
	e.rem.failStore["a.edi"] = 2 // Retries defaults to 3
	res := e.mustRun()
	if res.Run.Copied != 1 {
		t.Errorf("run = %+v, want 1 copied after retries", res.Run)
	}
	ops, _ := e.st.SyncOps(context.Background(), e.sync.ID, res.Run.ID, "")
	var statuses []string
	for _, op := range ops {
		statuses = append(statuses, op.Status)
	}
	if d := cmp.Diff([]string{store.OpFailed, store.OpFailed, store.OpDone}, statuses); d != "" {
		t.Errorf("journal (-want +got):\n%s", d)
	}
}

func TestPushExactlyOnce(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	write(t, e.local, "a.edi", "alpha", t0)
	e.mustRun()
	// The partner takes the file away; it is not delivered again.
	remove(t, e.rem.root, "a.edi")
	for range 2 {
		res := e.mustRun()
		if res.Run.Copied != 0 {
			t.Fatalf("run after consumption copied %d, want 0", res.Run.Copied)
		}
	}
	if len(tree(t, e.rem.root)) != 0 {
		t.Errorf("consumed file pushed again")
	}
	// Unless it changes.
	write(t, e.local, "a.edi", "alpha v2", t0.Add(time.Minute))
	if res := e.mustRun(); res.Run.Copied != 1 {
		t.Errorf("run after change copied %d, want 1", res.Run.Copied)
	}
	if d := cmp.Diff(map[string]int{"a.edi": 2}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
}

func TestPull(t *testing.T) {
	for _, after := range []string{store.AfterCopyKeep, store.AfterCopyDelete} {
		t.Run(after, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: after})
			e.rem.precise = false
			write(t, e.rem.root, "x.edi", "xray", t0)
			write(t, e.rem.root, "d/y.edi", "yankee", t0)
			res := e.mustRun()
			if res.Run.Copied != 2 {
				t.Errorf("run = %+v, want 2 copied", res.Run)
			}
			want := map[string]string{"x.edi": "xray", "d/y.edi": "yankee"}
			if d := cmp.Diff(want, tree(t, e.local)); d != "" {
				t.Errorf("local tree (-want +got):\n%s", d)
			}
			wantRemote := want
			if after == store.AfterCopyDelete {
				wantRemote = map[string]string{}
			}
			if d := cmp.Diff(wantRemote, tree(t, e.rem.root)); d != "" {
				t.Errorf("remote tree (-want +got):\n%s", d)
			}
			// The local consumer takes x.edi; it is not pulled again.
			remove(t, e.local, "x.edi")
			if res := e.mustRun(); res.Run.Copied != 0 {
				t.Errorf("run after local consumption copied %d, want 0", res.Run.Copied)
			}
			if d := cmp.Diff(map[string]int{"x.edi": 1, "d/y.edi": 1}, e.delivered()); d != "" {
				t.Errorf("deliveries (-want +got):\n%s", d)
			}
		})
	}
}

func TestPullDoesNotDeleteRemoteChangedDuringCopy(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
	write(t, e.rem.root, "x.edi", "xray", t0)
	x := &runner{e: e.engine, sy: e.sync, rem: under{r: e.rem}, log: e.engine.log, dirs: map[string]bool{}, localDirs: map[string]bool{}}
	// The remote file grows after it was copied: afterPull must keep it.
	write(t, e.rem.root, "x.edi", "xray and more", t0.Add(time.Minute))
	x.run = store.SyncRun{SyncID: e.sync.ID, Status: store.RunRunning}
	if err := e.st.SaveSyncRun(context.Background(), &x.run); err != nil {
		t.Fatal(err)
	}
	op := &store.SyncOp{RunID: x.run.ID, SyncID: e.sync.ID, Path: "x.edi", Action: string(Pull), Status: store.OpStarted}
	ls := store.SyncSide{Exists: true, Size: 4, ModTime: t0, Precise: true}
	d := opDetail{Size: 4, ModTime: t0, Precise: true, DeleteSource: true}
	if err := x.afterPull(context.Background(), op, d, ls, 4, false); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, e.rem.root)["x.edi"]; got != "xray and more" {
		t.Errorf("remote x.edi = %q; a changed source was deleted", got)
	}
}

func TestFilterAndFilesInProgress(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, Filter: "*.edi,*.x12,-skip*"})
	write(t, e.local, "a.edi", "a", t0)
	write(t, e.local, "B.X12", "b", t0)
	write(t, e.local, "notes.txt", "n", t0)
	write(t, e.local, "skip-me.edi", "s", t0)
	write(t, e.local, ".wharf-upload-123", "partial", t0)
	write(t, e.local, "c.edi.tmp", "partial", t0)
	write(t, e.rem.root, "r.edi", "r", t0)
	write(t, e.rem.root, ".r2.edi.0a0b0c0d0e0f.wharf-part", "partial", t0)
	write(t, e.rem.root, "r3.edi.part", "partial", t0)
	write(t, e.rem.root, "r4.txt", "no", t0)
	e.mustRun()
	loc, rem := tree(t, e.local), tree(t, e.rem.root)
	if d := cmp.Diff([]string{".wharf-upload-123", "B.X12", "a.edi", "c.edi.tmp", "notes.txt", "r.edi", "skip-me.edi"}, keys(loc)); d != "" {
		t.Errorf("local files (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{".r2.edi.0a0b0c0d0e0f.wharf-part", "B.X12", "a.edi", "r.edi", "r3.edi.part", "r4.txt"}, keys(rem)); d != "" {
		t.Errorf("remote files (-want +got):\n%s", d)
	}
}

func TestDryRun(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	write(t, e.local, "same.edi", "s", t0)
	write(t, e.rem.root, "same.edi", "s", t0)
	e.mustRun()
	write(t, e.local, "new.edi", "n", t0)
	write(t, e.rem.root, "theirs.edi", "t", t0)
	write(t, e.local, "both.edi", "l", t0)
	write(t, e.rem.root, "both.edi", "rr", t0.Add(time.Hour))
	remove(t, e.rem.root, "same.edi")
	beforeL, beforeR := tree(t, e.local), tree(t, e.rem.root)
	runs, _ := e.st.SyncRuns(context.Background(), e.sync.ID, 10)
	res, err := e.run(RunOptions{DryRun: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range res.Plan.Items {
		got[it.Path] = string(it.Action) + ": " + it.Reason
	}
	want := map[string]string{
		"both.edi":   "conflict: changed on both sides",
		"new.edi":    "push: new locally",
		"same.edi":   "delete-local: deleted on the remote",
		"theirs.edi": "pull: new on the remote",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
	if d := cmp.Diff(beforeL, tree(t, e.local)); d != "" {
		t.Errorf("dry run changed local (-before +after):\n%s", d)
	}
	if d := cmp.Diff(beforeR, tree(t, e.rem.root)); d != "" {
		t.Errorf("dry run changed remote (-before +after):\n%s", d)
	}
	after, _ := e.st.SyncRuns(context.Background(), e.sync.ID, 10)
	if len(after) != len(runs) {
		t.Errorf("dry run journaled a run: %d runs before, %d after", len(runs), len(after))
	}
}

func TestTwoWay(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	e.rem.precise = false
	for i, n := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		write(t, e.local, "l"+n+".edi", "local "+n, t0.Add(time.Duration(i)*time.Minute))
		write(t, e.rem.root, "d/r"+n+".edi", "remote "+n, t0)
	}
	e.mustRun()
	if d := cmp.Diff(tree(t, e.local), tree(t, e.rem.root)); d != "" {
		t.Fatalf("trees differ after first run (-local +remote):\n%s", d)
	}
	if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
		t.Errorf("no-op two-way run did %+v", res.Run)
	}
	// Deletes and changes flow both ways.
	remove(t, e.local, "l1.edi")
	remove(t, e.rem.root, "d/r1.edi")
	write(t, e.local, "d/r2.edi", "changed here", t0.Add(time.Hour))
	write(t, e.rem.root, "l2.edi", "changed there", t0.Add(time.Hour))
	res := e.mustRun()
	if res.Run.Deleted != 2 || res.Run.Copied != 2 || res.Run.Conflicts != 0 {
		t.Errorf("run = %+v, want 2 deleted, 2 copied", res.Run)
	}
	loc := tree(t, e.local)
	if d := cmp.Diff(loc, tree(t, e.rem.root)); d != "" {
		t.Errorf("trees differ (-local +remote):\n%s", d)
	}
	if _, ok := loc["l1.edi"]; ok {
		t.Errorf("l1.edi deleted locally came back")
	}
	if loc["d/r2.edi"] != "changed here" || loc["l2.edi"] != "changed there" {
		t.Errorf("changes did not flow: %q, %q", loc["d/r2.edi"], loc["l2.edi"])
	}
	// A change beats a delete on the other side.
	write(t, e.local, "l3.edi", "edited", t0.Add(2*time.Hour))
	remove(t, e.rem.root, "l3.edi")
	e.mustRun()
	if got := tree(t, e.rem.root)["l3.edi"]; got != "edited" {
		t.Errorf("remote l3.edi = %q, want the edit restored", got)
	}
}

func TestConflictPolicies(t *testing.T) {
	older, newer := t0.Add(time.Hour), t0.Add(2*time.Hour)
	for _, tc := range []struct {
		policy   string
		localMT  time.Time
		remoteMT time.Time
		want     map[string]string // the tree both sides end with
	}{
		{store.ConflictNewer, newer, older, map[string]string{
			"f.edi": "local", "f.conflict-remote-20261120T120000Z.edi": "remote"}},
		{store.ConflictNewer, older, newer, map[string]string{
			"f.edi": "remote", "f.conflict-local-20261120T120000Z.edi": "local"}},
		{"", older, newer, map[string]string{ // the default is newer
			"f.edi": "remote", "f.conflict-local-20261120T120000Z.edi": "local"}},
		{store.ConflictLocal, older, newer, map[string]string{
			"f.edi": "local", "f.conflict-remote-20261120T120000Z.edi": "remote"}},
		{store.ConflictRemote, newer, older, map[string]string{
			"f.edi": "remote", "f.conflict-local-20261120T120000Z.edi": "local"}},
		{store.ConflictKeepBoth, newer, older, map[string]string{
			"f.conflict-local-20261120T120000Z.edi": "local", "f.conflict-remote-20261120T120000Z.edi": "remote"}},
	} {
		t.Run(tc.policy+"/"+map[bool]string{true: "local-newer", false: "remote-newer"}[tc.localMT.After(tc.remoteMT)], func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, Conflict: tc.policy})
			write(t, e.local, "f.edi", "base", t0)
			write(t, e.local, "other.edi", "o", t0)
			e.mustRun()
			write(t, e.local, "f.edi", "local", tc.localMT)
			write(t, e.rem.root, "f.edi", "remote", tc.remoteMT)
			// Fix the run's clock so conflict names are predictable.
			res, err := runAt(e, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
			if err != nil || len(res.Errors) > 0 || res.Run.Conflicts != 1 {
				t.Fatalf("run = %+v, %v, %v; want 1 conflict", res.Run, err, res.Errors)
			}
			tc.want["other.edi"] = "o"
			if d := cmp.Diff(tc.want, tree(t, e.local)); d != "" {
				t.Errorf("local (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.want, tree(t, e.rem.root)); d != "" {
				t.Errorf("remote (-want +got):\n%s", d)
			}
			if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
				t.Errorf("run after settling did %+v", res.Run)
			}
		})
	}
}

// runAt runs e's sync with the run's start time (which names conflict
// files) fixed.
func runAt(e *env, at time.Time) (Result, error) {
	e.engine.clock = func() time.Time { return at }
	defer func() { e.engine.clock = nil }()
	return e.run(RunOptions{})
}

func TestMassDeleteGuard(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		write(t, e.local, n+".edi", n, t0)
	}
	e.mustRun()
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		remove(t, e.rem.root, n+".edi")
	}
	before := tree(t, e.local)
	res, err := e.run(RunOptions{})
	if !errors.Is(err, ErrTooManyDeletes) || res.Run.Status != store.RunRefused {
		t.Fatalf("run = %v, status %q; want ErrTooManyDeletes, refused", err, res.Run.Status)
	}
	if !strings.Contains(err.Error(), "6 of 10 local files") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("error %q does not say what to do", err)
	}
	if d := cmp.Diff(before, tree(t, e.local)); d != "" {
		t.Errorf("refused run changed files (-before +after):\n%s", d)
	}
	// Within the limit a run goes ahead; with Force any run does.
	res, err = e.run(RunOptions{Force: true})
	if err != nil || res.Run.Deleted != 6 {
		t.Fatalf("forced run = %+v, %v; want 6 deleted", res.Run, err)
	}
	if got := len(tree(t, e.local)); got != 4 {
		t.Errorf("%d local files left, want 4", got)
	}
}

func TestListingCutShort(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, MaxDelete: 100})
	write(t, e.local, "top.edi", "t", t0)
	write(t, e.local, "sub/a.edi", "a", t0)
	write(t, e.local, "sub/b.edi", "b", t0)
	e.mustRun()
	before, state := tree(t, e.local), mustFiles(t, e)
	e.rem.failList["sub"] = errors.New("426 connection closed; transfer aborted")
	_, err := e.run(RunOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), `list remote "sub"`) || !strings.Contains(err.Error(), "remote bank:/") {
		t.Fatalf("run with a failed listing = %v, want a listing error naming the remote", err)
	}
	e.rem.failList["."] = errors.New("421 service not available")
	if _, err := e.run(RunOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "remote bank:/: list the folder: 421") {
		t.Errorf("run with the sync's folder unlisted = %v, want it to name the remote and folder, not \".\"", err)
	}
	delete(e.rem.failList, ".")
	if d := cmp.Diff(before, tree(t, e.local)); d != "" {
		t.Errorf("failed listing deleted local files (-before +after):\n%s", d)
	}
	if d := cmp.Diff(state, mustFiles(t, e)); d != "" {
		t.Errorf("failed listing changed the state (-before +after):\n%s", d)
	}
	runs, _ := e.st.SyncRuns(context.Background(), e.sync.ID, 1)
	if runs[0].Status != store.RunFailed {
		t.Errorf("run status = %q, want failed", runs[0].Status)
	}
	// A missing remote folder with files on record is an error too.
	delete(e.rem.failList, "sub")
	os.RemoveAll(e.rem.root)
	if _, err := e.run(RunOptions{Force: true}); err == nil {
		t.Errorf("run with the remote folder gone succeeded")
	}
	if d := cmp.Diff(before, tree(t, e.local)); d != "" {
		t.Errorf("missing remote folder deleted local files (-before +after):\n%s", d)
	}
}

func mustFiles(t *testing.T, e *env) []store.SyncFile {
	fs, err := e.st.SyncFiles(context.Background(), e.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestRemoteWithoutModTimes(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	e.rem.noMTime, e.rem.precise = true, false
	write(t, e.local, "a.edi", "alpha", t0)
	e.mustRun()
	for range 2 {
		if res := e.mustRun(); res.Run.Copied != 0 {
			t.Errorf("no-op run against a server without MFMT copied %d", res.Run.Copied)
		}
	}
}

func TestRemotePathPrefix(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush, RemotePath: "/inbound/acme"})
	write(t, e.local, "a.edi", "alpha", t0)
	if err := os.MkdirAll(filepath.Join(e.rem.root, "inbound"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The remote folder does not exist yet: a new sync creates it.
	e.mustRun()
	if d := cmp.Diff(map[string]string{"inbound/acme/a.edi": "alpha"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	write(t, e.local, "a.edi", "alpha", t0)
	now := time.Now()
	// A live holder elsewhere: the run is refused.
	if _, ok, err := e.st.AcquireSyncLease(ctx, e.sync.ID, "other-host/1/abcd", now, now.Add(time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := e.run(RunOptions{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("run while leased = %v, want ErrBusy", err)
	}
	if len(tree(t, e.rem.root)) != 0 {
		t.Errorf("a refused run copied files")
	}
	e.st.ReleaseSyncLease(ctx, e.sync.ID, "other-host/1/abcd")
	// A dead process on this host: its lease is taken over at once.
	dead := deadPID(t)
	holder := e.engine.self.host + "/" + dead + "/abcd"
	if _, ok, err := e.st.AcquireSyncLease(ctx, e.sync.ID, holder, now, now.Add(time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	e.mustRun()
	if len(tree(t, e.rem.root)) != 1 {
		t.Errorf("run after taking over a dead lease copied nothing")
	}
	// The lease is released after the run.
	if _, ok, _ := e.st.AcquireSyncLease(ctx, e.sync.ID, "x/1/y", time.Now(), time.Now().Add(time.Minute)); !ok {
		t.Errorf("lease still held after the run")
	}
}

func TestRunsNeverOverlap(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	write(t, e.local, "a.edi", "alpha", t0)
	inside, release := make(chan struct{}), make(chan struct{})
	e.rem.storeHook = func(string) {
		close(inside)
		<-release
	}
	first := make(chan error)
	go func() {
		_, err := e.run(RunOptions{})
		first <- err
	}()
	<-inside
	if _, err := e.run(RunOptions{}); !errors.Is(err, ErrBusy) {
		t.Errorf("second run while the first copies = %v, want ErrBusy", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	e.rem.storeHook = nil
	if d := cmp.Diff(map[string]int{"a.edi": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
}

// TestRemoteFolderListedEmptyWhenMissing: vsftpd answers LIST of a missing
// folder with an empty listing; the first push still creates the folder.
func TestRemoteFolderListedEmptyWhenMissing(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush, RemotePath: "out/acme"})
	write(t, e.local, "d/a.edi", "alpha", t0)
	x := &emptyWhenMissing{e.rem}
	e.engine.ep = endpoints{files: e.files, rem: x}
	e.mustRun()
	if d := cmp.Diff(map[string]string{"out/acme/d/a.edi": "alpha"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

type emptyWhenMissing struct{ *fakeRemote }

func (r *emptyWhenMissing) List(ctx context.Context, dir string) ([]remote.Entry, error) {
	es, err := r.fakeRemote.List(ctx, dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return es, err
}

func TestSameContentByHash(t *testing.T) {
	for _, hashes := range []bool{true, false} {
		t.Run(map[bool]string{true: "server-hashes", false: "no-hashes"}[hashes], func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
			e.rem.hashes = hashes
			// Identical content, different times, no state: the first
			// two-way run over two copies of one tree.
			write(t, e.local, "same.edi", "same bytes", t0)
			write(t, e.rem.root, "same.edi", "same bytes", t0.Add(time.Hour))
			write(t, e.local, "diff.edi", "local bytes", t0)
			write(t, e.rem.root, "diff.edi", "other bytes", t0.Add(time.Hour))
			res := e.mustRun()
			wantConflicts := 1
			if !hashes {
				wantConflicts = 2
			}
			if res.Run.Conflicts != wantConflicts {
				t.Errorf("conflicts = %d, want %d", res.Run.Conflicts, wantConflicts)
			}
			if res := e.mustRun(); res.Run.Copied+res.Run.Conflicts != 0 {
				t.Errorf("second run did %+v", res.Run)
			}
		})
	}
}

func TestPropagatedDeleteSparesChangedFile(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	write(t, e.local, "l.edi", "local now", t0.Add(time.Hour))
	write(t, e.rem.root, "r.edi", "remote now", t0.Add(time.Hour))
	x := &runner{e: e.engine, sy: e.sync, rem: under{r: e.rem}, log: e.engine.log, dirs: map[string]bool{}, localDirs: map[string]bool{}}
	x.local, _ = endpoints{files: e.files}.Local(e.sync.Folder)
	listed := &File{Size: 4, ModTime: t0, Precise: true} // as listed, before the change
	for _, it := range []Item{
		{Path: "l.edi", Action: DeleteLocal, Local: listed},
		{Path: "r.edi", Action: DeleteRemote, Remote: listed},
	} {
		if err := x.deleteFile(context.Background(), it); !errors.Is(err, errChanged) {
			t.Errorf("%s %s changed since listing = %v, want errChanged", it.Action, it.Path, err)
		}
	}
	if len(tree(t, e.local)) != 1 || len(tree(t, e.rem.root)) != 1 {
		t.Errorf("a changed file was deleted")
	}
}

func TestTempExtensionsPerFolder(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	e.engine.cfg.TempExtensionsFor = func(_ context.Context, folder string) ([]string, bool) {
		return []string{".filepart"}, folder == "acme/send"
	}
	write(t, e.local, "a.edi.filepart", "partial", t0)
	write(t, e.local, "b.edi.tmp", "server setting overridden", t0)
	e.mustRun()
	if d := cmp.Diff([]string{"b.edi.tmp"}, keys(tree(t, e.rem.root))); d != "" {
		t.Errorf("pushed (-want +got):\n%s", d)
	}
}

// An unchanged push plans from the journal and does not list the remote:
// nothing the remote could show would make it act.
func TestUnchangedPushDoesNotListRemote(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	write(t, e.local, "a.edi", "alpha", t0)
	write(t, e.local, "sub/b.edi", "bravo", t0)
	e.mustRun()
	listErr := errors.New("421 service not available")
	e.rem.failList["."] = listErr
	// The partner consumed b; a is still there. Neither is sent again,
	// and a file removed locally is not deleted remotely.
	remove(t, e.rem.root, "sub/b.edi")
	for range 2 {
		res := e.mustRun()
		if !res.Plan.FromJournal || res.Run.Copied != 0 || res.Run.Skipped != 2 {
			t.Fatalf("unchanged run = %+v (from journal %v), want 2 skipped from the journal", res.Run, res.Plan.FromJournal)
		}
	}
	remove(t, e.local, "a.edi")
	if res := e.mustRun(); !res.Plan.FromJournal || res.Run.Copied+res.Run.Deleted != 0 {
		t.Fatalf("run after a local delete = %+v (from journal %v), want no action from the journal", res.Run, res.Plan.FromJournal)
	}
	if d := cmp.Diff(map[string]string{"a.edi": "alpha"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote tree (-want +got):\n%s", d)
	}
	// A changed or new file needs the listing again.
	for _, p := range []string{"sub/b.edi", "c.edi"} {
		write(t, e.local, p, "changed", t0.Add(time.Hour))
		if _, err := e.run(RunOptions{}); !errors.Is(err, listErr) {
			t.Fatalf("run after writing %s = %v, want the listing error", p, err)
		}
		remove(t, e.local, p)
	}
	// A dry run always lists.
	if _, err := e.run(RunOptions{DryRun: true}); !errors.Is(err, listErr) {
		t.Fatalf("dry run = %v, want the listing error", err)
	}
	delete(e.rem.failList, ".")
	write(t, e.local, "sub/b.edi", "bravo v2", t0.Add(time.Hour))
	if res := e.mustRun(); res.Plan.FromJournal || res.Run.Copied != 1 {
		t.Fatalf("run after a change = %+v (from journal %v), want 1 copied after a listing", res.Run, res.Plan.FromJournal)
	}
	if d := cmp.Diff(map[string]int{"a.edi": 1, "sub/b.edi": 2}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
}

// Copies are journaled as started a chunk at a time ahead of the workers;
// a run that stops leaves none of them started: those no worker took are
// aborted, and the next run delivers every file once.
func TestCopiesJournaledAhead(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	e.engine.cfg.Transfers = 2 // chunks of 4
	for i := range 40 {
		write(t, e.local, fmt.Sprintf("d%d/f%02d.edi", i%3, i), "x", t0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stores atomic.Int32
	e.rem.storeHook = func(string) {
		if stores.Add(1) == 6 {
			cancel()
		}
	}
	if _, err := e.engine.Run(ctx, e.sync.Name, RunOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run = %v, want context.Canceled", err)
	}
	started, err := e.st.SyncOps(context.Background(), e.sync.ID, 0, store.OpStarted)
	if err != nil || len(started) != 0 {
		t.Fatalf("ops still started after the run stopped: %d (%v)", len(started), err)
	}
	aborted, _ := e.st.SyncOps(context.Background(), e.sync.ID, 0, store.OpAborted)
	if len(aborted) == 0 {
		t.Errorf("no op journaled ahead was aborted")
	}
	e.rem.storeHook = nil
	if res := e.mustRun(); res.Recovered != 0 {
		t.Errorf("run after the stop recovered %d ops, want 0", res.Recovered)
	}
	got := e.delivered()
	if len(got) != 40 {
		t.Errorf("%d files delivered, want 40", len(got))
	}
	for p, n := range got {
		if n != 1 {
			t.Errorf("%s delivered %d times", p, n)
		}
	}
}

// failDone fails the commit of any write that finishes the op of path.
type failDone struct {
	*sqlite.Store
	path string
}

func (s failDone) SaveSyncOps(ctx context.Context, batch []store.SyncOpSave) error {
	for _, b := range batch {
		if b.Op.Path == s.path && b.Op.Status == store.OpDone {
			return errors.New("disk full")
		}
	}
	return s.Store.SaveSyncOps(ctx, batch)
}

// A copy whose done record fails to commit is counted as failed, not also
// as copied, and the next run's recovery finishes it without copying again.
func TestFailedDoneRecord(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	for _, p := range []string{"a.edi", "b.edi", "c.edi"} {
		write(t, e.local, p, "data "+p, t0)
	}
	eng := e.engine
	e.engine = New(failDone{e.st, "b.edi"}, endpoints{files: e.files, rem: e.rem}, Config{RetryWait: time.Millisecond})
	res, err := e.run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Copied != 2 || res.Run.Failed != 1 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "disk full") {
		t.Fatalf("run = %+v, errors %v; want 2 copied, 1 failed with the journal error", res.Run, res.Errors)
	}
	e.engine = eng
	res = e.mustRun()
	if res.Recovered != 1 || res.Run.Copied != 1 {
		t.Errorf("next run = %+v, recovered %d; want b.edi recovered and counted as this run's one copy", res.Run, res.Recovered)
	}
}
