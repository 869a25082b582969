package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wharf-mft/wharf/internal/store"
)

// testBans: a saved ban is read back until it ends, a second save of one
// IP replaces the first, an ended ban is never returned nor lifted, and a
// lift reports whether there was a ban. It leaves no ban behind.
func testBans(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	if got, err := s.Bans(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Bans() on an empty store = %+v, %v; want none", got, err)
	}
	if _, err := s.Ban(ctx, "203.0.113.7"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Ban(203.0.113.7) on an empty store = %v, want ErrNotFound", err)
	}
	if ok, err := s.LiftBan(ctx, "203.0.113.7"); err != nil || ok {
		t.Errorf("LiftBan(203.0.113.7) on an empty store = %v, %v; want false, nil", ok, err)
	}

	created := now.Add(-time.Minute)
	a := store.Ban{IP: "203.0.113.7", Until: now.Add(time.Hour), Failures: 10, CreatedAt: created}
	b := store.Ban{IP: "2001:db8::7", Until: now.Add(30 * time.Minute), Failures: 3}
	ended := store.Ban{IP: "198.51.100.1", Until: now.Add(-time.Second), Failures: 10}
	for _, ban := range []store.Ban{a, b, ended} {
		if err := s.SaveBan(ctx, ban); err != nil {
			t.Fatalf("SaveBan(%s): %v", ban.IP, err)
		}
	}
	got, err := s.Bans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Ban{b, a}, got, cmpopts.IgnoreFields(store.Ban{}, "CreatedAt")); diff != "" {
		t.Errorf("Bans() (-want +got), want soonest to end first and no ended ban:\n%s", diff)
	}
	for _, g := range got {
		switch {
		case g.IP == a.IP && !g.CreatedAt.Equal(created):
			t.Errorf("Bans(): %s CreatedAt %v, want the %v saved", g.IP, g.CreatedAt, created)
		case g.IP == b.IP && g.CreatedAt.Before(now.Add(-time.Second)):
			t.Errorf("Bans(): %s CreatedAt %v, want now for a zero CreatedAt", g.IP, g.CreatedAt)
		}
	}
	if g, err := s.Ban(ctx, a.IP); err != nil || !g.Until.Equal(a.Until) || g.Failures != a.Failures {
		t.Errorf("Ban(%s) = %+v, %v; want %+v", a.IP, g, err, a)
	}
	if _, err := s.Ban(ctx, ended.IP); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Ban(%s), a ban that ended = %v, want ErrNotFound", ended.IP, err)
	}

	a.Until, a.Failures = now.Add(2*time.Hour), 4
	if err := s.SaveBan(ctx, a); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Ban(ctx, a.IP); err != nil || !g.Until.Equal(a.Until) || g.Failures != 4 {
		t.Errorf("Ban(%s) after a second SaveBan = %+v, %v; want the second ban %+v", a.IP, g, err, a)
	}
	if got, _ := s.Bans(ctx); len(got) != 2 {
		t.Errorf("Bans() after saving %s again = %d bans, want 2", a.IP, len(got))
	}

	if ok, err := s.LiftBan(ctx, ended.IP); err != nil || ok {
		t.Errorf("LiftBan(%s), a ban that ended = %v, %v; want false, nil", ended.IP, ok, err)
	}
	if ok, err := s.LiftBan(ctx, a.IP); err != nil || !ok {
		t.Errorf("LiftBan(%s) = %v, %v; want true, nil", a.IP, ok, err)
	}
	if ok, err := s.LiftBan(ctx, a.IP); err != nil || ok {
		t.Errorf("second LiftBan(%s) = %v, %v; want false, nil", a.IP, ok, err)
	}
	if _, err := s.Ban(ctx, a.IP); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Ban(%s) after LiftBan = %v, want ErrNotFound", a.IP, err)
	}
	if got, err := s.Bans(ctx); err != nil || len(got) != 1 || got[0].IP != b.IP {
		t.Errorf("Bans() after lifting %s = %+v, %v; want only %s", a.IP, got, err, b.IP)
	}
	if ok, err := s.LiftBan(ctx, b.IP); err != nil || !ok {
		t.Errorf("LiftBan(%s) = %v, %v; want true, nil", b.IP, ok, err)
	}
}
