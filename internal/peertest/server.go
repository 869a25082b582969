package peertest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TLSMode says how a peer offers TLS.
type TLSMode int

const (
	ExplicitTLS TLSMode = iota // AUTH TLS on the control port, TLS required for login and data
	ImplicitTLS                // TLS from the first byte
	NoTLS                      // plain FTP only
)

func (m TLSMode) String() string {
	switch m {
	case ExplicitTLS:
		return "explicit"
	case ImplicitTLS:
		return "implicit"
	}
	return "plain"
}

// Options configures a peer. The zero value is explicit TLS, TLS 1.2 and 1.3,
// a valid certificate for 127.0.0.1 and localhost, and the server's default
// session-reuse policy (required by vsftpd and ProFTPD).
type Options struct {
	TLS        TLSMode
	TLSVersion uint16        // 0: 1.2 and 1.3; tls.VersionTLS12 or tls.VersionTLS13 pins one
	Cert       *Cert         // nil: NewCert(t, CertOptions{})
	Idle       time.Duration // the server's idle session timeout; 0: 300s
	Banner     string        // extra text for the 220 greeting where the server allows it
	// Quiet leaves out the debugging logs a default install does not
	// write (vsftpd: log_ftp_protocol, debug_ssl) and keeps the transfer
	// log, so a benchmark's server does per command what it does in
	// production: with the protocol log, every command and reply costs
	// vsftpd two log writes, charging clients by the command.
	Quiet bool
	// MaxPerIP limits the sessions the server accepts from one client
	// address (vsftpd max_per_ip, ProFTPD MaxClientsPerHost, pure-ftpd
	// --maxclientsperip); 0: no limit (pure-ftpd: 200).
	MaxPerIP int
	// Extra holds server-specific settings, appended to what the peer
	// sets and so overriding it: config lines for vsftpd ("key=value",
	// the last of a key wins) and ProFTPD, arguments for pure-ftpd.
	Extra []string
}

// Server is a running peer. Root is the local directory behind the FTP root,
// so tests can check and seed files directly (use WriteFile and Mkdir so the
// server's unprivileged user owns them). The FTP root itself is read-only
// (vsftpd refuses a writable chroot for anonymous logins); Dir is a directory
// the login may write to, the same on every peer.
type Server struct {
	Kind     string // "vsftpd", "proftpd" or "pure-ftpd"
	Addr     string // 127.0.0.1:port
	Host     string
	Port     int
	User     string
	Password string
	Root     string
	Dir      string // "/work", writable by User
	PasvMin  int
	PasvMax  int
	Cert     *Cert
	Opts     Options

	uid, gid int
	argv     []string
	env      []string
	logFile  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Interop skips t unless WHARF_INTEROP=1.
func Interop(t testing.TB) {
	t.Helper()
	if os.Getenv("WHARF_INTEROP") != "1" {
		t.Skip("interop test: set WHARF_INTEROP=1 (the README test command installs the peers and sets it)")
	}
}

// need fails or skips t when a peer binary is missing.
func need(t testing.TB, bin string) string {
	t.Helper()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("peer binary %s is missing: run internal/peertest/install-peers.sh", bin)
	}
	t.Skipf("peer binary %s is missing: run the README test command to install peers (internal/peertest/install-peers.sh)", bin)
	return ""
}

