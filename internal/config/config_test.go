package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wharf.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeys(t *testing.T) {
	got := map[string]Key{}
	for _, k := range Keys() {
		if _, dup := got[k.Env]; dup {
			t.Errorf("two settings use %s", k.Env)
		}
		got[k.Env] = k
	}
	for env, path := range map[string]string{
		"WHARF_DATA":              "data",
		"WHARF_KEEP_HISTORY":      "keep_history",
		"WHARF_LOG_LEVEL":         "log.level",
		"WHARF_LOG_FORMAT":        "log.format",
		"WHARF_LISTEN":            "server.listen",
		"WHARF_LISTEN_IMPLICIT":   "server.listen_implicit",
		"WHARF_PASSIVE_PORTS":     "server.passive_ports",
		"WHARF_PASSIVE_ADDRESS":   "server.passive_address",
		"WHARF_IDLE_TIMEOUT":      "server.idle_timeout",
		"WHARF_SHUTDOWN_GRACE":    "server.shutdown_grace",
		"WHARF_MAX_CONNS_PER_IP":  "server.max_conns_per_ip",
		"WHARF_REMOVE_AFTER_SEND": "server.remove_after_send",
	} {
		if got[env].Path != path {
			t.Errorf("Keys()[%s].Path = %q, want %q", env, got[env].Path, path)
		}
	}
	if _, ok := got[EnvConfig]; ok {
		t.Errorf("%s is a setting; it must only name the file", EnvConfig)
	}
}

func TestDefault(t *testing.T) {
	c, err := Load(Sources{})
	if err != nil {
		t.Fatalf("Load(empty) error: %v", err)
	}
	if diff := cmp.Diff(Default(), c, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("Load(empty) differs from Default() (-want +got):\n%s", diff)
	}
	if c.Data != "./wharf-data" || c.Server.Listen != ":2121" || c.Server.ListenImplicit != ":2990" {
		t.Errorf("defaults: data %q listen %q implicit %q", c.Data, c.Server.Listen, c.Server.ListenImplicit)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

// TestPrecedence sets each value in the file, then overrides some in the
// environment, then some of those with flags.
func TestPrecedence(t *testing.T) {
	file := writeFile(t, `
data: /from/file
log:
  level: debug
  format: json
server:
  listen: 127.0.0.1:1000
  listen_implicit: 127.0.0.1:1001
  passive_ports: 30000-30010
  idle_timeout: 1m
  allow_plain: true
  max_conns: 10
  banner: file banner
`)
	tests := []struct {
		name  string
		env   map[string]string
		flags []Flag
		check func(c Config) string
	}{
		{"file only", nil, nil, func(c Config) string {
			return join(c.Data, c.Log.Level, c.Log.Format, c.Server.Listen, c.Server.ListenImplicit,
				c.Server.PassivePorts, c.Server.IdleTimeout, c.Server.AllowPlain, c.Server.MaxConns, c.Server.Banner)
		}},
		{"env over file", map[string]string{
			"WHARF_DATA": "/from/env", "WHARF_LISTEN": "127.0.0.1:2000", "WHARF_IDLE_TIMEOUT": "2m",
			"WHARF_ALLOW_PLAIN": "false", "WHARF_MAX_CONNS": "20", "WHARF_LOG_FORMAT": "text",
		}, nil, func(c Config) string {
			return join(c.Data, c.Log.Level, c.Log.Format, c.Server.Listen, c.Server.ListenImplicit,
				c.Server.PassivePorts, c.Server.IdleTimeout, c.Server.AllowPlain, c.Server.MaxConns, c.Server.Banner)
		}},
		{"flag over env", map[string]string{
			"WHARF_DATA": "/from/env", "WHARF_LISTEN": "127.0.0.1:2000", "WHARF_IDLE_TIMEOUT": "2m",
		}, []Flag{
			{"--data", "data", "/from/flag"},
			{"--listen", "server.listen", "127.0.0.1:3000"},
			{"--idle-timeout", "server.idle_timeout", "3m0s"},
			{"--listen-implicit", "server.listen_implicit", "off"},
		}, func(c Config) string {
			return join(c.Data, c.Server.Listen, c.Server.ListenImplicit, c.Server.IdleTimeout, c.Server.Banner)
		}},
	}
	want := []string{
		"/from/file debug json 127.0.0.1:1000 127.0.0.1:1001 30000-30010 1m0s true 10 file banner",
		"/from/env debug text 127.0.0.1:2000 127.0.0.1:1001 30000-30010 2m0s false 20 file banner",
		"/from/flag 127.0.0.1:3000  3m0s file banner",
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(Sources{File: file, LookupEnv: env(tt.env), Flags: tt.flags})
			if err != nil {
				t.Fatalf("Load error: %v", err)
			}
			if got := tt.check(c); got != want[i] {
				t.Errorf("got  %q\nwant %q", got, want[i])
			}
		})
	}
}

