package storetest

import (
	"context"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
)

// testAccessStamp checks that the stamp changes with every change to an
// account, mount or remote, and only then.
func testAccessStamp(t *testing.T, s store.Store, as store.AccessStamper) {
	ctx := context.Background()
	last, err := as.AccessStamp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	step := func(what string, change func() error) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		now, err := as.AccessStamp(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if now == last {
			t.Errorf("%s: the access stamp stayed %q", what, now)
		}
		again, err := as.AccessStamp(ctx)
		if err != nil || again != now {
			t.Errorf("%s: the stamp moved without a change: %q, then %q (%v)", what, now, again, err)
		}
		last = now
	}
	a := &store.Account{Name: "stamp-acct", Kind: store.Partner, PasswordHash: "h"}
	step("create account", func() error { return s.CreateAccount(ctx, a) })
	step("update account", func() error { a.Disabled = true; return s.UpdateAccount(ctx, a) })
	r := &store.Remote{Name: "stamp-remote"}
	step("create remote", func() error { return s.CreateRemote(ctx, r) })
	step("update remote", func() error { r.Settings.ReadOnly = true; return s.UpdateRemote(ctx, r) })
	m := &store.Mount{Account: a.Name, Path: "/send/x", Remote: r.Name}
	step("create mount", func() error { return s.CreateMount(ctx, m) })
	step("delete mount", func() error { return s.DeleteMount(ctx, a.Name, m.Path) })
	// The same rowid can come back after its row was deleted.
	m2 := &store.Mount{Account: a.Name, Path: "/send/y", Remote: r.Name}
	step("create mount again", func() error { return s.CreateMount(ctx, m2) })
	step("delete remote", func() error {
		if err := s.DeleteMount(ctx, a.Name, m2.Path); err != nil {
			return err
		}
		return s.DeleteRemote(ctx, r.Name)
	})
	step("delete account", func() error { return s.DeleteAccount(ctx, a.Name) })
}
