//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// serveLock is the file 'wharf serve' holds locked in the data directory,
// with its PID in it.
const serveLock = "serve.lock"

// lockServe takes the data directory's serve lock, so that a second
// 'wharf serve' on it refuses to start: at start a server deletes every
// upload temporary in the file root, which would destroy the first
// server's uploads in progress. The lock goes when the process ends,
// however it ends; unlock releases it earlier.
func lockServe(root string) (unlock func(), err error) {
	name := filepath.Join(root, serveLock)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: check the data directory's permissions", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := "unknown"
		if b, rerr := os.ReadFile(name); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
			pid = strings.TrimSpace(string(b))
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another wharf serve (pid %s) is running on data directory %s: stop it first, or give this server its own --data", pid, root)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
