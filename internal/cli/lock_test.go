//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// A sync run next to a running serve learns serve's temp extensions from
// its lock file; once serve is gone, nothing.
func TestRunningServeTempExtensions(t *testing.T) {
	dir := t.TempDir()
	if _, ok := runningServe(dir); ok {
		t.Fatal("runningServe before any serve: true")
	}
	unlock, err := lockServeConfig(dir, ftpserver.Config{TempExtensions: ".part,.tmp"})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := runningServe(dir); !ok || got != ".part,.tmp" {
		t.Errorf("runningServe while serving = %q, %v; want .part,.tmp, true", got, ok)
	}
	if _, err := lockServeConfig(dir, ftpserver.Config{}); err == nil {
		t.Error("a second lockServeConfig succeeded")
	}
	unlock()
	if got, ok := runningServe(dir); ok {
		t.Errorf("runningServe after serve stopped = %q, true", got)
	}
	// A serve killed leaves its PID behind: one that runs no more.
	if err := os.WriteFile(filepath.Join(dir, serveLock), []byte("2147483647\ntemp_extensions=.part\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, ok := runningServe(dir); ok {
		t.Errorf("runningServe with a dead PID = %q, true", got)
	}
}
