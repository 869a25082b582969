package config

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/secret"
)

// fileFor returns a config file setting the key at path to value.
func fileFor(t *testing.T, path, value string) string {
	t.Helper()
	if sec, key, ok := strings.Cut(path, "."); ok {
		return writeFile(t, sec+":\n  "+key+": "+value+"\n")
	}
	return writeFile(t, path+": "+value+"\n")
}

// keyAt returns the Key at path.
func keyAt(t *testing.T, path string) Key {
	t.Helper()
	for _, k := range Keys() {
		if k.Path == path {
			return k
		}
	}
	t.Fatalf("no setting %q", path)
	return Key{}
}

// TestZeroRefused: a 0 given, from any source, for a setting where it
// would mean nothing is refused, saying what turns the setting off when
// something does, instead of silently becoming the default.
func TestZeroRefused(t *testing.T) {
	for path, off := range positive {
		k := keyAt(t, path)
		def := k.format(Default())
		for _, src := range []struct {
			name    string
			sources Sources
			prefix  string
		}{
			{"file", Sources{File: fileFor(t, path, "0")}, "wharf.yaml:2: " + path + ` "0": `},
			{"env", Sources{LookupEnv: env(map[string]string{k.Env: "0"})}, k.Env + `="0": `},
			{"flag", Sources{Flags: []Flag{{"--x", path, "0"}}}, `--x "0": `},
		} {
			_, err := Load(src.sources)
			want := src.prefix + "want more than 0"
			if off != "" {
				want += " (or " + off + ")"
			}
			want += ", or leave it out for the default (" + def + ")"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s 0 from the %s: Load error %v, want it to contain %q", path, src.name, err, want)
			}
		}
	}
	// The messages in full.
	for _, tt := range []struct {
		src  Sources
		want string
	}{
		{Sources{Flags: []Flag{{"--idle-timeout", "server.idle_timeout", "0"}}},
			`--idle-timeout "0": want more than 0, or leave it out for the default (5m)`},
		{Sources{LookupEnv: env(map[string]string{"WHARF_BAN_AFTER": "0"})},
			`WHARF_BAN_AFTER="0": want more than 0 (or -1 to turn it off), or leave it out for the default (10)`},
		{Sources{File: writeFile(t, "server:\n  password_cache: 0s\n")},
			`wharf.yaml:2: server.password_cache "0s": want more than 0 (or -1 to turn it off), or leave it out for the default (15m)`},
	} {
		if _, err := Load(tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load: error %v\nwant it to contain %q", err, tt.want)
		}
	}
}

// TestUnsetGetsDefault: a setting left out, or null in the file, still gets
// its default; a 0 overridden by a higher source is still reported, as a
// value that does not parse is.
func TestUnsetGetsDefault(t *testing.T) {
	def := Default()
	for path := range positive {
		k := keyAt(t, path)
		for name, src := range map[string]Sources{
			"nothing": {},
			"null":    {File: fileFor(t, path, "")},
			"other":   {LookupEnv: env(map[string]string{"WHARF_BANNER": "hi"})},
		} {
			c, err := Load(src)
			if err != nil {
				t.Fatalf("%s %s: %v", path, name, err)
			}
			if got, want := k.format(c), k.format(def); got != want || want == "0" {
				t.Errorf("%s %s: %q, want the default %q (not 0)", path, name, got, want)
			}
		}
	}
	_, err := Load(Sources{File: fileFor(t, "server.idle_timeout", "0"), LookupEnv: env(map[string]string{"WHARF_IDLE_TIMEOUT": "1m"})})
	if err == nil || !strings.Contains(err.Error(), `server.idle_timeout "0": want more than 0`) {
		t.Errorf("a 0 in the file under WHARF_IDLE_TIMEOUT=1m: %v, want it reported", err)
	}
}

// TestZeroKept: where 0 means something, a 0 given is kept as given from
// every source, and survives config show's YAML.
func TestZeroKept(t *testing.T) {
	for _, path := range []string{"keep_history", "server.shutdown_grace"} {
		k := keyAt(t, path)
		for name, src := range map[string]Sources{
			"file": {File: fileFor(t, path, "0")},
			"env":  {LookupEnv: env(map[string]string{k.Env: "0s"})},
			"flag": {Flags: []Flag{{"--x", path, "0"}}},
		} {
			c, err := Load(src)
			if err != nil {
				t.Fatalf("%s 0 from the %s: %v", path, name, err)
			}
			if got := k.format(c); got != "0" {
				t.Errorf("%s 0 from the %s: %q, want 0", path, name, got)
			}
			out, err := yaml.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Load(Sources{File: writeFile(t, string(out))})
			if err != nil || k.format(back) != "0" {
				t.Errorf("%s 0 from the %s: config show's YAML loads as %q, %v", path, name, k.format(back), err)
			}
		}
	}
}

