package ftpserver_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/store"
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

// TestLoginNameAnyCase: account names are lower case, so a partner that
// types its name capitalised logs in as that account, into its own tree.
func TestLoginNameAnyCase(t *testing.T) {
	ts := startServer(t, ftpserver.Config{})
	for _, user := range []string{"ACME", "Acme"} {
		c, err := ts.dialErr(user, testPass, false)
		if err != nil {
			t.Fatalf("login as %q: %v", user, err)
		}
		if err := c.Stor("/receive/"+user+".edi", strings.NewReader("x")); err != nil {
			t.Errorf("%s: Stor: %v", user, err)
		}
		c.Quit()
		if !exists(filepath.Join(ts.root, "acme", "receive", user+".edi")) {
			t.Errorf("%s: the upload is not in acme's receive/", user)
		}
	}
	if c, err := ts.dialErr("ACME", "wrong password", false); err == nil {
		c.Quit()
		t.Error("ACME logged in with a wrong password")
	}
	var failed []string
	for _, e := range ts.events(t) {
		if e.Kind == store.EventLoginFailed {
			failed = append(failed, e.Account)
		}
	}
	if len(failed) != 1 || failed[0] != "acme" {
		t.Errorf("login_failed events name %q, want [acme]: an account's events carry its own name", failed)
	}
}
