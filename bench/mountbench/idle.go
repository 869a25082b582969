package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuBusy returns the busy time of all CPUs together (everything in the
// first line of /proc/stat but idle and iowait) and the total.
func cpuBusy() (busy, total time.Duration) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	var sum, idle int64
	// user nice system idle iowait irq softirq steal (guest is in user).
	for i, s := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseInt(s, 10, 64)
		sum += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	tick := time.Second / 100 // USER_HZ
	return time.Duration(sum-idle) * tick, time.Duration(sum) * tick
}

// waitIdle waits until the machine was at least minIdle idle (a fraction
// of all CPUs) over half a second, or max passed. It reports whether the
// machine got idle. Other work on the machine takes CPU from the client
// and the servers, and the mount path, with one process more, suffers
// more from it.
func waitIdle(ctx context.Context, max time.Duration, minIdle float64) bool {
	deadline := time.Now().Add(max)
	for {
		b0, t0 := cpuBusy()
		select {
		case <-ctx.Done():
			return false
		case <-time.After(500 * time.Millisecond):
		}
		b1, t1 := cpuBusy()
		if t1 > t0 && 1-float64(b1-b0)/float64(t1-t0) >= minIdle {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// selfCPU returns the CPU time this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
