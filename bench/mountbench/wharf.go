package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/wharf-mft/wharf/bench/internal/benchkit"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// gateway is the Wharf under test: staff account user sees the mount at
// /bank, which passes through to vsftpd's /bank.
type gateway struct {
	port     int
	user     string
	password string
	proc     *benchkit.Proc
	cg       *cgroup // nil: CPU time sampled from /proc
}

func (g *gateway) url(p string) string { return fmt.Sprintf("ftp://127.0.0.1:%d%s", g.port, p) }

// moduleDir returns repo, or when it is empty the root of the module
// around the working directory.
func moduleDir(ctx context.Context, repo string) (string, error) {
	if repo != "" {
		return repo, nil
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the Wharf module: run from the repository or pass -repo")
	}
	return filepath.Dir(gomod), nil
}

// buildWharf builds ./cmd/wharf of repo into dir and returns the binary.
func buildWharf(ctx context.Context, repo, dir string) (string, error) {
	bin := filepath.Join(dir, "wharf")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/wharf")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/wharf: %w\n%s", err, out)
	}
	return bin, nil
}

// revision names the commit of repo that the wharf binary was built from,
// with "+local changes" when files outside bench/ differ from it, or
// "(commit unknown)" outside a git checkout. (The build itself cannot say:
// GOFLAGS may hold -buildvcs=false.)
func revision(ctx context.Context, repo string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "(commit unknown)"
	}
	rev := strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", repo, "status", "--porcelain", "--", ".", ":(exclude)bench").Output()
	if err != nil || len(bytes.TrimSpace(st)) > 0 {
		rev += "+local changes"
	}
	return rev
}

// startWharf sets up a fresh data directory with the CLI (staff account
// "ops", remote "vsftpd" with the peer's /bank as its root, mount /bank of
// ops on it) and runs wharf serve on a free loopback port. In explicit mode
// TLS is required (Wharf's default) on both sides, as it is on the peer; in
// plain mode the remote is added with --tls never and serve runs with
// --allow-plain.
func startWharf(ctx context.Context, o options, bin, dir string, md mode, certFile, keyFile string, v *peer, taken *[][2]int) (*gateway, error) {
	data := filepath.Join(dir, "wharf-data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	g := &gateway{user: "ops", password: hex.EncodeToString(pw)}
	if err := wharfCmd(ctx, bin, g.password+"\n", "--data", data, "staff", "add", g.user, "--password-stdin"); err != nil {
		return nil, err
	}
	add := []string{"--data", data, "remote", "add", "vsftpd",
		"--url", fmt.Sprintf("ftps://%s@127.0.0.1:%d/bank", v.user, v.port),
		"--password-stdin", "--allow-self-signed"}
	if !md.tls() {
		add = []string{"--data", data, "remote", "add", "vsftpd",
			"--url", fmt.Sprintf("ftp://%s@127.0.0.1:%d/bank", v.user, v.port),
			"--password-stdin", "--tls", "never"}
	}
	if o.remoteConns > 0 {
		add = append(add, "--max-conns", strconv.Itoa(o.remoteConns))
	}
	if err := wharfCmd(ctx, bin, v.password+"\n", add...); err != nil {
		return nil, err
	}
	if err := wharfCmd(ctx, bin, "", "--data", data, "mount", "add", g.user, "/bank", "vsftpd"); err != nil {
		return nil, err
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	g.port = port
	lo, hi, err := benchkit.FreeRange(200, taken)
	if err != nil {
		return nil, err
	}
	argv := []string{bin, "--data", data, "serve",
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--listen-implicit", "off",
		"--passive-ports", fmt.Sprintf("%d-%d", lo, hi),
		"--cert", certFile, "--key", keyFile,
	}
	if !md.tls() {
		argv = append(argv, "--allow-plain")
	}
	p, err := benchkit.StartProc("wharf", argv, nil, filepath.Join(dir, "wharf.log"))
	if err != nil {
		return nil, err
	}
	g.proc = p
	g.cg = ownCgroup(p, string(md))
	if err := p.WaitReady(ctx, fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		stopServer(p, g.cg)
		return nil, err
	}
	return g, nil
}

// wharfCmd runs one wharf command to completion with stdin.
func wharfCmd(ctx context.Context, bin, stdin string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("wharf %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}
