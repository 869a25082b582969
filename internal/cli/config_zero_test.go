package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigZeroRefused: config check and show refuse a 0 that serve
// would have replaced by the default, from a flag and from the
// environment, keep a 0 that means something, and take -1 where it
// turns a setting off.
func TestConfigZeroRefused(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "idle timeout 0", args: []string{"config", "show", "--idle-timeout", "0"},
			wantErr: `--idle-timeout "0": want more than 0, or leave it out for the default (5m)`},
		{name: "max conns 0", args: []string{"config", "check", "--max-conns", "0"},
			wantErr: `--max-conns "0": want more than 0 (or -1 for no cap)`},
		{name: "max conns -1", args: []string{"config", "show", "--max-conns", "-1", "--max-conns-per-ip", "-1"},
			want: []string{"max_conns: -1\n", "max_conns_per_ip: -1\n"}},
		{name: "grace 0 kept", args: []string{"config", "show", "--shutdown-grace", "0", "--keep-history", "0"},
			want: []string{`shutdown_grace: "0"` + "\n", `keep_history: "0"` + "\n"}},
		{name: "defaults", args: []string{"config", "show"},
			want: []string{"idle_timeout: 5m\n", "login_timeout: 30s\n", "login_fail_delay: 1s\n", "password_cache: 15m\n", "ban_after: 10\n", "ban_for: 15m\n"}},
	})

	vars := map[string]string{"WHARF_LOGIN_TIMEOUT": "0", "WHARF_LOGIN_FAIL_DELAY": "0", "WHARF_BAN_FOR": "0", "WHARF_BAN_AFTER": "0", "WHARF_PASSWORD_CACHE": "0"}
	err := runEnv(t, dir, vars, "config", "show")
	for _, w := range []string{
		`WHARF_LOGIN_TIMEOUT="0": want more than 0, or leave it out for the default (30s)`,
		`WHARF_LOGIN_FAIL_DELAY="0": want more than 0 (or -1 for no delay)`,
		`WHARF_BAN_FOR="0": want more than 0`,
		`WHARF_BAN_AFTER="0": want more than 0 (or -1 to turn it off)`,
		`WHARF_PASSWORD_CACHE="0": want more than 0 (or -1 to turn it off)`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("config show with zeros in the environment: %v\nwant it to contain %q", err, w)
		}
	}
	off := map[string]string{"WHARF_LOGIN_FAIL_DELAY": "-1", "WHARF_BAN_AFTER": "-1", "WHARF_PASSWORD_CACHE": "-1"}
	if err := runEnv(t, dir, off, "config", "check"); err != nil {
		t.Errorf("config check with -1 in the environment: %v", err)
	}
}

// TestConfigSecretsURLKey: config check refuses a base64key:// key in
// standard base64 (as `openssl rand -base64 32` prints it), which serve's
// keeper cannot read, and a file written by config show refuses the
// placeholders it holds for secrets.
func TestConfigSecretsURLKey(t *testing.T) {
	dir := t.TempDir()
	const std = "base64key://smGbjm71Nxd1Ig5FS0wj9Slbz+Irnol/z9bQQ6uAhl4="
	const urlSafe = "base64key://smGbjm71Nxd1Ig5FS0wj9Slbz-Irnol_z9bQQ6uAhl4="
	runSteps(t, dir, []step{
		{name: "standard base64", args: []string{"config", "check", "--secrets-url", std},
			wantErr: "secrets_url base64key://...: base64key:// key has + or / (standard base64), which the keeper cannot read: use URL-safe base64, e.g. `openssl rand -base64 32 | tr '+/' '-_'`"},
		{name: "URL-safe base64", args: []string{"config", "check", "--secrets-url", urlSafe}, want: []string{"configuration OK"}},
	})
	if r := run(t, dir, "", "config", "check", "--secrets-url", std); r.err != nil && strings.Contains(r.err.Error(), "smGbjm71") {
		t.Errorf("config check repeats the key: %v", r.err)
	}

	show := run(t, dir, "", "--secrets-url", urlSafe, "config", "show")
	if show.err != nil {
		t.Fatal(show.err)
	}
	file := filepath.Join(t.TempDir(), "wharf.yaml")
	if err := os.WriteFile(file, []byte(show.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, "", "config", "check", "--config", file)
	if w := `secrets_url "base64key://...": this is the redacted value ` + "`config show`" + ` prints: put the real value (or leave the key out)`; r.err == nil || !strings.Contains(r.err.Error(), w) {
		t.Errorf("config check on config show's output: %v\nwant it to contain %q", r.err, w)
	}
}

// TestServeHelpLimits: serve --help says what each setting takes besides
// an ordinary value.
func TestServeHelpLimits(t *testing.T) {
	r := run(t, t.TempDir(), "", "serve", "--help")
	for _, w := range []string{
		"server.ban_after           WHARF_BAN_AFTER            int      more than 0, or -1 to turn it off\n",
		"server.shutdown_grace      WHARF_SHUTDOWN_GRACE       duration 0 cuts transfers at once\n",
		"server.idle_timeout        WHARF_IDLE_TIMEOUT         duration more than 0\n",
	} {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("serve --help lacks %q", w)
		}
	}
}

// runEnv runs a command with the environment vars, and returns its error.
func runEnv(t *testing.T, dir string, vars map[string]string, args ...string) error {
	t.Helper()
	var out bytes.Buffer
	return Execute(t.Context(), append([]string{"--data", dir}, args...), Options{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
	})
}