func join(v ...any) string { return strings.TrimSuffix(fmt.Sprintln(v...), "\n") }

func TestConfigFileFromEnv(t *testing.T) {
	file := writeFile(t, "data: /via/env/file\n")
	c, err := Load(Sources{LookupEnv: env(map[string]string{EnvConfig: file})})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != "/via/env/file" {
		t.Errorf("Data = %q, want /via/env/file", c.Data)
	}
}

// TestListenOff: only "off" switches a listener off. A null or empty
// value, from any source, is the default, so that "listen:" with its value
// commented out cannot silently close :2121.
func TestListenOff(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		env        map[string]string
		flags      []Flag
		want       string // server.listen
	}{
		{"file null", "server:\n  listen:   # \":2121\"\n", nil, nil, ":2121"},
		{"file null over nothing else", "server:\n  listen: ~\n  listen_implicit: null\n", nil, nil, ":2121"},
		{"file empty", "server:\n  listen: \"\"\n", nil, nil, ":2121"},
		{"env empty", "", map[string]string{"WHARF_LISTEN": ""}, nil, ":2121"},
		{"env empty over file", "server:\n  listen: 127.0.0.1:21\n", map[string]string{"WHARF_LISTEN": ""}, nil, ":2121"},
		{"flag empty", "", nil, []Flag{{"--listen", "server.listen", ""}}, ":2121"},
		{"file off", "server:\n  listen: off\n", nil, nil, ""},
		{"env off", "", map[string]string{"WHARF_LISTEN": "OFF"}, nil, ""},
		{"flag off", "", nil, []Flag{{"--listen", "server.listen", " Off "}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := Sources{LookupEnv: env(tt.env), Flags: tt.flags}
			if tt.file != "" {
				src.File = writeFile(t, tt.file)
			}
			c, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			if c.Server.Listen != tt.want || c.Server.ListenImplicit != ":2990" {
				t.Errorf("listen %q implicit %q, want %q and \":2990\"", c.Server.Listen, c.Server.ListenImplicit, tt.want)
			}
		})
	}
	// metrics_listen is off by default; "OFF" is off too.
	c, err := Load(Sources{LookupEnv: env(map[string]string{"WHARF_METRICS_LISTEN": "OFF"})})
	if err != nil || c.MetricsListen != "" {
		t.Errorf("WHARF_METRICS_LISTEN=OFF: metrics_listen %q, %v; want \"\"", c.MetricsListen, err)
	}
}

