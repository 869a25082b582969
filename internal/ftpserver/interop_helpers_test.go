package ftpserver_test

// Helpers for the interop tests: real FTP clients (curl, lftp, Python's
// ftplib) run as subprocesses against the server on loopback, plus a raw
// control-connection client for what no client will send.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientTimeout bounds every client subprocess and raw exchange.
const clientTimeout = 20 * time.Second

// interop gates an interop test: it runs only with WHARF_INTEROP=1, and
// needs the named client binaries. A missing binary fails the test under
// CI=true and skips it otherwise. It returns the binaries' paths.
func interop(t *testing.T, bins ...string) map[string]string {
	t.Helper()
	if os.Getenv("WHARF_INTEROP") != "1" {
		t.Skip("interop test: set WHARF_INTEROP=1 (run the README test command, scripts/test.sh, which sets it and installs the clients)")
	}
	paths := make(map[string]string, len(bins))
	for _, b := range bins {
		p, err := exec.LookPath(b)
		if err != nil {
			msg := fmt.Sprintf("interop client %s not found (%v): run the README test command to install it (scripts/test.sh, as root)", b, err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		paths[b] = p
	}
	return paths
}

// result is a finished client subprocess.
type result struct {
	exit           int
	stdout, stderr string
}

// run runs a client with a timeout, with stdin empty. A client killed by
// the timeout fails the test.
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	r, err := runCmd(env, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runCmd is run for goroutines other than the test's: it returns the
// failure instead.
func runCmd(env []string, name string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(clientEnv(), env...)
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("%s %s: timed out after %v\n%v", name, redact(args), clientTimeout, r)
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
	case err != nil:
		return r, fmt.Errorf("%s: %v", name, err)
	}
	return r, nil
}

// clientEnv is the environment without proxy settings, which curl and
// lftp would otherwise apply to the loopback server.
func clientEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasSuffix(strings.ToLower(k), "_proxy") {
			env = append(env, kv)
		}
	}
	return env
}

// redact hides the test password in logged command lines.
func redact(args []string) string {
	return strings.ReplaceAll(strings.Join(args, " "), testPass, "***")
}

// curl runs curl -v with the arguments and returns its result. The -v
// trace lets tests read the commands sent ("> ") and replies ("< ").
func curl(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, nil, "curl", curlArgs(args)...)
}

func curlArgs(args []string) []string {
	return append([]string{"-sS", "-v", "--connect-timeout", "10", "--max-time", "15"}, args...)
}

// curlReplies returns the FTP replies in curl's -v trace, in order.
func (r result) curlReplies() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "< "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// curlSent returns the commands in curl's -v trace, in order.
func (r result) curlSent() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "> "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// hasReply reports whether one of the replies starts with code and
// contains text.
func hasReply(replies []string, code, text string) bool {
	for _, r := range replies {
		if strings.HasPrefix(r, code) && strings.Contains(r, text) {
			return true
		}
	}
	return false
}

func (r result) String() string {
	s := fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.exit, r.stdout, r.stderr)
	return strings.ReplaceAll(s, testPass, "***")
}

