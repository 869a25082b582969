package main

import (
	"context"
	"fmt"
	"github.com/wharf-mft/wharf/bench/internal/benchkit"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mountbench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) (err error) {
	if os.Geteuid() != 0 {
		return fmt.Errorf("run as root: vsftpd needs root to chroot and drop privileges")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		return fmt.Errorf("curl not found: apt-get install curl vsftpd")
	}
	dir, err := os.MkdirTemp(o.dir, "wharf-mountbench-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			logf("kept %s", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	// vsftpd resolves its root after dropping privileges.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	certFile, keyFile, err := benchkit.WriteCert(dir, "wharf mountbench")
	if err != nil {
		return err
	}
	bin := o.wharfBin
	if bin == "" {
		logf("building ./cmd/wharf")
		if bin, err = buildWharf(ctx, o.repo, dir); err != nil {
			return err
		}
	}
	var taken [][2]int
	v, err := startVsftpd(ctx, o.vsftpdBin, dir, certFile, keyFile, &taken)
	if err != nil {
		return err
	}
	defer v.proc.Stop()
	g, err := startWharf(ctx, o, bin, dir, certFile, keyFile, v, &taken)
	if err != nil {
		return err
	}
	defer g.proc.Stop()
	defer func() {
		if err != nil {
			for _, p := range []*benchkit.Proc{g.proc, v.proc} {
				fmt.Fprintf(os.Stderr, "--- %s log (last lines) ---\n%s\n", p.Name(), p.Tail(30))
			}
		}
	}()
	logf("vsftpd on 127.0.0.1:%d, wharf on 127.0.0.1:%d (mount /bank of %s -> vsftpd /bank), files in %s", v.port, g.port, g.user, dir)
	direct := endpoint{name: "direct", url: v.url, user: v.user, password: v.password, servers: []*benchkit.Proc{v.proc}}
	mount := endpoint{name: "mount", url: g.url, user: g.user, password: g.password, servers: []*benchkit.Proc{g.proc, v.proc}}
	eps := []endpoint{direct, mount}
	// A first listing checks both logins and the mount, and opens the
	// mount's first connection to vsftpd, which a client of a running
	// gateway would find open.
	probe := filepath.Join(dir, "probe.txt")
	for _, e := range eps {
		if _, err := curl(ctx, e, "/bank/", "--list-only", "-o", probe); err != nil {
			return fmt.Errorf("login check: %w", err)
		}
	}

	if o.hold {
		return hold(ctx, o, v, g)
	}

	var ms []*measure
	if o.parts["xfer"] {
		m, err := benchXfer(ctx, o, v, eps)
		if err != nil {
			return err
		}
		ms = append(ms, m...)
	}
	if o.parts["list"] {
		m, err := benchList(ctx, o, dir, v, eps)
		if err != nil {
			return err
		}
		ms = append(ms, m...)
	}
	printTable(os.Stdout, o, ms)
	return nil
}

// measure is one measured operation: every run of it, by endpoint name.
type measure struct {
	label string
	kind  string   // "xfer", "login", "list" (curl) or "golist" (the Go client)
	size  int64    // bytes moved, for MB/s
	login *measure // for a listing: the same login without it
	runs  map[string][]curlRun
}

// each runs op n times on every endpoint, alternating which endpoint goes
// first against warm-up bias.
func each(ctx context.Context, o options, m *measure, n int, eps []endpoint, op func(endpoint, int) (curlRun, error)) error {
	m.runs = map[string][]curlRun{}
	for i := range n {
		order := eps
		if i%2 == 1 {
			order = []endpoint{eps[1], eps[0]}
		}
		for _, e := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			idle := o.idleWait <= 0 || waitIdle(ctx, o.idleWait, o.minIdle)
			r, err := op(e, i)
			if err != nil {
				return err
			}
			r.busyStart = !idle
			if o.verbose {
				logf("%s %s run %d: %s", m.label, e.name, i+1, r.describe(m))
			}
			m.runs[e.name] = append(m.runs[e.name], r)
		}
	}
	return nil
}

func (r curlRun) describe(m *measure) string {
	s := fmt.Sprintf("total %v, pretransfer %v, curl CPU %v, server CPU %v, other CPU %v", r.total.Round(time.Millisecond),
		r.pretransfer.Round(time.Millisecond), r.curlCPU, r.serverCPU, r.otherCPU)
	if r.busyStart {
		s += " (started on a busy machine)"
	}
	if m.kind == "xfer" {
		s = fmt.Sprintf("%.0f MB/s, ", float64(m.size)/r.total.Seconds()/1e6) + s
	}
	return s
}

