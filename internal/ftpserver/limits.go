package ftpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// limits enforces connection caps and bans IPs after repeated failed
// logins (like ProFTPD's mod_ban and pure-ftpd's -r).
//
// The store holds the bans that count (a ban outlives a restart, and
// wharf ban lift removes one there); bans is a copy, so that a connection
// from an IP that is not banned costs no store query. A connection from a
// banned IP checks the store once, and is admitted when the ban is gone.
type limits struct {
	maxTotal, maxPerIP int
	banAfter           int
	banFor             time.Duration
	store              banStore
	log                *slog.Logger

	mu       sync.Mutex
	total    int
	perIP    map[string]int
	admitted map[any]string       // connection -> IP, for release
	failures map[string][]failure // per IP, within banFor
	bans     map[string]ban
	now      func() time.Time
}

// banStore is where limits keeps bans.
type banStore interface {
	SaveBan(ctx context.Context, b store.Ban) error
	Ban(ctx context.Context, ip string) (store.Ban, error)
	Bans(ctx context.Context) ([]store.Ban, error)
}

// failure is one failed login: when, and the account name it tried (as
// typed, lower-cased).
type failure struct {
	at      time.Time
	account string
}

// ban is the in-memory copy of a ban.
type ban struct {
	until time.Time
	// stored is false while the ban is not (or could not be) saved: the
	// store cannot tell that it was lifted, so it holds until it ends.
	stored bool
}

func newLimits(c Config, st banStore, log *slog.Logger) *limits {
	return &limits{
		maxTotal: c.MaxConns, maxPerIP: c.MaxConnsPerIP,
		banAfter: c.BanAfter, banFor: c.BanFor,
		store: st, log: log,
		perIP:    make(map[string]int),
		admitted: make(map[any]string),
		failures: make(map[string][]failure),
		bans:     make(map[string]ban),
		now:      time.Now,
	}
}

// loadBans copies the store's bans into memory, so that a restart does
// not forgive them. With banning off (BanAfter < 0) it loads none.
func (l *limits) loadBans(ctx context.Context) error {
	if l.banAfter < 0 {
		return nil
	}
	bs, err := l.store.Bans(ctx)
	if err != nil {
		return fmt.Errorf("load bans: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range bs {
		if cur, ok := l.bans[b.IP]; !ok || cur.until.Before(b.Until) {
			l.bans[b.IP] = ban{until: b.Until, stored: true}
		}
	}
	return nil
}

// admit counts a new connection, or says why it is refused.
func (l *limits) admit(ctx context.Context, id any, ip string) error {
	if err := l.banned(ctx, ip); err != nil {
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

// banned returns an error while ip is banned. Only for an IP banned in
// memory does it ask the store, which has the last word: a ban lifted
// there is dropped here too. When the store cannot answer, the ban holds.
func (l *limits) banned(ctx context.Context, ip string) error {
	b, ok := l.banOf(ip)
	if !ok {
		return nil
	}
	if b.stored {
		sb, err := l.store.Ban(ctx, ip)
		switch {
		case errors.Is(err, store.ErrNotFound):
			l.replaceBan(ip, b, ban{})
			return nil
		case err != nil:
			l.log.Error("check ban in the store; refusing the banned address meanwhile", "ip", ip, "err", err)
		default:
			l.replaceBan(ip, b, ban{until: sb.Until, stored: true})
			b.until = sb.Until
		}
	}
	return fmt.Errorf("too many failed logins from your address: banned until %s; try again then, or ask the server's administrator to lift the ban",
		b.until.UTC().Format(time.RFC3339))
}

// banOf returns ip's ban in memory, dropping one that has ended.
func (l *limits) banOf(ip string) (ban, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.bans[ip]
	if ok && l.now().After(b.until) {
		delete(l.bans, ip)
		return ban{}, false
	}
	return b, ok
}

// replaceBan replaces ip's ban old with b (a zero b drops it), unless a
// new ban replaced old meanwhile.
func (l *limits) replaceBan(ip string, old, b ban) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.bans[ip]; !ok || cur.stored != old.stored || !cur.until.Equal(old.until) {
		return
	}
	if b.until.IsZero() {
		delete(l.bans, ip)
		return
	}
	l.bans[ip] = b
}

// failed records a failed login for account from ip and reports whether
// it started a ban, which it saves in the store. A ban the store refuses
// still holds here.
func (l *limits) failed(ctx context.Context, ip, account string) bool {
	sb, ok := l.countFailure(ip, account)
	if !ok {
		return false
	}
	if err := l.store.SaveBan(ctx, sb); err != nil {
		l.log.Error("save ban; it holds until it ends or this server stops", "ip", ip, "err", err)
		return true
	}
	l.replaceBan(ip, ban{until: sb.Until}, ban{until: sb.Until, stored: true})
	return true
}

// countFailure counts a failed login from ip, and bans ip in memory when
// it makes banAfter within banFor, whatever accounts they tried.
func (l *limits) countFailure(ip, account string) (store.Ban, bool) {
	if l.banAfter < 0 {
		return store.Ban{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	recent := l.failures[ip][:0]
	for _, f := range l.failures[ip] {
		if now.Sub(f.at) < l.banFor {
			recent = append(recent, f)
		}
	}
	recent = append(recent, failure{at: now, account: strings.ToLower(account)})
	if len(recent) >= l.banAfter {
		delete(l.failures, ip)
		until := now.Add(l.banFor)
		l.bans[ip] = ban{until: until}
		return store.Ban{IP: ip, Until: until, Failures: len(recent), CreatedAt: now}, true
	}
	l.failures[ip] = recent
	return store.Ban{}, false
}

// succeeded forgets ip's failed logins to account: a partner who mistyped
// its own password starts afresh. Failures against other accounts stay,
// so logging in to one's own account between guesses at another's does
// not keep an IP from being banned.
func (l *limits) succeeded(ip, account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	account = strings.ToLower(account)
	kept := l.failures[ip][:0]
	for _, f := range l.failures[ip] {
		if f.account != account {
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 {
		delete(l.failures, ip)
		return
	}
	l.failures[ip] = kept
}