// PeerDir is where install-peers.sh unpacks the peers that conflict with
// vsftpd: $WHARF_PEER_DIR, or ~/.cache/wharf/peers.
func PeerDir() string {
	if d := os.Getenv("WHARF_PEER_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "wharf", "peers")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// a peer that binds it itself. Like FreePortRange it comes from below the
// kernel's ephemeral range: a port from there (what binding port 0 gives)
// can, before the peer binds it, become the local port of any outgoing
// connection on the machine, or of waitListening's own probe, which then
// connects to itself (TCP simultaneous open) and reports a server up that
// is not; the peer's bind then fails and a client later finds the port
// refused.
func FreePort(t testing.TB) int {
	t.Helper()
	lo, _ := FreePortRange(t, 1)
	return lo
}

// FreePortRange returns n consecutive ports on 127.0.0.1 that were all free a
// moment ago, for a passive port range.
func FreePortRange(t testing.TB, n int) (lo, hi int) {
	t.Helper()
	// Below the kernel's ephemeral range (32768+ by default), where no
	// outgoing connection takes a port, so a run of free ones is easy to
	// find even while many tests connect at once.
	const low, high = 10000, 32000
	for range 200 {
		base := low + rand.IntN(high-low-n)
		if rangeFree(base, n) {
			return base, base + n - 1
		}
	}
	t.Fatalf("no %d consecutive free ports between %d and %d", n, low, high)
	return 0, 0
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

// newServer fills in the common fields: ports, root, certificate.
func newServer(t testing.TB, kind string, o Options, uid, gid int) *Server {
	t.Helper()
	if o.Cert == nil {
		o.Cert = NewCert(t, CertOptions{})
	}
	dir := t.TempDir()
	s := &Server{
		Kind: kind, Host: "127.0.0.1", Port: FreePort(t), Cert: o.Cert, Opts: o,
		Root: filepath.Join(dir, "root"), uid: uid, gid: gid,
		logFile: filepath.Join(dir, kind+".log"),
	}
	// Peers that resolve the root as their unprivileged user must traverse
	// t.TempDir's 0700 directories.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	s.PasvMin, s.PasvMax = FreePortRange(t, 64)
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Dir = "/work"
	if err := os.Mkdir(filepath.Join(s.Root, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(s.Root, "work"), uid, gid); err != nil {
		t.Fatal(err)
	}
	if o.TLSVersion != 0 {
		s.env = append(s.env, "OPENSSL_CONF="+writeOpenSSLConf(t, dir, o.TLSVersion))
	}
	return s
}

// writeOpenSSLConf pins the protocol version for every OpenSSL-based peer,
// since vsftpd 3.0.3 has no option for TLS 1.3.
func writeOpenSSLConf(t testing.TB, dir string, v uint16) string {
	name := "TLSv1.2"
	if v == tls.VersionTLS13 {
		name = "TLSv1.3"
	}
	conf := fmt.Sprintf(`openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = %[1]s
MaxProtocol = %[1]s
`, name)
	p := filepath.Join(dir, "openssl.cnf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs argv in its own process group and waits until the control port
// accepts connections.
func (s *Server) start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	log, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", s.Kind, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd = cmd
	if err := waitListening(s.Addr, exited); err != nil {
		s.killLocked()
		t.Fatalf("%s did not come up on %s: %v\n%s", s.Kind, s.Addr, err, s.Log())
	}
	s.exited = exited
}

// waitListening polls the port with bounded backoff; an external process gives
// no other readiness signal.
func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	delay := 5 * time.Millisecond
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			// A probe from the port it dials connected to itself, not
			// to the server (see FreePort).
			self := c.LocalAddr().String() == c.RemoteAddr().String()
			c.Close()
			if !self {
				return nil
			}
			err = fmt.Errorf("%s: the probe connected to itself; nothing listens yet", addr)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-exited:
			return fmt.Errorf("process exited")
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// Log returns what the peer wrote to its log file and stderr.
func (s *Server) Log() string {
	var b bytes.Buffer
	for _, f := range []string{s.logFile, s.logFile + ".xfer"} {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

// CPU is the CPU time (user + system) the server and its ended sessions
// have used, read once no session is left running (waiting up to 5 s for
// the last ones to exit). A benchmark reads it before and after a client's
// run to tell the server's share of the work.
func (s *Server) CPU() time.Duration {
	s.mu.Lock()
	pid := s.cmd.Process.Pid
	s.mu.Unlock()
	for deadline := time.Now().Add(5 * time.Second); len(descendants(pid)) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	// utime stime cutime cstime: fields 14-17 of /proc/PID/stat.
	f := procStat(pid)
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, v := range f[11:15] {
		n, _ := strconv.ParseInt(string(v), 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// procStat returns the fields of /proc/PID/stat after "pid (comm)", so
// f[0] is the state (field 3) and f[1] the parent; nil if unreadable. comm
// may contain spaces and parentheses.
func procStat(pid int) [][]byte {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return bytes.Fields(stat[i+1:])
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		signalTree(s.cmd.Process.Pid, sig)
	}
}

// signalTree signals pid's process group and every descendant: vsftpd and
// pure-ftpd sessions call setsid, so the group alone misses them.
func signalTree(pid int, sig syscall.Signal) {
	pids := append(descendants(pid), pid)
	syscall.Kill(-pid, sig)
	for _, p := range pids {
		syscall.Kill(p, sig)
	}
}

// descendants lists pid's children, grandchildren and so on, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := procStat(p)
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(string(f[1]))
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// Pause stops the peer and all its session processes (SIGSTOP): connections
// stay open and nothing answers.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused peer (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

// Kill ends the peer and all its sessions, as a crash would.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *Server) killLocked() {
	if s.cmd == nil {
		return
	}
	signalTree(s.cmd.Process.Pid, syscall.SIGKILL)
	signalTree(s.cmd.Process.Pid, syscall.SIGCONT)
	if s.exited != nil {
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
}

// Restart kills the peer with all its sessions and starts it again on the
// same ports.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Kill()
	s.start(t)
}

// run starts the peer and registers its cleanup.
func (s *Server) run(t testing.TB) *Server {
	t.Helper()
	s.start(t)
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("%s log:\n%s", s.Kind, s.Log())
		}
	})
	return s
}

// WriteFile writes data to name under Root, owned by the server's user.
func (s *Server) WriteFile(t testing.TB, name string, data []byte) {
	t.Helper()
	p := filepath.Join(s.Root, filepath.FromSlash(name))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, s.uid, s.gid); err != nil {
		t.Fatal(err)
	}
}

// Mkdir creates name under Root, owned by the server's user.
func (s *Server) Mkdir(t testing.TB, name string) {
	t.Helper()
	p := filepath.Join(s.Root, filepath.FromSlash(name))
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, s.uid, s.gid); err != nil {
		t.Fatal(err)
	}
}

// lookupIDs returns the uid and gid of a system user, or nobody's.
func lookupIDs(name string) (int, int) {
	data, err := os.ReadFile("/etc/passwd")
	if err == nil {
		for _, line := range bytes.Split(data, []byte("\n")) {
			f := bytes.Split(line, []byte(":"))
			if len(f) > 3 && string(f[0]) == name {
				uid, _ := strconv.Atoi(string(f[2]))
				gid, _ := strconv.Atoi(string(f[3]))
				return uid, gid
			}
		}
	}
	return 65534, 65534
}