// TestOff: -1 turns off what can be turned off, from every source, and
// config show writes it back as -1.
func TestOff(t *testing.T) {
	for path, off := range positive {
		if !strings.HasPrefix(off, "-1") {
			continue
		}
		k := keyAt(t, path)
		for name, src := range map[string]Sources{
			"file": {File: fileFor(t, path, "-1")},
			"env":  {LookupEnv: env(map[string]string{k.Env: "-1"})},
			"flag": {Flags: []Flag{{"--x", path, " -1"}}},
		} {
			c, err := Load(src)
			if err == nil {
				err = c.Validate()
			}
			if err != nil {
				t.Fatalf("%s -1 from the %s: %v", path, name, err)
			}
			if got := reflect.ValueOf(c).FieldByIndex(k.index).Int(); got >= 0 {
				t.Errorf("%s -1 from the %s: %d, want it negative", path, name, got)
			}
			if got := k.format(c); got != "-1" {
				t.Errorf("%s -1 from the %s: formatted %q, want -1", path, name, got)
			}
		}
	}
	if d, err := ParseDuration("-1"); err != nil || d != Off || d >= 0 {
		t.Errorf(`ParseDuration("-1") = %v, %v; want Off`, d, err)
	}
}

// TestPositiveComplete: every server setting whose zero
// ftpserver.Config.Defaults replaces is either refused at 0 (positive) or
// has a 0 that Load keeps, so that no 0 a user gives becomes the default
// unseen. A new field with such a default must be added to positive.
func TestPositiveComplete(t *testing.T) {
	defaulted := ftpserver.Config{}.Defaults()
	dv := reflect.ValueOf(Config{Server: defaulted})
	for _, k := range Keys() {
		if !strings.HasPrefix(k.Path, "server.") || (k.Type != "int" && k.Type != "duration") {
			continue
		}
		if dv.FieldByIndex(k.index).Int() == 0 {
			if _, ok := positive[k.Path]; ok {
				t.Errorf("%s: listed in positive, but ftpserver.Config.Defaults keeps its 0: is 0 meaningful now?", k.Path)
			}
			continue
		}
		if _, ok := positive[k.Path]; !ok {
			t.Errorf("%s: ftpserver.Config.Defaults replaces its 0, but Load takes a 0 for it: add it to positive", k.Path)
		}
	}
	for path := range positive {
		keyAt(t, path)
	}
}

// TestRedactedRefused: a file written by `wharf config show` holds the
// placeholders it prints for secrets; loading it says so, for each, with
// the file's line, instead of a keeper that does not open or a password
// that does not decrypt the PKCS#12 file.
func TestRedactedRefused(t *testing.T) {
	c, err := Load(Sources{LookupEnv: env(map[string]string{
		"WHARF_SECRETS_URL":     "base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=",
		"WHARF_PKCS12_PASSWORD": "hunter2",
	})})
	if err != nil {
		t.Fatal(err)
	}
	// As config show redacts them.
	c.SecretsURL = secret.RedactURL(c.SecretsURL)
	c.Server.PKCS12Password = secret.Redacted
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	const why = "this is the redacted value `config show` prints: put the real value (or leave the key out)"
	_, err = Load(Sources{File: writeFile(t, string(out))})
	for _, want := range []string{
		`: secrets_url "base64key://...": ` + why,
		`: server.pkcs12_password "REDACTED": ` + why,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(config show's output): %v\nwant it to contain %q", err, want)
		}
	}
	// Reported once, not again by Validate as a key that does not decode.
	if err != nil && strings.Contains(err.Error(), "URL-safe base64") {
		t.Errorf("Load(config show's output) also reports the placeholder as a bad key: %v", err)
	}
	for _, tt := range []struct {
		src  Sources
		want string
	}{
		{Sources{LookupEnv: env(map[string]string{"WHARF_SECRETS_URL": "base64key://..."})}, `WHARF_SECRETS_URL="base64key://...": ` + why},
		{Sources{Flags: []Flag{{"--pkcs12-password-file", "server.pkcs12_password", "REDACTED"}}}, `--pkcs12-password-file "REDACTED": ` + why},
	} {
		if _, err := Load(tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load: %v\nwant it to contain %q", err, tt.want)
		}
	}
}

// TestSecretsURLKeyChecked: config check (Validate) refuses a base64key://
// key that serve's keeper would refuse, such as standard base64 from
// `openssl rand -base64 32`.
func TestSecretsURLKeyChecked(t *testing.T) {
	c, err := Load(Sources{LookupEnv: env(map[string]string{"WHARF_SECRETS_URL": "base64key://smGbjm71Nxd1Ig5FS0wj9Slbz+Irnol/z9bQQ6uAhl4="})})
	if err != nil {
		t.Fatal(err)
	}
	want := "secrets_url base64key://...: base64key:// key has + or / (standard base64), which the keeper cannot read: use URL-safe base64, e.g. `openssl rand -base64 32 | tr '+/' '-_'`"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "smGbjm71") {
		t.Errorf("Validate() = %v, want it to contain %q and not the key", err, want)
	}
}

// TestLimitsDocumented: each setting that refuses 0 or gives it a meaning
// says so in the settings table.
func TestLimitsDocumented(t *testing.T) {
	for _, k := range Keys() {
		_, pos := positive[k.Path]
		if got := k.Limits(); (pos || k.Path == "keep_history" || k.Path == "server.shutdown_grace") && got == "" {
			t.Errorf("%s.Limits() is empty", k.Path)
		}
	}
	if got, want := keyAt(t, "server.ban_after").Limits(), "more than 0, or -1 to turn it off"; got != want {
		t.Errorf("ban_after Limits() = %q, want %q", got, want)
	}
}
