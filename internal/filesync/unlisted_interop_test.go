package filesync

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropTwoWayKeepsNamesTheRemoteCannotList: against real servers, a
// two-way sync's second run deletes no local file that the remote's
// listing cannot show: dot names on vsftpd (its LIST hides them), a dot
// folder's files, names with a backslash (the client drops them).
func TestInteropTwoWayKeepsNamesTheRemoteCannotList(t *testing.T) {
	peertest.Interop(t)
	for _, start := range interopPeers(t) {
		p := start(t)
		t.Run(p.name, func(t *testing.T) {
			q := sub(t, p, "unlisted")
			e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay})
			want := map[string]string{".settings": "alpha", ".cfg/x.edi": "xray", `a\b.edi`: "ab", "c.edi": "charlie", "d.edi": "delta"}
			for p, content := range want {
				write(t, e.local, p, content, t0)
			}
			e.mustRun()
			for run := 2; run <= 3; run++ {
				res := e.mustRun()
				for _, it := range res.Plan.Items {
					t.Logf("run %d: %s %s: %s", run, it.Action, it.Path, it.Reason)
				}
				if res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
					t.Errorf("run %d = %+v, want nothing done", run, res.Run)
				}
			}
			if d := cmp.Diff(want, tree(t, e.local)); d != "" {
				t.Errorf("local (-want +got):\n%s", d)
			}
			remote := visible(tree(t, q.dir))
			if remote["c.edi"] != "charlie" || remote["d.edi"] != "delta" || remote[`a\b.edi`] != "" {
				t.Errorf("remote = %v, want c.edi and d.edi, no a\\b.edi", remote)
			}
			if p.name == "vsftpd" && (remote[".settings"] != "" || remote[".cfg/x.edi"] != "") {
				t.Errorf("remote = %v: dot names pushed to vsftpd, whose LIST hides them", remote)
			}
		})
	}
}

// TestInteropTwoWayPushOverRemoteFile: a two-way push of a local change
// publishes over the remote file through a staged name, leaving nothing
// else behind, on each server.
func TestInteropTwoWayPushOverRemoteFile(t *testing.T) {
	peertest.Interop(t)
	for _, start := range interopPeers(t) {
		p := start(t)
		t.Run(p.name, func(t *testing.T) {
			q := sub(t, p, "push-over")
			e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay})
			write(t, e.local, "in/a.edi", "v1", t0)
			e.mustRun()
			write(t, e.local, "in/a.edi", "local-v2", t0.Add(time.Hour))
			if res := e.mustRun(); res.Run.Copied != 1 {
				t.Fatalf("run = %+v, want 1 copied", res.Run)
			}
			if d := cmp.Diff(map[string]string{"in/a.edi": "local-v2"}, visible(tree(t, q.dir))); d != "" {
				t.Errorf("remote (-want +got):\n%s", d)
			}
			if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
				t.Errorf("run after the push did %+v", res.Run)
			}
		})
	}
}