// TestNullAndEmpty holds every setting to one rule: a YAML null is the
// default, as if the key were left out, and an empty value (file, env or
// flag) is the default for a string setting and an error naming its
// source for data and every bool, int and duration setting.
func TestNullAndEmpty(t *testing.T) {
	def := Default()
	// Values unlike the defaults, which the null and empty values must
	// undo or be refused over.
	other := map[string]string{"string": "x", "bool": "true", "int": "7", "duration": "7m"}
	for _, k := range Keys() {
		t.Run(k.Path, func(t *testing.T) {
			// The section's mapping, with the key null.
			parts := strings.Split(k.Path, ".")
			file := parts[len(parts)-1] + ":\n"
			if len(parts) == 2 {
				file = parts[0] + ":\n  " + file
			}
			c, err := Load(Sources{File: writeFile(t, file)})
			if err != nil {
				t.Fatalf("%s: null: %v", k.Path, err)
			}
			if got, want := k.format(c), k.format(def); got != want {
				t.Errorf("%s: null gives %q, want the default %q", k.Path, got, want)
			}

			emptyOK := k.Type == "string" && k.Path != "data"
			for _, src := range []struct {
				name    string
				sources Sources
				msg     string // the error, when empty is one
			}{
				{"env", Sources{LookupEnv: env(map[string]string{k.Env: ""})},
					k.Env + " is empty: want "},
				{"flag", Sources{Flags: []Flag{{"--x", k.Path, ""}}},
					"--x is empty: want "},
				{"file", Sources{File: writeFile(t, strings.TrimSuffix(file, "\n")+` ""`+"\n")},
					k.Path + " is empty: want "},
			} {
				// Over a value from a lower source: the environment's
				// under a flag, the file's under both.
				lower := writeFile(t, strings.TrimSuffix(file, "\n")+" "+other[k.Type]+"\n")
				if src.name != "file" {
					src.sources.File = lower
				}
				c, err := Load(src.sources)
				switch {
				case emptyOK && err != nil:
					t.Errorf("%s: empty %s: %v", k.Path, src.name, err)
				case emptyOK && k.format(c) != k.format(def):
					t.Errorf("%s: empty %s gives %q, want the default %q", k.Path, src.name, k.format(c), k.format(def))
				case !emptyOK && (err == nil || !strings.Contains(err.Error(), src.msg) || !strings.Contains(err.Error(), "for the default ("+k.format(def)+")")):
					t.Errorf("%s: empty %s: error %v, want it to contain %q and the default", k.Path, src.name, err, src.msg)
				}
			}
		})
	}
	// The messages in full, one per source.
	for _, tt := range []struct {
		src  Sources
		want string
	}{
		{Sources{LookupEnv: env(map[string]string{"WHARF_ALLOW_PLAIN": ""})},
			"WHARF_ALLOW_PLAIN is empty: want true or false, or unset it for the default (false)"},
		{Sources{Flags: []Flag{{"--max-conns", "server.max_conns", ""}}},
			"--max-conns is empty: want a whole number, or leave the flag out for the default (2000)"},
		{Sources{File: writeFile(t, "data: \"\"\n")},
			`wharf.yaml:1: data is empty: want the data directory, or remove the key for the default (./wharf-data)`},
		{Sources{LookupEnv: env(map[string]string{"WHARF_KEEP_HISTORY": " "})},
			"WHARF_KEEP_HISTORY is empty: want a duration such as 30s, 5m, 1h30m or 90d, or unset it for the default (90d)"},
	} {
		if _, err := Load(tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load: error %v\nwant it to contain %q", err, tt.want)
		}
	}
}

