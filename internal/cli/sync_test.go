package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// peerPass is the password of the peer's staff login in sync tests.
const peerPass = "peer-pass-long-enough"

// TestSyncCommands drives a push sync from one Wharf data directory to a
// second Wharf instance served in-process on loopback.
func TestSyncCommands(t *testing.T) {
	peer, dir := t.TempDir(), t.TempDir()
	mustRun(t, peer, peerPass+"\n", "staff", "add", "ops", "--password-stdin")
	if err := os.MkdirAll(filepath.Join(peer, "files", "inbound"), 0o700); err != nil {
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
	inbound := filepath.Join(peer, "files", "inbound")
	if err := os.MkdirAll(filepath.Join(dir, "files", "acme", "receive", "held"), 0o700); err != nil {
		t.Fatal(err)
	}
	runSteps(t, dir, []step{
		{name: "add refuses a missing folder", args: []string{"sync", "add", "x", "--folder", "nobody/send", "--remote", "bank", "--direction", "push"},
			wantErr: "does not exist"},
		{name: "add refuses a folder escaping the file root", args: []string{"sync", "add", "x", "--folder", "../../etc", "--remote", "bank", "--direction", "push"},
			wantErr: `--folder "../../etc": want a folder under DATA/files such as acme/send, with no leading / and no .. in it`},
		{name: "add refuses an absolute folder", args: []string{"sync", "add", "x", "--folder", "/etc", "--remote", "bank", "--direction", "push"},
			wantErr: "with no leading /"},
		{name: "add refuses an unknown remote", args: []string{"sync", "add", "x", "--folder", "acme/send", "--remote", "nope", "--direction", "push"},
			wantErr: "nope"},
		{name: "add refuses a bad direction", args: []string{"sync", "add", "x", "--folder", "acme/send", "--remote", "bank", "--direction", "sideways"},
			wantErr: "want push, pull or two-way"},
		{name: "add refuses every and cron", args: []string{"sync", "add", "x", "--folder", "acme/send", "--remote", "bank", "--direction", "push", "--every", "5m", "--cron", "* * * * *"},
			wantErr: "not both"},
		{name: "add", args: []string{"sync", "add", "out", "--folder", "acme/send", "--remote", "bank:/inbound", "--direction", "push",
			"--after-copy", "delete", "--filter", "*.edi", "--every", "5m"},
			want: []string{"added sync out: acme/send -> bank:/inbound (push, delete source after copy, every 5m)"}},
		{name: "add refuses a second sync taking the deleting one's files", args: []string{"sync", "add", "copy", "--folder", "acme", "--remote", "bank:/copy", "--direction", "push", "--filter", "*.edi,*.csv"},
			wantErr: `syncs "out" and "copy" both copy from folder acme/send, and "out" deletes each file it copies (--after-copy delete)`},
		{name: "add takes a sync of the folder whose filter shares no name", args: []string{"sync", "add", "x12", "--folder", "acme/send", "--remote", "bank:/x12", "--direction", "push", "--after-copy", "delete", "--filter", "*.x12"},
			want: []string{"added sync x12"}},
		{name: "set refuses a filter that would share names", args: []string{"sync", "set", "x12", "--filter", "*"},
			wantErr: `syncs "x12" and "out" both copy from folder acme/send`},
		{name: "remove the second", args: []string{"sync", "remove", "x12"}, want: []string{"removed sync x12"}},
		{name: "a pull into receive/held", args: []string{"sync", "add", "held", "--folder", "acme/receive/held", "--remote", "bank:/inbound", "--direction", "pull"},
			want: []string{"added sync held"}},
		{name: "mount refused over a sync's folder", args: []string{"mount", "add", "acme", "/receive/held", "bank:/inbound"},
			wantErr: "sync held uses acme/receive/held, which a mount at /receive/held of acme would hide"},
		{name: "remove the pull", args: []string{"sync", "remove", "held"}, want: []string{"removed sync held"}},
		{name: "mount", args: []string{"mount", "add", "acme", "/receive/bank", "bank:/inbound"}, want: []string{"/receive/bank"}},
		{name: "add refuses a folder in a mount", args: []string{"sync", "add", "m", "--folder", "acme/receive/bank/sub", "--remote", "bank:/other", "--direction", "pull"},
			wantErr: "folder acme/receive/bank/sub is in acme's mount /receive/bank, a window onto bank:/inbound/sub, not a folder on this server: sync that remote folder directly (--remote bank:/inbound/sub)"},
		{name: "unmount", args: []string{"mount", "remove", "acme", "/receive/bank"}},
		{name: "list", args: []string{"sync", "list"}, want: []string{"out", "push", "acme/send", "bank:/inbound", "every 5m", "never"}},
		{name: "dry run", args: []string{"sync", "run", "out", "--dry-run"},
			want:    []string{"push", "a.edi", "new, then delete the source", "sub/b.edi", "would copy 2, delete 0, remove from source after copy 2,", "nothing was changed"},
			notWant: []string{"c.txt"}},
		{name: "run", args: []string{"sync", "run", "out"}, want: []string{"ok: copied 2, deleted 0, removed from source after copy 2, conflicts 0, skipped 0, failed 0"}},
		{name: "second run", args: []string{"sync", "run", "out"}, want: []string{"copied 0"}},
		{name: "status", args: []string{"sync", "status"}, want: []string{"out", "ok", "REMOVED FROM SOURCE"}},
		{name: "history", args: []string{"sync", "history", "out", "--files"},
			want: []string{"run 1", "copied 2, deleted 0, removed from source after copy 2, conflicts 0", "done", "push", "sub/b.edi (5 B), source removed after copy"}},
		{name: "history limit 0", args: []string{"sync", "history", "out", "--limit", "0"}, wantErr: "--limit 0: want 1 or more"},
		{name: "set", args: []string{"sync", "set", "out", "--cron", "*/15 * * * *", "--on-receive"}, want: []string{"cron */15 * * * *, on receive"}},
		{name: "show", args: []string{"sync", "show", "out"}, want: []string{"delete source", "cron */15 * * * *, on receive", "*.edi", "files tracked:  2"}},
		{name: "remote in use", args: []string{"remote", "remove", "bank"}, wantErr: "sync out"},
		{name: "remove", args: []string{"sync", "remove", "out"}, want: []string{"removed sync out"}},
		{name: "gone", args: []string{"sync", "show", "out"}, wantErr: "no sync"},
	})
	for name, want := range map[string]string{"a.edi": "alpha", "sub/b.edi": "bravo"} {
		got, err := os.ReadFile(filepath.Join(inbound, filepath.FromSlash(name)))
		if err != nil || string(got) != want {
			t.Errorf("peer %s = %q, %v; want %q", name, got, err, want)
		}
	}
	left, _ := filepath.Glob(filepath.Join(send, "*"))
	for _, l := range left {
		if strings.HasSuffix(l, ".edi") {
			t.Errorf("source %s left after push with delete", l)
		}
	}
}

// TestSyncRunLogLevel: `wharf sync run` prints its own summary, so its
// log shows warnings and errors only, unless a level is asked for.
func TestSyncRunLogLevel(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	mustRun(t, dir, "remote-pass-long\n", "remote", "add", "down", "--url", "ftp://u@127.0.0.1:1/?tls=never", "--password-stdin")
	mustRun(t, dir, "", "sync", "add", "out", "--folder", "acme/send", "--remote", "down", "--direction", "pull")
	quiet := run(t, dir, "", "sync", "run", "out")
	if quiet.err == nil || strings.Contains(quiet.stderr, "level=INFO") {
		t.Errorf("sync run against a closed port: err %v, stderr has INFO lines:\n%s", quiet.err, quiet.stderr)
	}
	loud := run(t, dir, "", "--log-level", "info", "sync", "run", "out")
	if !strings.Contains(loud.stderr, "level=INFO") {
		t.Errorf("sync run --log-level info: no INFO line in stderr:\n%s", loud.stderr)
	}
}
