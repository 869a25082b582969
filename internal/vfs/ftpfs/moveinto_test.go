package ftpfs_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// mkdirCounter is a dirRenameRefuser that counts MKD and fails after a
// bound, so that a walk that nests a folder in itself ends.
type mkdirCounter struct {
	dirRenameRefuser
	mkd *int
}

func (p mkdirCounter) MakeDir(ctx context.Context, name string) error {
	*p.mkd++
	if *p.mkd > 20 {
		return errors.New("test bound: too many MKD")
	}
	return p.dirRenameRefuser.MakeDir(ctx, name)
}

// TestRenameFolderIntoItself: moving a folder into itself or one of its
// subfolders is refused before anything is sent (rename(2) says EINVAL),
// with a 550, and the folder stays as it was; the server's refusal of
// RNTO a/b would otherwise start a move entry by entry that nests a/b in
// itself without end.
func TestRenameFolderIntoItself(t *testing.T) {
	for _, tt := range []struct{ root, from, to string }{
		{"", "a", "a/b"},
		{"", "a", "a/b/c"},
		{"", "a/", "a/b"},
		{"", ".", "b"},
		{"mnt", ".", "b"},
		{"mnt", "a", "a/b"},
	} {
		t.Run(tt.root+":"+tt.from+"->"+tt.to, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, tt.root)
			if err := os.MkdirAll(filepath.Join(dir, "a"), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "a", "x.edi"), []byte("x"), 0o640); err != nil {
				t.Fatal(err)
			}
			n := 0
			f := ftpfs.New(context.Background(), mkdirCounter{dirRenameRefuser{root}, &n},
				ftpfs.Options{Remote: "strict", Root: "/" + tt.root})
			err := f.Rename(tt.from, tt.to)
			var coded interface{ FTPCode() int }
			if !errors.Is(err, fs.ErrInvalid) || !errors.As(err, &coded) || coded.FTPCode() != 550 {
				t.Errorf("Rename(%q, %q) = %v; want a 550 wrapping fs.ErrInvalid", tt.from, tt.to, err)
			}
			if n > 0 {
				t.Errorf("Rename(%q, %q) made %d folders", tt.from, tt.to, n)
			}
			if got, err := os.ReadFile(filepath.Join(dir, "a", "x.edi")); err != nil || string(got) != "x" {
				t.Errorf("a/x.edi = %q, %v; want it unchanged", got, err)
			}
		})
	}
}

// TestRenameFolderNextToItself: a folder moved to a sibling whose name
// starts with its own is not "into itself"; refused by the server, it is
// moved entry by entry.
func TestRenameFolderNextToItself(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "a"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "a", "x.edi"), []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	n := 0
	f := ftpfs.New(context.Background(), mkdirCounter{dirRenameRefuser{root}, &n}, ftpfs.Options{Remote: "strict"})
	if err := f.Rename("a", "ab"); err != nil {
		t.Fatalf("Rename(a, ab) = %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(root, "ab", "x.edi")); err != nil || string(got) != "x" {
		t.Errorf("ab/x.edi = %q, %v", got, err)
	}
	if n != 1 {
		t.Errorf("Rename(a, ab) made %d folders, want 1", n)
	}
}