// TestBoolsAndCase: booleans are true or false (in any case) from every
// source; YAML 1.1's yes/no/on/off and 1/0 are refused alike, naming the
// key and what it takes. log.level and log.format take any case.
func TestBoolsAndCase(t *testing.T) {
	for _, v := range []string{"yes", "no", "on", "off", "1", "0", "t", "y"} {
		for _, src := range []struct {
			sources Sources
			want    string
		}{
			{Sources{File: writeFile(t, "server:\n  allow_plain: "+v+"\n")}, fmt.Sprintf(`wharf.yaml:2: server.allow_plain %q: want true or false`, v)},
			{Sources{LookupEnv: env(map[string]string{"WHARF_ALLOW_PLAIN": v})}, fmt.Sprintf(`WHARF_ALLOW_PLAIN=%q: want true or false`, v)},
			{Sources{Flags: []Flag{{"--allow-plain", "server.allow_plain", v}}}, fmt.Sprintf(`--allow-plain %q: want true or false`, v)},
		} {
			if _, err := Load(src.sources); err == nil || !strings.Contains(err.Error(), src.want) {
				t.Errorf("allow_plain %s: error %v, want it to contain %q", v, err, src.want)
			}
		}
	}
	c, err := Load(Sources{
		File:      writeFile(t, "log:\n  level: DEBUG\nserver:\n  allow_plain: True\n  tls_reuse: FALSE\n"),
		LookupEnv: env(map[string]string{"WHARF_LOG_FORMAT": "JSON", "WHARF_ACTIVE_MODE": "TRUE"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := join(c.Log.Level, c.Log.Format, c.Server.AllowPlain, c.Server.TLSReuse, c.Server.ActiveMode); got != "debug json true false true" {
		t.Errorf("got %q, want \"debug json true false true\"", got)
	}
}

// TestShutdownGrace: server.shutdown_grace defaults to 30s; 0, from any
// source, stays 0 (cut at once) rather than taking the default; a negative
// grace is a problem.
func TestShutdownGrace(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  Sources
		want time.Duration
	}{
		{"default", Sources{}, 30 * time.Second},
		{"file 0", Sources{File: writeFile(t, "server:\n  shutdown_grace: 0\n")}, 0},
		{"env 0s", Sources{LookupEnv: env(map[string]string{"WHARF_SHUTDOWN_GRACE": "0s"})}, 0},
		{"flag 2m", Sources{Flags: []Flag{{"--shutdown-grace", "server.shutdown_grace", "2m"}}}, 2 * time.Minute},
		{"file null", Sources{File: writeFile(t, "server:\n  shutdown_grace:\n")}, 30 * time.Second},
	} {
		c, err := Load(tc.src)
		if err != nil || c.Server.ShutdownGrace != tc.want {
			t.Errorf("%s: ShutdownGrace = %v, %v; want %v", tc.name, c.Server.ShutdownGrace, err, tc.want)
		}
	}
	c := Default()
	c.Server.ShutdownGrace = -time.Second
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "server.shutdown_grace -1s: must not be negative") {
		t.Errorf("Validate with a negative grace = %v, want server.shutdown_grace -1s: must not be negative", err)
	}
}

// TestDurationsEverywhere: every duration setting takes days from every
// source, with one error text.
func TestDurationsEverywhere(t *testing.T) {
	for _, k := range Keys() {
		if k.Type != "duration" {
			continue
		}
		parts := strings.Split(k.Path, ".")
		yamlOf := func(v string) string {
			if len(parts) == 2 {
				return parts[0] + ":\n  " + parts[1] + ": " + v + "\n"
			}
			return k.Path + ": " + v + "\n"
		}
		for name, src := range map[string]func(v string) Sources{
			"file": func(v string) Sources { return Sources{File: writeFile(t, yamlOf(v))} },
			"env":  func(v string) Sources { return Sources{LookupEnv: env(map[string]string{k.Env: v})} },
			"flag": func(v string) Sources { return Sources{Flags: []Flag{{"--x", k.Path, v}}} },
		} {
			c, err := Load(src("1d12h"))
			if err != nil || k.format(c) != "36h" {
				t.Errorf("%s 1d12h from the %s: %q, %v; want 36h", k.Path, name, k.format(c), err)
			}
			_, err = Load(src("1 day"))
			if want := `"1 day": want a duration such as 30s, 5m, 1h30m or 90d`; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s \"1 day\" from the %s: error %v, want it to contain %q", k.Path, name, err, want)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags []Flag
		want  []string // substrings, all in one error
	}{
		{
			name: "unknown key names key and line",
			file: "data: x\nserver:\n  listen: :21\n  lisen: :22\n",
			want: []string{`:4: unknown key "server.lisen": did you mean "server.listen"?`},
		},
		{
			name: "unknown section",
			file: "frobnicate:\n  a: 1\n",
			want: []string{`:1: unknown key "frobnicate"`},
		},
		{
			name: "bad duration in file",
			file: "server:\n  idle_timeout: 5 minutes\n",
			want: []string{`:2: server.idle_timeout "5 minutes": want a duration such as 30s, 5m, 1h30m or 90d`},
		},
		{
			name: "bad duration in env",
			env:  map[string]string{"WHARF_LOGIN_TIMEOUT": "30"},
			want: []string{`WHARF_LOGIN_TIMEOUT="30": want a duration`},
		},
		{
			name:  "bad duration in flag",
			flags: []Flag{{"--idle-timeout", "server.idle_timeout", "soon"}},
			want:  []string{`--idle-timeout "soon": want a duration`},
		},
		{
			name: "several problems at once",
			file: "server:\n  max_conns: many\n  bogus: 1\n  allow_plain: maybe\n  allow_plain: true\n",
			env:  map[string]string{"WHARF_BAN_FOR": "forever", "WHARF_ACTIVE_MODE": "yes please"},
			want: []string{
				"6 problems:",
				`:2: server.max_conns "many": want a whole number`,
				`:3: unknown key "server.bogus"`,
				`:4: server.allow_plain "maybe": want true or false`,
				`:5: duplicate key "server.allow_plain" (first on line 4)`,
				`WHARF_BAN_FOR="forever": want a duration`,
			},
		},
		{
			name: "list where a value belongs",
			file: "server:\n  banner: [a, b]\n",
			want: []string{`:2: server.banner: want a single value`},
		},
		{
			name: "missing file",
			file: "-",
			want: []string{"does not exist: check --config or WHARF_CONFIG"},
		},
		{
			name: "not yaml",
			file: "server: [\n",
			want: []string{"wharf.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Sources{LookupEnv: env(tt.env), Flags: tt.flags}
			switch tt.file {
			case "":
			case "-":
				src.File = filepath.Join(t.TempDir(), "missing.yaml")
			default:
				src.File = writeFile(t, tt.file)
			}
			_, err := Load(src)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	c := Default()
	c.Data = ""
	c.Log.Level = "loud"
	c.Log.Format = "xml"
	c.Server.PassivePorts = "10-20"
	c.Server.MinTLS = "1.0"
	c.KeepHistory = -time.Hour
	err := c.Validate()
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("Validate() = %v, want Problems", err)
	}
	for _, w := range []string{"data is empty", `log.level "loud"`, `log.format "xml"`, `server.passive_ports "10-20": want a port range LO-HI`,
		`server.min_tls "1.0": want 1.2 or 1.3`, "keep_history -1h:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() error:\n%v\nwant it to contain %q", err, w)
		}
	}
	if len(p) != 6 {
		t.Errorf("Validate() reported %d problems, want 6:\n%v", len(p), err)
	}
}

// TestLoadReportsValidationToo: when Load finds problems, its error also
// lists Validate's, so a user fixes everything in one go.
func TestLoadReportsValidationToo(t *testing.T) {
	file := writeFile(t, "log:\n  level: loud\nserver:\n  idle_timeout: 5 minutes\n  min_tls: \"1.1\"\n  login_timeout: -1s\n")
	_, err := Load(Sources{File: file, LookupEnv: env(map[string]string{
		"WHARF_LISTEN": "127.0.0.1:99999", "WHARF_LOGIN_TIMEOUT": "soon",
	})})
	want := []string{
		"5 problems:",
		`wharf.yaml:4: server.idle_timeout "5 minutes": want a duration`,
		`WHARF_LOGIN_TIMEOUT="soon": want a duration`,
		`log.level "loud": want debug, info, warn or error`,
		`server.min_tls "1.1": want 1.2 or 1.3`,
		`server.listen "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`,
	}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Load error:\n%v\nwant it to contain %q", err, w)
		}
	}
	// The file's -1s is overridden by the environment's unreadable
	// value, which counts as unset: no "must not be negative".
	if err != nil && strings.Contains(err.Error(), "login_timeout -1s") {
		t.Errorf("Load error:\n%v\nreports the overridden login_timeout -1s", err)
	}

	// Without load problems, Load leaves validation to Validate.
	c, err := Load(Sources{LookupEnv: env(map[string]string{"WHARF_MIN_TLS": "1.1"})})
	if err != nil {
		t.Fatalf("Load with a value only Validate rejects: %v", err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `server.min_tls "1.1"`) {
		t.Errorf("Validate() = %v, want server.min_tls \"1.1\"", err)
	}
}

func TestUnknownEnv(t *testing.T) {
	file := writeFile(t, "data: /d\n")
	legit := map[string]string{
		EnvConfig: file, "WHARF_SECRETS_URL": "base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=", "WHARF_PKCS12_PASSWORD": "p", "WHARF_IDLE_TIMEOUT": "1m",
		"WHARF_CPUPROFILE": "/tmp/p", "WHARF_INTEROP": "1", "WHARF_PEER_DIR": "/p", "WHARF_SKIP_INSTALL": "1",
		"WHARF_SYNCBENCH": "1", "WHARF_BIND_HELPER": "1", "WHARF_FILESYNC_CHILD": "1", "WHARF_FTP_PASSWORD": "x",
		"WHARF_TEST_MAIN": "1", "WHARF_TEST_POSTGRES_DSN": "postgres://", "SYNCBENCH_WHARF_MAX_TLS": "1.2", "HOME": "/root",
	}
	tests := []struct {
		name string
		set  map[string]string
		want []string // substrings, all in one error; none means no error
	}{
		{"legitimate", nil, nil},
		{"typo", map[string]string{"WHARF_IDEL_TIMEOUT": "1m"},
			[]string{"unknown environment variable WHARF_IDEL_TIMEOUT: did you mean WHARF_IDLE_TIMEOUT?"}},
		{"server prefix", map[string]string{"WHARF_SERVER_IDLE_TIMEOUT": "1m"},
			[]string{"unknown environment variable WHARF_SERVER_IDLE_TIMEOUT: did you mean WHARF_IDLE_TIMEOUT?"}},
		{"config typo", map[string]string{"WHARF_CONFIGG": "x"}, []string{"did you mean WHARF_CONFIG?"}},
		{"far from any", map[string]string{"WHARF_FROBNICATE": "1", "WHARF_": ""},
			[]string{"2 problems", "unknown environment variable WHARF_: unset it", "unknown environment variable WHARF_FROBNICATE: unset it, or see `wharf serve --help`"}},
		{"with a bad value", map[string]string{"WHARF_MAX_CONNS": "lots", "WHARF_MAX_CON": "5"},
			[]string{"2 problems", `WHARF_MAX_CONNS="lots"`, "WHARF_MAX_CON: did you mean WHARF_MAX_CONNS?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for _, e := range []map[string]string{legit, tt.set} {
				for k, v := range e {
					m[k] = v
				}
			}
			var environ []string
			for k, v := range m {
				environ = append(environ, k+"="+v)
			}
			c, err := Load(Sources{LookupEnv: env(m), Environ: func() []string { return environ }})
			if len(tt.want) == 0 {
				if err != nil || c.Data != "/d" {
					t.Errorf("Load = data %q, %v; want /d and no error", c.Data, err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Load error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}

	// A name in the environment list counts only if LookupEnv finds it,
	// so a fake LookupEnv is not tripped by the process's variables.
	_, err := Load(Sources{LookupEnv: env(nil), Environ: func() []string { return []string{"WHARF_IDEL_TIMEOUT=1m"} }})
	if err != nil {
		t.Errorf("Load with a variable LookupEnv does not see: %v", err)
	}
}

// TestOtherEnv finds every WHARF_ variable that the module's code, tests
// and scripts read directly, and checks that Load accepts it: a variable
// missing from otherEnv would make every wharf command fail wherever it
// is set.
func TestOtherEnv(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	// Reads and sets: Getenv("X"), LookupEnv("X"), environ["X"],
	// "X=value", NAME = "X", $X and ${X}, export X.
	read := regexp.MustCompile(`(?:Getenv|LookupEnv|environ\[|environ\.get)\(?"(WHARF_\w+)"|"(WHARF_\w+)=|=\s*"(WHARF_\w+)"|\$\{?(WHARF_\w+)|export (WHARF_\w+)`)
	settings := map[string]bool{}
	for _, k := range Keys() {
		settings[k.Env] = true
	}
	found := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "third_party", "config": // config: this package, which misspells on purpose
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".sh", ".py":
		default:
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range read.FindAllStringSubmatch(string(data), -1) {
			name := strings.Join(m[1:], "")
			found++
			if !settings[name] && !otherEnv(name) {
				t.Errorf("%s reads %s, which Load would report as unknown: add it to otherEnv", p, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 10 {
		t.Errorf("found %d reads of WHARF_ variables, want at least 10: is the pattern still right?", found)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90d": 90 * 24 * time.Hour, " 1d12h ": 36 * time.Hour, "0": 0, "1h30m": 90 * time.Minute, "0d": 0, "2160h0m0s": 90 * 24 * time.Hour,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "1.5d", "3 days", "1d-1h", "1dd", "soon", "99999d"} {
		if got, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), "want a duration such as") {
			t.Errorf("ParseDuration(%q) = %v, %v; want an error saying what is wanted", in, got, err)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"listen", "lisen", 1}, {"abc", "", 3}, {"kitten", "sitting", 3}} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestYAMLAliasHint: an unquoted value starting with * is a YAML alias,
// and the parser's own message does not say so.
func TestYAMLAliasHint(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"server:\n  filter: *.edi\n", `line 2: a value starting with * must be quoted in YAML: filter: "*.edi"`},
		{"data: /d\nserver:\n  filter: *.edi,-*.tmp   # EDI only\n", `line 3: a value starting with * must be quoted in YAML: filter: "*.edi,-*.tmp"`},
		{"server:\n  temp_extensions: *part\n", `line 2: a value starting with * must be quoted in YAML: temp_extensions: "*part"`},
	} {
		_, err := Load(Sources{File: writeFile(t, tt.file)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%q): error %v\nwant it to contain %q", tt.file, err, tt.want)
		}
	}
	// Another syntax error gets no hint.
	_, err := Load(Sources{File: writeFile(t, "server: [\n")})
	if err == nil || strings.Contains(err.Error(), "must be quoted") {
		t.Errorf("Load(\"server: [\"): error %v, want one without the * hint", err)
	}
}

// TestValidateSecretsURL: a keeper scheme this build has no driver for is
// refused by Validate, naming the ones it has, and never printing the URL
// past its scheme.
func TestValidateSecretsURL(t *testing.T) {
	for url, want := range map[string]string{
		"awskms://alias/x?region=us-east-1": "secrets_url awskms://...: no keeper driver for awskms:// in this build, which has base64key:// only: leave it unset to use DATA/secret.key",
		"alias/x":                           "secrets_url ...: not a keeper URL: want base64key://, or leave it unset to use DATA/secret.key",
		"":                                  "",
		"base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=": "",
	} {
		c := Default()
		c.SecretsURL = url
		err := c.Validate()
		switch {
		case want == "" && err != nil:
			t.Errorf("secrets_url %q: Validate() = %v", url, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("secrets_url %q: Validate() = %v\nwant %s", url, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "alias/x") {
			t.Errorf("secrets_url %q: Validate() = %v, which prints the URL", url, err)
		}
	}
}

// TestPKCS12PasswordSource: a wrong PKCS#12 password is reported with
// where the password came from.
func TestPKCS12PasswordSource(t *testing.T) {
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
	p12File := filepath.Join(t.TempDir(), "s.p12")
	if err := os.WriteFile(p12File, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		src  Sources
		want string // "" for no error
	}{
		{"right", Sources{LookupEnv: env(map[string]string{"WHARF_PKCS12_PASSWORD": "right"})}, ""},
		{"flag", Sources{Flags: []Flag{{"--pkcs12-password-file", "server.pkcs12_password", "wrong"}}},
			"check server.pkcs12_password (the password came from --pkcs12-password-file)"},
		{"env", Sources{LookupEnv: env(map[string]string{"WHARF_PKCS12_PASSWORD": "wrong"})},
			"(the password came from WHARF_PKCS12_PASSWORD)"},
		{"file", Sources{File: writeFile(t, "server:\n  pkcs12_password: wrong\n")},
			"(the password came from " + "FILE:2)"},
		{"none", Sources{}, "(no password is set: give it with --pkcs12-password-file, WHARF_PKCS12_PASSWORD or pkcs12_password: in the config file)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Flags = append(tt.src.Flags, Flag{"--pkcs12", "server.pkcs12_file", p12File})
			c, err := Load(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(tt.want, "FILE", tt.src.File, 1)
			err = c.Validate()
			switch {
			case want == "" && err != nil:
				t.Errorf("Validate() = %v", err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "wrong password")):
				t.Errorf("Validate() = %v\nwant it to contain %q", err, want)
			}
		})
	}
}
