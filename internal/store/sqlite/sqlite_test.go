package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/store/sqlite"
	"github.com/wharf-mft/wharf/internal/store/storetest"
)

func TestStore(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.Run(t, s)
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wharf.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddEvent(ctx, storeEvent()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	evs, err := s.Events(ctx, 0, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("after reopen Events = %d, %v; want 1", len(evs), err)
	}
}
