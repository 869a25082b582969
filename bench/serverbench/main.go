// Command serverbench compares Wharf's FTP server with vsftpd, side by side on
// 127.0.0.1, in one run:
//
//	(a) a 1 GiB upload and download with curl, plain FTP and explicit FTPS;
//	(b) a tree of 2,000 files of 4 KiB uploaded over FTPS with lftp mirror -R --parallel=8;
//	(c) the memory of the server process(es) holding 2,000 idle FTPS sessions.
//
// It builds wharf from ./cmd/wharf, starts both servers on free loopback
// ports from a temporary directory, prints a table of Wharf/vsftpd ratios,
// and stops both servers and removes the directory when done. See
// bench/README.md.
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
	repo          string
	wharfBin      string
	vsftpdBin     string
	parts         map[string]bool
	runs          int
	bigSize       int64
	treeFiles     int
	treeDirs      int
	treeFileSize  int
	treeParallel  int
	sessions      int
	loginParallel int
	settle        time.Duration
	settleLong    time.Duration
	keep          bool
	dir           string
	timeout       time.Duration
	verbose       bool
}

func parseFlags() options {
	var o options
	var parts string
	var bigMiB int
	flag.StringVar(&o.repo, "repo", "", "Wharf repository to build ./cmd/wharf from (default: the module around the working directory)")
	flag.StringVar(&o.wharfBin, "wharf", "", "use this wharf binary instead of building one")
	flag.StringVar(&o.vsftpdBin, "vsftpd", "/usr/sbin/vsftpd", "vsftpd binary")
	flag.StringVar(&parts, "parts", "xfer,tree,rss", "which parts to run: xfer (a), tree (b), rss (c)")
	flag.IntVar(&o.runs, "runs", 3, "runs per transfer and tree measurement; the table shows the median")
	flag.IntVar(&bigMiB, "size-mib", 1024, "size of the big transfer file in MiB")
	flag.IntVar(&o.treeFiles, "tree-files", 2000, "files in the tree")
	flag.IntVar(&o.treeDirs, "tree-dirs", 20, "directories the tree's files are spread over")
	flag.IntVar(&o.treeFileSize, "tree-file-size", 4096, "size of each tree file in bytes")
	flag.IntVar(&o.treeParallel, "tree-parallel", 8, "lftp mirror --parallel")
	flag.IntVar(&o.sessions, "sessions", 2000, "idle FTPS sessions for the memory measurement")
	flag.IntVar(&o.loginParallel, "login-parallel", 16, "concurrent logins while opening the idle sessions")
	flag.DurationVar(&o.settle, "settle", 10*time.Second, "wait after the last login before the first memory reading")
	flag.DurationVar(&o.settleLong, "settle-long", 4*time.Minute, "wait after the last login before the second memory reading "+
		"(past Go's 2-minute forced GC and the scavenging after it; below both servers' 5-minute idle timeout); 0 skips it")
	flag.StringVar(&o.dir, "dir", "", "where the temporary directory with the servers' data and the test files goes (default $TMPDIR or /tmp); /dev/shm takes the disk out of the measurement")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (servers' logs, data) for inspection")
	flag.DurationVar(&o.timeout, "timeout", 40*time.Minute, "stop the whole benchmark after this long")
	flag.BoolVar(&o.verbose, "v", false, "log each step and each run")
	flag.Parse()
	o.bigSize = int64(bigMiB) << 20
	o.parts = map[string]bool{}
	for _, p := range strings.Split(parts, ",") {
		o.parts[strings.TrimSpace(p)] = true
	}
	return o
}

func main() {
	o := parseFlags()
	for p := range o.parts {
		switch p {
		case "xfer", "tree", "rss":
		default:
			fmt.Fprintf(os.Stderr, "serverbench: unknown part %q: want xfer, tree or rss\n", p)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	err := run(ctx, o)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "serverbench:", err)
		os.Exit(1)
	}
}
