package ftpserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestRevokedAccountSessionsClose: disabling an account, removing it or
// giving it a new password closes its open sessions; other sessions go on.
func TestRevokedAccountSessionsClose(t *testing.T) {
	ts := startServerWith(t, ftpserver.Config{AllowPlain: true}, func(o *ftpserver.Options) { o.AccountCheck = 10 * time.Millisecond })
	ctx := context.Background()
	hash, err := password.Hash(testPass)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gone", "rekeyed"} {
		if err := ts.store.CreateAccount(ctx, &store.Account{Name: name, Kind: store.Partner, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	login := func(user string) *rawFTP {
		r, _, _ := rawDial(t, "", ts.addr)
		r.login(user)
		return r
	}
	bystander := login("ops")
	for _, tt := range []struct {
		user, why string
		change    func(a *store.Account) error
	}{
		{"acme", "account disabled", func(a *store.Account) error { a.Disabled = true; return ts.store.UpdateAccount(ctx, a) }},
		{"gone", "account removed", func(a *store.Account) error { return ts.store.DeleteAccount(ctx, a.Name) }},
		{"rekeyed", "password changed", func(a *store.Account) error {
			h, err := password.Hash("new " + testPass)
			a.PasswordHash = h
			if err != nil {
				return err
			}
			return ts.store.UpdateAccount(ctx, a)
		}},
	} {
		r := login(tt.user)
		if code, msg := r.cmd("NOOP"); code != 200 {
			t.Fatalf("%s: NOOP = %d %s", tt.user, code, msg)
		}
		a, err := ts.store.Account(ctx, tt.user)
		if err != nil {
			t.Fatal(err)
		}
		if err := tt.change(&a); err != nil {
			t.Fatal(err)
		}
		if closed, got := r.closed(); !closed {
			t.Errorf("%s: session still open after %s (got %q)", tt.user, tt.why, got)
		} else if want := "421 session closed by the server: " + tt.why + "\r\n"; got != want {
			t.Errorf("%s: closed with %q, want %q", tt.user, got, want)
		}
		found := false
		for _, e := range ts.events(t) {
			found = found || e.Kind == store.EventSessionClosed && e.Account == tt.user && e.Detail == "session closed: "+tt.why
		}
		if !found {
			t.Errorf("%s: no %s event saying %q", tt.user, store.EventSessionClosed, tt.why)
		}
	}
	if code, msg := bystander.cmd("NOOP"); code != 200 {
		t.Errorf("the staff session was closed too: NOOP = %d %s", code, msg)
	}
}
