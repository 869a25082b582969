package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cgroup is a CPU-accounting control group that one server and every
// process it forks run in. Its usage includes processes that have exited,
// which /proc no longer shows: a vsftpd session that ends with the transfer
// is counted to the last tick, where sampling /proc loses up to 0.1 s of it
// (too much for a plain-FTP transfer of well under a second).
type cgroup struct {
	dir string
	v2  bool // cpu.stat usage_usec (cgroup v2) rather than cpuacct.usage (v1)
}

// newCgroup creates a cgroup named name under the v1 cpuacct hierarchy, or
// else under a cgroup v2 root.
func newCgroup(name string) (*cgroup, error) {
	for _, c := range []*cgroup{
		{dir: "/sys/fs/cgroup/cpuacct"},
		{dir: "/sys/fs/cgroup/unified", v2: true},
		{dir: "/sys/fs/cgroup", v2: true},
	} {
		probe := "cpuacct.usage"
		if c.v2 {
			probe = "cgroup.controllers"
		}
		if _, err := os.Stat(filepath.Join(c.dir, probe)); err != nil {
			continue
		}
		c.dir = filepath.Join(c.dir, name)
		if err := os.Mkdir(c.dir, 0o755); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, errors.New("no cpuacct or cgroup v2 hierarchy in /sys/fs/cgroup")
}

// add moves process pid into c; the processes it forks later stay there.
func (c *cgroup) add(pid int) error {
	return os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
}

// usage returns the CPU time (user + system) used in c so far.
func (c *cgroup) usage() (time.Duration, error) {
	if !c.v2 {
		data, err := os.ReadFile(filepath.Join(c.dir, "cpuacct.usage"))
		if err != nil {
			return 0, err
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		return time.Duration(ns), err
	}
	data, err := os.ReadFile(filepath.Join(c.dir, "cpu.stat"))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			us, err := strconv.ParseInt(v, 10, 64)
			return time.Duration(us) * time.Microsecond, err
		}
	}
	return 0, fmt.Errorf("no usage_usec in %s/cpu.stat", c.dir)
}

// remove deletes c once its processes are gone (a killed server's
// processes may take a moment to be reaped).
func (c *cgroup) remove() error {
	var err error
	for range 20 {
		if err = os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
