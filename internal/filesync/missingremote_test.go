package filesync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// missingFolderServers are the two ways a server tells of a missing
// folder: a listing error (550 to MLSD, as pure-ftpd and Wharf answer), or
// an empty listing that only a Stat shows for a missing folder (vsftpd's
// LIST).
var missingFolderServers = []struct {
	name string
	wrap func(*fakeRemote) Remote
}{
	{"listing-fails", func(r *fakeRemote) Remote { return r }},
	{"listed-empty", func(r *fakeRemote) Remote { return &emptyWhenMissing{r} }},
}

// wantMissingFolderError checks that err fails the run and tells which
// remote folder is missing and what to do: check the sync's remote path,
// or fix (create or restore) the folder.
func wantMissingFolderError(t *testing.T, e *env, res Result, err error, folder, fix string) {
	t.Helper()
	if err == nil {
		t.Fatalf("run = %+v, nil error; want a failure naming the missing remote folder", res.Run)
	}
	for _, want := range []string{"bank:/" + folder, "does not exist", "wharf sync set " + e.sync.Name + " --remote bank:PATH", fix} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if res.Run.Status != store.RunFailed {
		t.Errorf("run status %q, want %q", res.Run.Status, store.RunFailed)
	}
}

// TestPullFromMissingRemoteFolder: a pull whose remote folder does not
// exist (a mistyped --remote) fails every run, rather than reporting
// "ok, copied 0" for ever; an existing empty folder is fine.
func TestPullFromMissingRemoteFolder(t *testing.T) {
	for _, srv := range missingFolderServers {
		t.Run(srv.name, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncPull, RemotePath: "/nosuch"})
			e.engine.ep = endpoints{files: e.files, rem: srv.wrap(e.rem)}
			for range 2 {
				res, err := e.run(RunOptions{})
				wantMissingFolderError(t, e, res, err, "nosuch", "create the folder on the server")
			}
			if _, err := e.run(RunOptions{DryRun: true}); err == nil {
				t.Errorf("dry run of a pull from a missing folder succeeded")
			}
			if err := os.Mkdir(filepath.Join(e.rem.root, "nosuch"), 0o755); err != nil {
				t.Fatal(err)
			}
			if res := e.mustRun(); res.Run.Status != store.RunOK || res.Run.Copied != 0 {
				t.Errorf("pull from an existing empty folder = %+v, want ok, nothing copied", res.Run)
			}
		})
	}
}

// TestPullFromVanishedRemoteFolder: a pull that has synced before and
// whose remote folder then disappears fails, whether it kept its sources
// (remote files on record) or deleted them after their copy (none on
// record), and records nothing: when the folder is back, nothing is
// delivered again.
func TestPullFromVanishedRemoteFolder(t *testing.T) {
	for _, srv := range missingFolderServers {
		for _, after := range []string{store.AfterCopyKeep, store.AfterCopyDelete} {
			t.Run(srv.name+"/"+after, func(t *testing.T) {
				e := newEnv(t, store.Sync{Direction: store.SyncPull, RemotePath: "out", AfterCopy: after})
				e.engine.ep = endpoints{files: e.files, rem: srv.wrap(e.rem)}
				write(t, e.rem.root, "out/a.edi", "alpha", t0)
				write(t, e.rem.root, "out/b.edi", "bravo", t0)
				e.mustRun()
				out := filepath.Join(e.rem.root, "out")
				if err := os.Rename(out, out+".away"); err != nil {
					t.Fatal(err)
				}
				res, err := e.run(RunOptions{Force: true})
				wantMissingFolderError(t, e, res, err, "out", "create the folder on the server")
				if d := cmp.Diff(map[string]string{"a.edi": "alpha", "b.edi": "bravo"}, tree(t, e.local)); d != "" {
					t.Errorf("local after the failed run (-want +got):\n%s", d)
				}
				if err := os.Rename(out+".away", out); err != nil {
					t.Fatal(err)
				}
				if res := e.mustRun(); res.Run.Copied != 0 {
					t.Errorf("run after the remote folder is back = %+v, want nothing copied", res.Run)
				}
				if d := cmp.Diff(map[string]int{"a.edi": 1, "b.edi": 1}, e.delivered()); d != "" {
					t.Errorf("deliveries (-want +got):\n%s", d)
				}
			})
		}
	}
}

// TestTwoWayVanishedRemoteFolder: a two-way sync whose remote folder
// disappears fails, even forced past the mass-delete guard, and deletes
// nothing locally: a missing folder is not every file deleted there.
func TestTwoWayVanishedRemoteFolder(t *testing.T) {
	for _, srv := range missingFolderServers {
		t.Run(srv.name, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, RemotePath: "shared"})
			e.engine.ep = endpoints{files: e.files, rem: srv.wrap(e.rem)}
			write(t, e.rem.root, "shared/a.edi", "alpha", t0)
			write(t, e.local, "b.edi", "bravo", t0)
			e.mustRun()
			want := map[string]string{"a.edi": "alpha", "b.edi": "bravo"}
			if err := os.RemoveAll(filepath.Join(e.rem.root, "shared")); err != nil {
				t.Fatal(err)
			}
			res, err := e.run(RunOptions{Force: true})
			wantMissingFolderError(t, e, res, err, "shared", "restore the folder on the server")
			if d := cmp.Diff(want, tree(t, e.local)); d != "" {
				t.Errorf("local after the failed run (-want +got):\n%s", d)
			}
			if len(tree(t, e.rem.root)) != 0 {
				t.Errorf("the failed run wrote to the remote: %v", keys(tree(t, e.rem.root)))
			}
		})
	}
}

// TestNewSyncCreatesMissingRemoteFolder: a new push or two-way sync whose
// remote folder does not exist yet creates it with its first copy.
func TestNewSyncCreatesMissingRemoteFolder(t *testing.T) {
	for _, srv := range missingFolderServers {
		for _, dir := range []string{store.SyncPush, store.SyncTwoWay} {
			t.Run(srv.name+"/"+dir, func(t *testing.T) {
				e := newEnv(t, store.Sync{Direction: dir, RemotePath: "new/in"})
				e.engine.ep = endpoints{files: e.files, rem: srv.wrap(e.rem)}
				write(t, e.local, "a.edi", "alpha", t0)
				if res := e.mustRun(); res.Run.Copied != 1 {
					t.Errorf("run = %+v, want 1 copied", res.Run)
				}
				if d := cmp.Diff(map[string]string{"new/in/a.edi": "alpha"}, tree(t, e.rem.root)); d != "" {
					t.Errorf("remote (-want +got):\n%s", d)
				}
			})
		}
	}
}
