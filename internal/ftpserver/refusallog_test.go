package ftpserver

import (
	"testing"
	"time"
)

// TestRefusalLog: the first refusal from an IP is logged, the next ones
// within refusalLogEvery are counted, and the next line says how many;
// other IPs are logged on their own.
func TestRefusalLog(t *testing.T) {
	now := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	r := refusalLog{now: func() time.Time { return now }}
	step := func(ip string, wantLog bool, wantN int) {
		t.Helper()
		if log, n := r.note(ip); log != wantLog || n != wantN {
			t.Errorf("note(%s) at %s = %v, %d; want %v, %d", ip, now.Format("15:04:05"), log, n, wantLog, wantN)
		}
	}
	step("127.0.0.2", true, 0)
	for range 3 {
		now = now.Add(time.Second)
		step("127.0.0.2", false, 0)
	}
	step("127.0.0.9", true, 0)
	now = now.Add(refusalLogEvery)
	step("127.0.0.2", true, 3)
	now = now.Add(3 * refusalLogEvery)
	step("127.0.0.2", true, 0) // forgotten while quiet, then new
	if len(r.last) != 1 {
		t.Errorf("%d IPs remembered, want 1 (127.0.0.9 went quiet)", len(r.last))
	}
}
