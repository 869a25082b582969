package filesync

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wharf-mft/wharf/internal/store"
)

func TestCheckOverlaps(t *testing.T) {
	push := func(name, folder, after, filter string) store.Sync {
		return store.Sync{Name: name, Folder: folder, Remote: "bank", RemotePath: "/in/" + name, Direction: store.SyncPush, AfterCopy: after, Filter: filter}
	}
	pull := func(name, remote, rpath, after, filter string) store.Sync {
		return store.Sync{Name: name, Folder: "ops/" + name, Remote: remote, RemotePath: rpath, Direction: store.SyncPull, AfterCopy: after, Filter: filter}
	}
	del, keep := store.AfterCopyDelete, store.AfterCopyKeep
	for _, tc := range []struct {
		name  string
		sy    store.Sync
		other store.Sync
		where string // "" when they do not overlap
	}{
		{"two deleting pushes", push("b", "acme/send", del, ""), push("a", "acme/send", del, ""), "folder acme/send"},
		{"a deleting push and a keeping one", push("b", "acme/send", keep, ""), push("a", "acme/send", del, ""), "folder acme/send"},
		{"the deleter is new", push("b", "acme/send", del, ""), push("a", "acme/send", keep, ""), "folder acme/send"},
		{"nested folders", push("b", "acme", keep, ""), push("a", "acme/send/", del, ""), "folder acme/send"},
		{"a two-way reader", store.Sync{Name: "b", Folder: "acme/send", Remote: "x", Direction: store.SyncTwoWay}, push("a", "acme/send", del, ""), "folder acme/send"},
		{"two keeping pushes", push("b", "acme/send", keep, ""), push("a", "acme/send", keep, ""), ""},
		{"sibling folders", push("b", "acme/sendx", del, ""), push("a", "acme/send", del, ""), ""},
		{"disjoint filters", push("b", "acme/send", del, "*.x12"), push("a", "acme/send", del, "*.edi,*.csv"), ""},
		{"overlapping filters", push("b", "acme/send", del, "po_*"), push("a", "acme/send", del, "*.edi"), "folder acme/send"},
		{"a pull into the folder", pull("b", "bank", "/out", keep, ""), push("a", "ops/b", del, ""), ""},
		{"itself", push("a", "acme/send", del, ""), push("a", "acme/send", del, ""), ""},
		{"two deleting pulls", pull("b", "bank", "/out", del, ""), pull("a", "BANK", "out/", del, ""), "bank:/out"},
		{"remote folders differing in case", pull("b", "bank", "/Out", del, ""), pull("a", "bank", "/out", del, ""), "bank:/out"},
		{"a pull under a deleting pull of the root", pull("b", "bank", "/out/edi", keep, ""), pull("a", "bank", "", del, ""), "bank:/out/edi"},
		{"pulls from two remotes", pull("b", "bank2", "/out", del, ""), pull("a", "bank", "/out", del, ""), ""},
		{"a push to where a pull deletes", push("b", "acme/send", keep, ""), pull("a", "bank", "/in/b", del, ""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckOverlaps(tc.sy, []store.Sync{tc.other, tc.sy})
			if tc.where == "" {
				if err != nil {
					t.Fatalf("CheckOverlaps = %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckOverlaps = nil, want an overlap on %s", tc.where)
			}
			for _, want := range []string{"both copy from " + tc.where + ",", "--after-copy keep", "own folder", "--filter"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestOverlapStopsRun: syncs stored before `sync add` refused overlaps do
// not run, so neither takes the other's files, and the run says why.
func TestOverlapStopsRun(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete})
	other := store.Sync{Name: "s2", Folder: "acme", Remote: "bank", RemotePath: "copy", Direction: store.SyncPush}
	if err := e.st.CreateSync(ctx, &other); err != nil {
		t.Fatal(err)
	}
	write(t, e.local, "a.edi", "AAAA", t0)
	for _, name := range []string{"s1", "s2"} {
		for _, dry := range []bool{false, true} {
			res, err := e.engine.Run(ctx, name, RunOptions{DryRun: dry})
			if err == nil || !strings.Contains(err.Error(), `syncs "s1" and "s2" both copy from folder acme/send`) {
				t.Errorf("Run(%s, dry %v) = %v, want the overlap", name, dry, err)
			}
			if !dry && res.Run.Status != store.RunFailed {
				t.Errorf("Run(%s) status %q, want %q", name, res.Run.Status, store.RunFailed)
			}
		}
	}
	if d := cmp.Diff(map[string]string{"a.edi": "AAAA"}, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
	if got := tree(t, e.rem.root); len(got) != 0 {
		t.Errorf("remote got %v, want nothing copied", got)
	}
	// Filters that no name passes both end the overlap.
	other.Filter, e.sync.Filter = "*.x12", "*.edi"
	for _, sy := range []*store.Sync{&other, &e.sync} {
		if err := e.st.UpdateSync(ctx, sy); err != nil {
			t.Fatal(err)
		}
	}
	e.mustRun()
	if got := tree(t, e.rem.root); got["a.edi"] != "AAAA" {
		t.Errorf("remote %v, want a.edi", got)
	}
}
