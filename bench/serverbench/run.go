package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/wharf-mft/wharf/bench/internal/benchkit"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "serverbench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) (err error) {
	if os.Geteuid() != 0 {
		return fmt.Errorf("run as root: vsftpd needs root to chroot and drop privileges")
	}
	for _, tool := range []string{"curl", "lftp"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: apt-get install curl lftp vsftpd (scripts/test.sh does this as root)", tool)
		}
	}
	if nofile, err := raiseNoFile(); err != nil || nofile < uint64(o.sessions)+256 {
		return fmt.Errorf("open-files limit %d (err %v) is too low for %d sessions: raise ulimit -Hn", nofile, err, o.sessions)
	}
	dir, err := os.MkdirTemp(o.dir, "wharf-bench-")
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
	certFile, keyFile, err := benchkit.WriteCert(dir, "wharf serverbench")
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
	wharf, err := startWharf(ctx, bin, dir, certFile, keyFile, o.sessions, &taken)
	if err != nil {
		return err
	}
	defer wharf.proc.Stop()
	vsftpd, err := startVsftpd(ctx, o.vsftpdBin, dir, certFile, keyFile, &taken)
	if err != nil {
		return err
	}
	defer vsftpd.proc.Stop()
	servers := []*server{wharf, vsftpd}
	defer func() {
		if err != nil {
			for _, s := range servers {
				fmt.Fprintf(os.Stderr, "--- %s log (last lines) ---\n%s\n", s.name, s.proc.Tail(30))
			}
		}
	}()
	for _, s := range servers {
		logf("%s on %s", s.name, s.addr())
		ss, err := openSessions(ctx, s, 1, 1)
		if err != nil {
			return fmt.Errorf("FTPS login check: %w", err)
		}
		closeSessions(ss)
	}

	var rows []row
	if o.parts["rss"] {
		r, err := benchSessions(ctx, o, servers)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if o.parts["xfer"] {
		r, err := benchXfer(ctx, o, dir, servers)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if o.parts["tree"] {
		r, err := benchTree(ctx, o, dir, certFile, servers)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	slices.SortStableFunc(rows, func(a, b row) int { return strings.Compare(a.part, b.part) })
	printTable(os.Stdout, o, rows)
	return nil
}

// row is one line of the result table.
type row struct {
	part          string // "a", "b", "c1", ...: sorts the table
	label, unit   string
	wharf, vsftpd float64
	target        string // ">=" (Wharf at least vsftpd), "<=", or "" for none
	count         bool   // whole numbers
	note          string
}

func benchXfer(ctx context.Context, o options, dir string, servers []*server) ([]row, error) {
	big := filepath.Join(dir, "big.bin")
	logf("writing %d MiB test file", o.bigSize>>20)
	if err := writeBigFile(big, o.bigSize); err != nil {
		return nil, err
	}
	defer os.Remove(big)
	for _, s := range servers {
		if err := seed(s, big); err != nil {
			return nil, err
		}
	}
	size := fmt.Sprintf("%d MiB", o.bigSize>>20)
	if o.bigSize == 1<<30 {
		size = "1 GiB"
	}
	var rows []row
	for _, tls := range []bool{false, true} {
		mode := "plain FTP"
		if tls {
			mode = "FTPS (explicit)"
		}
		for _, up := range []bool{true, false} {
			verb := "download"
			if up {
				verb = "upload"
			}
			got := map[string][]float64{}
			cpu := map[string][]float64{}
			for i := range o.runs {
				// Alternate which server goes first, against warm-up bias.
				order := servers
				if i%2 == 1 {
					order = []*server{servers[1], servers[0]}
				}
				for _, s := range order {
					if up {
						if err := warmPages(dir, o.bigSize); err != nil {
							return nil, err
						}
					}
					var mbps float64
					var setup time.Duration
					used, err := cpuOf(ctx, s, func() (err error) {
						mbps, setup, err = curlXfer(ctx, s, tls, up, big, fmt.Sprintf("up-%d.bin", i), o.bigSize)
						return err
					})
					if err != nil {
						return nil, err
					}
					if o.verbose {
						logf("%s %s %s run %d: %.1f MB/s, server CPU %v, before the transfer %v", s.name, verb, mode, i+1, mbps, used.Round(10*time.Millisecond), setup.Round(time.Millisecond))
					}
					got[s.name] = append(got[s.name], mbps)
					cpu[s.name] = append(cpu[s.name], used.Seconds())
				}
			}
			label := fmt.Sprintf("(a) %s %s, %s, curl", verb, size, mode)
			rows = append(rows,
				row{part: "a", label: label, unit: "MB/s", wharf: median(got["wharf"]), vsftpd: median(got["vsftpd"]), target: ">="},
				row{part: "a", label: "    server CPU time for it", unit: "s", wharf: median(cpu["wharf"]), vsftpd: median(cpu["vsftpd"])})
			logf("%s %s: wharf %.0f MB/s, vsftpd %.0f MB/s", verb, mode, median(got["wharf"]), median(got["vsftpd"]))
		}
	}
	return rows, nil
}

func benchTree(ctx context.Context, o options, dir, caFile string, servers []*server) ([]row, error) {
	local := filepath.Join(dir, "tree")
	if err := writeTree(local, o.treeFiles, o.treeDirs, o.treeFileSize); err != nil {
		return nil, err
	}
	defer os.RemoveAll(local)
	got := map[string][]float64{}
	cpu := map[string][]float64{}
	for i := range o.runs {
		order := servers
		if i%2 == 1 {
			order = []*server{servers[1], servers[0]}
		}
		for _, s := range order {
			var took time.Duration
			used, err := cpuOf(ctx, s, func() (err error) {
				took, err = mirrorTree(ctx, s, local, fmt.Sprintf("tree-%d", i), caFile, o.treeFiles, o.treeFileSize, o.treeParallel)
				return err
			})
			if err != nil {
				return nil, err
			}
			if o.verbose {
				logf("%s tree run %d: %v, server CPU %v", s.name, i+1, took.Round(time.Millisecond), used.Round(10*time.Millisecond))
			}
			got[s.name] = append(got[s.name], took.Seconds())
			cpu[s.name] = append(cpu[s.name], used.Seconds())
		}
	}
	logf("tree: wharf %.2fs, vsftpd %.2fs", median(got["wharf"]), median(got["vsftpd"]))
	return []row{
		{part: "b", label: fmt.Sprintf("(b) tree %d x %d B, FTPS, lftp mirror -R --parallel=%d", o.treeFiles, o.treeFileSize, o.treeParallel),
			unit: "s", wharf: median(got["wharf"]), vsftpd: median(got["vsftpd"]), target: "<="},
		{part: "b", label: "    server CPU time for it", unit: "s", wharf: median(cpu["wharf"]), vsftpd: median(cpu["vsftpd"]),
			note: "server CPU time: user + system of the server and all its session processes, sampled from /proc/PID/stat every 50 ms; less sensitive than wall time to other load on the machine"},
	}, nil
}

// sessionMem is one server's memory in the idle-sessions part.
type sessionMem struct {
	idle, early, late memStat // no sessions; settle and settleLong after the last login
}

func benchSessions(ctx context.Context, o options, servers []*server) ([]row, error) {
	// The servers log in one after the other, but wait for their readings
	// at the same time: each server's waits are the long part.
	mems := make([]sessionMem, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	turn := make(chan struct{})
	close(turn)
	for i, s := range servers {
		wait, done := turn, make(chan struct{})
		wg.Go(func() {
			select {
			case <-wait:
				mems[i], errs[i] = sessionsMem(ctx, o, s, done)
			case <-ctx.Done():
				errs[i] = ctx.Err()
			}
		})
		turn = done
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	mem := map[string]sessionMem{}
	for i, s := range servers {
		mem[s.name] = mems[i]
	}
	w, v := mem["wharf"], mem["vsftpd"]
	n := float64(o.sessions)
	rows := []row{
		{part: "c1", label: "(c) server memory, no sessions: RSS", unit: "MiB",
			wharf: w.idle.rssMiB(), vsftpd: v.idle.rssMiB()},
		{part: "c2", label: fmt.Sprintf("(c) %d idle FTPS sessions, %v after last login: RSS", o.sessions, o.settle), unit: "MiB",
			wharf: w.early.rssMiB(), vsftpd: v.early.rssMiB(),
			note: fmt.Sprintf("RSS: vsftpd forks per session, so its figure sums VmRSS over all its %d processes (shared pages counted in each); wharf is %d process", v.early.procs, w.early.procs)},
		{part: "c3", label: fmt.Sprintf("(c) %d idle FTPS sessions, %v after last login: PSS", o.sessions, o.settle), unit: "MiB",
			wharf: w.early.pssMiB(), vsftpd: v.early.pssMiB(),
			note: "PSS (smaps_rollup) splits shared pages between the processes sharing them: the fair sum for a forking server"},
	}
	late := w.early
	if o.settleLong > o.settle {
		late = w.late
		rows = append(rows,
			row{part: "c4", label: fmt.Sprintf("(c) %d idle FTPS sessions, %v after last login: RSS", o.sessions, o.settleLong), unit: "MiB",
				wharf: w.late.rssMiB(), vsftpd: v.late.rssMiB(),
				note: fmt.Sprintf("wharf hashes each password with argon2id (19 MiB each); %d logins at a time grow the Go heap, and an idle Go process returns freed memory only after a GC (forced every 2 minutes) and then gradually", o.loginParallel)},
			row{part: "c5", label: fmt.Sprintf("(c) %d idle FTPS sessions, %v after last login: PSS", o.sessions, o.settleLong), unit: "MiB",
				wharf: w.late.pssMiB(), vsftpd: v.late.pssMiB()})
	}
	lastW, lastV := w.early.alive, v.early.alive
	if o.settleLong > o.settle {
		lastW, lastV = w.late.alive, v.late.alive
	}
	rows = append(rows, row{part: "c7", label: "(c) sessions still answering NOOP at the last reading", unit: "",
		wharf: float64(lastW), vsftpd: float64(lastV), count: true})
	rows = append(rows, row{part: "c6", label: "(c) PSS per idle session ((last reading - no sessions) / sessions)", unit: "KiB",
		wharf: float64(late.pssKB-w.idle.pssKB) / n, vsftpd: float64(v.late.pssKB-v.idle.pssKB) / n})
	if o.settleLong <= o.settle {
		rows[len(rows)-1].vsftpd = float64(v.early.pssKB-v.idle.pssKB) / n
	}
	return rows, nil
}

// sessionsMem measures s with no sessions, then opens o.sessions idle FTPS
// sessions and measures again o.settle and o.settleLong after the last
// login. After each reading it counts the sessions that still answer NOOP
// (a NOOP also resets the server's idle timer). It closes
// loggedIn once its logins are over, whether or not they succeeded.
func sessionsMem(ctx context.Context, o options, s *server, loggedIn chan<- struct{}) (sessionMem, error) {
	var once sync.Once
	endLogins := func() { once.Do(func() { close(loggedIn) }) }
	defer endLogins()
	var m sessionMem
	pid := s.proc.Pid()
	settleProcs(ctx, s)
	var err error
	if m.idle, err = treeMem(pid); err != nil {
		return m, err
	}
	logf("%s: opening %d idle FTPS sessions, %d logins at a time", s.name, o.sessions, o.loginParallel)
	start := time.Now()
	ss, err := openSessions(ctx, s, o.sessions, o.loginParallel)
	endLogins()
	if err != nil {
		return m, err
	}
	defer func() {
		closeSessions(ss)
		settleProcs(ctx, s)
	}()
	last := time.Now()
	logf("%s: %d sessions logged in after %v", s.name, len(ss), last.Sub(start).Round(time.Millisecond))
	read := func(after time.Duration) (memStat, error) {
		select {
		case <-time.After(time.Until(last.Add(after))):
		case <-ctx.Done():
			return memStat{}, ctx.Err()
		}
		ms, err := treeMem(pid)
		if err != nil {
			return ms, err
		}
		alive, firstErr := checkSessions(ss, o.loginParallel)
		ms.alive = alive
		if alive != len(ss) {
			logf("%s: only %d of %d sessions answer NOOP %v after the last login; first failure: %v", s.name, alive, len(ss), after, firstErr)
		}
		if alive == 0 {
			return ms, fmt.Errorf("%s: no session answers NOOP %v after the last login: %w", s.name, after, firstErr)
		}
		logf("%s: %v after the last login: %d processes, RSS %.1f MiB, PSS %.1f MiB", s.name, after, ms.procs, ms.rssMiB(), ms.pssMiB())
		return ms, nil
	}
	if m.early, err = read(o.settle); err != nil {
		return m, err
	}
	if o.settleLong > o.settle {
		if m.late, err = read(o.settleLong); err != nil {
			return m, err
		}
	}
	return m, nil
}

// settleProcs waits up to 30s for a forking server to reap the session
// processes of closed connections (the readiness probe's, the last
// measurement's): until it is down to one process or its count has not
// changed for a second.
func settleProcs(ctx context.Context, s *server) {
	deadline := time.Now().Add(30 * time.Second)
	last, same := -1, 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		m, err := treeMem(s.proc.Pid())
		if err != nil || m.procs == 1 {
			return
		}
		if m.procs == last {
			if same++; same >= 5 {
				return
			}
		} else {
			last, same = m.procs, 0
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cpuOf runs f and returns the CPU time s's processes used meanwhile, after
// a forking server's session processes have exited.
func cpuOf(ctx context.Context, s *server, f func() error) (time.Duration, error) {
	c := startCPU(s.proc.Pid())
	err := f()
	if err == nil {
		settleProcs(ctx, s)
	}
	used := c.total()
	return used, err
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func vsftpdVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "vsftpd").Output()
	if err != nil {
		return "vsftpd"
	}
	return "vsftpd " + string(out)
}

func goVersion() string { return runtime.Version() }
