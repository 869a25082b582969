package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirPrecedence checks that every command finds its data directory
// through the config file, then WHARF_DATA, then --data.
func TestDataDirPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "wharf.yaml")
	if err := os.WriteFile(file, []byte("data: "+filepath.Join(dir, "from-file")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"file", map[string]string{"WHARF_CONFIG": file}, nil, "from-file"},
		{"env over file", map[string]string{"WHARF_CONFIG": file, "WHARF_DATA": filepath.Join(dir, "from-env")}, nil, "from-env"},
		{"flag over env", map[string]string{"WHARF_DATA": filepath.Join(dir, "from-env")}, []string{"--config", file, "--data", filepath.Join(dir, "from-flag")}, "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{"partner", "add", "acme-" + strings.ReplaceAll(tt.name, " ", "-")}, tt.args...)
			err := Execute(t.Context(), args, Options{
				Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
				LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
			})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), filepath.Join(dir, tt.want, "files")) {
				t.Errorf("partner add used another data directory, want %s:\n%s", tt.want, out.String())
			}
		})
	}
}

// A bad flag value is reworded as a bad config value is, not left in the
// parser's terms.
func TestFlagValueErrors(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "int", args: []string{"serve", "--max-conns", "x"}, wantErr: `--max-conns "x": want a whole number`},
		{name: "duration", args: []string{"serve", "--idle-timeout", "5"}, wantErr: `--idle-timeout "5": want a duration such as 30s, 5m, 1h30m or 90d`},
		{name: "bool", args: []string{"serve", "--allow-plain=maybe"}, wantErr: `--allow-plain "maybe": want true or false`},
		{name: "unknown flag kept", args: []string{"serve", "--colour"}, wantErr: "unknown flag: --colour"},
	})
}
