package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// trackSyncFile gives the sync called name the state a run leaves for
// one file.
func trackSyncFile(t *testing.T, st store.Store, name string) store.Sync {
	t.Helper()
	sy, err := st.Sync(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	f := store.SyncFile{Path: "a.edi", Local: store.SyncSide{Exists: true, Size: 1}, Remote: store.SyncSide{Exists: true, Size: 1}}
	if err := st.PutSyncFiles(t.Context(), sy.ID, []store.SyncFile{f}, nil); err != nil {
		t.Fatal(err)
	}
	return sy
}

// TestRemoteSetResetsSyncs: `remote set` that points a remote at other
// files (host, port, user, root) resets the state of every sync of it
// and names each with where it synced before; a changed TLS mode,
// password, connection setting or a URL that says the same place keeps
// the state, and so do the syncs of other remotes.
func TestRemoteSetResetsSyncs(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	mustRun(t, dir, "", "remote", "add", "bank", "--url", "ftps://wharf@127.0.0.1:22021")
	mustRun(t, dir, "", "remote", "add", "other", "--url", "ftps://wharf@127.0.0.1:22022")
	mustRun(t, dir, "", "sync", "add", "k", "--folder", "acme/receive", "--remote", "bank:/k1", "--direction", "push")
	mustRun(t, dir, "", "sync", "add", "all", "--folder", "acme/send", "--remote", "bank", "--direction", "pull")
	mustRun(t, dir, "", "sync", "add", "elsewhere", "--folder", "acme/receive", "--remote", "other:/k1", "--direction", "push")
	st := openStore(t, dir)
	syncs := map[string]store.Sync{}
	for _, name := range []string{"k", "all", "elsewhere"} {
		syncs[name] = trackSyncFile(t, st, name)
	}
	tracked := func(t *testing.T, want map[string]int) {
		t.Helper()
		for name, n := range want {
			got, err := st.SyncFiles(t.Context(), syncs[name].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Errorf("sync %s: %d files tracked, want %d", name, len(got), n)
			}
		}
	}
	kept := map[string]int{"k": 1, "all": 1, "elsewhere": 1}
	runSteps(t, dir, []step{
		{name: "max conns", args: []string{"remote", "set", "bank", "--max-conns", "2"}, notWant: []string{"state reset"}},
		{name: "tls mode", args: []string{"remote", "set", "bank", "--tls", "if-available"}, notWant: []string{"state reset"}},
		{name: "password", stdin: "new-password-123\n", args: []string{"remote", "set", "bank", "--password-stdin"}, notWant: []string{"state reset"}},
		{name: "same place spelled otherwise", args: []string{"remote", "set", "bank", "--url", "ftps://wharf@127.0.0.1:22021/"},
			want: []string{`updated remote "bank": url`}, notWant: []string{"state reset"}},
	})
	tracked(t, kept)

	runSteps(t, dir, []step{
		{name: "new root", args: []string{"remote", "set", "bank", "--url", "ftps://wharf@127.0.0.1:22021/sub"},
			want: []string{
				"sync k: state reset: the next run treats both sides as new (it synced with ftps://wharf@127.0.0.1:22021/k1 before)",
				"sync all: state reset: the next run treats both sides as new (it synced with ftps://wharf@127.0.0.1:22021 before)",
			},
			notWant: []string{"sync elsewhere"}},
	})
	tracked(t, map[string]int{"k": 0, "all": 0, "elsewhere": 1})

	for _, tc := range []struct{ name, url, was string }{
		{"new port", "ftps://wharf@127.0.0.1:22023/sub", "ftps://wharf@127.0.0.1:22021/sub/k1"},
		{"new user", "ftps://other@127.0.0.1:22023/sub", "ftps://wharf@127.0.0.1:22023/sub/k1"},
		{"new host", "ftps://other@localhost:22023/sub", "ftps://other@127.0.0.1:22023/sub/k1"},
	} {
		trackSyncFile(t, st, "k")
		runSteps(t, dir, []step{{name: tc.name, args: []string{"remote", "set", "bank", "--url", tc.url},
			want: []string{"sync k: state reset: the next run treats both sides as new (it synced with " + tc.was + " before)"}}})
		tracked(t, map[string]int{"k": 0})
	}
}

// TestRemoteSetRefusedWhileSyncRuns: a change that would reset the state
// of a sync whose run holds its lease is refused naming the sync, and
// changes nothing; one that keeps the state goes ahead.
func TestRemoteSetRefusedWhileSyncRuns(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	mustRun(t, dir, "", "remote", "add", "bank", "--url", "ftps://wharf@127.0.0.1:22021")
	mustRun(t, dir, "", "sync", "add", "idle", "--folder", "acme/send", "--remote", "bank:/a", "--direction", "pull")
	mustRun(t, dir, "", "sync", "add", "busy", "--folder", "acme/receive", "--remote", "bank:/k1", "--direction", "push")
	st := openStore(t, dir)
	trackSyncFile(t, st, "idle")
	busy := trackSyncFile(t, st, "busy")
	now := time.Now()
	if _, ok, err := st.AcquireSyncLease(t.Context(), busy.ID, "test-run", now, now.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("AcquireSyncLease = %v, %v", ok, err)
	}
	runSteps(t, dir, []step{
		{name: "moving refused", args: []string{"remote", "set", "bank", "--url", "ftps://wharf@127.0.0.1:22021/sub"},
			wantErr: `remote "bank" not changed: sync "busy": a run of this sync is in progress (held by test-run until`},
		{name: "unchanged", args: []string{"remote", "show", "bank"}, want: []string{"root:                 /\n"}},
		{name: "sync state kept", args: []string{"sync", "show", "idle"}, want: []string{"files tracked:  1"}},
		{name: "not moving goes ahead", args: []string{"remote", "set", "bank", "--max-conns", "3"}, notWant: []string{"state reset"}},
	})
}

// TestRemoteSetURLDelivers is the reviewer's case end to end: a push
// sync that delivered its file, then `remote set --url` to a new root on
// the same server; the next run delivers the file to the new place.
func TestRemoteSetURLDelivers(t *testing.T) {
	srvDir, dir := t.TempDir(), t.TempDir()
	const opsPW = "staff-pw-123456"
	mustRun(t, srvDir, opsPW+"\n", "staff", "add", "ops", "--password-stdin")
	if err := os.MkdirAll(filepath.Join(srvDir, "files", "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	addr, _ := serveAddr(t, srvDir)

	mustRun(t, dir, "", "partner", "add", "acme")
	if err := os.WriteFile(filepath.Join(dir, "files", "acme", "receive", "x.edi"), []byte("ISA*00~"), 0o640); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, opsPW+"\n", "remote", "add", "bank", "--url", "ftps://ops@"+addr, "--allow-self-signed", "--password-stdin")
	mustRun(t, dir, "", "sync", "add", "k", "--folder", "acme/receive", "--remote", "bank:/k1", "--direction", "push")
	if r := mustRun(t, dir, "", "sync", "run", "k"); !strings.Contains(r.stdout, "copied 1") {
		t.Fatalf("first sync run: %s", r.stdout)
	}
	r := mustRun(t, dir, "", "remote", "set", "bank", "--url", "ftps://ops@"+addr+"/sub")
	if want := "sync k: state reset: the next run treats both sides as new (it synced with ftps://ops@" + addr + "/k1 before)"; !strings.Contains(r.stdout, want) {
		t.Errorf("remote set --url: stdout lacks %q:\n%s", want, r.stdout)
	}
	if r := mustRun(t, dir, "", "sync", "run", "k"); !strings.Contains(r.stdout, "copied 1") {
		t.Errorf("sync run after the remote moved: %s", r.stdout)
	}
	if b, err := os.ReadFile(filepath.Join(srvDir, "files", "sub", "k1", "x.edi")); err != nil || string(b) != "ISA*00~" {
		t.Errorf("the new place holds x.edi = %q, %v; want it delivered", b, err)
	}
}
