package benchkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPUStat is the machine's CPU clock since boot, all CPUs together, from
// the first line of /proc/stat: Busy is everything but idle and iowait,
// Steal what the hypervisor gave to other guests; zero where it cannot be
// read.
type CPUStat struct {
	Busy, Total, Steal time.Duration
}

// ReadCPUStat reads the clock now.
func ReadCPUStat() CPUStat {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUStat{}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return CPUStat{}
	}
	var s CPUStat
	tick := time.Second / 100 // USER_HZ
	// user nice system idle iowait irq softirq steal (guest is in user).
	for i, v := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseInt(v, 10, 64)
		d := time.Duration(n) * tick
		s.Total += d
		if i != 3 && i != 4 {
			s.Busy += d
		}
		if i == 7 {
			s.Steal = d
		}
	}
	return s
}

// started is the clock when the benchmark process started.
var started = ReadCPUStat()

// StealLine says how much of the machine's CPU time since the benchmark
// started the hypervisor took for other guests, for a results header; ""
// where /proc/stat does not tell. Above a few percent a ratio measured on
// the machine moves with its neighbours, not with the code.
func StealLine() string {
	now := ReadCPUStat()
	total := now.Total - started.Total
	if total <= 0 || started.Total == 0 {
		return ""
	}
	share := float64(now.Steal-started.Steal) / float64(total)
	line := fmt.Sprintf("CPU steal during the benchmark: %.1f %%", 100*share)
	if share > 0.03 {
		line += " (the hypervisor ran other guests on these CPUs: ratios are unreliable, run again when it is near 0)"
	}
	return line
}
