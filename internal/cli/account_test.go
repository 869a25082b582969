package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/store"
)

func TestPartnerCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by the first add
	runSteps(t, dir, []step{
		{name: "list before any add", args: []string{"partner", "list"}, wantErr: "no Wharf data directory at " + dir + " (no wharf.db there): check --data or WHARF_DATA"},
		{name: "staff add creates it", args: []string{"staff", "add", "root-ops"}, want: []string{"root-ops"}},
		{name: "list empty", args: []string{"partner", "list"}, want: []string{"no partner accounts yet: add one with `wharf partner add NAME`"}},
		{name: "list empty json", args: []string{"partner", "list", "--json"}, want: []string{"[]"}},
		{name: "add generates password", args: []string{"partner", "add", "acme"},
			want: []string{`created partner "acme"`, "password: ", "not shown again"}},
		{name: "add duplicate", args: []string{"partner", "add", "acme"},
			wantErr: "partner \"acme\" already exists: see `wharf partner show acme`"},
		{name: "add bad name", args: []string{"partner", "add", "Acme Corp"}, wantErr: `invalid name "Acme Corp"`},
		{name: "add dot-dot", args: []string{"partner", "add", ".."}, wantErr: `invalid name ".."`},
		{name: "add no name", args: []string{"partner", "add"}, wantErr: "want one partner name"},
		{name: "add with policy", stdin: "s3cret-pw-2026\n",
			args: []string{"partner", "add", "globex", "--password-stdin", "--send", "rw", "--filter", "*.edi,-*.tmp", "--remove-after-send"},
			want: []string{`created partner "globex"`}, notWant: []string{"password:"}},
		{name: "add bad send", args: []string{"partner", "add", "initech", "--send", "read"}, wantErr: `--send "read": want r`},
		{name: "add bad filter", args: []string{"partner", "add", "initech", "--filter", "a/b"}, wantErr: "--filter"},
		{name: "add bad temp ext", args: []string{"partner", "add", "initech", "--temp-extensions", "tmp"}, wantErr: "write it with its dot"},
		{name: "add empty stdin", args: []string{"partner", "add", "initech", "--password-stdin"}, wantErr: "stdin held no password"},
		{name: "list", args: []string{"partner", "list"},
			want: []string{"NAME", "acme", "enabled", "globex", `filter="*.edi,-*.tmp"`, "remove-after-send=yes"}, notWant: []string{"initech"}},
		{name: "show defaults", args: []string{"partner", "show", "acme"},
			want: []string{"send:", "r (default)", "w (default)", "allow plain:        no (server setting)", "filter:             none (server setting)"}, notWant: []string{"argon2"}},
		{name: "show overrides", args: []string{"partner", "show", "globex"},
			want: []string{"rw", "*.edi,-*.tmp", "remove after send:  yes"}, notWant: []string{"argon2"}},
		{name: "show json", args: []string{"partner", "show", "globex", "--json"},
			want: []string{`"name": "globex"`, `"filter": "*.edi,-*.tmp"`, `"effective": {`, `"remove_after_send": true`, `"allow_plain": false`}, notWant: []string{"argon2", "hash"}},
		{name: "show unknown", args: []string{"partner", "show", "nobody"}, wantErr: "partner \"nobody\" not found: see `wharf partner list`"},
		{name: "show any case", args: []string{"partner", "show", "ACME"}, want: []string{"acme"}},
		{name: "set nothing", args: []string{"partner", "set", "acme"}, wantErr: "nothing to change"},
		{name: "set unknown", args: []string{"partner", "set", "nobody", "--overwrite"}, wantErr: `partner "nobody" not found`},
		{name: "set some", args: []string{"partner", "set", "acme", "--receive", "rw", "--overwrite", "--disabled"},
			want: []string{`updated partner "acme": receive, overwrite, disabled`}},
		{name: "show after set", args: []string{"partner", "show", "acme"},
			want: []string{"disabled", "receive:            rw", "overwrite:          yes", "r (default)"}},
		{name: "set contradiction", args: []string{"partner", "set", "acme", "--overwrite", "--reset", "overwrite"}, wantErr: "contradict"},
		{name: "set bad reset", args: []string{"partner", "set", "acme", "--reset", "colour"}, wantErr: `--reset "colour": want one of send, receive`},
		{name: "reset", args: []string{"partner", "set", "acme", "--reset", "receive", "--disabled=false"},
			want: []string{`updated partner "acme": receive, disabled`}},
		{name: "show after reset", args: []string{"partner", "show", "acme"},
			want: []string{"enabled", "w (default)", "overwrite:          yes"}},
		{name: "generate password", args: []string{"partner", "set", "acme", "--generate-password"},
			want: []string{`updated partner "acme": password`, "password: "}},
		{name: "remove unknown", args: []string{"partner", "remove", "nobody"}, wantErr: `partner "nobody" not found`},
		{name: "remove", args: []string{"partner", "remove", "acme"},
			want: []string{`removed partner "acme"`, "were kept"}},
		{name: "list after remove", args: []string{"partner", "list"}, want: []string{"globex"}, notWant: []string{"acme"}},
		{name: "re-add over empty folders", args: []string{"partner", "add", "acme"}, want: []string{`created partner "acme"`}},
	})

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", perm)
	}
	for _, p := range []string{"wharf.db", "tls", "files/globex/send", "files/globex/receive"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("data dir lacks %s: %v", p, err)
		}
	}
}

