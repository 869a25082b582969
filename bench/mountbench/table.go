package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wharf-mft/wharf/bench/internal/benchkit"
)

// target is the lowest mount/direct throughput ratio the mount should reach.
const target = 0.9

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

// med returns the median of f over the runs of endpoint name.
func (m *measure) med(name string, f func(curlRun) float64) float64 {
	var xs []float64
	for _, r := range m.runs[name] {
		xs = append(xs, f(r))
	}
	return median(xs)
}

// best returns the highest f over the runs of endpoint name: other work
// on the machine only ever slows a run down.
func (m *measure) best(name string, f func(curlRun) float64) float64 {
	var b float64
	for _, r := range m.runs[name] {
		b = max(b, f(r))
	}
	return b
}

// cpuBound is the shortest wall time run r could have taken were it purely
// CPU-bound on ncpu cores: the CPU time of curl, Wharf and vsftpd spread
// evenly over every core, or the busiest one's alone (a process runs on one
// core at a time), whichever is longer. vsftpd's session processes count as
// one process and Wharf as one, though Go may spread it over several cores.
func cpuBound(r curlRun, ncpu int) time.Duration {
	sum, most := r.curlCPU, r.curlCPU
	for _, t := range r.serverCPU {
		sum += t
		most = max(most, t)
	}
	return max(sum/time.Duration(ncpu), most)
}

// bound returns the ratio that a perfectly CPU-bound run on this machine's
// cores would show, from the medians of cpuBound over each endpoint's runs:
// the highest mount/direct throughput (for transfers) or the lowest
// mount/direct wall time (for listings). It returns 0 when a path's CPU time
// was below the clock tick.
func (m *measure) bound() float64 {
	ncpu := runtime.NumCPU()
	f := func(r curlRun) float64 { return cpuBound(r, ncpu).Seconds() }
	d, g := m.med("direct", f), m.med("mount", f)
	if d <= 0 || g <= 0 {
		return 0
	}
	if m.kind == "xfer" {
		return d / g
	}
	return g / d
}

// boundCell formats m.bound for the table.
func (m *measure) boundCell() string {
	b := m.bound()
	switch {
	case b == 0:
		return "-"
	case m.kind == "xfer":
		return fmt.Sprintf("<= %.2f", b)
	}
	return fmt.Sprintf(">= %.2f", b)
}

func (m *measure) mbps(r curlRun) float64 { return float64(m.size) / r.total.Seconds() / 1e6 }

func totalMS(r curlRun) float64 { return float64(r.total) / float64(time.Millisecond) }

func (m *measure) summary() string {
	if m.kind == "xfer" {
		d, w := m.med("direct", m.mbps), m.med("mount", m.mbps)
		return fmt.Sprintf("direct %.0f MB/s, mount %.0f MB/s, ratio %.2f", d, w, w/d)
	}
	d, w := m.med("direct", totalMS), m.med("mount", totalMS)
	return fmt.Sprintf("direct %.0f ms, mount %.0f ms, mount/direct %.2f", d, w, w/d)
}

