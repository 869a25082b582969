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

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// serveLock is the file 'wharf serve' holds locked in the data directory,
// with its PID on the first line and, on the following ones, the server-wide
// settings that other processes need while it serves (runningServeSettings):
// its temp extensions ("temp_extensions=.tmp,.part"), which the sync runs
// they start wait for, and the account defaults that `partner show`
// reports (serveLockBody).
const serveLock = "serve.lock"

// lockServeConfig takes the data directory's serve lock, so that a second
// 'wharf serve' on it refuses to start: at start a server deletes every
// upload temporary in the file root, which would destroy the first
// server's uploads in progress. It records the settings of srv that other
// commands report. The lock goes when the process ends, however it ends;
// unlock releases it earlier.
func lockServeConfig(root string, srv ftpserver.Config) (unlock func(), err error) {
	return lockWith(root, serveLockBody(srv))
}

// lockWith takes the lock and writes the PID and then body into it.
func lockWith(root, body string) (unlock func(), err error) {
	name := filepath.Join(root, serveLock)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: check the data directory's permissions", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := "unknown"
		if b, rerr := os.ReadFile(name); rerr == nil {
			if first, _, _ := strings.Cut(string(b), "\n"); strings.TrimSpace(first) != "" {
				pid = strings.TrimSpace(first)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another wharf serve (pid %s) is running on data directory %s: stop it first, or give this server its own --data", pid, root)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"+body), 0)
	}
	return func() { f.Truncate(0); f.Close() }, nil
}

// runningServe returns the temp extensions of the 'wharf serve' running on
// the data directory root, and false when none runs. A PID reused since
// only adds extensions, which delays a file, never sends one early.
func runningServe(root string) (tempExts string, running bool) {
	s, ok := runningServeSettings(root)
	return s.Server.TempExtensions, ok
}

// runningServeSettings returns what the lock file of the 'wharf serve'
// running on the data directory root records, and false when none runs.
// It tells by the PID in the lock file, not by trying the lock, which
// would make a server starting that instant refuse to.
func runningServeSettings(root string) (servedSettings, bool) {
	b, err := os.ReadFile(filepath.Join(root, serveLock))
	if err != nil {
		return servedSettings{}, false
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return servedSettings{}, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return servedSettings{}, false
	}
	s := parseServeLock(lines[1:])
	s.PID = pid
	return s, true
}
