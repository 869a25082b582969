package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/store"
)

func TestMountCommands(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "partner", args: []string{"partner", "add", "acme"}},
		{name: "staff", args: []string{"staff", "add", "ops"}},
		{name: "remote", args: []string{"remote", "add", "acme-ftp", "--url", "ftps://u@127.0.0.1:1"}},
		{name: "read-only remote", args: []string{"remote", "add", "archive", "--url", "ftps://u@127.0.0.1:1", "--read-only"}},
		{name: "list empty", args: []string{"mount", "list"}, want: []string{"no mounts yet"}},
		{
			name: "partner send",
			args: []string{"mount", "add", "acme", "/send/outbox", "acme-ftp:/outbox"},
			want: []string{"mounted acme-ftp:/outbox at /send/outbox of acme, read-write", "open sessions the mount within 2 seconds"},
		},
		{
			name: "partner receive, unclean path, remote root",
			args: []string{"mount", "add", "acme", "receive//inbox/./", "acme-ftp", "--read-only"},
			want: []string{"mounted acme-ftp:/ at /receive/inbox of acme, read-only"},
		},
		{
			name: "staff root, read-only remote",
			args: []string{"mount", "add", "ops", "/", "archive:/"},
			want: []string{"at / of ops, read-only (the remote is)"},
		},
		{name: "partner root", args: []string{"mount", "add", "acme", "/", "acme-ftp"}, wantErr: "a partner's tree holds only send/ and receive/"},
		{name: "partner send itself", args: []string{"mount", "add", "acme", "/send", "acme-ftp"}, wantErr: "/send/NAME for files acme picks up from the remote"},
		{name: "partner elsewhere", args: []string{"mount", "add", "acme", "/other/x", "acme-ftp"}, wantErr: "a mount goes inside one of them"},
		{name: "climbing", args: []string{"mount", "add", "acme", "/send/../../etc", "acme-ftp"}, wantErr: "path /etc: a partner's tree"},
		{name: "nested", args: []string{"mount", "add", "acme", "/send/outbox/deeper", "acme-ftp"}, wantErr: "would overlap the mount at /send/outbox"},
		{name: "covering", args: []string{"mount", "add", "ops", "/acme", "acme-ftp"}, wantErr: "would overlap the mount at /"},
		{name: "same path", args: []string{"mount", "add", "acme", "/send/outbox", "archive"}, wantErr: "would overlap"},
		{name: "no account", args: []string{"mount", "add", "nobody", "/x", "acme-ftp"}, wantErr: `account "nobody" not found`},
		{name: "no remote", args: []string{"mount", "add", "acme", "/send/x", "nope:/x"}, wantErr: `remote "nope" not found`},
		{name: "bad remote path", args: []string{"mount", "add", "acme", "/send/x", "acme-ftp:/a\nb"}, wantErr: "remote path"},
		{name: "bad path", args: []string{"mount", "add", "acme", "/send/a\x00b", "acme-ftp"}, wantErr: "bad path"},
		{name: "args", args: []string{"mount", "add", "acme", "/send/x"}, wantErr: "want ACCOUNT, PATH and REMOTE[:REMOTE_PATH]"},
		{
			name: "list",
			args: []string{"mount", "list"},
			want: []string{
				"acme     /receive/inbox  acme-ftp:/        read-only",
				"acme     /send/outbox    acme-ftp:/outbox  read-write",
				"ops      /               archive:/         read-only (the remote is)",
			},
		},
		{name: "list one", args: []string{"mount", "list", "ops"}, want: []string{"archive:/"}, notWant: []string{"acme-ftp"}},
		{name: "list unknown", args: []string{"mount", "list", "nobody"}, wantErr: "not found"},
		{name: "remove", args: []string{"mount", "remove", "acme", "/send/outbox/"}, want: []string{"removed the mount at /send/outbox of acme"}},
		{name: "remove again", args: []string{"mount", "rm", "acme", "/send/outbox"}, wantErr: "acme has no mount at /send/outbox: see `wharf mount list acme`"},
	})
	st := openStore(t, dir)
	got, err := st.Mounts(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Mount{
		{Account: "acme", Path: "/receive/inbox", Remote: "acme-ftp", RemotePath: "", ReadOnly: true},
		{Account: "ops", Path: "/", Remote: "archive", RemotePath: ""},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Mount{}, "ID", "CreatedAt")); diff != "" {
		t.Errorf("stored mounts (-want +got):\n%s", diff)
	}
}

func TestMountHidesLocalFiles(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "partner", args: []string{"partner", "add", "acme"}},
		{name: "remote", args: []string{"remote", "add", "r", "--url", "ftps://u@127.0.0.1:1"}},
	})
	local := filepath.Join(dir, "files", "acme", "send", "outbox")
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "old.edi"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	runSteps(t, dir, []step{{
		name: "mount over files",
		args: []string{"mount", "add", "acme", "/send/outbox", "r:/out"},
		want: []string{"the files in " + local + " are hidden while the mount is in place"},
	}})
}

