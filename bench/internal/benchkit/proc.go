package benchkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is a server process started in its own process group, so that stop
// also ends the sessions a forking server (vsftpd) started.
type Proc struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
}

// StartProc runs argv with stdout and stderr appended to logPath.
func StartProc(name string, argv, env []string, logPath string) (*Proc, error) {
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
	p := &Proc{name: name, cmd: cmd, exited: make(chan struct{}), logPath: logPath}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// stop sends SIGTERM to the process group, and SIGKILL after 5s.
func (p *Proc) Stop() {
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
func (p *Proc) Tail(n int) string {
	data, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls addr until it answers with a 220 greeting, the process
// exits, or 20s pass. An external server gives no other readiness signal.
func (p *Proc) WaitReady(ctx context.Context, addr string) error {
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
			return fmt.Errorf("%s exited before it listened on %s:\n%s", p.name, addr, p.Tail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready on %s: %w\n%s", p.name, addr, err, p.Tail(20))
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

// Pid is the process ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// FreeRange returns n consecutive ports on 127.0.0.1, all free a moment ago,
// below the kernel's ephemeral range (32768 up) so that client sockets do
// not take passive ports away. taken lists ranges already handed out.
func FreeRange(n int, taken *[][2]int) (lo, hi int, err error) {
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

// Name is the name the process was started under.
func (p *Proc) Name() string { return p.name }

// LogPath is the file the process's output goes to.
func (p *Proc) LogPath() string { return p.logPath }
