package ftpserver_test

import (
	"context"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
)

// A remembered password (the login cache) must not outlive a password
// change or the account being disabled.
func TestPasswordCacheFollowsAccountChanges(t *testing.T) {
	ts := startServer(t, ftpserver.Config{})
	ctx := context.Background()
	for range 2 { // the second login is served from the cache
		c, err := ts.dialErr("acme", testPass, false)
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		c.Quit()
	}
	a, err := ts.store.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if a.PasswordHash, err = password.Hash("new secret"); err != nil {
		t.Fatal(err)
	}
	if err := ts.store.UpdateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if c, err := ts.dialErr("acme", testPass, false); err == nil {
		c.Quit()
		t.Fatal("the old password still logs in after the change")
	}
	for range 2 {
		c, err := ts.dialErr("acme", "new secret", false)
		if err != nil {
			t.Fatalf("login with the new password: %v", err)
		}
		c.Quit()
	}
	a.Disabled = true
	if err := ts.store.UpdateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if c, err := ts.dialErr("acme", "new secret", false); err == nil {
		c.Quit()
		t.Fatal("a disabled account logs in with a remembered password")
	}
}
