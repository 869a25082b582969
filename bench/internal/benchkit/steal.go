package benchkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuTimes is the machine's CPU clock from /proc/stat, in USER_HZ ticks:
// all of it, and the part the hypervisor gave to other guests (steal).
type cpuTimes struct{ total, steal int64 }

func readCPUTimes() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var t cpuTimes
	for i, f := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseInt(f, 10, 64)
		t.total += n
		if i == 7 { // user nice system idle iowait irq softirq steal
			t.steal = n
		}
	}
	return t
}

// started is the clock when the benchmark process started.
var started = readCPUTimes()

// StealLine says how much of the machine's CPU time since the benchmark
// started the hypervisor took for other guests, for a results header; ""
// where /proc/stat does not tell. Above a few percent a ratio measured on
// the machine moves with its neighbours, not with the code.
func StealLine() string {
	now := readCPUTimes()
	total := now.total - started.total
	if total <= 0 || started.total == 0 {
		return ""
	}
	share := float64(now.steal-started.steal) / float64(total)
	line := fmt.Sprintf("CPU steal during the benchmark: %.1f %%", 100*share)
	if share > 0.03 {
		line += " (the hypervisor ran other guests on these CPUs: ratios are unreliable, run again when it is near 0)"
	}
	return line
}
