package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/config"
)

func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	for p, text := range map[string]string{
		good: "server:\n  listen: 127.0.0.1:2100\n  pkcs12_password: hunter2\n  idle_timeout: 90s\n",
		bad:  "server:\n  listen: nowhere\n  min_tls: \"1.1\"\n",
	} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runSteps(t, dir, []step{
		{name: "check default", args: []string{"config", "check"}, want: []string{"configuration OK"}},
		{name: "check good", args: []string{"config", "check", "--config", good}, want: []string{"configuration OK"}},
		{name: "check bad", args: []string{"config", "check", "--config", bad},
			wantErr: `2 problems`},
		{name: "show", args: []string{"config", "show", "--config", good, "--log-format", "json"},
			want:    []string{"listen: 127.0.0.1:2100", "listen_implicit: :2990", "idle_timeout: 1m30s", "pkcs12_password: REDACTED", "format: json", "banner: Wharf FTP server ready"},
			notWant: []string{"hunter2"}},
	})

	// What show prints loads back to the same configuration.
	r := run(t, dir, "", "config", "show", "--config", good)
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
	got, err := config.Load(config.Sources{File: round})
	if err != nil {
		t.Fatalf("config show output does not load: %v\n%s", err, r.stdout)
	}
	want.Data = dir // run passes --data
	want.Server.PKCS12Password = "REDACTED"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config show round trip (-want +got):\n%s", diff)
	}
}