// randomData returns n random bytes.
func randomData(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// fileSum is the SHA-256 of a file's contents, or a description of why it
// cannot be read.
func fileSum(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return sum(b)
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

// tree maps every regular file under dir (slash paths relative to dir) to
// its SHA-256.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = fileSum(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dirNames lists a directory's entries (hidden ones included).
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// countEvents counts recorded events of kind.
func (ts *testServer) countEvents(t *testing.T, kind string) (n int, paths []string) {
	t.Helper()
	for _, e := range ts.events(t) {
		if e.Kind == kind {
			n++
			paths = append(paths, e.Path)
		}
	}
	return n, paths
}

// ftpURL is scheme://127.0.0.1:port/p.
func ftpURL(scheme, addr, p string) string {
	return scheme + "://" + addr + p
}

// --- Python ftplib ---

// pyStep is one ftplib operation as reported by testdata/interop/ftpclient.py.
type pyStep struct {
	OK    bool     `json:"ok"`
	Reply string   `json:"reply"` // the final reply, or the error reply
	Exc   string   `json:"exc"`   // exception class and text when !OK
	Lines []string `json:"lines"` // listings
	Extra []string `json:"extra"` // further replies read after an error or abort
}

// code is the step's reply code, or "".
func (s pyStep) code() string {
	if len(s.Reply) >= 3 {
		return s.Reply[:3]
	}
	return ""
}

// ftplib runs the ftpclient.py scenario against addr as user and returns
// its steps by name.
func ftplib(t *testing.T, addr, user, scenario string, args ...string) map[string]pyStep {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	script, err := filepath.Abs(filepath.Join("testdata", "interop", "ftpclient.py"))
	if err != nil {
		t.Fatal(err)
	}
	argv := append([]string{script, scenario, host, port, user}, args...)
	r := run(t, []string{"WHARF_FTP_PASSWORD=" + testPass}, "python3", argv...)
	if r.exit != 0 {
		t.Fatalf("python3 ftpclient.py %s: %v", scenario, r)
	}
	var steps map[string]pyStep
	if err := json.Unmarshal([]byte(r.stdout), &steps); err != nil {
		t.Fatalf("ftpclient.py %s output: %v\n%v", scenario, err, r)
	}
	t.Logf("ftpclient.py %s: %s", scenario, r.stdout)
	return steps
}

// --- raw control connection ---

// rawFTP is a hand-driven control connection, for commands that clients
// will not send.
type rawFTP struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// dialFrom connects to addr from local address from ("" for any).
func dialFrom(t *testing.T, from, addr string) (net.Conn, error) {
	t.Helper()
	d := net.Dialer{Timeout: clientTimeout}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	return d.Dial("tcp", addr)
}

// rawDial connects from local address from and returns the connection
// with the greeting's code and text.
func rawDial(t *testing.T, from, addr string) (*rawFTP, int, string) {
	t.Helper()
	c, err := dialFrom(t, from, addr)
	if err != nil {
		t.Fatalf("dial %s from %q: %v", addr, from, err)
	}
	t.Cleanup(func() { c.Close() })
	r := &rawFTP{t: t, conn: c, r: bufio.NewReader(c)}
	code, msg, err := r.reply()
	if err != nil {
		t.Fatalf("greeting from %s: %v", addr, err)
	}
	return r, code, msg
}

// reply reads one (possibly multi-line) reply.
func (r *rawFTP) reply() (int, string, error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(clientTimeout))
	line, err := r.r.ReadString('\n')
	if err != nil {
		return 0, line, err
	}
	line = strings.TrimRight(line, "\r\n")
	if len(line) < 4 {
		return 0, line, fmt.Errorf("short reply %q", line)
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil {
		return 0, line, fmt.Errorf("bad reply %q", line)
	}
	msg := line[4:]
	if line[3] == '-' {
		for {
			l, err := r.r.ReadString('\n')
			if err != nil {
				return 0, msg, err
			}
			l = strings.TrimRight(l, "\r\n")
			msg += "\n" + l
			if strings.HasPrefix(l, line[:3]+" ") {
				break
			}
		}
	}
	return code, msg, nil
}

// send writes raw bytes (no CRLF added).
func (r *rawFTP) send(s string) {
	r.t.Helper()
	_ = r.conn.SetWriteDeadline(time.Now().Add(clientTimeout))
	if _, err := io.WriteString(r.conn, s); err != nil {
		r.t.Fatalf("send %q: %v", s, err)
	}
}

// cmd sends line plus CRLF and returns the reply.
func (r *rawFTP) cmd(line string) (int, string) {
	r.t.Helper()
	r.send(line + "\r\n")
	code, msg, err := r.reply()
	if err != nil {
		r.t.Fatalf("%q: reading reply: %v (got %q)", line, err, msg)
	}
	r.t.Logf("> %q\n< %d %s", redact([]string{line}), code, msg)
	return code, msg
}

// login logs in over the plain connection (the server must allow plain).
func (r *rawFTP) login(user string) {
	r.t.Helper()
	if code, msg := r.cmd("USER " + user); code != 331 {
		r.t.Fatalf("USER %s = %d %s, want 331", user, code, msg)
	}
	if code, msg := r.cmd("PASS " + testPass); code != 230 {
		r.t.Fatalf("PASS = %d %s, want 230", code, msg)
	}
}

var pasvRE = regexp.MustCompile(`(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)`)

// pasv sends PASV and returns the data address.
func (r *rawFTP) pasv() string {
	r.t.Helper()
	code, msg := r.cmd("PASV")
	m := pasvRE.FindStringSubmatch(msg)
	if code != 227 || m == nil {
		r.t.Fatalf("PASV = %d %s, want 227 (h1,h2,h3,h4,p1,p2)", code, msg)
	}
	p1, _ := strconv.Atoi(m[5])
	p2, _ := strconv.Atoi(m[6])
	return net.JoinHostPort(strings.Join(m[1:5], "."), strconv.Itoa(p1*256+p2))
}

// closed reports whether the server closes the connection (EOF or reset)
// before clientTimeout, returning whatever it sent first.
func (r *rawFTP) closed() (bool, string) {
	_ = r.conn.SetReadDeadline(time.Now().Add(clientTimeout))
	b, err := io.ReadAll(r.r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(b)
	}
	return true, string(b)
}

// portArg is addr in PORT's h1,h2,h3,h4,p1,p2 form.
func portArg(ip string, port int) string {
	return fmt.Sprintf("%s,%d,%d", strings.ReplaceAll(ip, ".", ","), port/256, port%256)
}

// readIfExists reads p; a missing file reads as empty.
func readIfExists(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
