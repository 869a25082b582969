package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// testRemoteMoved covers UpdateRemote's reset of the state of the syncs
// of a remote whose settings move it to other files (store.RemoteMoved):
// all of them in one transaction, none while one is running, and no other
// sync's.
func testRemoteMoved(t *testing.T, s store.Store) {
	ctx := context.Background()
	files := []store.SyncFile{{Path: "a.edi", Local: store.SyncSide{Exists: true, Size: 1}, Remote: store.SyncSide{Exists: true, Size: 1}}}
	newRemote := func(t *testing.T, name string) store.Remote {
		t.Helper()
		r := store.Remote{Name: name, Settings: store.RemoteSettings{Host: "ftp.bank.example", User: "u", Root: "/in", TLS: "explicit"}}
		if err := s.CreateRemote(ctx, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	newSync := func(t *testing.T, name, remote string) store.Sync {
		t.Helper()
		return createTracked(t, ctx, s, store.Sync{Name: name, Folder: "acme/send", Remote: remote, RemotePath: "/k", Direction: store.SyncPush}, files)
	}
	for i, tc := range []struct {
		name   string
		change func(*store.RemoteSettings)
		want   int // files tracked after
	}{
		{"max conns", func(r *store.RemoteSettings) { r.MaxConns = 2 }, 1},
		{"tls mode with the standard ports", func(r *store.RemoteSettings) { r.TLS = "implicit" }, 1},
		{"host spelled otherwise", func(r *store.RemoteSettings) { r.Host = "FTP.Bank.Example." }, 1},
		{"root spelled otherwise", func(r *store.RemoteSettings) { r.Root = "in/" }, 1},
		{"port 21 written out", func(r *store.RemoteSettings) { r.Port = 21 }, 1},
		{"host", func(r *store.RemoteSettings) { r.Host = "ftp2.bank.example" }, 0},
		{"port", func(r *store.RemoteSettings) { r.Port = 2121 }, 0},
		{"user", func(r *store.RemoteSettings) { r.User = "v" }, 0},
		{"root", func(r *store.RemoteSettings) { r.Root = "/sub" }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRemote(t, "move"+string(rune('a'+i)))
			sy := newSync(t, r.Name+"-k", r.Name)
			other := newSync(t, r.Name+"-other", "elsewhere")
			tc.change(&r.Settings)
			if err := s.UpdateRemote(ctx, &r); err != nil {
				t.Fatal(err)
			}
			if got := tracked(t, ctx, s, sy); got != tc.want {
				t.Errorf("after changing the %s: %d files tracked, want %d", tc.name, got, tc.want)
			}
			if got := tracked(t, ctx, s, other); got != 1 {
				t.Errorf("after changing the %s of another remote: %d files tracked, want 1", tc.name, got)
			}
		})
	}
	t.Run("started ops aborted", func(t *testing.T) {
		r := newRemote(t, "move-journal")
		sy := newSync(t, "move-journal-k", r.Name)
		startOp(t, ctx, s, sy)
		r.Settings.Root = "/sub"
		if err := s.UpdateRemote(ctx, &r); err != nil {
			t.Fatal(err)
		}
		checkAborted(t, ctx, s, sy, "the remote moved")
	})
	t.Run("refused while one runs", func(t *testing.T) {
		r := newRemote(t, "move-running")
		idle := newSync(t, "move-running-a", r.Name)
		busy := newSync(t, "move-running-b", r.Name)
		now := time.Now()
		if _, ok, err := s.AcquireSyncLease(ctx, busy.ID, "h1", now, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("AcquireSyncLease = %v, %v", ok, err)
		}
		moved := r
		moved.Settings.Host = "ftp2.bank.example"
		err := s.UpdateRemote(ctx, &moved)
		if !errors.Is(err, store.ErrSyncRunning) || !strings.Contains(err.Error(), busy.Name) {
			t.Errorf("UpdateRemote moving it during a run = %v, want ErrSyncRunning naming %s", err, busy.Name)
		}
		if got, err := s.Remote(ctx, r.Name); err != nil || got.Settings.Host != r.Settings.Host {
			t.Errorf("refused UpdateRemote changed the remote: %+v, %v", got.Settings, err)
		}
		if tracked(t, ctx, s, idle) != 1 || tracked(t, ctx, s, busy) != 1 {
			t.Errorf("refused UpdateRemote reset state: %d and %d files tracked, want 1 and 1", tracked(t, ctx, s, idle), tracked(t, ctx, s, busy))
		}
		r.Settings.MaxConns = 3 // does not move it: goes ahead
		if err := s.UpdateRemote(ctx, &r); err != nil {
			t.Errorf("UpdateRemote of max conns during a run = %v", err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		if err := s.UpdateRemote(ctx, &store.Remote{Name: "move-nobody"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateRemote(move-nobody) = %v, want ErrNotFound", err)
		}
	})
}
