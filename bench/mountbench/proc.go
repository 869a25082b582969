package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-mft/wharf/bench/internal/benchkit"
)

// server is a server process whose CPU time the runs are charged.
type server struct {
	proc *benchkit.Proc
	cg   *cgroup // nil: sampled from /proc
}

// ownCgroup moves the just started p into a new cgroup named after this
// benchmark, tag and p, before p forks any session; without cgroups it
// logs why and returns nil, and p's CPU time is sampled from /proc.
func ownCgroup(p *benchkit.Proc, tag string) *cgroup {
	cg, err := newCgroup(fmt.Sprintf("wharf-mountbench-%d-%s-%s", os.Getpid(), tag, p.Name()))
	if err == nil {
		if err = cg.add(p.Pid()); err != nil {
			cg.remove()
		}
	}
	if err != nil {
		logf("%s CPU time sampled from /proc (no cgroup: %v)", p.Name(), err)
		return nil
	}
	return cg
}

// stopServer stops p and removes its cgroup, if any.
func stopServer(p *benchkit.Proc, cg *cgroup) {
	p.Stop()
	if cg != nil {
		if err := cg.remove(); err != nil {
			logf("%s: %v", p.Name(), err)
		}
	}
}

// cpuMeter measures the CPU time (user + system) a server and its
// descendants use between start and stop: from the server's cgroup when it
// has one, else by sampling /proc. vsftpd forks a process (or two)
// per session, and a session's processes may exit, or be orphaned, before
// anyone reaps them into their parent's cutime: so the meter samples every
// process of the tree every 100ms and sums what each used while it was
// seen. A process that exits loses at most its last 100ms.
type cpuMeter struct {
	cg         *cgroup
	cg0        time.Duration // cg's usage at start
	root       int
	base, last map[int]int64 // self ticks by pid: at start (0 if born later), latest seen
	stopc      chan struct{}
	done       chan struct{}
}

func startCPU(s server) *cpuMeter {
	if s.cg != nil {
		if t, err := s.cg.usage(); err == nil {
			return &cpuMeter{cg: s.cg, cg0: t}
		}
	}
	m := &cpuMeter{root: s.proc.Pid(), base: map[int]int64{}, last: map[int]int64{}, stopc: make(chan struct{}), done: make(chan struct{})}
	m.sample()
	for pid, t := range m.last {
		m.base[pid] = t
	}
	go func() {
		defer close(m.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stopc:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

// Stop ends the sampling and returns the CPU time used since start.
func (m *cpuMeter) Stop() time.Duration {
	if m.cg != nil {
		t, _ := m.cg.usage()
		return t - m.cg0
	}
	close(m.stopc)
	<-m.done
	m.sample()
	var sum int64
	for pid, t := range m.last {
		sum += t - m.base[pid]
	}
	// USER_HZ is 100 on every Linux the bench runs on.
	return time.Duration(sum) * (time.Second / 100)
}

// sample reads the self CPU time of every process in root's tree, and of
// every process seen in it before, wherever it was reparented since.
func (m *cpuMeter) sample() {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	children := map[int][]int{}
	ticks := map[int]int64{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, t, ok := procStat(p)
		if !ok {
			continue
		}
		children[ppid] = append(children[ppid], p)
		ticks[p] = t
	}
	for pid := range m.last {
		if t, ok := ticks[pid]; ok && t >= m.last[pid] {
			m.last[pid] = t
		}
	}
	queue := []int{m.root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		queue = append(queue, children[p]...)
		if t, ok := ticks[p]; ok && t >= m.last[p] {
			m.last[p] = t
		}
	}
}

// procStat returns a process's parent and its own utime+stime in clock
// ticks.
func procStat(pid int) (ppid int, ticks int64, ok bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	// The command name in parentheses may hold spaces: fields start after ")".
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime and stime fields 14-15.
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, false
	}
	for _, s := range f[11:13] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return ppid, ticks, true
}
