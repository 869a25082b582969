package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wharf-mft/wharf/bench/internal/benchkit"
)

// printTable writes the results with a Wharf/vsftpd ratio and, where the
// issue sets one, whether Wharf meets its target.
func printTable(w io.Writer, o options, rows []row) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "\nWharf vs %s on 127.0.0.1 — %s, %d CPUs (%s), %s, host %s; median of %d runs for (a) and (b)\n\n",
		vsftpdVersion(), time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), cpuModel(), goVersion(), host, o.runs)
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(la))
		if len(f) >= 3 {
			fmt.Fprintf(w, "load average at the end: %s %s %s (other work on the machine skews the numbers)\n\n", f[0], f[1], f[2])
		}
	}
	if s := benchkit.StealLine(); s != "" {
		fmt.Fprintf(w, "%s\n\n", s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tunit\twharf\tvsftpd\twharf/vsftpd\ttarget\t")
	fmt.Fprintln(tw, "-----------\t----\t-----\t------\t------------\t------\t")
	var notes []string
	for _, r := range rows {
		ratio := "-"
		if r.vsftpd > 0 {
			ratio = fmt.Sprintf("%.2f", r.wharf/r.vsftpd)
		}
		wv, vv := num(r.wharf), num(r.vsftpd)
		if r.count {
			wv, vv = fmt.Sprintf("%.0f", r.wharf), fmt.Sprintf("%.0f", r.vsftpd)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.label, r.unit, wv, vv, ratio, verdict(r))
		if r.note != "" {
			notes = append(notes, r.note)
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintln(w)
}

func num(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func verdict(r row) string {
	switch r.target {
	case ">=":
		return mark(r.wharf >= r.vsftpd, "ratio >= 1")
	case "<=":
		return mark(r.wharf <= r.vsftpd, "ratio <= 1")
	}
	return "-"
}

func mark(ok bool, what string) string {
	if ok {
		return what + " MET"
	}
	return what + " MISSED"
}
