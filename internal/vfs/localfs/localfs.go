// Package localfs is a vfs.FS on a local directory, confined with os.Root:
// no name, "..", or symbolic link can reach outside it.
package localfs

import (
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/wharf-mft/wharf/internal/vfs"
)

// FS is a vfs.FS rooted at a local directory. Files it opens are *os.File,
// so the kernel's sendfile and splice paths stay available to callers.
type FS struct {
	root *os.Root
}

var (
	_ vfs.FS     = (*FS)(nil)
	_ vfs.Linker = (*FS)(nil)
)

// Open returns an FS for dir, which must exist. Close releases it.
func Open(dir string) (*FS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", dir, err)
	}
	return &FS{root: r}, nil
}

// Close releases the root directory handle.
func (f *FS) Close() error { return f.root.Close() }

// Stat follows a final symbolic link only when it stays inside the root.
func (f *FS) Stat(name string) (fs.FileInfo, error) { return f.root.Stat(name) }

// ReadDir lists a directory. Entries that vanish between listing and stat
// are left out.
func (f *FS) ReadDir(name string) ([]fs.FileInfo, error) {
	d, err := f.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(ents))
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, fi)
	}
	return out, nil
}

// OpenFile opens a file; the result is an *os.File.
func (f *FS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	return f.root.OpenFile(name, flag, perm)
}

// Mkdir creates a directory.
func (f *FS) Mkdir(name string, perm fs.FileMode) error { return f.root.Mkdir(name, perm) }

// MkdirAll creates a directory and its parents.
func (f *FS) MkdirAll(name string, perm fs.FileMode) error { return f.root.MkdirAll(name, perm) }

// Remove removes a file, never a directory.
func (f *FS) Remove(name string) error {
	fi, err := f.root.Lstat(name)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return &fs.PathError{Op: "remove", Path: name, Err: fmt.Errorf("is a directory")}
	}
	return f.root.Remove(name)
}

// RemoveDir removes an empty directory.
func (f *FS) RemoveDir(name string) error {
	fi, err := f.root.Lstat(name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "rmdir", Path: name, Err: fmt.Errorf("not a directory")}
	}
	return f.root.Remove(name)
}

// Rename renames within the root, replacing newname.
func (f *FS) Rename(oldname, newname string) error { return f.root.Rename(oldname, newname) }

// Chtimes sets access and modification times.
func (f *FS) Chtimes(name string, atime, mtime time.Time) error {
	return f.root.Chtimes(name, atime, mtime)
}

// Link creates newname as a hard link to oldname; it fails if newname exists.
func (f *FS) Link(oldname, newname string) error { return f.root.Link(oldname, newname) }
