package filesync

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// mfmt is a time a client such as WinSCP preserves with MFMT: the same for
// every upload of the file, and older than six months, so a LIST line
// shows its date only.
var mfmt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestSourceBackAfterRemoval: a file that reappears in the source folder
// after the sync removed its source (--after-copy delete), or after it was
// removed there otherwise, is a new delivery, copied even when its name,
// size and time match the earlier delivery still on the target. A source
// is removed only after this sync verified its copy.
func TestSourceBackAfterRemoval(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dir     string
		after   string
		precise bool // MLSD-like remote times; false: LIST
		hashes  bool
		again   string // the second delivery's content
	}{
		{"push/delete/list", store.SyncPush, store.AfterCopyDelete, false, false, "BBBB"},
		{"push/delete/mlsd", store.SyncPush, store.AfterCopyDelete, true, false, "BBBB"},
		{"push/delete/hashes", store.SyncPush, store.AfterCopyDelete, true, true, "BBBB"},
		{"push/delete/same-content-again", store.SyncPush, store.AfterCopyDelete, true, true, "AAAA"},
		{"push/keep/list", store.SyncPush, store.AfterCopyKeep, false, false, "BBBB"},
		{"push/keep/same-content-again", store.SyncPush, store.AfterCopyKeep, true, true, "AAAA"},
		{"pull/delete/list", store.SyncPull, store.AfterCopyDelete, false, false, "BBBB"},
		{"pull/delete/mlsd", store.SyncPull, store.AfterCopyDelete, true, false, "BBBB"},
		{"pull/keep/list", store.SyncPull, store.AfterCopyKeep, false, false, "BBBB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: tc.dir, AfterCopy: tc.after, OnReceive: tc.dir == store.SyncPush})
			e.rem.precise, e.rem.hashes = tc.precise, tc.hashes
			src, dst := e.local, e.rem.root
			if tc.dir == store.SyncPull {
				src, dst = dst, src
			}
			write(t, src, "daily.edi", "AAAA", mfmt)
			wantSrc := map[string]string{}
			wantCopies := map[string]int{"daily.edi": 2}
			if tc.after == store.AfterCopyKeep {
				// Another file stays: a source that lists nothing at all
				// records nothing gone (TestEmptySourceRecordsNothing).
				write(t, src, "other.edi", "other", t0)
				wantSrc["other.edi"], wantCopies["other.edi"] = "other", 1
			}
			if res := e.mustRun(); res.Run.Copied != len(wantCopies) {
				t.Fatalf("first run = %+v, want %d copied", res.Run, len(wantCopies))
			}
			if tc.after == store.AfterCopyKeep {
				// Taken from the source folder by someone else.
				remove(t, src, "daily.edi")
				if res := e.mustRun(); res.Run.Copied+res.Run.Deleted != 0 {
					t.Fatalf("run after the source was removed = %+v, want nothing done", res.Run)
				}
			}
			if d := cmp.Diff(wantSrc, tree(t, src)); d != "" {
				t.Fatalf("source after the first delivery (-want +got):\n%s", d)
			}
			// The partner uploads the file again: same name, size and time.
			write(t, src, "daily.edi", tc.again, mfmt)
			res := e.mustRun()
			if res.Run.Copied != 1 {
				t.Errorf("run after the file came back = %+v, want 1 copied; plan %+v", res.Run, res.Plan.Items)
			}
			if got := tree(t, dst)["daily.edi"]; got != tc.again {
				t.Errorf("target daily.edi = %q, want %q", got, tc.again)
			}
			if tc.after == store.AfterCopyKeep {
				wantSrc["daily.edi"] = tc.again
			}
			if d := cmp.Diff(wantSrc, tree(t, src)); d != "" {
				t.Errorf("source (-want +got):\n%s", d)
			}
			if d := cmp.Diff(wantCopies, e.delivered()); d != "" {
				t.Errorf("deliveries (-want +got):\n%s", d)
			}
			// Exactly once: consumed on the target, it is not sent again.
			remove(t, dst, "daily.edi")
			for range 2 {
				if res := e.mustRun(); res.Run.Copied != 0 {
					t.Errorf("run after the target consumed it = %+v, want nothing copied", res.Run)
				}
			}
		})
	}
}

