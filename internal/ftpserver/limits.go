package ftpserver

import (
	"fmt"
	"sync"
	"time"
)

// limits enforces connection caps and bans IPs after repeated failed
// logins (like ProFTPD's mod_ban and pure-ftpd's -r).
type limits struct {
	maxTotal, maxPerIP int
	banAfter           int
	banFor             time.Duration

	mu       sync.Mutex
	total    int
	perIP    map[string]int
	admitted map[any]string // connection -> IP, for release
	failures map[string][]time.Time
	bans     map[string]time.Time // IP -> end of ban
	now      func() time.Time
}

func newLimits(c Config) *limits {
	return &limits{
		maxTotal: c.MaxConns, maxPerIP: c.MaxConnsPerIP,
		banAfter: c.BanAfter, banFor: c.BanFor,
		perIP:    make(map[string]int),
		admitted: make(map[any]string),
		failures: make(map[string][]time.Time),
		bans:     make(map[string]time.Time),
		now:      time.Now,
	}
}

// admit counts a new connection, or says why it is refused.
func (l *limits) admit(id any, ip string) error {
	if err := l.banned(ip); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxTotal > 0 && l.total >= l.maxTotal {
		return fmt.Errorf("too many connections to this server (max_conns %d); try again later", l.maxTotal)
	}
	if l.maxPerIP > 0 && l.perIP[ip] >= l.maxPerIP {
		return fmt.Errorf("too many connections from your address (max_conns_per_ip %d); close some and try again", l.maxPerIP)
	}
	l.total++
	l.perIP[ip]++
	l.admitted[id] = ip
	return nil
}

// release uncounts a connection admit accepted; others are ignored.
func (l *limits) release(id any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ip, ok := l.admitted[id]
	if !ok {
		return
	}
	delete(l.admitted, id)
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// banned returns an error while ip is banned.
func (l *limits) banned(ip string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	end, ok := l.bans[ip]
	if !ok {
		return nil
	}
	if l.now().After(end) {
		delete(l.bans, ip)
		return nil
	}
	return fmt.Errorf("too many failed logins from your address: banned until %s", end.UTC().Format(time.RFC3339))
}

// failed records a failed login and reports whether it started a ban.
func (l *limits) failed(ip string) bool {
	if l.banAfter < 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	recent := l.failures[ip][:0]
	for _, t := range l.failures[ip] {
		if now.Sub(t) < l.banFor {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	if len(recent) >= l.banAfter {
		delete(l.failures, ip)
		l.bans[ip] = now.Add(l.banFor)
		return true
	}
	l.failures[ip] = recent
	return false
}

// succeeded forgets ip's failures.
func (l *limits) succeeded(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, ip)
}
