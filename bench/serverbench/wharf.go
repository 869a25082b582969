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

// buildWharf builds ./cmd/wharf of repo into dir and returns the binary.
func buildWharf(ctx context.Context, repo, dir string) (string, error) {
	if repo == "" {
		out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOMOD: %w", err)
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			return "", errors.New("not inside the Wharf module: run from the repository or pass -repo")
		}
		repo = filepath.Dir(gomod)
	}
	bin := filepath.Join(dir, "wharf")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/wharf")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/wharf: %w\n%s", err, out)
	}
	return bin, nil
}

// startWharf creates the partner "bench" in a fresh data directory and runs
// wharf serve on a free loopback port, with plain FTP allowed (for the plain
// runs; FTPS clients still get TLS) and connection caps raised above the
// idle-session count.
func startWharf(ctx context.Context, bin, dir, certFile, keyFile string, sessions int, taken *[][2]int) (*server, error) {
	data := filepath.Join(dir, "wharf-data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	s := &server{
		name: "wharf", host: "127.0.0.1", user: "bench", password: hex.EncodeToString(pw),
		sendDir: filepath.Join(data, "files", "bench", "send"),
		recvDir: filepath.Join(data, "files", "bench", "receive"),
		uid:     os.Getuid(), gid: os.Getgid(),
	}
	if err := wharfCmd(ctx, bin, s.password+"\n", "--data", data, "partner", "add", "bench", "--password-stdin"); err != nil {
		return nil, err
	}
	for _, d := range []string{s.sendDir, s.recvDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	s.port = port
	lo, hi, err := benchkit.FreeRange(500, taken)
	if err != nil {
		return nil, err
	}
	maxConns := max(5000, 2*sessions)
	argv := []string{bin, "--data", data, "serve",
		"--listen", s.addr(), "--listen-implicit", "off",
		"--passive-ports", fmt.Sprintf("%d-%d", lo, hi),
		"--max-conns", strconv.Itoa(maxConns), "--max-conns-per-ip", strconv.Itoa(maxConns),
		"--allow-plain",
		"--cert", certFile, "--key", keyFile,
	}
	p, err := benchkit.StartProc("wharf", argv, nil, filepath.Join(dir, "wharf.log"))
	if err != nil {
		return nil, err
	}
	s.proc = p
	if err := p.WaitReady(ctx, s.addr()); err != nil {
		p.Stop()
		return nil, err
	}
	return s, nil
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
