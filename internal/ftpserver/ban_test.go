package ftpserver_test

import (
	"context"
	"errors"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// banConfig bans 127.0.0.1 after two failed logins, for an hour.
var banConfig = ftpserver.Config{BanAfter: 2, BanFor: time.Hour}

// banLoopback fails logins from 127.0.0.1 until BanAfter (2) ban it, and
// returns the ban the store then holds.
func banLoopback(t *testing.T, ts *testServer) store.Ban {
	t.Helper()
	start := time.Now()
	for i := range 2 {
		_, err := ts.dialErr("acme", "wrong password", false)
		if tpe := (*textproto.Error)(nil); !errors.As(err, &tpe) || tpe.Code != 530 {
			t.Fatalf("wrong password #%d: %v, want 530", i+1, err)
		}
	}
	b, err := ts.store.Ban(context.Background(), "127.0.0.1")
	if err != nil {
		t.Fatalf("the store after 2 failed logins: %v, want the ban of 127.0.0.1", err)
	}
	if b.Failures != 2 || b.Until.Before(start.Add(time.Hour)) || b.Until.After(time.Now().Add(time.Hour)) {
		t.Errorf("stored ban = %+v, want 2 failures, until an hour after the second", b)
	}
	return b
}

// checkRefused checks that a login from 127.0.0.1, with the right
// password, is refused before the greeting: 421, saying until when and what
// to do, in the partner's terms.
func checkRefused(t *testing.T, ts *testServer, b store.Ban) {
	t.Helper()
	c, err := ts.dialErr("acme", testPass, false)
	if err == nil {
		c.Quit()
		t.Fatal("a banned IP logged in with the right password")
	}
	tpe := (*textproto.Error)(nil)
	if !errors.As(err, &tpe) || tpe.Code != 421 {
		t.Fatalf("login from a banned IP: %v, want 421", err)
	}
	want := "too many failed logins from your address: banned until " + b.Until.UTC().Format(time.RFC3339) +
		"; try again then, or ask the server's administrator to lift the ban"
	if tpe.Msg != want {
		t.Errorf("421 reply = %q, want %q", tpe.Msg, want)
	}
	if strings.Contains(strings.ToLower(tpe.Msg), "wharf") {
		t.Errorf("421 reply %q names a command: the partner cannot run it", tpe.Msg)
	}
}

// TestBanLiftedInStore: failed logins ban the IP, which is then refused
// with a 421 that says what to do; once the ban is lifted in the store (as
// wharf ban lift does) the running server admits the IP's next connection.
func TestBanLiftedInStore(t *testing.T) {
	t.Parallel()
	ts := startServer(t, banConfig)
	b := banLoopback(t, ts)
	checkRefused(t, ts, b)
	checkRefused(t, ts, b) // a ban the store confirmed still holds
	var banned int
	for _, e := range ts.events(t) {
		if e.Kind == store.EventBanned {
			banned++
		}
	}
	if banned != 1 {
		t.Errorf("%d %s events, want 1", banned, store.EventBanned)
	}

	if ok, err := ts.store.LiftBan(context.Background(), "127.0.0.1"); err != nil || !ok {
		t.Fatalf("LiftBan(127.0.0.1) = %v, %v; want true", ok, err)
	}
	ts.dial(t, "acme", false)
	// The failures that made the ban are forgotten: one more does not
	// ban again.
	if _, err := ts.dialErr("acme", "wrong password", false); err == nil {
		t.Fatal("a wrong password logged in")
	}
	ts.dial(t, "acme", false)
	if _, err := ts.store.Ban(context.Background(), "127.0.0.1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the store after one failed login past the lift: %v, want no ban", err)
	}
}

// TestBanSurvivesRestart: a server started on the store of one that banned
// an IP refuses the IP too, until the ban is lifted.
func TestBanSurvivesRestart(t *testing.T) {
	t.Parallel()
	first := startServer(t, banConfig)
	b := banLoopback(t, first)
	first.stop()

	ts := startServerWith(t, banConfig, func(o *ftpserver.Options) { o.Store = first.store })
	checkRefused(t, ts, b)
	if ok, err := first.store.LiftBan(context.Background(), "127.0.0.1"); err != nil || !ok {
		t.Fatalf("LiftBan(127.0.0.1) = %v, %v; want true", ok, err)
	}
	ts.dial(t, "acme", false)
}

// TestBanNotResetByOtherAccount: logging in to one's own account between
// guesses at another's does not reset the count (3 failures against ops,
// with acme's logins between them, ban the IP at ban_after 3); a partner
// who mistyped its own password and then logged in starts afresh.
func TestBanNotResetByOtherAccount(t *testing.T) {
	t.Parallel()
	ts := startServer(t, ftpserver.Config{BanAfter: 3, BanFor: time.Hour})
	wrong := func(user string) {
		t.Helper()
		_, err := ts.dialErr(user, "wrong password", false)
		if tpe := (*textproto.Error)(nil); !errors.As(err, &tpe) || tpe.Code != 530 {
			t.Fatalf("wrong password for %s: %v, want 530", user, err)
		}
	}
	right := func(user string) {
		t.Helper()
		c, err := ts.dialErr(user, testPass, false)
		if err != nil {
			t.Fatalf("login as %s with the right password: %v", user, err)
		}
		c.Quit()
	}
	// Own mistakes are forgotten at the account's own login.
	wrong("acme")
	wrong("acme")
	right("acme")
	wrong("acme")
	wrong("acme")
	right("acme")
	if _, err := ts.store.Ban(context.Background(), "127.0.0.1"); err == nil {
		t.Fatal("banned after an account's own mistakes, each followed by its login")
	}
	// Guesses at ops survive acme's logins.
	wrong("ops")
	right("acme")
	wrong("ops")
	right("acme")
	_, err := ts.dialErr("ops", "wrong password", false)
	if tpe := (*textproto.Error)(nil); !errors.As(err, &tpe) || tpe.Code != 530 {
		t.Fatalf("third wrong password for ops: %v, want 530", err)
	}
	b, err := ts.store.Ban(context.Background(), "127.0.0.1")
	if err != nil || b.Failures != 3 {
		t.Fatalf("after 3 failed logins for ops between acme's logins: ban %+v, %v; want a ban after 3 failures", b, err)
	}
	checkRefused(t, ts, b)
}