// printTable writes one row per measured value with the mount/direct
// ratio, then the CPU time each process spent on one run.
func printTable(w io.Writer, o options, build string, cgroups bool, ms []*measure) {
	host, _ := os.Hostname()
	var modes []string
	for _, md := range o.modes {
		modes = append(modes, md.label())
	}
	fmt.Fprintf(w, "\nWharf mount (curl -> Wharf -> vsftpd) vs direct (curl -> vsftpd), %s on every leg, 127.0.0.1\n", strings.Join(modes, " and "))
	fmt.Fprintf(w, "%s, wharf %s, %s, %s, %d CPUs (%s), host %s; median of %d runs for (a), %d for (b)\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), build, vsftpdVersion(), runtime.Version(), runtime.NumCPU(), cpuModel(), host, o.runs, o.listRuns)
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(la)); len(f) >= 3 {
			fmt.Fprintf(w, "load average at the end: %s %s %s (other work on the machine skews the numbers)\n", f[0], f[1], f[2])
		}
	}
	if s := benchkit.StealLine(); s != "" {
		fmt.Fprintln(w, s)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tunit\tdirect\tmount\tmount/direct\tCPU bound\ttarget\t")
	fmt.Fprintln(tw, "-----------\t----\t------\t-----\t------------\t---------\t------\t")
	for _, m := range ms {
		if m.kind == "xfer" {
			d, g := m.med("direct", m.mbps), m.med("mount", m.mbps)
			verdict := fmt.Sprintf(">= %.2f MISSED", target)
			if g/d >= target {
				verdict = fmt.Sprintf(">= %.2f MET", target)
			}
			fmt.Fprintf(tw, "%s, median\tMB/s\t%.0f\t%.0f\t%.2f\t%s\t%s\t\n", m.label, d, g, g/d, m.boundCell(), verdict)
			d, g = m.best("direct", m.mbps), m.best("mount", m.mbps)
			fmt.Fprintf(tw, "%s, best run\tMB/s\t%.0f\t%.0f\t%.2f\t\t-\t\n", m.label, d, g, g/d)
			continue
		}
		d, g := m.med("direct", totalMS), m.med("mount", totalMS)
		label := m.label + ", curl total"
		if m.kind == "golist" {
			label = m.label
		}
		fmt.Fprintf(tw, "%s\tms\t%.1f\t%.1f\t%.2f\t%s\t-\t\n", label, d, g, g/d, m.boundCell())
		if m.login != nil {
			d -= m.login.med("direct", totalMS)
			g -= m.login.med("mount", totalMS)
			fmt.Fprintf(tw, "%s, minus login + CWD\tms\t%.1f\t%.1f\t%.2f\t-\t-\t\n", m.label, d, g, g/d)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "  MB/s: 10^6 bytes/s over curl's total time, login (and TLS handshake) included; mount/direct above 1 is faster.")
	fmt.Fprintln(w, "  The target applies to the medians; the best runs show what each path does with the least interference.")
	fmt.Fprintf(w, "  CPU bound: the ratio a perfectly CPU-bound run on these %d cores would show, from the CPU seconds below:\n", runtime.NumCPU())
	fmt.Fprintln(w, "  direct bound / mount bound for MB/s (the highest mount/direct reachable), mount / direct for ms (the lowest),")
	fmt.Fprintln(w, "  where a path's bound = max(CPU of curl + servers / cores, CPU of its busiest process), medians over runs.")
	fmt.Fprintln(w, "  ms: wall time of one curl call; mount/direct above 1 is slower. \"minus login + CWD\" subtracts the")
	fmt.Fprintln(w, "  median curl -I of the same folder (connect, TLS, USER/PASS, CWD) from the listing's median.")
	fmt.Fprintln(w, "  \"Go client\": the benchmark's own FTP/FTPS client, logged in and in the folder, times EPSV, TYPE A, the")
	fmt.Fprintln(w, "  listing command, the data connection (with its TLS resumption in FTPS) and the 226; it has no curl wait.")
	busy, all := 0, 0
	for _, m := range ms {
		for _, rs := range m.runs {
			for _, r := range rs {
				all++
				if r.busyStart {
					busy++
				}
			}
		}
	}
	if busy > 0 {
		fmt.Fprintf(w, "  %d of %d runs started before the machine was idle (-idle-wait ran out): see the \"others\" column below.\n", busy, all)
	}
	fmt.Fprintln(w)

	from := "sampled from /proc every 0.1s"
	if cgroups {
		from = "from the CPU accounting of a cgroup each"
	}
	fmt.Fprintf(w, "CPU seconds per run, median of each column (curl from rusage; Wharf and vsftpd, with its session processes,\n")
	fmt.Fprintf(w, "%s; CPU bound s: max(all three / cores, busiest of the three); others: the machine's\n", from)
	fmt.Fprintln(w, "busy time minus these three and this benchmark):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tpath\twall s\tcurl\twharf\tvsftpd\tall three\tCPU bound s\tothers\t")
	fmt.Fprintln(tw, "-----------\t----\t------\t----\t-----\t------\t---------\t-----------\t------\t")
	for _, m := range ms {
		for _, name := range []string{"direct", "mount"} {
			secs := func(f func(curlRun) time.Duration) float64 {
				return m.med(name, func(r curlRun) float64 { return f(r).Seconds() })
			}
			wall := secs(func(r curlRun) time.Duration { return r.total })
			cl := secs(func(r curlRun) time.Duration { return r.curlCPU })
			all := secs(func(r curlRun) time.Duration {
				t := r.curlCPU
				for _, s := range r.serverCPU {
					t += s
				}
				return t
			})
			// servers: direct [vsftpd], mount [wharf, vsftpd].
			vs := secs(func(r curlRun) time.Duration { return r.serverCPU[len(r.serverCPU)-1] })
			wh := "-"
			if name == "mount" {
				wh = fmt.Sprintf("%.3f", secs(func(r curlRun) time.Duration { return r.serverCPU[0] }))
			}
			bound := secs(func(r curlRun) time.Duration { return cpuBound(r, runtime.NumCPU()) })
			others := secs(func(r curlRun) time.Duration { return r.otherCPU })
			client := fmt.Sprintf("%.3f", cl)
			if m.kind == "golist" {
				client = "-" // this process: not counted
			}
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t\n", m.label, name, wall, client, wh, vs, all, bound, others)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
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
