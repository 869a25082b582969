package main

import (
	"context"
	"syscall"
	"time"

	"github.com/wharf-mft/wharf/bench/internal/benchkit"
)

// cpuBusy returns the busy time of all CPUs together and the total.
func cpuBusy() (busy, total time.Duration) {
	s := benchkit.ReadCPUStat()
	return s.Busy, s.Total
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
