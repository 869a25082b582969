package ftpserver

import (
	"sync"
	"time"
)

// refusalLogEvery is how often, at most, the refused connections of one
// IP are logged: a banned client or a flood over the connection caps
// reconnecting in a loop must not fill the log.
const refusalLogEvery = time.Minute

// refusalLog decides which refused connections get a log line: the first
// from an IP, then one per refusalLogEvery with the count left out since.
type refusalLog struct {
	mu     sync.Mutex
	last   map[string]refusals
	purged time.Time // when entries of IPs gone quiet were last dropped
	now    func() time.Time
}

type refusals struct {
	at         time.Time // when the IP's last line was logged
	suppressed int       // refusals not logged since
}

// note counts a refusal from ip and reports whether to log it, with how
// many went unlogged before it.
func (r *refusalLog) note(ip string) (log bool, suppressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.last == nil {
		r.last = map[string]refusals{}
	}
	if now.Sub(r.purged) >= refusalLogEvery {
		// IPs quiet for two periods are forgotten (with their count), so
		// the map holds only the IPs refused lately.
		for k, v := range r.last {
			if now.Sub(v.at) >= 2*refusalLogEvery {
				delete(r.last, k)
			}
		}
		r.purged = now
	}
	cur, seen := r.last[ip]
	if seen && now.Sub(cur.at) < refusalLogEvery {
		cur.suppressed++
		r.last[ip] = cur
		return false, 0
	}
	r.last[ip] = refusals{at: now}
	return true, cur.suppressed
}
