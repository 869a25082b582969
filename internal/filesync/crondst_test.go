package filesync

import (
	"testing"
	"time"
)

// TestCronDST: across daylight saving changes a cron schedule runs as
// cron (cronie, Vixie cron) does: a job at a fixed time that falls in the
// hour skipped in spring runs right after the change, not a day later,
// and one in the hour repeated in autumn runs once, not twice. Jobs with
// a wildcard hour or minute run by the clock (the skipped hour has no
// runs, the repeated one its own).
func TestCronDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		at, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	for _, c := range []struct {
		name, spec string
		from       time.Time
		want       []time.Time // UTC
	}{
		{"daily in the skipped hour", "CRON_TZ=America/New_York 30 2 * * *", time.Date(2026, 3, 7, 12, 0, 0, 0, ny),
			// 03:00 EDT on the 8th (02:30 does not exist), then 02:30 EDT.
			[]time.Time{utc("2026-03-08 07:00:00"), utc("2026-03-09 06:30:00"), utc("2026-03-10 06:30:00")}},
		{"daily in the repeated hour", "CRON_TZ=America/New_York 30 1 * * *", time.Date(2026, 10, 31, 12, 0, 0, 0, ny),
			// 01:30 EDT on the 1st, once; then 01:30 EST.
			[]time.Time{utc("2026-11-01 05:30:00"), utc("2026-11-02 06:30:00"), utc("2026-11-03 06:30:00")}},
		{"@daily", "CRON_TZ=America/New_York @daily", time.Date(2026, 3, 7, 12, 0, 0, 0, ny),
			[]time.Time{utc("2026-03-08 05:00:00"), utc("2026-03-09 04:00:00")}},
		{"daily outside the change", "CRON_TZ=America/New_York 0 5 * * *", time.Date(2026, 3, 7, 12, 0, 0, 0, ny),
			[]time.Time{utc("2026-03-08 09:00:00"), utc("2026-03-09 09:00:00")}},
		{"hourly, spring", "CRON_TZ=America/New_York 0 * * * *", time.Date(2026, 3, 8, 0, 30, 0, 0, ny),
			[]time.Time{utc("2026-03-08 06:00:00"), utc("2026-03-08 07:00:00"), utc("2026-03-08 08:00:00")}},
		{"hourly, autumn", "CRON_TZ=America/New_York 0 * * * *", time.Date(2026, 11, 1, 0, 30, 0, 0, ny),
			[]time.Time{utc("2026-11-01 05:00:00"), utc("2026-11-01 06:00:00"), utc("2026-11-01 07:00:00")}},
		{"every 30 minutes at 1, autumn", "CRON_TZ=America/New_York */30 1 * * *", time.Date(2026, 11, 1, 0, 50, 0, 0, ny),
			[]time.Time{utc("2026-11-01 05:00:00"), utc("2026-11-01 05:30:00"), utc("2026-11-01 06:00:00"), utc("2026-11-01 06:30:00")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sch, err := parseCron(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			at := c.from
			for i, want := range c.want {
				at = sch.Next(at)
				if !at.Equal(want) {
					t.Fatalf("run %d: %v (%v), want %v (%v)", i+1, at.UTC(), at.In(ny), want, want.In(ny))
				}
			}
		})
	}
}