// TestSetChangesOnlyGivenFlags checks the stored policy after each set.
func TestSetChangesOnlyGivenFlags(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, dir, "", "partner", "add", "acme", "--filter", "*.edi", "--tls-reuse"); r.err != nil {
		t.Fatal(r.err)
	}
	st := openStore(t, dir)
	tests := []struct {
		args []string
		want store.Policy
	}{
		{[]string{"--send", "none"}, store.Policy{Send: &store.Access{}, Filter: ptr("*.edi"), TLSReuse: ptr(true)}},
		{[]string{"--allow-plain=false", "--temp-extensions", ".tmp, .part"},
			store.Policy{Send: &store.Access{}, Filter: ptr("*.edi"), TLSReuse: ptr(true), AllowPlain: ptr(false), TempExtensions: ptr(".tmp,.part")}},
		{[]string{"--filter", ""}, store.Policy{Send: &store.Access{}, Filter: ptr(""), TLSReuse: ptr(true), AllowPlain: ptr(false), TempExtensions: ptr(".tmp,.part")}},
		{[]string{"--reset", "filter,tls-reuse", "--reset", "send"}, store.Policy{AllowPlain: ptr(false), TempExtensions: ptr(".tmp,.part")}},
		{[]string{"--reset", "all"}, store.Policy{}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if r := run(t, dir, "", append([]string{"partner", "set", "acme"}, tt.args...)...); r.err != nil {
				t.Fatal(r.err)
			}
			a, err := st.Account(t.Context(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, a.Policy); diff != "" {
				t.Errorf("policy after set %v (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestPasswords(t *testing.T) {
	dir := t.TempDir()
	st := func() store.Store { return openStore(t, dir) }
	verify := func(t *testing.T, name, pw string, want bool) {
		t.Helper()
		a, err := st().Account(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := password.Verify(a.PasswordHash, pw); err != nil || ok != want {
			t.Errorf("Verify(%s's hash, %q) = %v, %v; want %v", name, pw, ok, err, want)
		}
	}
	pwLine := regexp.MustCompile(`(?m)^password: (\S+)$`)

	tests := []struct {
		name  string
		args  []string
		stdin string
		pw    string // "" means: the one printed
	}{
		{"stdin", []string{"partner", "add", "acme", "--password-stdin"}, "correct horse\r\nsecond line\n", "correct horse"},
		{"stdin without newline", []string{"staff", "add", "alice", "--password-stdin"}, "battery staple", "battery staple"},
		{"generated", []string{"partner", "add", "globex"}, "", ""},
		{"set stdin", []string{"partner", "set", "acme", "--password-stdin"}, "a new one, longer\n", "a new one, longer"},
		{"set generated", []string{"staff", "set", "alice", "--generate-password"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, dir, tt.stdin, tt.args...)
			if r.err != nil {
				t.Fatal(r.err)
			}
			pw := tt.pw
			m := pwLine.FindStringSubmatch(r.stdout)
			switch {
			case pw == "" && m == nil:
				t.Fatalf("no password printed:\n%s", r.stdout)
			case pw == "":
				pw = m[1]
			case m != nil:
				t.Errorf("printed a password given on stdin:\n%s", r.stdout)
			}
			verify(t, tt.args[2], pw, true)
			verify(t, tt.args[2], pw+"x", false)
		})
	}
	if r := run(t, dir, "", "partner", "set", "acme", "--password-stdin", "--generate-password"); r.err == nil {
		t.Error("set with --password-stdin and --generate-password succeeded")
	}
	if r := run(t, dir, "", "staff", "set", "alice", "--password-stdin"); r.err == nil || !strings.Contains(r.err.Error(), "| wharf staff set alice --password-stdin`") {
		t.Errorf("set with an empty stdin: err = %v, want the example for this command", r.err)
	}
	for _, tt := range []struct {
		args          []string
		stdin, reason string
	}{
		{[]string{"partner", "add", "initech", "--password-stdin"}, "hunter2\n", "too short: 7 characters, want at least 12"},
		{[]string{"partner", "set", "acme", "--password-stdin"}, "acme-password-1\n", `contains the account name "acme"`},
		{[]string{"staff", "set", "alice", "--password-stdin"}, " spaced password \n", "starts or ends with a space"},
	} {
		r := run(t, dir, tt.stdin, tt.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tt.reason) || !strings.Contains(r.err.Error(), "choose another") {
			t.Errorf("%v with %q: err = %v, want a refusal saying %q and what to do", tt.args, tt.stdin, r.err, tt.reason)
		}
	}
	verify(t, "acme", "a new one, longer", true) // the refused set changed nothing
	if r := run(t, dir, "", "partner", "show", "initech"); r.err == nil {
		t.Error("a partner refused for its password was created")
	}
}

// TestPartnerReAddLeftFiles: a partner added under the name of a removed
// one whose files are still on disk is refused unless --adopt-files, so a
// name reused for another company does not hand it the old one's files.
func TestPartnerReAddLeftFiles(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	left := filepath.Join(dir, "files", "acme", "send", "invoice.edi")
	if err := os.WriteFile(left, []byte("for the old acme"), 0o640); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "", "partner", "remove", "acme")
	r := run(t, dir, "", "partner", "add", "acme")
	if r.err == nil || !strings.Contains(r.err.Error(), "already holds a file, send/invoice.edi") || !strings.Contains(r.err.Error(), "--adopt-files") {
		t.Fatalf("re-add over a left file: err = %v, want a refusal naming the file and --adopt-files", r.err)
	}
	if r := run(t, dir, "", "partner", "show", "acme"); r.err == nil {
		t.Error("the refused add created the account")
	}
	r = mustRun(t, dir, "", "partner", "add", "acme", "--adopt-files")
	if !strings.Contains(r.stdout, "adopted the 1 file(s) already there") {
		t.Errorf("add --adopt-files output:\n%s", r.stdout)
	}
	if b, err := os.ReadFile(left); err != nil || string(b) != "for the old acme" {
		t.Errorf("the adopted file = %q, %v", b, err)
	}
	// Folders without files are no one's data: a plain re-add takes them.
	mustRun(t, dir, "", "partner", "add", "globex")
	mustRun(t, dir, "", "partner", "remove", "globex")
	mustRun(t, dir, "", "partner", "add", "globex")
}

func TestStaffCommands(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "add", args: []string{"staff", "add", "alice"}, want: []string{`created staff "alice"`, "password: "}, notWant: []string{"folders:"}},
		{name: "add partner flag", args: []string{"staff", "add", "bob", "--send", "rw"}, wantErr: "unknown flag: --send"},
		{name: "add taken by partner", args: []string{"partner", "add", "alice"}, wantErr: `name "alice" is taken by a staff account`},
		{name: "list", args: []string{"staff", "list"}, want: []string{"NAME", "alice", "enabled"}, notWant: []string{"SEND"}},
		{name: "partners exclude staff", args: []string{"partner", "list"}, notWant: []string{"alice"}},
		{name: "show", args: []string{"staff", "show", "alice"}, want: []string{"kind:", "staff", "overwrite:", "yes (staff default)"}, notWant: []string{"send:", "argon2"}},
		{name: "show as partner", args: []string{"partner", "show", "alice"}, wantErr: "\"alice\" is a staff account, not a partner: see `wharf staff show alice`"},
		{name: "set", args: []string{"staff", "set", "alice", "--overwrite", "--filter", "*.csv"}, want: []string{"overwrite, filter"}},
		{name: "set reset send", args: []string{"staff", "set", "alice", "--reset", "send"}, wantErr: `--reset "send"`},
		{name: "list json", args: []string{"staff", "list", "--json"}, want: []string{`"kind": "staff"`, `"overwrite": true`}, notWant: []string{"argon2"}},
		{name: "remove as partner", args: []string{"partner", "remove", "alice"}, wantErr: "is a staff account"},
		{name: "remove", args: []string{"staff", "rm", "alice"}, want: []string{`removed staff "alice"`}},
		{name: "list empty", args: []string{"staff", "list"}, want: []string{"no staff accounts yet"}},
	})
}