func TestMountNotes(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "partner", args: []string{"partner", "add", "acme", "--remove-after-send"}},
		{name: "remote", args: []string{"remote", "add", "r", "--url", "ftps://u@127.0.0.1:1"}},
		{name: "ro remote", args: []string{"remote", "add", "ro", "--url", "ftps://u@127.0.0.1:1", "--read-only"}},
		{name: "remove after send", args: []string{"mount", "add", "acme", "/send/a", "r"}, want: []string{"files it downloads are deleted on the remote"}},
		{name: "read-only send", args: []string{"mount", "add", "acme", "/send/b", "r", "--read-only"}, notWant: []string{"note:"}},
		{name: "read-only receive", args: []string{"mount", "add", "acme", "/receive/c", "ro"}, want: []string{"acme cannot upload into a read-only mount"}},
		{name: "receive", args: []string{"mount", "add", "acme", "/receive/d", "r"}, notWant: []string{"note:"}},
	})
}

// TestMountAddChecksRemoteFolder: mount add asks the remote whether the
// folder is there (vsftpd, WHARF_INTEROP=1): a missing folder and a file
// are refused, saying what to do; a folder is accepted and said to be
// checked; --no-check skips the question.
func TestMountAddChecksRemoteFolder(t *testing.T) {
	s := peertest.Vsftpd(t, peertest.Options{})
	local := filepath.Join(s.Root, filepath.FromSlash(s.Dir))
	if err := os.Mkdir(filepath.Join(local, "out"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "order.edi"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "partner", args: []string{"partner", "add", "acme"}},
		{name: "remote", stdin: s.Password + "\n", args: []string{"remote", "add", "vse", "--url", "ftps://" + s.User + "@" + s.Addr + s.Dir,
			"--allow-self-signed", "--password-stdin"}},
		{
			name:    "missing folder",
			args:    []string{"mount", "add", "acme", "/send/nothere", "vse:/doesnotexist"},
			wantErr: "remote folder /doesnotexist does not exist on vse: create it there first (see `wharf remote ls vse:/`), or add --no-check",
		},
		{
			name:    "missing below a folder",
			args:    []string{"mount", "add", "acme", "/send/nothere", "vse:/out/deeper"},
			wantErr: "remote folder /out/deeper does not exist on vse: create it there first (see `wharf remote ls vse:/out`)",
		},
		{name: "file", args: []string{"mount", "add", "acme", "/send/file", "vse:/order.edi"}, wantErr: "vse:/order.edi is a file, not a folder"},
		{
			name: "folder",
			args: []string{"mount", "add", "acme", "/send/out", "vse:/out"},
			want: []string{"checked: vse:/out is a folder on the remote", "mounted vse:/out at /send/out of acme, read-write"},
		},
		{name: "root", args: []string{"mount", "add", "acme", "/receive/in", "vse"}, want: []string{"checked: vse:/ is a folder on the remote"}},
		{
			name:    "no check",
			args:    []string{"mount", "add", "acme", "/send/later", "vse:/later", "--no-check"},
			want:    []string{"mounted vse:/later at /send/later of acme"},
			notWant: []string{"checked:", "warning:"},
		},
	})
	got, err := openStore(t, dir).Mounts(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range got {
		paths = append(paths, m.Path)
	}
	if diff := cmp.Diff([]string{"/receive/in", "/send/later", "/send/out"}, paths); diff != "" {
		t.Errorf("stored mounts (-want +got):\n%s", diff)
	}
}

// TestMountAddRemoteDown: a remote that cannot be reached does not block
// mount add; it warns, naming the reason and `wharf remote test`.
func TestMountAddRemoteDown(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "partner", args: []string{"partner", "add", "acme"}},
		{name: "remote", args: []string{"remote", "add", "down", "--url", "ftps://u@127.0.0.1:1"}},
		{
			name: "mount",
			args: []string{"mount", "add", "acme", "/send/x", "down:/x"},
			want: []string{"warning: could not check that down:/x is a folder (", "connection refused",
				"the mount is added anyway: check the remote with `wharf remote test down`", "mounted down:/x at /send/x of acme",
				"a running server gives acme's open sessions the mount within 2 seconds\n"},
		},
	})
}

// TestMountAddSelfRefused: a mount of a remote that is this instance could
// never work, so mount add refuses it (the remote needs --allow-self)
// rather than warning as for a remote that is down; mount remove takes away
// the empty folder the mount point made.
func TestMountAddSelfRefused(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "staff-pw-123456\n", "staff", "add", "ops", "--password-stdin")
	mustRun(t, dir, "", "partner", "add", "acme")
	addr, _ := serveAddr(t, dir)
	mustRun(t, dir, "staff-pw-123456\n", "remote", "add", "loop", "--url", "ftps://ops@"+addr, "--allow-self-signed", "--password-stdin")
	r := run(t, dir, "", "mount", "add", "acme", "/send/loop", "loop:/")
	if r.err == nil || !strings.Contains(r.err.Error(), "remote is this Wharf instance") || !strings.Contains(r.err.Error(), "wharf remote set loop --allow-self") {
		t.Fatalf("mount add of this instance: err = %v, want a refusal naming --allow-self", r.err)
	}
	if out := mustRun(t, dir, "", "mount", "list", "acme").stdout; strings.Contains(out, "/send/loop") {
		t.Errorf("the refused mount was added:\n%s", out)
	}

	mustRun(t, dir, "", "mount", "add", "acme", "/send/loop", "loop:/", "--no-check")
	folder := filepath.Join(dir, "files", "acme", "send", "loop")
	if err := os.MkdirAll(folder, 0o750); err != nil { // as the server makes it at login
		t.Fatal(err)
	}
	mustRun(t, dir, "", "mount", "remove", "acme", "/send/loop")
	if _, err := os.Stat(folder); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the mount point's empty folder is still there after mount remove: %v", err)
	}
}
