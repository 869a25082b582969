package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// testSyncPairChange covers UpdateSync's reset of a sync's state when its
// pair of folders changes, and MaxDelete 0 stored as 0.
func testSyncPairChange(t *testing.T, s store.Store) {
	ctx := context.Background()
	files := []store.SyncFile{{Path: "a.edi", Local: store.SyncSide{Exists: true, Size: 1}, Remote: store.SyncSide{Exists: true, Size: 1}}}
	newSync := func(t *testing.T, name string) store.Sync {
		t.Helper()
		return createTracked(t, ctx, s, store.Sync{Name: name, Folder: "acme/send", Remote: "bank", RemotePath: "/in", Direction: store.SyncTwoWay}, files)
	}
	for _, tc := range []struct {
		name   string
		change func(*store.Sync)
		want   int // files tracked after
	}{
		{"filter", func(sy *store.Sync) { sy.Filter = "*.edi" }, 1},
		{"same remote path spelled otherwise", func(sy *store.Sync) { sy.RemotePath = "in/" }, 1},
		{"remote path", func(sy *store.Sync) { sy.RemotePath = "/new" }, 0},
		{"remote", func(sy *store.Sync) { sy.Remote = "other" }, 0},
		{"folder", func(sy *store.Sync) { sy.Folder = "acme/receive" }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sy := newSync(t, "pair-"+tc.name)
			tc.change(&sy)
			if err := s.UpdateSync(ctx, &sy); err != nil {
				t.Fatal(err)
			}
			if got := tracked(t, ctx, s, sy); got != tc.want {
				t.Errorf("after changing the %s: %d files tracked, want %d", tc.name, got, tc.want)
			}
		})
	}
	t.Run("started ops aborted", func(t *testing.T) {
		sy := newSync(t, "pair-journal")
		startOp(t, ctx, s, sy)
		sy.RemotePath = "/new"
		if err := s.UpdateSync(ctx, &sy); err != nil {
			t.Fatal(err)
		}
		checkAborted(t, ctx, s, sy, "the pair changed")
	})
	t.Run("refused while running", func(t *testing.T) {
		sy := newSync(t, "pair-running")
		now := time.Now()
		if _, ok, err := s.AcquireSyncLease(ctx, sy.ID, "h1", now, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("AcquireSyncLease = %v, %v", ok, err)
		}
		changed := sy
		changed.RemotePath = "/new"
		if err := s.UpdateSync(ctx, &changed); !errors.Is(err, store.ErrSyncRunning) {
			t.Errorf("UpdateSync of the pair during a run = %v, want ErrSyncRunning", err)
		}
		if got, err := s.Sync(ctx, sy.Name); err != nil || got.RemotePath != "/in" || tracked(t, ctx, s, sy) != 1 {
			t.Errorf("refused UpdateSync changed the sync: %+v, %v, %d files tracked", got, err, tracked(t, ctx, s, sy))
		}
		sy.Filter = "*.edi" // not the pair: goes ahead
		if err := s.UpdateSync(ctx, &sy); err != nil {
			t.Errorf("UpdateSync of the filter during a run = %v", err)
		}
	})
	t.Run("max delete 0", func(t *testing.T) {
		sy := store.Sync{Name: "pair-max-delete", Folder: "acme/send", Remote: "bank", Direction: store.SyncTwoWay, MaxDelete: 0}
		if err := s.CreateSync(ctx, &sy); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Sync(ctx, sy.Name); err != nil || got.MaxDelete != 0 {
			t.Errorf("Sync(%s).MaxDelete = %d, %v; want 0 as stored", sy.Name, got.MaxDelete, err)
		}
	})
}
