package peertest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// shared is the directory for what peertest makes once per test binary
// for all its tests (the Wharf binary, see wharfBinary), which Run
// removes when they are done. A per-test t.TempDir would go with the
// first test that built it.
var shared struct {
	mu  sync.Mutex
	dir string // "" until sharedDir makes it
}

// sharedDir returns the shared directory, making it on first use.
func sharedDir() (string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.dir == "" {
		dir, err := os.MkdirTemp("", "wharf-peertest-")
		if err != nil {
			return "", err
		}
		shared.dir = dir
	}
	return shared.dir, nil
}

// Run runs m's tests, then removes what peertest made once for all of
// them (the Wharf binary that Wharf builds), and returns the exit code
// for os.Exit. Packages whose tests start Wharf call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(peertest.Run(m)) }
//
// Without it, each run of their tests leaves a wharf-peertest-* directory
// in the temp directory.
func Run(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	dir := shared.dir
	shared.dir = ""
	shared.mu.Unlock()
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "peertest: remove shared directory: %v\n", err)
		}
	}
	return code
}
