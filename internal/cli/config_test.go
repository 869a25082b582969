package cli

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/ftpserver"
)

func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	for p, text := range map[string]string{
		good: "server:\n  listen: 127.0.0.1:2100\n  pkcs12_password: hunter2\n  idle_timeout: 90s\n",
		bad:  "server:\n  listen: nowhere\n  min_tls: \"1.1\"\n  idle_timeout: soon\n",
	} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runSteps(t, dir, []step{
		{name: "check default", args: []string{"config", "check"}, want: []string{"configuration OK"}},
		{name: "check good", args: []string{"config", "check", "--config", good},
			want: []string{"configuration OK", "warning: server.pkcs12_password is set without server.pkcs12_file, so it opens nothing"}},
		{name: "check bad", args: []string{"config", "check", "--config", bad},
			wantErr: `3 problems`},
		{name: "show", args: []string{"config", "show", "--config", good, "--log-format", "json"},
			want:    []string{"listen: 127.0.0.1:2100", "listen_implicit: :2990", "idle_timeout: 1m30s", "pkcs12_password: REDACTED", "format: json", "banner: Wharf FTP server ready"},
			notWant: []string{"hunter2"}},
		{name: "check takes serve's flags", args: []string{"config", "check", "--listen", ":99999", "--passive-ports", "10-20"},
			wantErr: `server.listen ":99999": port "99999" is not a number`},
		{name: "metrics beside a listener", args: []string{"config", "check", "--listen", "127.0.0.1:24121", "--metrics-listen", "127.0.0.1:24121"},
			wantErr: `metrics_listen "127.0.0.1:24121" and server.listen "127.0.0.1:24121" both want port 24121`},
		{name: "metrics on every address", args: []string{"config", "check", "--metrics-listen", "0.0.0.0:9464"},
			want: []string{"warning: metrics_listen 0.0.0.0:9464 answers on every address", "configuration OK"}},
		{name: "show takes serve's flags", args: []string{"config", "show", "--config", good, "--listen", "127.0.0.1:2121", "--metrics-listen", "127.0.0.1:9464"},
			want: []string{"listen: 127.0.0.1:2121", "metrics_listen: 127.0.0.1:9464"}},
	})

	// Load and validation problems come together, each naming its key.
	r := run(t, dir, "", "config", "check", "--config", bad)
	for _, w := range []string{
		"configuration: 3 problems:", `bad.yaml:4: server.idle_timeout "soon": want a duration`,
		`server.listen "nowhere": want HOST:PORT or :PORT`, `server.min_tls "1.1": want 1.2 or 1.3`,
	} {
		if r.err == nil || !strings.Contains(r.err.Error(), w) {
			t.Errorf("config check --config bad.yaml: error\n%v\nwant it to contain %q", r.err, w)
		}
	}

	// What show prints loads back to the same configuration.
	r = run(t, dir, "", "config", "show", "--config", good)
	if r.err != nil {
		t.Fatal(r.err)
	}
	round := filepath.Join(dir, "round.yaml")
	if err := os.WriteFile(round, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := config.Load(config.Sources{File: good})
	if err != nil {
		t.Fatal(err)
	}
	// Except for the redacted password, which it refuses rather than
	// take REDACTED for the password.
	_, err = config.Load(config.Sources{File: round})
	if w := `server.pkcs12_password "REDACTED": this is the redacted value ` + "`config show`" + ` prints`; err == nil || !strings.Contains(err.Error(), w) {
		t.Errorf("config show output with a redacted password: Load error %v, want it to contain %q", err, w)
	}
	if err := os.WriteFile(round, []byte(strings.Replace(r.stdout, "  pkcs12_password: REDACTED\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(config.Sources{File: round})
	if err != nil {
		t.Fatalf("config show output does not load: %v\n%s", err, r.stdout)
	}
	want.Data = dir // run passes --data
	want.Server.PKCS12Password = ""
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(config.Config{})); diff != "" {
		t.Errorf("config show round trip (-want +got):\n%s", diff)
	}
}

// TestConfigCheckServeOnlyProblems: config check finds what serve would
// refuse, in settings only the server reads.
func TestConfigCheckServeOnlyProblems(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"port out of range", map[string]string{"WHARF_LISTEN": "127.0.0.1:99999"},
			[]string{`server.listen "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`}},
		{"same address twice", map[string]string{"WHARF_LISTEN": ":2121", "WHARF_LISTEN_IMPLICIT": "0.0.0.0:2121"},
			[]string{`server.listen ":2121" and server.listen_implicit "0.0.0.0:2121" both use port 2121`}},
		{"missing certificate", map[string]string{"WHARF_CERT_FILE": filepath.Join(dir, "c.pem"), "WHARF_KEY_FILE": filepath.Join(dir, "k.pem")},
			[]string{"2 problems", `server.cert_file "` + filepath.Join(dir, "c.pem") + `": no such file or directory`}},
		{"missing PKCS#12 file", map[string]string{"WHARF_PKCS12_FILE": filepath.Join(dir, "s.p12")},
			[]string{`server.pkcs12_file "` + filepath.Join(dir, "s.p12") + `": no such file or directory`}},
		// As 'wharf partner add --temp-extensions tmp' refuses it.
		{"temp extension without its dot", map[string]string{"WHARF_TEMP_EXTENSIONS": "tmp"},
			[]string{`server.temp_extensions: "tmp" is not an extension: write it with its dot`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, wait := start(t, dir, tt.env, "config", "check")
			err := wait()
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("config check: error\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// TestConfigCheckUnknownEnv runs config check in the process's own
// environment, as main does: a misspelt WHARF_ variable is a problem, and
// the WHARF_ variables that tests and tools read are not.
func TestConfigCheckUnknownEnv(t *testing.T) {
	check := func() (string, error) {
		var out bytes.Buffer
		err := Execute(t.Context(), []string{"--data", t.TempDir(), "config", "check"}, Options{Stdout: &out, Stderr: &out})
		return out.String(), err
	}
	for k, v := range map[string]string{
		"WHARF_INTEROP": "1", "WHARF_PEER_DIR": t.TempDir(), "WHARF_TEST_POSTGRES_DSN": "postgres://x", "WHARF_CPUPROFILE": "",
		"WHARF_IDLE_TIMEOUT": "1m", "WHARF_LISTEN": "127.0.0.1:0", "WHARF_LISTEN_IMPLICIT": "off",
	} {
		t.Setenv(k, v)
	}
	if out, err := check(); err != nil || !strings.Contains(out, "configuration OK") {
		t.Fatalf("config check with legitimate WHARF_ variables: %v\n%s", err, out)
	}
	t.Setenv("WHARF_IDEL_TIMEOUT", "1m")
	_, err := check()
	if want := "unknown environment variable WHARF_IDEL_TIMEOUT: did you mean WHARF_IDLE_TIMEOUT?"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("config check with WHARF_IDEL_TIMEOUT: error\n%v\nwant it to contain %q", err, want)
	}
}

// TestConfigOneRule runs the acceptance tester's cases: every source and
// command reads a value by the same rules, and show refuses what check
// and serve refuse.
func TestConfigOneRule(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nullListen := write("null.yaml", "server:\n  listen:   # \":2121\"\n  listen_implicit: 127.0.0.1:0\n")
	yes := write("yes.yaml", "server:\n  allow_plain: yes\n")
	glob := write("glob.yaml", "server:\n  filter: *.edi\n")
	negative := write("negative.yaml", "server:\n  login_timeout: -1s\n")
	runSteps(t, dir, []step{
		{name: "null listen is the default", args: []string{"config", "show", "--config", nullListen},
			want: []string{"  listen: :2121\n", "  listen_implicit: 127.0.0.1:0\n"}},
		{name: "empty flag is the default", args: []string{"config", "show", "--listen=", "--listen-implicit", "off"},
			want: []string{"  listen: :2121\n", "  listen_implicit: \"off\"\n", "metrics_listen: \"off\"\n"}},
		{name: "no keeper driver", args: []string{"config", "check", "--secrets-url", "awskms://alias/x?region=us-east-1"},
			wantErr: "secrets_url awskms://...: no keeper driver for awskms:// in this build, which has base64key:// only: leave it unset to use DATA/secret.key"},
		{name: "days in a duration flag", args: []string{"config", "check", "--idle-timeout", "1d"}, want: []string{"configuration OK"}},
		{name: "durations as written", args: []string{"config", "show", "--idle-timeout", "1d", "--keep-history", "2160h"},
			want: []string{"keep_history: 90d\n", "  idle_timeout: 1d\n", "  login_timeout: 30s\n"}},
		{name: "one duration error", args: []string{"config", "check", "--idle-timeout", "1 day"},
			wantErr: `--idle-timeout "1 day": want a duration such as 30s, 5m, 1h30m or 90d`},
		{name: "bad flags reported together", args: []string{"config", "check", "--allow-plain=yes", "--max-conns", "x", "--max-conns-per-ip="},
			wantErr: "3 problems"},
		{name: "log level and format in any case", args: []string{"config", "show", "--log-level", "DEBUG", "--log-format", "JSON"},
			want: []string{"  level: debug\n", "  format: json\n"}},
		{name: "yes is no boolean", args: []string{"config", "check", "--config", yes},
			wantErr: `yes.yaml:2: server.allow_plain "yes": want true or false`},
		{name: "a bool flag alone is true", args: []string{"config", "show", "--allow-plain"}, want: []string{"  allow_plain: true\n"}},
		{name: "unquoted glob", args: []string{"config", "check", "--config", glob},
			wantErr: `line 2: a value starting with * must be quoted in YAML: filter: "*.edi"`},
	})

	// show prints what it would run with, then refuses as check does.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--min-tls", "1.1"}, `server.min_tls "1.1": want 1.2 or 1.3`},
		{[]string{"--listen", "127.0.0.1:99999"}, `server.listen "127.0.0.1:99999": port "99999" is not a number`},
		{[]string{"--config", negative}, "server.login_timeout -1s: must not be negative"},
	} {
		show := run(t, dir, "", append([]string{"config", "show"}, tt.args...)...)
		check := run(t, dir, "", append([]string{"config", "check"}, tt.args...)...)
		if show.err == nil || check.err == nil || show.err.Error() != check.err.Error() || !strings.Contains(show.err.Error(), tt.want) {
			t.Errorf("config show %s: error %v\ncheck's: %v\nwant both to be the same and contain %q", tt.args, show.err, check.err, tt.want)
		}
		if !strings.Contains(show.stdout, "listen_implicit: :2990") {
			t.Errorf("config show %s printed no configuration:\n%s", tt.args, show.stdout)
		}
	}

	// An empty variable is the default for a string setting, and an
	// error naming it otherwise.
	for env, want := range map[string]string{
		"WHARF_LISTEN":      "  listen: :2121\n",
		"WHARF_LOG_LEVEL":   "  level: info\n",
		"WHARF_ALLOW_PLAIN": "WHARF_ALLOW_PLAIN is empty: want true or false, or unset it for the default (false)",
	} {
		out, _, _, wait := start(t, dir, map[string]string{env: ""}, "config", "show")
		err := wait()
		if got := out.String(); !strings.Contains(got, want) && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s= config show: %v\n%s\nwant %q", env, err, got, want)
		}
	}
}

// TestConfigPKCS12PasswordSource: a wrong PKCS#12 password names the
// source that gave it.
func TestConfigPKCS12PasswordSource(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := ftpserver.SelfSigned([]string{"p12.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.Encode(pair.PrivateKey, leaf, nil, "right")
	if err != nil {
		t.Fatal(err)
	}
	p12File, pwFile := filepath.Join(dir, "s.p12"), filepath.Join(dir, "pw")
	for name, data := range map[string][]byte{p12File: p12, pwFile: []byte("wrong\n")} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runSteps(t, dir, []step{
		{name: "password file", args: []string{"config", "check", "--pkcs12", p12File, "--pkcs12-password-file", pwFile},
			wantErr: "wrong password"},
		{name: "names the flag", args: []string{"config", "check", "--pkcs12", p12File, "--pkcs12-password-file", pwFile},
			wantErr: "(the password came from --pkcs12-password-file)"},
	})
	_, _, _, wait := start(t, dir, map[string]string{"WHARF_PKCS12_PASSWORD": "wrong"}, "config", "check", "--pkcs12", p12File)
	if err := wait(); err == nil || !strings.Contains(err.Error(), "(the password came from WHARF_PKCS12_PASSWORD)") {
		t.Errorf("config check with WHARF_PKCS12_PASSWORD wrong: %v", err)
	}
}
