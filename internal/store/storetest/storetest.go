// Package storetest is the contract test every store.Store implementation
// runs.
package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
)

// Run exercises s. It expects an empty store.
func Run(t *testing.T, s store.Store) {
	ctx := context.Background()
	t.Run("accounts", func(t *testing.T) {
		yes := true
		a := &store.Account{Name: "acme", Kind: store.Partner, PasswordHash: "h1", Policy: store.Policy{Overwrite: &yes}}
		if err := s.CreateAccount(ctx, a); err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		if a.ID == 0 {
			t.Errorf("CreateAccount left ID 0")
		}
		if err := s.CreateAccount(ctx, &store.Account{Name: "acme", Kind: store.Partner}); !errors.Is(err, store.ErrExists) {
			t.Errorf("CreateAccount duplicate = %v, want ErrExists", err)
		}
		if err := s.CreateAccount(ctx, &store.Account{Name: "ops", Kind: store.Staff, PasswordHash: "h2"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Account(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != store.Partner || got.PasswordHash != "h1" || got.Policy.Overwrite == nil || !*got.Policy.Overwrite {
			t.Errorf("Account(acme) = %+v", got)
		}
		if _, err := s.Account(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Account(nobody) = %v, want ErrNotFound", err)
		}
		partners, err := s.Accounts(ctx, store.Partner)
		if err != nil || len(partners) != 1 {
			t.Errorf("Accounts(partner) = %d accounts, %v; want 1", len(partners), err)
		}
		all, err := s.Accounts(ctx, "")
		if err != nil || len(all) != 2 {
			t.Errorf("Accounts(all) = %d accounts, %v; want 2", len(all), err)
		}
		got.Disabled = true
		got.Policy.Overwrite = nil
		if err := s.UpdateAccount(ctx, &got); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Account(ctx, "acme")
		if !got.Disabled || got.Policy.Overwrite != nil {
			t.Errorf("after update: %+v", got)
		}
		if err := s.UpdateAccount(ctx, &store.Account{Name: "nobody"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateAccount(nobody) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAccount(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAccount(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteAccount = %v, want ErrNotFound", err)
		}
	})
	t.Run("remotes", func(t *testing.T) {
		r := &store.Remote{Name: "bank", PasswordEnc: []byte{1, 2, 3}, Settings: store.RemoteSettings{Host: "ftp.bank.example", Port: 990, User: "u", TLS: "implicit", MaxConns: 4}}
		if err := s.CreateRemote(ctx, r); err != nil {
			t.Fatalf("CreateRemote: %v", err)
		}
		if err := s.CreateRemote(ctx, &store.Remote{Name: "bank"}); !errors.Is(err, store.ErrExists) {
			t.Errorf("CreateRemote duplicate = %v, want ErrExists", err)
		}
		got, err := s.Remote(ctx, "bank")
		if err != nil {
			t.Fatal(err)
		}
		if got.Settings != r.Settings || string(got.PasswordEnc) != "\x01\x02\x03" {
			t.Errorf("Remote(bank) = %+v, want %+v", got, r)
		}
		got.Settings.ReadOnly = true
		if err := s.UpdateRemote(ctx, &got); err != nil {
			t.Fatal(err)
		}
		all, err := s.Remotes(ctx)
		if err != nil || len(all) != 1 || !all[0].Settings.ReadOnly {
			t.Errorf("Remotes() = %+v, %v", all, err)
		}
		if err := s.DeleteRemote(ctx, "bank"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Remote(ctx, "bank"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Remote after delete = %v, want ErrNotFound", err)
		}
	})
	t.Run("mounts", func(t *testing.T) {
		m := &store.Mount{Account: "ops", Path: "/bank", Remote: "bank", RemotePath: "/out", ReadOnly: true}
		if err := s.CreateMount(ctx, m); err != nil {
			t.Fatalf("CreateMount: %v", err)
		}
		if err := s.CreateMount(ctx, &store.Mount{Account: "ops", Path: "/bank", Remote: "x"}); !errors.Is(err, store.ErrExists) {
			t.Errorf("CreateMount duplicate = %v, want ErrExists", err)
		}
		if err := s.CreateMount(ctx, &store.Mount{Account: "acme", Path: "/send/in", Remote: "bank"}); err != nil {
			t.Fatal(err)
		}
		ms, err := s.Mounts(ctx, "ops")
		if err != nil || len(ms) != 1 || ms[0].RemotePath != "/out" || !ms[0].ReadOnly {
			t.Errorf("Mounts(ops) = %+v, %v", ms, err)
		}
		if all, _ := s.Mounts(ctx, ""); len(all) != 2 {
			t.Errorf("Mounts(all) = %d, want 2", len(all))
		}
		if err := s.DeleteMount(ctx, "ops", "/bank"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMount(ctx, "ops", "/bank"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteMount = %v, want ErrNotFound", err)
		}
	})
	t.Run("events", func(t *testing.T) {
		for _, k := range []string{store.EventLogin, store.EventReceived, store.EventSent} {
			if _, err := s.AddEvent(ctx, store.Event{Kind: k, Account: "acme", Path: "/receive/a.edi", Bytes: 4}); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := s.Events(ctx, 0, 2)
		if err != nil || len(evs) != 2 {
			t.Fatalf("Events(0, 2) = %d, %v; want 2", len(evs), err)
		}
		if evs[0].Kind != store.EventLogin || evs[0].Time.IsZero() {
			t.Errorf("first event = %+v", evs[0])
		}
		rest, err := s.Events(ctx, evs[1].ID, 10)
		if err != nil || len(rest) != 1 || rest[0].Kind != store.EventSent {
			t.Errorf("Events(after 2nd) = %+v, %v", rest, err)
		}
		last, err := s.LastEvents(ctx, 2)
		if err != nil || len(last) != 2 || last[0].ID != evs[1].ID || last[1].Kind != store.EventSent {
			t.Errorf("LastEvents(2) = %+v, %v; want the 2nd and 3rd, oldest first", last, err)
		}
		if _, err := s.AddEvent(ctx, store.Event{Kind: store.EventReceived, Account: "bank"}); err != nil {
			t.Fatal(err)
		}
		kinds := func(evs []store.Event) (out []string) {
			for _, e := range evs {
				out = append(out, e.Kind+":"+e.Account)
			}
			return out
		}
		for _, tc := range []struct {
			f      store.EventFilter
			after  int64
			limit  int
			newest bool
			want   string
		}{
			{store.EventFilter{Kinds: []string{store.EventReceived}}, 0, 10, false, "received:acme received:bank"},
			{store.EventFilter{Kinds: []string{store.EventReceived, store.EventSent}, Account: "ACME"}, 0, 10, false, "received:acme sent:acme"},
			{store.EventFilter{Account: "acme"}, 0, 2, true, "received:acme sent:acme"},
			{store.EventFilter{Account: "acme"}, evs[0].ID, 1, false, "received:acme"},
			{store.EventFilter{Kinds: []string{store.EventMkdir}}, 0, 10, false, ""},
		} {
			got, err := s.FilterEvents(ctx, tc.f, tc.after, tc.limit, tc.newest)
			if err != nil || strings.Join(kinds(got), " ") != tc.want {
				t.Errorf("FilterEvents(%+v, %d, %d, %v) = %v, %v; want %q", tc.f, tc.after, tc.limit, tc.newest, kinds(got), err, tc.want)
			}
		}
	})
	t.Run("syncs", func(t *testing.T) { testSyncs(t, s) })
	t.Run("sync pair change", func(t *testing.T) { testSyncPairChange(t, s) })
	t.Run("remote moved", func(t *testing.T) { testRemoteMoved(t, s) })
	t.Run("prune", func(t *testing.T) { testPrune(t, s) })
	t.Run("bans", func(t *testing.T) { testBans(t, s) })
	if mu, ok := s.(store.MountUploads); ok {
		t.Run("mount uploads", func(t *testing.T) { testMountUploads(t, mu) })
	}
	if as, ok := s.(store.AccessStamper); ok {
		t.Run("access stamp", func(t *testing.T) { testAccessStamp(t, s, as) })
	}
}
