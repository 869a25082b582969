package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
)

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 90 * 24 * time.Hour: "90d", 24 * time.Hour: "1d", 36 * time.Hour: "36h", 5 * time.Minute: "5m",
		90 * time.Minute: "1h30m", time.Hour: "1h", 30 * time.Second: "30s", 10 * time.Minute: "10m",
		time.Hour + 5*time.Second: "1h0m5s", 1500 * time.Millisecond: "1.5s", -time.Second: "-1s", -24 * time.Hour: "-24h",
	} {
		got := FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(got); err != nil || back != d {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", d, back, err)
		}
	}
}

// TestMarshalYAML: config show's YAML writes durations as a user does and
// an off listener as off, quotes what YAML would misread, and loads back
// to the same configuration.
func TestMarshalYAML(t *testing.T) {
	c, err := Load(Sources{File: writeFile(t, `
keep_history: 2160h
log:
  level: WARN
server:
  listen: "off"
  min_tls: "1.3"
  banner: "true"
  filter: "*.edi,-*.tmp"
  idle_timeout: 90m
  password_cache: -1s
  max_conns: -1
  allow_plain: true
`)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, w := range []string{
		"data: ./wharf-data\n", "keep_history: 90d\n", "metrics_listen: \"off\"\n", "log:\n    level: warn\n    format: text\n",
		"    listen: \"off\"\n", "    listen_implicit: :2990\n", "    min_tls: \"1.3\"\n", "    banner: \"true\"\n",
		"    filter: '*.edi,-*.tmp'\n", "    idle_timeout: 1h30m\n", "    login_timeout: 30s\n", "    password_cache: -1s\n",
		"    max_conns: -1\n", "    allow_plain: true\n", "    ban_for: 15m\n",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("yaml.Marshal lacks %q:\n%s", w, text)
		}
	}
	back, err := Load(Sources{File: writeFile(t, text)})
	if err != nil {
		t.Fatalf("the marshalled configuration does not load: %v\n%s", err, text)
	}
	if diff := cmp.Diff(c, back, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
