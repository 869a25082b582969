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
	bin, build := o.wharfBin, "binary "+o.wharfBin
	if bin == "" {
		repo, err := moduleDir(ctx, o.repo)
		if err != nil {
			return err
		}
		build = revision(ctx, repo)
		logf("building ./cmd/wharf of %s (%s)", repo, build)
		if bin, err = buildWharf(ctx, repo, dir); err != nil {
			return err
		}
	}
	// Every mode's servers run from the start: the ones not measured sit
	// idle, and -hold can print them all.
	var taken [][2]int
	var stacks []*stack
	defer func() {
		for _, s := range stacks {
			s.stop()
		}
	}()
	defer func() {
		if err != nil {
			for _, s := range stacks {
				s.tails()
			}
		}
	}()
	for _, md := range o.modes {
		s, err := startStack(ctx, o, md, bin, filepath.Join(dir, string(md)), certFile, keyFile, &taken)
		if err != nil {
			return err
		}
		stacks = append(stacks, s)
	}

	if o.hold {
		return hold(ctx, o, stacks)
	}

	var ms []*measure
	if o.parts["xfer"] {
		var per [][]*measure
		for _, s := range stacks {
			m, err := benchXfer(ctx, o, s)
			if err != nil {
				return err
			}
			per = append(per, m)
		}
		ms = append(ms, interleave(per)...)
	}
	if o.parts["list"] {
		var per [][]*measure
		for _, s := range stacks {
			m, err := benchList(ctx, o, s)
			if err != nil {
				return err
			}
			per = append(per, m)
		}
		ms = append(ms, interleave(per)...)
	}
	cgroups := true
	for _, s := range stacks {
		cgroups = cgroups && s.v.cg != nil && s.g.cg != nil
	}
	printTable(os.Stdout, o, build, cgroups, ms)
	return nil
}

// interleave returns the i-th measure of every mode before the (i+1)-th,
// so that the table shows a measurement's modes on adjacent rows.
func interleave(per [][]*measure) []*measure {
	var out []*measure
	for i := 0; ; i++ {
		n := len(out)
		for _, ms := range per {
			if i < len(ms) {
				out = append(out, ms[i])
			}
		}
		if len(out) == n {
			return out
		}
	}
}

// measure is one measured operation: every run of it, by endpoint name.
type measure struct {
	label string
	mode  mode
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

func benchXfer(ctx context.Context, o options, s *stack) ([]*measure, error) {
	v, eps := s.v, s.eps
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
	down := &measure{label: "(a) download " + size + ", " + s.mode.label(), mode: s.mode, kind: "xfer", size: o.bigSize}
	err := each(ctx, o, down, o.runs, eps, func(e endpoint, _ int) (curlRun, error) {
		return download(ctx, e, "big.bin", o.bigSize)
	})
	if err != nil {
		return nil, err
	}
	logf("%s: %s", down.label, down.summary())
	up := &measure{label: "(a) upload " + size + ", " + s.mode.label(), mode: s.mode, kind: "xfer", size: o.bigSize}
	err = each(ctx, o, up, o.runs, eps, func(e endpoint, i int) (curlRun, error) {
		return upload(ctx, e, v, big, fmt.Sprintf("up-%s-%d.bin", e.name, i), o.bigSize)
	})
	if err != nil {
		return nil, err
	}
	logf("%s: %s", up.label, up.summary())
	return []*measure{down, up}, nil
}

func benchList(ctx context.Context, o options, s *stack) ([]*measure, error) {
	v, eps := s.v, s.eps
	logf("%s: creating %d files to list", s.mode.label(), o.entries)
	if err := writeListDir(filepath.Join(v.bank, "list"), o.entries, v.uid, v.gid); err != nil {
		return nil, err
	}
	out := filepath.Join(s.dir, "listing.txt")
	// One unmeasured listing each first: the folder's inode and dentries
	// are then cached for both, whichever goes first.
	for _, e := range eps {
		if _, err := list(ctx, e, "list", false, out, o.entries); err != nil {
			return nil, err
		}
	}
	// curl -I on the folder logs in and changes into it, and lists nothing:
	// the listings' time minus this one is the listing itself.
	login := &measure{label: "(b) login + CWD only (curl -I), " + s.mode.label(), mode: s.mode, kind: "login"}
	err := each(ctx, o, login, o.listRuns, eps, func(e endpoint, _ int) (curlRun, error) {
		return curl(ctx, e, "/bank/list/", "-I", "-o", os.DevNull)
	})
	if err != nil {
		return nil, err
	}
	logf("%s: %s", login.label, login.summary())
	ms := []*measure{login}
	for _, nlst := range []bool{false, true} {
		m := &measure{label: fmt.Sprintf("(b) %s of %d entries, %s", verbOf(nlst), o.entries, s.mode.label()), mode: s.mode, kind: "list", login: login}
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
		m := &measure{label: fmt.Sprintf("(b) %s of %d entries, %s, Go client, EPSV to 226", verbOf(nlst), o.entries, s.mode.label()), mode: s.mode, kind: "golist"}
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

// hold prints how to reach every mode's servers and waits for ctx to end.
func hold(ctx context.Context, o options, stacks []*stack) error {
	for _, s := range stacks {
		v, g := s.v, s.g
		if err := writeBigFile(filepath.Join(v.bank, "big.bin"), o.bigSize, v.uid, v.gid); err != nil {
			return err
		}
		if err := writeListDir(filepath.Join(v.bank, "list"), o.entries, v.uid, v.gid); err != nil {
			return err
		}
		flags := ""
		if s.mode.tls() {
			flags = "--ssl-reqd -k "
		}
		logf("%s: /bank has big.bin (%d MiB) and list/ (%d files)", s.mode.label(), o.bigSize>>20, o.entries)
		logf("  direct: curl %s-u %s:%s %s  (vsftpd pid %d, files %s)", flags, v.user, v.password, v.url("/bank/"), v.proc.Pid(), v.bank)
		logf("  mount:  curl %s-u %s:%s %s  (wharf pid %d, log %s)", flags, g.user, g.password, g.url("/bank/"), g.proc.Pid(), g.proc.LogPath())
	}
	logf("holding until Ctrl-C or -timeout")
	<-ctx.Done()
	return nil
}
