package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a server process started in its own process group, so that stop
// also ends the sessions a forking server (vsftpd) started. The process
// helpers here are copied from bench/serverbench.
type proc struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
}

// startProc runs argv with stdout and stderr appended to logPath.
func startProc(name string, argv, env []string, logPath string) (*proc, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{}), logPath: logPath}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM to the process group, and SIGKILL after 5s.
func (p *proc) stop() {
	if p == nil {
		return
	}
	pgid := -p.cmd.Process.Pid
	syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
	}
	// Session processes of a forking server may outlive the listener.
	syscall.Kill(pgid, syscall.SIGKILL)
	<-p.exited
}

// tail returns the last n lines of the process's log.
func (p *proc) tail(n int) string {
	data, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls addr until it answers with a 220 greeting, the process
// exits, or 20s pass. An external server gives no other readiness signal.
func (p *proc) waitReady(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		err := greets(ctx, addr)
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it listened on %s:\n%s", p.name, addr, p.tail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready on %s: %w\n%s", p.name, addr, err, p.tail(20))
		case <-time.After(delay):
		}
		delay = min(delay*2, 300*time.Millisecond)
	}
}

func greets(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	return nil
}

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
func (m *cpuMeter) stop() time.Duration {
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

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freeRange returns n consecutive ports on 127.0.0.1, all free a moment ago,
// below the kernel's ephemeral range (32768 up) so that client sockets do
// not take passive ports away. taken lists ranges already handed out.
func freeRange(n int, taken *[][2]int) (lo, hi int, err error) {
	for base := 20000; base+n <= 32768; base += n {
		if overlaps(base, base+n-1, *taken) || !rangeFree(base, n) {
			continue
		}
		*taken = append(*taken, [2]int{base, base + n - 1})
		return base, base + n - 1, nil
	}
	return 0, 0, errors.New("no free passive port range in 20000-32767")
}

func overlaps(lo, hi int, taken [][2]int) bool {
	for _, r := range taken {
		if lo <= r[1] && r[0] <= hi {
			return true
		}
	}
	return false
}

func rangeFree(base, n int) bool {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		lns = append(lns, ln)
	}
	return true
}
