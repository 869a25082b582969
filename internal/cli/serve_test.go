package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/config"
)

func TestServeStartsAndStops(t *testing.T) {
	tests := []struct {
		name     string
		accounts bool
		env      map[string]string
		args     []string
		want     []string // substrings of stderr
		notWant  []string
	}{
		{
			name: "flags, no accounts",
			args: []string{"--listen", "127.0.0.1:0", "--listen-implicit", "off"},
			want: []string{"no accounts yet: add one with `wharf partner add NAME`", "msg=serving"},
		},
		{
			name:     "env, json logs, with accounts",
			accounts: true,
			env:      map[string]string{"WHARF_LISTEN": "off", "WHARF_LISTEN_IMPLICIT": "127.0.0.1:0", "WHARF_LOG_FORMAT": "json"},
			want:     []string{`"msg":"serving"`, `"accounts":1`},
			notWant:  []string{"no accounts yet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.accounts {
				if r := run(t, dir, "", "partner", "add", "acme"); r.err != nil {
					t.Fatal(r.err)
				}
			}
			_, errOut, cancel, wait := start(t, dir, tt.env, append([]string{"serve"}, tt.args...)...)
			errOut.waitFor(t, "serving")
			cancel()
			if err := wait(); err != nil {
				t.Fatalf("serve ended with %v, want nil on cancel\n%s", err, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("serve log lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(errOut.String(), w) {
					t.Errorf("serve log has %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "wharf.yaml")
	if err := os.WriteFile(cfgFile, []byte("server:\n  listen: 127.0.0.1:0\n  idle_timeout: 5 minutes\n  colour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{
			name: "file errors together",
			args: []string{"--config", cfgFile},
			env:  map[string]string{"WHARF_MAX_CONNS": "lots"},
			want: []string{"3 problems", `wharf.yaml:3: server.idle_timeout "5 minutes": want a duration`, `wharf.yaml:4: unknown key "server.colour"`, `WHARF_MAX_CONNS="lots"`},
		},
		{
			name: "config file from env",
			env:  map[string]string{"WHARF_CONFIG": cfgFile},
			want: []string{`unknown key "server.colour"`},
		},
		{
			name: "validation errors together",
			args: []string{"--listen", "127.0.0.1:0", "--passive-ports", "10-20", "--min-tls", "1.0", "--log-format", "xml"},
			want: []string{"3 problems", `server.passive_ports "10-20": want a port range`, `server.min_tls "1.0": want 1.2 or 1.3`, `log.format "xml"`},
		},
		{
			name: "load and validation errors together",
			args: []string{"--config", cfgFile, "--listen-implicit", "127.0.0.1:99999", "--cert", filepath.Join(dir, "nope.pem")},
			env:  map[string]string{"WHARF_TEMP_EXTENSIONS": "tmp"},
			want: []string{"6 problems", `wharf.yaml:3: server.idle_timeout "5 minutes"`, `wharf.yaml:4: unknown key "server.colour"`,
				`server.listen_implicit "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`,
				"server.cert_file and server.key_file go together", `nope.pem": no such file or directory: check the path`, `server.temp_extensions: "tmp" is not an extension: write it with its dot`},
		},
		{
			name: "bad metrics address",
			args: []string{"--listen", "127.0.0.1:0", "--metrics-listen", "9464"},
			want: []string{`metrics_listen "9464": want HOST:PORT`},
		},
		{
			name: "both listeners off",
			args: []string{"--listen", "off", "--listen-implicit", "off"},
			want: []string{"both listeners are off: set server.listen or server.listen_implicit"},
		},
		{
			name: "bad flag value",
			args: []string{"--idle-timeout", "soon"},
			want: []string{`--idle-timeout "soon": want a duration such as 30s, 5m, 1h30m or 90d`},
		},
		{
			name: "missing pkcs12 password file",
			args: []string{"--pkcs12-password-file", filepath.Join(dir, "nope")},
			want: []string{"--pkcs12-password-file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, wait := start(t, filepath.Join(dir, "data"), tt.env, append([]string{"serve"}, tt.args...)...)
			err := wait()
			if err == nil {
				t.Fatal("serve succeeded, want a configuration error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("serve error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("serve created the data directory despite a bad configuration")
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"partner", "--help"}, {"partner", "add", "--help"},
		{"partner", "set", "--help"}, {"staff", "--help"}, {"events", "--help"},
	} {
		r := run(t, t.TempDir(), "", args...)
		if r.err != nil || !strings.Contains(r.stdout, "Example") && !strings.Contains(r.stdout, "Examples") {
			t.Errorf("wharf %s: err %v, output lacks examples:\n%s", strings.Join(args, " "), r.err, r.stdout)
		}
	}
	r := run(t, t.TempDir(), "", "serve", "--help")
	for _, w := range []string{"WHARF_LISTEN_IMPLICIT", "WHARF_PASSIVE_PORTS", "WHARF_IDLE_TIMEOUT", "WHARF_CONFIG", "listen_implicit:"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("serve --help lacks %q", w)
		}
	}
}

// TestServeHelpExampleLoads keeps the config file shown in `serve --help`
// valid.
func TestServeHelpExampleLoads(t *testing.T) {
	_, after, _ := strings.Cut(serveLong, "every key is optional):\n\n")
	example, _, _ := strings.Cut(after, "\n\n")
	file := filepath.Join(t.TempDir(), "example.yaml")
	if err := os.WriteFile(file, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Sources{File: file})
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil || cfg.Server.PassivePorts != "30000-30100" || cfg.Log.Format != "json" {
		t.Errorf("help example:\n%s\nloads as %+v, %v", example, cfg, err)
	}
}

// A second server on the same data directory refuses to start: it would
// delete the first one's uploads in progress as stale.
func TestServeRefusesSecondServer(t *testing.T) {
	dir := t.TempDir()
	_, errOut, cancel, wait := start(t, dir, nil, "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off")
	errOut.waitFor(t, "serving")
	r := run(t, dir, "", "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off")
	want := fmt.Sprintf("another wharf serve (pid %d) is running on data directory %s: stop it first, or give this server its own --data", os.Getpid(), dir)
	if r.err == nil || r.err.Error() != want {
		t.Errorf("second serve: err = %v, want %q", r.err, want)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("first serve ended with %v\n%s", err, errOut)
	}
	// The lock goes with the server.
	_, errOut, cancel, wait = start(t, dir, nil, "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off")
	errOut.waitFor(t, "serving")
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("serve after the first stopped: %v\n%s", err, errOut)
	}
}