func benchXfer(ctx context.Context, o options, v *peer, eps []endpoint) ([]*measure, error) {
	big := filepath.Join(v.bank, "big.bin")
	logf("writing a %d MiB test file", o.bigSize>>20)
	if err := writeBigFile(big, o.bigSize, v.uid, v.gid); err != nil {
		return nil, err
	}
	defer os.Remove(big)
	size := fmt.Sprintf("%d MiB", o.bigSize>>20)
	if o.bigSize == 1<<30 {
		size = "1 GiB"
	}
	down := &measure{label: "(a) download " + size, kind: "xfer", size: o.bigSize}
	err := each(ctx, o, down, o.runs, eps, func(e endpoint, _ int) (curlRun, error) {
		return download(ctx, e, "big.bin", o.bigSize)
	})
	if err != nil {
		return nil, err
	}
	logf("%s: %s", down.label, down.summary())
	up := &measure{label: "(a) upload " + size, kind: "xfer", size: o.bigSize}
	err = each(ctx, o, up, o.runs, eps, func(e endpoint, i int) (curlRun, error) {
		return upload(ctx, e, v, big, fmt.Sprintf("up-%s-%d.bin", e.name, i), o.bigSize)
	})
	if err != nil {
		return nil, err
	}
	logf("%s: %s", up.label, up.summary())
	return []*measure{down, up}, nil
}

func benchList(ctx context.Context, o options, dir string, v *peer, eps []endpoint) ([]*measure, error) {
	logf("creating %d files to list", o.entries)
	if err := writeListDir(filepath.Join(v.bank, "list"), o.entries, v.uid, v.gid); err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "listing.txt")
	// One unmeasured listing each first: the folder's inode and dentries
	// are then cached for both, whichever goes first.
	for _, e := range eps {
		if _, err := list(ctx, e, "list", false, out, o.entries); err != nil {
			return nil, err
		}
	}
	// curl -I on the folder logs in and changes into it, and lists nothing:
	// the listings' time minus this one is the listing itself.
	login := &measure{label: "(b) login + CWD only (curl -I)", kind: "login"}
	err := each(ctx, o, login, o.listRuns, eps, func(e endpoint, _ int) (curlRun, error) {
		return curl(ctx, e, "/bank/list/", "-I", "-o", os.DevNull)
	})
	if err != nil {
		return nil, err
	}
	logf("%s: %s", login.label, login.summary())
	ms := []*measure{login}
	for _, nlst := range []bool{false, true} {
		m := &measure{label: fmt.Sprintf("(b) %s of %d entries", verbOf(nlst), o.entries), kind: "list", login: login}
		err := each(ctx, o, m, o.listRuns, eps, func(e endpoint, _ int) (curlRun, error) {
			return list(ctx, e, "list", nlst, out, o.entries)
		})
		if err != nil {
			return nil, err
		}
		logf("%s: %s", m.label, m.summary())
		ms = append(ms, m)
	}
	for _, nlst := range []bool{false, true} {
		m := &measure{label: fmt.Sprintf("(b) %s of %d entries, Go client, EPSV to 226", verbOf(nlst), o.entries), kind: "golist"}
		err := each(ctx, o, m, o.listRuns, eps, func(e endpoint, _ int) (curlRun, error) {
			return goList(ctx, e, "list", nlst, o.entries)
		})
		if err != nil {
			return nil, err
		}
		logf("%s: %s", m.label, m.summary())
		ms = append(ms, m)
	}
	return ms, nil
}

// hold prints how to reach both servers and waits for ctx to end.
func hold(ctx context.Context, o options, v *peer, g *gateway) error {
	if err := writeBigFile(filepath.Join(v.bank, "big.bin"), o.bigSize, v.uid, v.gid); err != nil {
		return err
	}
	if err := writeListDir(filepath.Join(v.bank, "list"), o.entries, v.uid, v.gid); err != nil {
		return err
	}
	logf("holding until Ctrl-C or -timeout; /bank has big.bin (%d MiB) and list/ (%d files)", o.bigSize>>20, o.entries)
	logf("direct: curl --ssl-reqd -k -u %s:%s %s  (vsftpd pid %d, files %s)", v.user, v.password, v.url("/bank/"), v.proc.Pid(), v.bank)
	logf("mount:  curl --ssl-reqd -k -u %s:%s %s  (wharf pid %d, log %s)", g.user, g.password, g.url("/bank/"), g.proc.Pid(), g.proc.LogPath())
	<-ctx.Done()
	return nil
}