func TestListJSON(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b-corp", "a-corp"} {
		if r := run(t, dir, "", "partner", "add", name, "--receive", "rw"); r.err != nil {
			t.Fatal(r.err)
		}
	}
	r := run(t, dir, "", "partner", "list", "--json")
	if r.err != nil {
		t.Fatal(r.err)
	}
	var got []accountView
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("list --json is not JSON: %v\n%s", err, r.stdout)
	}
	var names []string
	for _, v := range got {
		names = append(names, v.Name)
		if v.Kind != store.Partner || v.Policy.ReceiveAccess() != (store.Access{Read: true, Write: true}) || v.Home != filepath.Join(dir, "files", v.Name) {
			t.Errorf("list --json entry %+v", v)
		}
	}
	if diff := cmp.Diff([]string{"a-corp", "b-corp"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

// TestPartnerRemoveNamesSyncs: removing a partner keeps its files, and
// says which syncs still run on its folders.
func TestPartnerRemoveNamesSyncs(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "zed")
	mustRun(t, dir, "remote-pass-long\n", "remote", "add", "bank", "--url", "ftps://u@127.0.0.1:1/", "--password-stdin")
	runSteps(t, dir, []step{
		{name: "every in days", args: []string{"sync", "add", "zed-out", "--folder", "zed/receive", "--remote", "bank", "--direction", "push", "--every", "1d"},
			want: []string{"every 1d"}},
		{name: "bad every", args: []string{"sync", "set", "zed-out", "--every", "soon"}, wantErr: `--every "soon": want a duration such as 30s, 5m, 1h30m or 90d`},
		{name: "remove", args: []string{"partner", "remove", "zed"},
			want: []string{`removed partner "zed"`, "sync zed-out still runs on zed/receive, whose files were kept: `wharf sync remove zed-out` stops it"}},
	})
}
