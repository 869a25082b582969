//go:build unix

package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/remote"
)

// explicitAddr waits for serve's "listening" line for its explicit-TLS
// listener in log and returns the address.
func explicitAddr(t *testing.T, log *syncBuffer) string {
	t.Helper()
	log.waitFor(t, "tls=explicit")
	m := regexp.MustCompile(`msg=listening addr=(\S+) tls=explicit`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no listening address in the serve log:\n%s", log)
	}
	return m[1]
}

// TestServeProcess is no test: started by TestServeSIGHUP and TestServeSignals with
// WHARF_TEST_SERVE_PROCESS=1, it runs the wharf command line after "--"
// as cmd/wharf's main does, with its signals.
func TestServeProcess(t *testing.T) {
	if os.Getenv("WHARF_TEST_SERVE_PROCESS") != "1" {
		return
	}
	var args []string
	for i, a := range os.Args {
		if a == "--" {
			args = os.Args[i+1:]
			break
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Execute(ctx, args, Options{})
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "wharf: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestServeSIGHUP runs `wharf serve` as a process: SIGHUP, sent to the PID
// in DATA/serve.lock, reloads the certificate files without stopping
// serve or a session in TLS; a pair that does not load is logged and the
// previous certificate stays; SIGTERM then stops serve cleanly.
func TestServeSIGHUP(t *testing.T) {
	dir := t.TempDir()
	const acmePW = "partner-" + canary
	mustRun(t, dir, acmePW+"\n", "partner", "add", "acme", "--password-stdin")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	old := writeCertPair(t, certFile, keyFile, "one.example")

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestServeProcess$", "--", "--data", dir, "serve",
		"--listen", "127.0.0.1:0", "--listen-implicit", "off", "--cert", certFile, "--key", keyFile)
	cmd.Env = []string{"WHARF_TEST_SERVE_PROCESS=1"}
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	serveLog := newSyncBuffer()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			serveLog.Write([]byte(sc.Text() + "\n"))
		}
	}()
	addr := explicitAddr(t, serveLog)
	lock, err := os.ReadFile(filepath.Join(dir, serveLock))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(lock), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil || pid != cmd.Process.Pid {
		t.Fatalf("serve.lock's first line is %q, want the PID %d", first, cmd.Process.Pid)
	}
	hangups := 0
	hangup := func() {
		t.Helper()
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		hangups++
		waitForCount(t, serveLog, "sighup handled: it reloads the tls certificate only", hangups)
	}

	if got := servedCert(t, addr); got != old {
		t.Fatalf("serve presents %s, want %s", got, old)
	}
	tc := &tls.Config{InsecureSkipVerify: true, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(tc), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("acme", acmePW); err != nil {
		t.Fatal(err)
	}
	list := func(when string) {
		t.Helper()
		if names, err := c.NameList("/"); err != nil || len(names) != 2 {
			t.Fatalf("NLST on the session from before, %s: %v, %v; want send and receive", when, names, err)
		}
	}
	list("before SIGHUP")

	renewed := writeCertPair(t, certFile, keyFile, "two.example")
	hangup()
	if got := servedCert(t, addr); got != renewed {
		t.Errorf("after SIGHUP a new connection gets %s, want the new certificate %s", got, renewed)
	}
	list("after SIGHUP")
	if want := "sha256=" + renewed; !strings.Contains(serveLog.String(), `msg="tls certificate reloaded"`) || !strings.Contains(serveLog.String(), want) {
		t.Errorf("serve log lacks the reloaded certificate with %s:\n%s", want, serveLog)
	}

	// A certificate without its key.
	writeCertPair(t, certFile, filepath.Join(dir, "other-key.pem"), "three.example")
	hangup()
	for _, want := range []string{`level=ERROR msg="tls certificate not reloaded: still serving the previous one"`, "private key does not match public key", certFile} {
		if !strings.Contains(serveLog.String(), want) {
			t.Errorf("serve log after SIGHUP with a bad pair lacks %q:\n%s", want, serveLog)
		}
	}
	if got := servedCert(t, addr); got != renewed {
		t.Errorf("after a bad pair a new connection gets %s, want the previous certificate %s", got, renewed)
	}
	list("after SIGHUP with a bad pair")

	c.Quit()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-copied
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v, want exit status 0\n%s", err, serveLog)
	}
	if !strings.Contains(serveLog.String(), "msg=stopped") {
		t.Errorf("serve log lacks msg=stopped:\n%s", serveLog)
	}
}

// writeCertPair writes a new self-signed certificate for name and its key
// and returns the certificate's SHA-256.
func writeCertPair(t *testing.T, certFile, keyFile, name string) string {
	t.Helper()
	certPEM, keyPEM, err := ftpserver.SelfSigned([]string{name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return remote.Fingerprint(cert.Leaf)
}

// servedCert returns the SHA-256 of the certificate a new connection to
// addr gets after AUTH TLS.
func servedCert(t *testing.T, addr string) string {
	t.Helper()
	var sha string
	tc := &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		sha = remote.Fingerprint(cs.PeerCertificates[0])
		return nil
	}}
	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(tc), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c.Quit()
	return sha
}

// waitForCount waits until want occurs n times in s, or fails after 10s.
func waitForCount(t *testing.T, s *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for strings.Count(s.String(), want) < n {
		select {
		case <-s.written:
		case <-deadline:
			t.Fatalf("output never contained %q %d times:\n%s", want, n, s.String())
		}
	}
}
