// Command mountbench measures what a Wharf mount costs: curl against vsftpd
// through Wharf (curl → Wharf → vsftpd, the mount passing every operation
// through) and curl against the same vsftpd directly, side by side on
// 127.0.0.1, in one run:
//
//	(a) a 1 GiB download and a 1 GiB upload, MB/s;
//	(b) LIST and NLST of a 5,000-entry remote folder, wall time;
//
// each over plain FTP and over explicit FTPS on every leg (-tls).
//
// It builds wharf from ./cmd/wharf, starts vsftpd and Wharf on free loopback
// ports from a temporary directory, sets up the mount with the wharf CLI,
// prints a table of mount/direct ratios and the CPU each process used, and
// stops both servers and removes the directory when done. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	repo        string
	wharfBin    string
	vsftpdBin   string
	dir         string
	parts       map[string]bool
	modes       []mode
	runs        int
	listRuns    int
	bigSize     int64
	entries     int
	remoteConns int
	idleWait    time.Duration
	minIdle     float64
	keep        bool
	hold        bool
	timeout     time.Duration
	verbose     bool
}

func parseFlags() options {
	var o options
	var parts, tlsModes string
	var bigMiB int
	flag.StringVar(&o.repo, "repo", "", "Wharf repository to build ./cmd/wharf from (default: the module around the working directory)")
	flag.StringVar(&o.wharfBin, "wharf", "", "use this wharf binary instead of building one")
	flag.StringVar(&o.vsftpdBin, "vsftpd", "/usr/sbin/vsftpd", "vsftpd binary")
	flag.StringVar(&o.dir, "dir", defaultDir(), "where the temporary directory (vsftpd's files, Wharf's data) goes; a tmpfs keeps disk writeback out of the numbers")
	flag.StringVar(&parts, "parts", "xfer,list", "which parts to run: xfer (a), list (b)")
	flag.StringVar(&tlsModes, "tls", "both", "explicit (FTPS on every leg), plain (plain FTP on every leg) or both")
	flag.IntVar(&o.runs, "runs", 3, "runs per transfer; the table shows the median")
	flag.IntVar(&o.listRuns, "list-runs", 5, "runs per listing; the table shows the median")
	flag.IntVar(&bigMiB, "size-mib", 1024, "size of the transferred file in MiB")
	flag.IntVar(&o.entries, "entries", 5000, "files in the listed folder")
	flag.IntVar(&o.remoteConns, "remote-max-conns", 0, "wharf remote add --max-conns (0: Wharf's default)")
	flag.DurationVar(&o.idleWait, "idle-wait", 20*time.Second, "before each run, wait up to this long for the machine to be idle (0: don't wait)")
	flag.Float64Var(&o.minIdle, "min-idle", 0.75, "the idle fraction of all CPUs over 0.5s that counts as idle for -idle-wait")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (logs, data) for inspection")
	flag.BoolVar(&o.hold, "hold", false, "set up, print how to reach both servers, and wait for Ctrl-C (or -timeout) instead of measuring: for profiling by hand")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "stop the whole benchmark after this long")
	flag.BoolVar(&o.verbose, "v", false, "log each run")
	flag.Parse()
	o.bigSize = int64(bigMiB) << 20
	var err error
	if o.modes, err = parseModes(tlsModes); err != nil {
		fmt.Fprintln(os.Stderr, "mountbench:", err)
		os.Exit(2)
	}
	o.parts = map[string]bool{}
	for _, p := range strings.Split(parts, ",") {
		o.parts[strings.TrimSpace(p)] = true
	}
	return o
}

// defaultDir is /dev/shm when it is a writable directory, else the system's
// temporary directory.
func defaultDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp("/dev/shm", ".mountbench-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

func main() {
	o := parseFlags()
	for p := range o.parts {
		switch p {
		case "xfer", "list":
		default:
			fmt.Fprintf(os.Stderr, "mountbench: unknown part %q: want xfer or list\n", p)
			os.Exit(2)
		}
	}
	if o.runs < 1 || o.listRuns < 1 || o.bigSize <= 0 || o.entries < 1 {
		fmt.Fprintln(os.Stderr, "mountbench: -runs, -list-runs, -size-mib and -entries must be positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	err := run(ctx, o)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mountbench:", err)
		os.Exit(1)
	}
}
