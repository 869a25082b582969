package peertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	os.Exit(Run(m))
}

// childEnv makes TestRunRemovesSharedDir the child that makes the shared
// directory.
const childEnv = "WHARF_PEERTEST_CHILD"

// What peertest makes once per test binary (the Wharf binary) is gone when
// the binary ends, not left in the temp directory by every run.
func TestRunRemovesSharedDir(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		dir, err := sharedDir()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "wharf"), []byte("a binary"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("dir=" + dir + "\n")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestRunRemovesSharedDir$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "dir=")
	dir, _, _ := strings.Cut(after, "\n")
	if !ok || !strings.Contains(filepath.Base(dir), "wharf-peertest-") {
		t.Fatalf("child printed no shared directory:\n%s", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		os.RemoveAll(dir)
		t.Errorf("shared directory %s still there after the test binary ended (stat: %v)", dir, err)
	}
}
