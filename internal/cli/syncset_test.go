package cli

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// TestSyncSetRemoteResetsState: `sync set` that points a sync at another
// remote folder or local folder says the state is reset, and it is; other
// changes keep it.
func TestSyncSetRemoteResetsState(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	mustRun(t, dir, "", "remote", "add", "bank", "--url", "ftps://u@127.0.0.1:1")
	mustRun(t, dir, "", "sync", "add", "shared", "--folder", "acme/send", "--remote", "bank:/old", "--direction", "two-way")
	// The state a run would leave: one file tracked.
	func() {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sy, err := st.Sync(ctx, "shared")
		if err != nil {
			t.Fatal(err)
		}
		f := store.SyncFile{Path: "a.edi", Local: store.SyncSide{Exists: true, Size: 1}, Remote: store.SyncSide{Exists: true, Size: 1}}
		if err := st.PutSyncFiles(ctx, sy.ID, []store.SyncFile{f}, nil); err != nil {
			t.Fatal(err)
		}
	}()
	const reset = "state reset: the next run treats both sides as new (it synced acme/send with bank:/old before)"
	runSteps(t, dir, []step{
		{name: "filter keeps the state", args: []string{"sync", "set", "shared", "--filter", "*.edi"},
			want: []string{"updated sync shared"}, notWant: []string{"state reset"}},
		{name: "show tracks the file", args: []string{"sync", "show", "shared"}, want: []string{"files tracked:  1"}},
		{name: "remote folder resets it", args: []string{"sync", "set", "shared", "--remote", "bank:/new"},
			want: []string{"updated sync shared: acme/send <-> bank:/new", reset}},
		{name: "show tracks nothing", args: []string{"sync", "show", "shared"}, want: []string{"files tracked:  0", "remote:         bank:/new"}},
	})
}

// TestSyncMaxDeleteZero: --max-delete 0 is stored and shown as 0 %, and a
// sync added without it gets the default 50 %.
func TestSyncMaxDeleteZero(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	mustRun(t, dir, "", "remote", "add", "bank", "--url", "ftps://u@127.0.0.1:1")
	runSteps(t, dir, []step{
		{name: "add with 0", args: []string{"sync", "add", "strict", "--folder", "acme/send", "--remote", "bank:/a", "--direction", "two-way", "--max-delete", "0"}},
		{name: "add without", args: []string{"sync", "add", "usual", "--folder", "acme/receive", "--remote", "bank:/b", "--direction", "two-way"}},
		{name: "show 0", args: []string{"sync", "show", "strict"}, want: []string{"max delete:     0%"}},
		{name: "show default", args: []string{"sync", "show", "usual"}, want: []string{"max delete:     50%"}},
		{name: "set back to 0", args: []string{"sync", "set", "usual", "--max-delete", "0"}},
		{name: "show set 0", args: []string{"sync", "show", "usual"}, want: []string{"max delete:     0%"}},
	})
}
