package ftpserver_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/localfs"
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

// TestPolicyChangeReachesOpenSession: an operator's change to an account's
// rights, filter or plain-FTP permission applies to its open sessions at
// the next check, not only to its next login.
func TestPolicyChangeReachesOpenSession(t *testing.T) {
	yes := true
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) { o.AccountCheck = time.Hour },
		func(a *store.Account) { a.Policy.AllowPlain = &yes })
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(ts.root, "acme", "send", "out.edi"), []byte("out"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(t, "acme", false)
	if err := c.Stor("/receive/a.edi", strings.NewReader("a")); err != nil {
		t.Fatalf("Stor before the change: %v", err)
	}
	plain := ts.dial(t, "acme", true)
	change := func(f func(p *store.Policy)) {
		t.Helper()
		a, err := ts.store.Account(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		f(&a.Policy)
		if err := ts.store.UpdateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		ts.srv.Refresh(ctx)
	}

	filter := "*.x12"
	change(func(p *store.Policy) { p.Filter = &filter })
	if err := c.Stor("/receive/b.edi", strings.NewReader("b")); err == nil || !strings.Contains(err.Error(), "*.x12") {
		t.Errorf("Stor b.edi after the filter became *.x12 = %v, want a refusal naming the rule", err)
	}
	if err := c.Stor("/receive/b.x12", strings.NewReader("b")); err != nil {
		t.Errorf("Stor b.x12 under the new filter: %v", err)
	}

	change(func(p *store.Policy) { p.Receive = &store.Access{}; p.Send = &store.Access{} })
	if err := c.Stor("/receive/c.x12", strings.NewReader("c")); err == nil || !strings.Contains(err.Error(), "closed to this account") {
		t.Errorf("Stor after receive rights were taken away = %v, want a refusal", err)
	}
	if r, err := c.Retr("/send/out.edi"); err == nil {
		r.Close()
		t.Errorf("Retr after send rights were taken away succeeded")
	}
	if exists(filepath.Join(ts.root, "acme", "receive", "c.x12")) {
		t.Errorf("c.x12 was stored")
	}
	if _, err := c.List("/send"); err == nil || !strings.Contains(err.Error(), "/send is closed to this account") {
		t.Errorf("LIST of a folder closed to the account = %v, want a refusal saying so", err)
	}

	change(func(p *store.Policy) { p.Send = &store.Access{Read: true} })
	if r, err := c.Retr("/send/out.edi"); err != nil {
		t.Errorf("Retr after send rights came back: %v", err)
	} else {
		r.Close()
	}

	no := false
	change(func(p *store.Policy) { p.AllowPlain = &no })
	if err := c.NoOp(); err != nil {
		t.Errorf("the TLS session was closed when plain FTP was disallowed: %v", err)
	}
	// The 421 goes out from another goroutine: a NOOP sent at once may
	// still be answered before it, and the next one then reads the 421.
	var err error
	for range 100 {
		if err = plain.NoOp(); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "421") || !strings.Contains(err.Error(), "session closed by the server: plain FTP no longer allowed") {
		t.Errorf("plain session after plain FTP was disallowed: NOOP = %v, want 421", err)
	}
}

// TestMountChangesReachOpenSession: mounts added, removed or changed, and
// a change to a mount's remote, reach open sessions at the next check.
func TestMountChangesReachOpenSession(t *testing.T) {
	trees := map[string]string{"bank": t.TempDir(), "ro": t.TempDir()}
	if err := os.WriteFile(filepath.Join(trees["bank"], "remote.edi"), []byte("from remote"), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	opens := map[string]int{}
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		o.AccountCheck = time.Hour
		o.OpenMount = func(_ context.Context, m store.Mount) (vfs.FS, error) {
			mu.Lock()
			opens[m.Remote]++
			mu.Unlock()
			return localfs.Open(trees[m.Remote])
		}
	})
	ctx := context.Background()
	for name := range trees {
		if err := ts.store.CreateRemote(ctx, &store.Remote{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	opened := func(remote string) int {
		mu.Lock()
		defer mu.Unlock()
		return opens[remote]
	}
	if err := os.Mkdir(filepath.Join(ts.root, "acme", "receive", "bank"), 0o750); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(t, "acme", false)
	list := func() []string {
		t.Helper()
		names, err := c.NameList("/receive/bank")
		if err != nil {
			t.Fatalf("NLST /receive/bank: %v", err)
		}
		return names
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("before the mount: NLST /receive/bank = %v, want nothing", got)
	}

	m := store.Mount{Account: "acme", Path: "/receive/bank", Remote: "bank"}
	if err := ts.store.CreateMount(ctx, &m); err != nil {
		t.Fatal(err)
	}
	ts.srv.Refresh(ctx)
	if got := list(); len(got) != 1 || !strings.HasSuffix(got[0], "remote.edi") {
		t.Errorf("after mount add: NLST = %v, want [remote.edi]", got)
	}
	ts.srv.Refresh(ctx)
	if n := opened("bank"); n != 1 {
		t.Errorf("an unchanged mount was opened %d times, want 1", n)
	}

	r, err := ts.store.Remote(ctx, "bank")
	if err != nil {
		t.Fatal(err)
	}
	r.Settings.ReadOnly = true
	if err := ts.store.UpdateRemote(ctx, &r); err != nil {
		t.Fatal(err)
	}
	ts.srv.Refresh(ctx)
	if n := opened("bank"); n != 2 {
		t.Errorf("after the remote changed the mount was opened %d times, want 2", n)
	}
	if err := c.Stor("/receive/bank/z.edi", strings.NewReader("z")); err == nil || !strings.Contains(err.Error(), "which is read-only") {
		t.Errorf("Stor after the remote became read-only = %v, want a refusal saying so", err)
	}

	if err := ts.store.DeleteMount(ctx, "acme", "/receive/bank"); err != nil {
		t.Fatal(err)
	}
	ro := store.Mount{Account: "acme", Path: "/receive/bank", Remote: "ro", ReadOnly: true}
	if err := ts.store.CreateMount(ctx, &ro); err != nil {
		t.Fatal(err)
	}
	ts.srv.Refresh(ctx)
	if err := c.Stor("/receive/bank/x.edi", strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "read-only mount of remote") {
		t.Errorf("Stor after the mount became read-only = %v, want a refusal", err)
	}

	if err := ts.store.DeleteMount(ctx, "acme", "/receive/bank"); err != nil {
		t.Fatal(err)
	}
	ts.srv.Refresh(ctx)
	if got := list(); len(got) != 0 {
		t.Errorf("after mount remove: NLST = %v, want the empty local folder", got)
	}
	if err := c.Stor("/receive/bank/y.edi", strings.NewReader("y")); err != nil {
		t.Errorf("Stor into the unmounted folder: %v", err)
	}
	if exists(filepath.Join(trees["bank"], "y.edi")) || exists(filepath.Join(trees["ro"], "y.edi")) {
		t.Errorf("y.edi went to a removed mount")
	}
}

// countingStore counts full account loads.
type countingStore struct {
	*sqlite.Store
	loads atomic.Int32
}

func (c *countingStore) Accounts(ctx context.Context, kind store.Kind) ([]store.Account, error) {
	c.loads.Add(1)
	return c.Store.Accounts(ctx, kind)
}

// TestRefreshLoadsOnlyOnChange: with open sessions, the account check
// reads the store's access stamp and loads accounts, mounts and remotes
// only when it changed.
func TestRefreshLoadsOnlyOnChange(t *testing.T) {
	var cs *countingStore
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		o.AccountCheck = time.Hour
		cs = &countingStore{Store: o.Store.(*sqlite.Store)}
		o.Store = cs
	})
	ctx := context.Background()
	c := ts.dial(t, "acme", false)
	base := cs.loads.Load() // the login's lookups do not load all
	ts.srv.Refresh(ctx)
	ts.srv.Refresh(ctx)
	ts.srv.Refresh(ctx)
	if n := cs.loads.Load() - base; n != 1 {
		t.Errorf("three checks without a change loaded the accounts %d times, want 1", n)
	}
	a, err := ts.store.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	a.Policy.Receive = &store.Access{}
	if err := ts.store.UpdateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	ts.srv.Refresh(ctx)
	if n := cs.loads.Load() - base; n != 2 {
		t.Errorf("after a change the accounts were loaded %d times in all, want 2", n)
	}
	if err := c.Stor("/receive/x.edi", strings.NewReader("x")); err == nil {
		t.Error("the change did not reach the open session")
	}
}
