package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuMeter measures the CPU time (user + system) a process and its
// descendants use between start and stop. vsftpd forks a process (or two)
// per session, and a session's processes may exit, or be orphaned, before
// anyone reaps them into their parent's cutime: so the meter samples every
// process of the tree every 100ms and sums what each used while it was
// seen. A process that exits loses at most its last 100ms.
type cpuMeter struct {
	root       int
	base, last map[int]int64 // self ticks by pid: at start (0 if born later), latest seen
	stopc      chan struct{}
	done       chan struct{}
}

func startCPU(root int) *cpuMeter {
	m := &cpuMeter{root: root, base: map[int]int64{}, last: map[int]int64{}, stopc: make(chan struct{}), done: make(chan struct{})}
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

// stop ends the sampling and returns the CPU time used since start.
func (m *cpuMeter) Stop() time.Duration {
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
