package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// memStat is the memory of a process and its descendants.
type memStat struct {
	procs int
	rssKB int64 // sum of VmRSS: counts shared pages once per process
	pssKB int64 // sum of Pss: shared pages split between their users
	alive int   // sessions that answered NOOP right after the reading
}

func (m memStat) rssMiB() float64 { return float64(m.rssKB) / 1024 }
func (m memStat) pssMiB() float64 { return float64(m.pssKB) / 1024 }

// treeMem sums VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup) over
// pid and all its descendants.
func treeMem(pid int) (memStat, error) {
	var m memStat
	for _, p := range descendants(pid) {
		rss, err := procField(filepath.Join("/proc", strconv.Itoa(p), "status"), "VmRSS:")
		if err != nil {
			continue // exited meanwhile
		}
		pss, _ := procField(filepath.Join("/proc", strconv.Itoa(p), "smaps_rollup"), "Pss:")
		m.procs++
		m.rssKB += rss
		m.pssKB += pss
	}
	if m.procs == 0 {
		return m, fmt.Errorf("process %d is gone", pid)
	}
	return m, nil
}

// clockTick is USER_HZ, the unit of the times in /proc/PID/stat: 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// cpuSampler adds up the CPU time (user + system) of a process and all its
// descendants while it runs. It samples /proc every 50 ms and keeps each
// process's last reading, because a forking server's session processes may
// exit without being waited for (vsftpd's), and then their times never reach
// any parent's cutime. A process's last 50 ms can go uncounted.
type cpuSampler struct {
	pid   int
	first map[procKey]int64 // ticks when first seen; 0 for processes born later
	last  map[procKey]int64
	stop  chan struct{}
	done  chan struct{}
}

// procKey tells processes apart even when a PID is reused.
type procKey struct {
	pid   int
	start string // starttime field of /proc/PID/stat
}

func startCPU(pid int) *cpuSampler {
	c := &cpuSampler{pid: pid, first: map[procKey]int64{}, last: map[procKey]int64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	c.sample(true)
	go func() {
		defer close(c.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.sample(false)
			}
		}
	}()
	return c
}

// total stops the sampler and returns the CPU time used since it started.
func (c *cpuSampler) total() time.Duration {
	close(c.stop)
	<-c.done
	c.sample(false)
	var ticks int64
	for k, v := range c.last {
		ticks += v - c.first[k]
	}
	return time.Duration(ticks) * clockTick
}

func (c *cpuSampler) sample(initial bool) {
	for _, p := range descendants(c.pid) {
		f, err := procStat(p)
		if err != nil || len(f) < 20 {
			continue
		}
		// After the command name, f[0] is field 3 of stat (state), so utime
		// and stime (fields 14, 15) are f[11], f[12], starttime (22) is f[19].
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		k := procKey{p, f[19]}
		if initial {
			c.first[k] = ut + st
		}
		c.last[k] = ut + st
	}
}

// descendants returns pid and every process below it.
func descendants(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := procPPID(child); ok {
			children[ppid] = append(children[ppid], child)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, p)
		queue = append(queue, children[p]...)
	}
	return out
}

// procStat returns the fields of /proc/PID/stat after the command name.
func procStat(pid int) ([]string, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil, err
	}
	// The command name in parentheses may hold spaces: fields start after ")".
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(data[i+1:])), nil
}

func procPPID(pid int) (int, bool) {
	f, err := procStat(pid)
	if err != nil || len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// procField returns the kB value of a "Name:   123 kB" line.
func procField(file, name string) (int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s line", file, name)
}

// raiseNoFile lifts the soft open-files limit to the hard one, for 2,000
// client connections here and in the servers this process starts.
func raiseNoFile() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}
