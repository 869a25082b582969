package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// TestOpenMakesDatabasePrivate: the database, which holds password hashes
// and sealed remote passwords, and its WAL and shared-memory files are
// readable by their owner only, in a directory others may read, whether
// Open creates them or finds them readable by others.
func TestOpenMakesDatabasePrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	check := func(when string, paths ...string) {
		t.Helper()
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if m := fi.Mode().Perm(); m&0o077 != 0 {
				t.Errorf("%s: %s has mode %v, want no access for group and others", when, filepath.Base(p), m)
			}
		}
	}
	created := filepath.Join(dir, "new.db")
	s, err := sqlite.Open(ctx, created)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddEvent(ctx, storeEvent()); err != nil {
		t.Fatal(err)
	}
	check("created", created, created+"-wal", created+"-shm")
	s.Close()

	found := filepath.Join(dir, "found.db")
	for _, p := range []string{found, found + "-wal", found + "-shm"} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	s, err = sqlite.Open(ctx, found)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("found readable by others", found, found+"-wal", found+"-shm")
}

// TestOpenUpToDateWritesNothing: opening a database whose schema is up to
// date writes nothing (its WAL stays empty), so a full disk does not stop
// commands that only read.
func TestOpenUpToDateWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wharf.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // checkpoints and removes the WAL
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Events(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL holds %d bytes after opening an up-to-date database and reading: Open wrote", fi.Size())
	}
}
