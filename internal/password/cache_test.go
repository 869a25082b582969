package password

import (
	"fmt"
	"testing"
	"time"
)

func TestCacheHitsOnlyTheSamePasswordAndHash(t *testing.T) {
	c := NewCache(time.Minute, 10)
	if c.Hit("acme", "$h1", "pw") {
		t.Fatal("empty cache hit")
	}
	c.Remember("acme", "$h1", "pw")
	for _, tc := range []struct {
		user, hash, pw string
		want           bool
	}{
		{"acme", "$h1", "pw", true},
		{"acme", "$h1", "pw2", false},    // wrong password
		{"acme", "$h2", "pw", false},     // password changed: new stored hash
		{"other", "$h1", "pw", false},    // another account
		{"acme", "$h1", "pw\x00", false}, // fields are separated
	} {
		if got := c.Hit(tc.user, tc.hash, tc.pw); got != tc.want {
			t.Errorf("Hit(%q, %q, %q) = %v, want %v", tc.user, tc.hash, tc.pw, got, tc.want)
		}
	}
}

func TestCacheExpires(t *testing.T) {
	now := time.Unix(1e9, 0)
	c := NewCache(time.Minute, 10)
	c.now = func() time.Time { return now }
	c.Remember("acme", "$h", "pw")
	now = now.Add(59 * time.Second)
	if !c.Hit("acme", "$h", "pw") {
		t.Fatal("miss before expiry")
	}
	now = now.Add(time.Second)
	if c.Hit("acme", "$h", "pw") {
		t.Fatal("hit after expiry")
	}
}

func TestCacheStaysBounded(t *testing.T) {
	c := NewCache(time.Hour, 100)
	for i := range 1000 {
		c.Remember(fmt.Sprint("user", i), "$h", "pw")
		if len(c.m) > 100 {
			t.Fatalf("%d entries after %d logins, want at most 100", len(c.m), i+1)
		}
	}
	if !c.Hit("user999", "$h", "pw") {
		t.Fatal("the newest entry was evicted")
	}
}

func TestNilCacheNeverHits(t *testing.T) {
	var c *Cache
	c.Remember("acme", "$h", "pw")
	if c.Hit("acme", "$h", "pw") {
		t.Fatal("nil cache hit")
	}
}
