package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// syncPeer sets up dir with partner acme, whose send/ holds two .edi files
// and a .txt, and remote bank: a second Wharf instance served in-process
// on loopback, whose files/inbound is returned.
func syncPeer(t *testing.T, dir string) (inbound string) {
	t.Helper()
	peer := t.TempDir()
	mustRun(t, peer, peerPass+"\n", "staff", "add", "ops", "--password-stdin")
	inbound = filepath.Join(peer, "files", "inbound")
	if err := os.MkdirAll(inbound, 0o700); err != nil {
		t.Fatal(err)
	}
	addr, _ := serveAddr(t, peer)
	mustRun(t, dir, "", "partner", "add", "acme")
	mustRun(t, dir, peerPass+"\n", "remote", "add", "bank", "--url", "ftps://ops@"+addr, "--allow-self-signed", "--password-stdin")
	send := filepath.Join(dir, "files", "acme", "send")
	for name, content := range map[string]string{"a.edi": "alpha", "sub/b.edi": "bravo", "c.txt": "charlie"} {
		p := filepath.Join(send, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return inbound
}

// decodeJSON decodes stdout, one JSON document, into v.
func decodeJSON(t *testing.T, r result, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("output is not the JSON wanted: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("output has more than one JSON document:\n%s", r.stdout)
	}
}

// jsonKeys returns the sorted keys of the JSON object doc.
func jsonKeys(t *testing.T, doc json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, doc)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var runKeys = []string{"bytes", "conflicts", "copied", "deleted", "duration_ms", "error", "failed", "finished", "id",
	"removed_from_source", "skipped", "started", "status"}

// wantUTC checks that at is an RFC 3339 time in UTC within the test.
func wantUTC(t *testing.T, what string, at time.Time, raw string, since time.Time) {
	t.Helper()
	if _, err := time.Parse(time.RFC3339, raw); err != nil || !strings.HasSuffix(raw, "Z") {
		t.Errorf("%s = %q: want an RFC 3339 time in UTC (%v)", what, raw, err)
	}
	if at.Before(since.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("%s = %v, want a time during the test", what, at)
	}
}

// TestSyncJSON: list, status and history print one JSON document each, with
// lower_snake_case keys that are always there, RFC 3339 times, and the
// run's counts, sources removed after their copy apart from deletes.
func TestSyncJSON(t *testing.T) {
	dir := t.TempDir()
	since := time.Now()
	syncPeer(t, dir)
	empty := run(t, dir, "", "sync", "list", "--json")
	if empty.err != nil || strings.TrimSpace(empty.stdout) != "[]" {
		t.Errorf("list --json with no syncs = %q, %v; want []", empty.stdout, empty.err)
	}
	mustRun(t, dir, "", "sync", "add", "out", "--folder", "acme/send", "--remote", "bank:/inbound", "--direction", "push",
		"--after-copy", "delete", "--filter", "*.edi", "--every", "5m")
	mustRun(t, dir, "", "sync", "add", "idle", "--folder", "acme/receive", "--remote", "bank", "--direction", "pull")
	mustRun(t, dir, "", "sync", "run", "out")

	t.Run("list", func(t *testing.T) {
		r := mustRun(t, dir, "", "sync", "list", "--json")
		var raw []json.RawMessage
		decodeJSON(t, r, &raw)
		if len(raw) != 2 {
			t.Fatalf("list --json has %d entries, want 2:\n%s", len(raw), r.stdout)
		}
		wantKeys := []string{"after_copy", "conflict", "cron", "direction", "every_seconds", "filter", "folder", "last_run",
			"max_delete", "name", "on_receive", "remote", "remote_path"}
		for _, doc := range raw {
			if d := cmp.Diff(wantKeys, jsonKeys(t, doc)); d != "" {
				t.Errorf("list --json keys (-want +got):\n%s", d)
			}
		}
		var got []syncView
		decodeJSON(t, r, &got)
		idle, out := got[0], got[1]
		if idle.LastRun != nil || !strings.Contains(string(raw[0]), `"last_run": null`) {
			t.Errorf("never-run sync: last_run = %+v, want null", idle.LastRun)
		}
		want := syncView{Name: "idle", Folder: "acme/receive", Remote: "bank", RemotePath: "/", Direction: "pull",
			AfterCopy: "keep", Conflict: "newer", MaxDelete: 50}
		if d := cmp.Diff(want, idle); d != "" {
			t.Errorf("idle (-want +got):\n%s", d)
		}
		if out.LastRun == nil {
			t.Fatalf("out: no last_run:\n%s", r.stdout)
		}
		lr := *out.LastRun
		out.LastRun = nil
		want = syncView{Name: "out", Folder: "acme/send", Remote: "bank", RemotePath: "/inbound", Direction: "push",
			AfterCopy: "delete", EverySeconds: 300, Filter: "*.edi", Conflict: "newer", MaxDelete: 50}
		if d := cmp.Diff(want, out); d != "" {
			t.Errorf("out (-want +got):\n%s", d)
		}
		if lr.Status != "ok" || lr.Copied != 2 || lr.Deleted != 0 || lr.RemovedFromSource != 2 || lr.Bytes != 10 || lr.Finished == nil || lr.DurationMS == nil {
			t.Errorf("out's last run = %+v, want ok, 2 copied, 0 deleted, 2 removed from source, 10 bytes, finished", lr)
		}
	})

	t.Run("status", func(t *testing.T) {
		r := mustRun(t, dir, "", "sync", "status", "--json")
		var raw []struct {
			Name    string          `json:"name"`
			LastRun json.RawMessage `json:"last_run"`
		}
		decodeJSON(t, r, &raw)
		if len(raw) != 2 || raw[0].Name != "idle" || string(raw[0].LastRun) != "null" || raw[1].Name != "out" {
			t.Fatalf("status --json = %s", r.stdout)
		}
		if d := cmp.Diff(runKeys, jsonKeys(t, raw[1].LastRun)); d != "" {
			t.Errorf("status --json run keys (-want +got):\n%s", d)
		}
		var started struct {
			Started  string `json:"started"`
			Finished string `json:"finished"`
		}
		if err := json.Unmarshal(raw[1].LastRun, &started); err != nil {
			t.Fatal(err)
		}
		// One sync: an object, not an array.
		r = mustRun(t, dir, "", "sync", "status", "out", "--json")
		var one statusView
		decodeJSON(t, r, &one)
		if one.Name != "out" || one.LastRun == nil || one.LastRun.Status != "ok" || one.LastRun.RemovedFromSource != 2 {
			t.Fatalf("status out --json = %s", r.stdout)
		}
		wantUTC(t, "started", one.LastRun.Started, started.Started, since)
		wantUTC(t, "finished", *one.LastRun.Finished, started.Finished, since)
		if one.LastRun.Finished.Before(one.LastRun.Started) {
			t.Errorf("finished %v before started %v", one.LastRun.Finished, one.LastRun.Started)
		}
		r = mustRun(t, dir, "", "sync", "status", "idle", "--json")
		if got := strings.Join(strings.Fields(r.stdout), " "); got != `{ "name": "idle", "last_run": null }` {
			t.Errorf("status idle --json = %s", r.stdout)
		}
	})

	t.Run("history", func(t *testing.T) {
		mustRun(t, dir, "", "sync", "run", "out") // nothing left to do
		r := mustRun(t, dir, "", "sync", "history", "out", "--json")
		var raw []json.RawMessage
		decodeJSON(t, r, &raw)
		for _, doc := range raw {
			if d := cmp.Diff(runKeys, jsonKeys(t, doc)); d != "" {
				t.Errorf("history --json keys (-want +got):\n%s", d)
			}
		}
		var runs []runView
		decodeJSON(t, r, &runs)
		if len(runs) != 2 || runs[0].ID <= runs[1].ID {
			t.Fatalf("history --json = %s; want 2 runs, newest first", r.stdout)
		}
		if first := runs[1]; first.Copied != 2 || first.Deleted != 0 || first.RemovedFromSource != 2 || first.Failed != 0 {
			t.Errorf("first run = %+v, want 2 copied, 0 deleted, 2 removed from source", first)
		}
		if second := runs[0]; second.Copied+second.Deleted+second.RemovedFromSource != 0 {
			t.Errorf("second run = %+v, want nothing done", second)
		}
		r = mustRun(t, dir, "", "sync", "history", "out", "--files", "--limit", "1", "--json")
		decodeJSON(t, r, &runs)
		if len(runs) != 1 || runs[0].Files == nil || len(runs[0].Files) != 0 || !strings.Contains(r.stdout, `"files": []`) {
			t.Errorf("history --files of a run that did nothing = %s; want its files, an empty array", r.stdout)
		}
		r = mustRun(t, dir, "", "sync", "history", "out", "--files", "--json")
		decodeJSON(t, r, &runs)
		var files []string
		for _, op := range runs[1].Files {
			files = append(files, op.Path)
			if op.Action != "push" || op.Status != "done" || !op.RemovedFromSource || op.Finished == nil {
				t.Errorf("file action %+v, want a done push that removed its source", op)
			}
			wantUTC(t, "op started", op.Started, op.Started.Format(time.RFC3339Nano), since)
		}
		slices.Sort(files)
		if d := cmp.Diff([]string{"a.edi", "sub/b.edi"}, files); d != "" {
			t.Errorf("first run's files (-want +got):\n%s", d)
		}
		r = mustRun(t, dir, "", "sync", "history", "idle", "--json")
		if strings.TrimSpace(r.stdout) != "[]" {
			t.Errorf("history --json of a sync never run = %q, want []", r.stdout)
		}
	})

	t.Run("text agrees", func(t *testing.T) {
		runSteps(t, dir, []step{
			{name: "status", args: []string{"sync", "status", "out"}, want: []string{"REMOVED FROM SOURCE"}},
			{name: "history", args: []string{"sync", "history", "out"},
				want: []string{"run 1 ", "copied 2, deleted 0, removed from source after copy 2, conflicts 0, failed 0", "run 2 ", "copied 0, deleted 0, conflicts 0"}},
		})
	})
}

// TestSyncHelp: add, show, list, status and remove explain themselves and
// give examples; add and show say that filter globs match base names only.
func TestSyncHelp(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"add", []string{"match a file's base name only", "in/order.edi", "--after-copy", "--max-delete", "wharf sync run NAME --dry-run"}},
		{"show", []string{"match base names only", "files it tracks", "wharf sync show acme-out"}},
		{"list", []string{"--json prints a JSON array", "wharf sync list --json"}},
		{"status", []string{"REMOVED FROM SOURCE", "interrupted", "--json prints an array", "wharf sync status acme-out"}},
		{"remove", []string{"No file is touched", "synced state", "wharf sync remove acme-out"}},
		{"history", []string{"--json prints a JSON array", "removed from source after copy"}},
	} {
		r := run(t, t.TempDir(), "", "sync", tc.cmd, "--help")
		if r.err != nil {
			t.Fatalf("sync %s --help: %v", tc.cmd, r.err)
		}
		for _, w := range append(tc.want, "Examples:") {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("sync %s --help lacks %q:\n%s", tc.cmd, w, r.stdout)
			}
		}
	}
}
