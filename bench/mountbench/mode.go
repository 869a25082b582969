package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharf-mft/wharf/bench/internal/benchkit"
)

// mode is how curl, Wharf and vsftpd talk on every leg: explicit FTPS (AUTH
// TLS, TLS required for login and data) or plain FTP.
type mode string

const (
	plainMode    mode = "plain"
	explicitMode mode = "explicit"
)

func (md mode) tls() bool { return md == explicitMode }

// label names the mode in the tables.
func (md mode) label() string {
	if md.tls() {
		return "FTPS"
	}
	return "plain FTP"
}

// parseModes turns -tls (explicit, plain or both) into the modes to
// measure, plain first.
func parseModes(s string) ([]mode, error) {
	switch strings.TrimSpace(s) {
	case "both":
		return []mode{plainMode, explicitMode}, nil
	case "plain":
		return []mode{plainMode}, nil
	case "explicit":
		return []mode{explicitMode}, nil
	}
	return nil, fmt.Errorf("-tls %q: want explicit, plain or both", s)
}

// stack is one mode's vsftpd, the Wharf whose mount passes through to it,
// and the two endpoints curl goes to: direct (vsftpd) and mount (Wharf).
type stack struct {
	mode mode
	dir  string // the servers' files, and the benchmark's own
	v    *peer
	g    *gateway
	eps  []endpoint
}

// startStack starts vsftpd and Wharf for md with their files in dir.
func startStack(ctx context.Context, o options, md mode, bin, dir, certFile, keyFile string, taken *[][2]int) (*stack, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// vsftpd resolves its root after dropping privileges.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	v, err := startVsftpd(ctx, o.vsftpdBin, dir, md, certFile, keyFile, taken)
	if err != nil {
		return nil, err
	}
	g, err := startWharf(ctx, o, bin, dir, md, certFile, keyFile, v, taken)
	if err != nil {
		stopServer(v.proc, v.cg)
		return nil, err
	}
	s := &stack{mode: md, dir: dir, v: v, g: g}
	direct := endpoint{name: "direct", mode: md, url: v.url, user: v.user, password: v.password, servers: []server{{v.proc, v.cg}}}
	mount := endpoint{name: "mount", mode: md, url: g.url, user: g.user, password: g.password, servers: []server{{g.proc, g.cg}, {v.proc, v.cg}}}
	s.eps = []endpoint{direct, mount}
	logf("%s: vsftpd on 127.0.0.1:%d, wharf on 127.0.0.1:%d (mount /bank of %s -> vsftpd /bank), files in %s",
		md.label(), v.port, g.port, g.user, dir)
	// A first listing checks both logins and the mount, and opens the
	// mount's first connection to vsftpd, which a client of a running
	// gateway would find open.
	probe := filepath.Join(dir, "probe.txt")
	for _, e := range s.eps {
		if _, err := curl(ctx, e, "/bank/", "--list-only", "-o", probe); err != nil {
			s.tails()
			s.stop()
			return nil, fmt.Errorf("%s login check: %w", md.label(), err)
		}
	}
	return s, nil
}

// stop stops Wharf, then vsftpd.
func (s *stack) stop() {
	stopServer(s.g.proc, s.g.cg)
	stopServer(s.v.proc, s.v.cg)
}

// tails writes the last lines of both servers' logs to stderr.
func (s *stack) tails() {
	for _, p := range []*benchkit.Proc{s.g.proc, s.v.proc} {
		fmt.Fprintf(os.Stderr, "--- %s %s log (last lines) ---\n%s\n", s.mode.label(), p.Name(), p.Tail(30))
	}
}