// TestNoRecordNoRemoval: with nothing on record, a target file of the same
// name, size and time is no proof of a delivery: with --after-copy delete
// the source is copied (verified) before it is removed, or found the same
// by content where the server can tell a digest.
func TestNoRecordNoRemoval(t *testing.T) {
	for _, hashes := range []bool{false, true} {
		t.Run(map[bool]string{true: "server-hashes", false: "no-hashes"}[hashes], func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete})
			e.rem.hashes = hashes
			write(t, e.rem.root, "same.edi", "AAAA", mfmt)
			write(t, e.local, "same.edi", "AAAA", mfmt)
			write(t, e.rem.root, "other.edi", "AAAA", mfmt)
			write(t, e.local, "other.edi", "BBBB", mfmt)
			e.mustRun()
			if d := cmp.Diff(map[string]string{"same.edi": "AAAA", "other.edi": "BBBB"}, tree(t, e.rem.root)); d != "" {
				t.Errorf("remote (-want +got):\n%s", d)
			}
			if got := tree(t, e.local); len(got) != 0 {
				t.Errorf("sources left: %v", got)
			}
			want := map[string]int{"same.edi": 1, "other.edi": 1}
			if hashes {
				delete(want, "same.edi") // found the same by content
			}
			if d := cmp.Diff(want, e.delivered()); d != "" {
				t.Errorf("deliveries (-want +got):\n%s", d)
			}
		})
	}
}

// TestPushEditWithinListedMinute: an edit of the same size in the minute of
// the delivered copy, whose LIST time shows that minute only, is a change
// and is pushed: the target's copy only looks the same.
func TestPushEditWithinListedMinute(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	e.rem.precise = false
	write(t, e.local, "a.edi", "AAAA", t0)
	e.mustRun()
	write(t, e.local, "a.edi", "BBBB", t0.Add(20*time.Second))
	if res := e.mustRun(); res.Run.Copied != 1 {
		t.Errorf("run after the edit = %+v, want 1 copied; plan %+v", res.Run, res.Plan.Items)
	}
	if got := tree(t, e.rem.root)["a.edi"]; got != "BBBB" {
		t.Errorf("remote a.edi = %q, want the edit", got)
	}
}

// TestEmptySourceRecordsNothing: a source folder that lists no file at all
// records no file gone, so when the files are back, nothing is delivered
// again. (A folder missing meanwhile, which vsftpd lists as empty, fails
// the run instead: see TestPullFromVanishedRemoteFolder.)
func TestEmptySourceRecordsNothing(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPull, RemotePath: "out"})
	e.engine.ep = endpoints{files: e.files, rem: &emptyWhenMissing{e.rem}}
	write(t, e.rem.root, "out/a.edi", "alpha", t0)
	write(t, e.rem.root, "out/b.edi", "bravo", t0)
	e.mustRun()
	out, away := filepath.Join(e.rem.root, "out"), filepath.Join(e.rem.root, "away")
	if err := os.Mkdir(away, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a.edi", "b.edi"} {
		if err := os.Rename(filepath.Join(out, f), filepath.Join(away, f)); err != nil {
			t.Fatal(err)
		}
	}
	if res := e.mustRun(); res.Run.Copied+res.Run.Deleted != 0 {
		t.Errorf("run while the remote folder is empty = %+v, want nothing done", res.Run)
	}
	for _, f := range []string{"a.edi", "b.edi"} {
		if err := os.Rename(filepath.Join(away, f), filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	if res := e.mustRun(); res.Run.Copied != 0 {
		t.Errorf("run after the remote files are back = %+v, want nothing copied", res.Run)
	}
	if d := cmp.Diff(map[string]int{"a.edi": 1, "b.edi": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
}
