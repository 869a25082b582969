package filesync

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// dstSchedule is a cron schedule at a fixed time of day (neither its
// minute nor its hour a wildcard) that crosses daylight saving changes as
// cron (cronie, Vixie cron) does, where robfig/cron follows the clock
// alone: a run due in the hour skipped in spring happens right after the
// change rather than a day later, and a run in the hour repeated in autumn
// happens once, at its first occurrence, rather than twice.
type dstSchedule struct{ spec *cron.SpecSchedule }

// Next returns the first run after t.
func (d dstSchedule) Next(t time.Time) time.Time {
	n := d.spec.Next(t)
	if n.IsZero() {
		return n
	}
	loc := d.spec.Location
	for tr := zoneEnd(t, loc); !tr.IsZero() && !tr.After(n); tr = zoneEnd(tr, loc) {
		_, before := tr.Add(-time.Second).In(loc).Zone()
		_, after := tr.In(loc).Zone()
		gap := time.Duration(after-before) * time.Second
		switch {
		case gap > 0 && tr.After(t):
			// The clock jumped from tr's wall time to gap later: a run
			// due in between by the old clock is due at the jump.
			old := *d.spec
			old.Location = time.FixedZone("", before)
			if due := old.Next(tr.Add(-time.Second)); due.Before(tr.Add(gap)) {
				return tr
			}
		case gap < 0 && !n.Before(tr) && n.Before(tr.Add(-gap)):
			// n's wall time came once already, gap earlier, and the
			// schedule matched it then.
			return d.Next(n)
		}
	}
	return n
}

// zoneEnd returns when the zone offset in force at t in loc next changes;
// zero when it never does.
func zoneEnd(t time.Time, loc *time.Location) time.Time {
	_, end := t.In(loc).ZoneBounds()
	return end
}

// fixedTime reports whether the cron expression s runs at fixed times of
// day: a descriptor of a day or longer, or fields whose minute and hour
// have no wildcard.
func fixedTime(s string) bool {
	f := strings.Fields(s)
	if len(f) > 0 && (strings.HasPrefix(f[0], "CRON_TZ=") || strings.HasPrefix(f[0], "TZ=")) {
		f = f[1:]
	}
	if len(f) == 1 {
		switch f[0] {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight":
			return true
		}
		return false
	}
	return len(f) == 5 && !strings.Contains(f[0]+f[1], "*")
}
