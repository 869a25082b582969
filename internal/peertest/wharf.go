package peertest

import (
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Wharf starts this repository's own server (cmd/wharf, built once per
// test binary) as a peer, with a staff account "ops" whose tree is Root.
// Like the other peers it runs as a separate process, so Kill, Restart,
// Pause and Resume work on it. The binary is removed after the tests when
// the package's TestMain calls Run.
func Wharf(t testing.TB, o Options) *Server {
	t.Helper()
	Interop(t)
	bin := wharfBinary(t)
	s := newServer(t, "wharf", o, os.Getuid(), os.Getgid())
	data := filepath.Join(filepath.Dir(s.Root), "data")
	s.Root = filepath.Join(data, "files")
	if err := os.MkdirAll(filepath.Join(s.Root, "work"), 0o750); err != nil {
		t.Fatal(err)
	}
	s.User, s.Password = "ops", "peertest-"+fmt.Sprint(s.Port)
	add := exec.Command(bin, "--data", data, "staff", "add", s.User, "--password-stdin")
	add.Stdin = strings.NewReader(s.Password + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("wharf staff add: %v\n%s", err, out)
	}
	listen := "127.0.0.1:" + fmt.Sprint(s.Port)
	args := []string{bin, "--data", data, "serve",
		"--listen", listen, "--listen-implicit", "off",
		"--passive-ports", fmt.Sprintf("%d-%d", s.PasvMin, s.PasvMax),
		"--cert", s.Cert.CertFile, "--key", s.Cert.KeyFile,
		"--banner", "wharf peertest " + o.Banner,
	}
	switch o.TLS {
	case ImplicitTLS:
		args[5], args[7] = "off", listen
	case NoTLS:
		args = append(args, "--allow-plain")
	}
	if o.TLSVersion == tls.VersionTLS13 {
		args = append(args, "--min-tls", "1.3")
	}
	if o.Idle != 0 {
		args = append(args, "--idle-timeout", o.Idle.String())
	}
	s.argv = args
	return s.run(t)
}

var wharfBuild struct {
	once sync.Once
	bin  string
	err  error
}

// wharfBinary builds cmd/wharf once per test binary, into the shared
// directory that Run removes.
func wharfBinary(t testing.TB) string {
	t.Helper()
	wharfBuild.once.Do(func() {
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			wharfBuild.err = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		dir, err := sharedDir()
		if err != nil {
			wharfBuild.err = err
			return
		}
		bin := filepath.Join(dir, "wharf")
		build := exec.Command("go", "build", "-o", bin, "./cmd/wharf")
		build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		if out, err := build.CombinedOutput(); err != nil {
			wharfBuild.err = fmt.Errorf("go build ./cmd/wharf: %w\n%s", err, out)
			return
		}
		wharfBuild.bin = bin
	})
	if wharfBuild.err != nil {
		t.Fatal(wharfBuild.err)
	}
	return wharfBuild.bin
}
