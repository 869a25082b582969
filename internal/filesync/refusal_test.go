package filesync

import (
	"context"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// dele550 is what vsftpd answers DELE for a file its login may not delete;
// servers answer the same code for a file that is not there.
func dele550(name string) error {
	return fmt.Errorf("delete %q: DELE: %w", name, &textproto.Error{Code: 550, Msg: "Delete operation failed."})
}

// partialRun runs e's sync and wants it to end partial with one failed
// file whose error says all of want.
func partialRun(t *testing.T, e *env, want ...string) Result {
	t.Helper()
	res, err := e.run(RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Run.Status != store.RunPartial || res.Run.Failed != 1 || len(res.Errors) != 1 {
		t.Fatalf("run = %+v, errors %v; want partial with 1 failed file", res.Run, res.Errors)
	}
	for _, w := range want {
		if !strings.Contains(res.Errors[0].Error(), w) {
			t.Errorf("error %q does not say %q", res.Errors[0], w)
		}
	}
	return res
}

// TestPullDeleteSourceRefused: a source delete the remote answers with 550
// while the file is still there is a failure, not a delete; the copy is
// recorded (not made again) and the delete is tried again by later runs.
func TestPullDeleteSourceRefused(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
	write(t, e.rem.root, "x.edi", "xray", t0)
	e.rem.failDelete["x.edi"] = dele550("x.edi")
	for i, wantCopied := range []int{1, 0} {
		res := partialRun(t, e, "x.edi", "550", "Delete operation failed", "--after-copy keep")
		if res.Run.Copied != wantCopied || res.Run.Deleted != 0 {
			t.Errorf("run %d = %+v, want %d copied, 0 deleted", i+1, res.Run, wantCopied)
		}
		if got := tree(t, e.rem.root)["x.edi"]; got != "xray" {
			t.Fatalf("run %d: remote x.edi = %q, want it kept", i+1, got)
		}
		if got := tree(t, e.local)["x.edi"]; got != "xray" {
			t.Fatalf("run %d: local x.edi = %q, want the copy", i+1, got)
		}
	}
	runs, _ := e.st.SyncRuns(context.Background(), e.sync.ID, 1)
	if ops, _ := e.st.SyncOps(context.Background(), e.sync.ID, runs[0].ID, store.OpFailed); len(ops) != 1 || ops[0].Action != string(DeleteRemote) ||
		!strings.Contains(ops[0].Error, "550") {
		t.Errorf("failed ops of the last run = %+v, want the refused delete-remote with its reply", ops)
	}
	// Once the remote lets it, the source goes, and nothing is pulled again.
	delete(e.rem.failDelete, "x.edi")
	if res := e.mustRun(); res.Run.Deleted != 1 || res.Run.Copied != 0 {
		t.Errorf("run after the remote allowed deletes = %+v, want 1 deleted, 0 copied", res.Run)
	}
	if got := tree(t, e.rem.root); len(got) != 0 {
		t.Errorf("remote after the delete: %v", keys(got))
	}
	if d := cmp.Diff(map[string]int{"x.edi": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
}

// TestDelete550OnAMissingFile: a 550 for a file that is verifiably gone
// (the partner took it meanwhile) is a delete done.
func TestDelete550OnAMissingFile(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
	write(t, e.rem.root, "x.edi", "xray", t0)
	e.rem.failDelete["x.edi"] = dele550("x.edi")
	e.rem.deleteHook = func(name string) { os.Remove(e.rem.abs(name)) }
	if res := e.mustRun(); res.Run.Copied != 1 {
		t.Errorf("run = %+v, want 1 copied", res.Run)
	}
	if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Failed != 0 {
		t.Errorf("second run = %+v, want nothing to do", res.Run)
	}
}

// TestTwoWayDeleteRefused: a deletion the remote refuses leaves the record,
// so the next run tries the delete again instead of copying the file back.
func TestTwoWayDeleteRefused(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, MaxDelete: 100})
	write(t, e.local, "x.edi", "xray", t0)
	write(t, e.local, "y.edi", "yankee", t0)
	e.mustRun()
	remove(t, e.local, "x.edi")
	e.rem.failDelete["x.edi"] = dele550("x.edi")
	for i := range 2 {
		res := partialRun(t, e, "delete-remote x.edi", "550", "Delete operation failed")
		if res.Run.Copied != 0 || res.Run.Deleted != 0 {
			t.Errorf("run %d = %+v, want nothing copied or deleted", i+1, res.Run)
		}
		if _, ok := tree(t, e.local)["x.edi"]; ok {
			t.Fatalf("run %d: x.edi, deleted locally, was copied back", i+1)
		}
	}
	delete(e.rem.failDelete, "x.edi")
	if res := e.mustRun(); res.Run.Deleted != 1 {
		t.Errorf("run = %+v, want 1 deleted", res.Run)
	}
	if d := cmp.Diff(map[string]string{"y.edi": "yankee"}, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}

// TestReadOnlyPullDelete: a pull that deletes its sources, from a remote
// Wharf must not change, copies each file once, fails each delete with a
// reason saying what to do, and never wedges the sync.
func TestReadOnlyPullDelete(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
	e.rem.readOnly = true
	write(t, e.rem.root, "s.edi", "sierra", t0)
	res := partialRun(t, e, "s.edi", "read-only", "--after-copy keep")
	if res.Run.Copied != 1 {
		t.Errorf("first run = %+v, want 1 copied", res.Run)
	}
	if strings.Contains(res.Errors[0].Error(), "changed since it was listed") {
		t.Errorf("error %q gives the wrong reason", res.Errors[0])
	}
	// Later runs try the delete again; nothing is pulled again.
	if res := partialRun(t, e, "read-only"); res.Run.Copied != 0 {
		t.Errorf("second run = %+v, want 0 copied", res.Run)
	}
	e.sync.AfterCopy = store.AfterCopyKeep
	if err := e.st.UpdateSync(context.Background(), &e.sync); err != nil {
		t.Fatal(err)
	}
	if res := e.mustRun(); res.Run.Copied+res.Run.Deleted != 0 {
		t.Errorf("run with --after-copy keep = %+v, want nothing to do", res.Run)
	}
	if d := cmp.Diff(map[string]int{"s.edi": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
	if got := tree(t, e.local)["s.edi"]; got != "sierra" {
		t.Errorf("local s.edi = %q", got)
	}
}

// TestRecoveryDeleteRefused: recovering a copy whose source delete is
// refused for good records the copy and the failure, and the run goes on.
func TestRecoveryDeleteRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(e *env)
	}{
		{"read-only", func(e *env) { e.rem.readOnly = true }},
		{"550", func(e *env) { e.rem.failDelete["x.edi"] = dele550("x.edi") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
			write(t, e.rem.root, "x.edi", "xray", t0)
			write(t, e.rem.root, "y.edi", "yankee", t0)
			write(t, e.local, "x.edi", "xray", t0)
			dest := store.SyncSide{Exists: true, Size: 4, ModTime: t0, Precise: true}
			crashed(t, e, Pull, "x.edi", opDetail{Size: 4, ModTime: t0, Precise: true, DeleteSource: true, Step: "copied", Dest: &dest})
			tc.fault(e)
			res, err := e.run(RunOptions{})
			if err != nil {
				t.Fatalf("run after the crash: %v", err)
			}
			if res.Recovered != 1 || res.Run.Status != store.RunPartial || res.Run.Copied != 2 || len(res.Errors) == 0 ||
				!strings.Contains(res.Errors[0].Error(), "x.edi") {
				t.Errorf("run = %+v, recovered %d, errors %v; want x.edi recovered (counted as copied) and its delete failed, y.edi copied",
					res.Run, res.Recovered, res.Errors)
			}
			if started, _ := e.st.SyncOps(context.Background(), e.sync.ID, 0, store.OpStarted); len(started) != 0 {
				t.Errorf("%d ops still started", len(started))
			}
			e.sync.AfterCopy = store.AfterCopyKeep
			if err := e.st.UpdateSync(context.Background(), &e.sync); err != nil {
				t.Fatal(err)
			}
			if res := e.mustRun(); res.Run.Copied != 0 {
				t.Errorf("run with --after-copy keep = %+v, want nothing copied", res.Run)
			}
			if d := cmp.Diff(map[string]int{"x.edi": 1, "y.edi": 1}, e.delivered()); d != "" {
				t.Errorf("deliveries (-want +got):\n%s", d)
			}
		})
	}
}

// TestRecoveryFollowsAfterCopyKeep: a sync switched to --after-copy keep
// after a crash does not delete the source of the copy it recovers.
func TestRecoveryFollowsAfterCopyKeep(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyKeep})
	write(t, e.rem.root, "x.edi", "xray", t0)
	write(t, e.local, "x.edi", "xray", t0)
	crashed(t, e, Pull, "x.edi", opDetail{Size: 4, ModTime: t0, Precise: true, DeleteSource: true, Temp: ".wharf-sync-1-1-1"})
	if res := e.mustRun(); res.Recovered != 1 {
		t.Errorf("recovered %d, want 1", res.Recovered)
	}
	if got := tree(t, e.rem.root)["x.edi"]; got != "xray" {
		t.Errorf("remote x.edi = %q, want it kept", got)
	}
}

// TestPushToReadOnlyNotRetried: a refusal that another try would meet
// again is not retried.
func TestPushToReadOnlyNotRetried(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	e.rem.readOnly = true
	write(t, e.local, "q.edi", "quebec", t0)
	partialRun(t, e, "q.edi", "read-only", "wharf remote set bank")
	ops, _ := e.st.SyncOps(context.Background(), e.sync.ID, 0, "")
	if len(ops) != 1 {
		t.Errorf("%d ops journaled for one refused push, want 1 (no retries)", len(ops))
	}
	if _, err := os.Stat(filepath.Join(e.rem.root, "q.edi")); err == nil {
		t.Errorf("q.edi reached a read-only remote")
	}
}
