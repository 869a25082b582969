package storetest

import (
	"context"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
)

// createTracked creates sy in s with files as its last synced state.
func createTracked(t *testing.T, ctx context.Context, s store.Store, sy store.Sync, files []store.SyncFile) store.Sync {
	t.Helper()
	if err := s.CreateSync(ctx, &sy); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSyncFiles(ctx, sy.ID, files, nil); err != nil {
		t.Fatal(err)
	}
	return sy
}

// tracked counts the files in sy's synced state.
func tracked(t *testing.T, ctx context.Context, s store.Store, sy store.Sync) int {
	t.Helper()
	got, err := s.SyncFiles(ctx, sy.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}
