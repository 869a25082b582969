package password

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// Cache remembers, for a while, which passwords verified, so that an
// account that logs in again skips argon2id. Partners' scripts often open
// one connection per file, and lftp or rclone open eight at once: each login
// would otherwise cost ~25 ms of a CPU and 19 MiB. SFTPGo's password cache
// does the same.
//
// Only a keyed MAC of (account, stored hash, password) is kept, under a key
// that lives in this process's memory only, so the cache holds nothing an
// attacker could test guesses against offline. A wrong password never hits
// the cache (it costs the full argon2id, as before), and changing a
// password changes the stored hash, which no entry matches any more.
type Cache struct {
	ttl time.Duration
	max int
	now func() time.Time
	key [32]byte

	mu sync.Mutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	mac     [sha256.Size]byte
	expires time.Time
}

// NewCache returns a cache that keeps an entry for ttl after it verified
// and holds at most max entries.
func NewCache(ttl time.Duration, max int) *Cache {
	c := &Cache{ttl: ttl, max: max, now: time.Now, m: make(map[string]cacheEntry)}
	if _, err := rand.Read(c.key[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return c
}

func (c *Cache) mac(user, hash, pw string) [sha256.Size]byte {
	h := hmac.New(sha256.New, c.key[:])
	for _, s := range []string{user, hash, pw} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// Hit reports whether (user, hash, pw) verified within the last ttl.
func (c *Cache) Hit(user, hash, pw string) bool {
	if c == nil {
		return false
	}
	mac := c.mac(user, hash, pw)
	c.mu.Lock()
	e, ok := c.m[user]
	c.mu.Unlock()
	return ok && c.now().Before(e.expires) && hmac.Equal(e.mac[:], mac[:])
}

// Remember records that pw verified against hash for user.
func (c *Cache) Remember(user, hash, pw string) {
	if c == nil {
		return
	}
	e := cacheEntry{mac: c.mac(user, hash, pw), expires: c.now().Add(c.ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[user]; !ok && len(c.m) >= c.max {
		c.evict()
	}
	c.m[user] = e
}

// evict drops expired entries, or when none has expired, an arbitrary
// quarter of them. c.mu is held.
func (c *Cache) evict() {
	now := c.now()
	for u, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, u)
		}
	}
	for u := range c.m {
		if len(c.m) < c.max*3/4 {
			break
		}
		delete(c.m, u)
	}
}
