// Package localfs is a vfs.FS on a local directory, confined with os.Root:
// no name, "..", or symbolic link can reach outside it.
package localfs

import (
	"errors"
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
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	fi, err := f.root.Stat(name)
	return fi, confine(err)
}

// ReadDir lists a directory. Entries that vanish between listing and stat
// are left out.
func (f *FS) ReadDir(name string) ([]fs.FileInfo, error) {
	d, err := f.root.Open(name)
	if err != nil {
		return nil, confine(err)
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
	file, err := f.root.OpenFile(name, flag, perm)
	if err != nil {
		return nil, confine(err) // not a typed nil *os.File in the interface
	}
	return file, nil
}

// Mkdir creates a directory.
func (f *FS) Mkdir(name string, perm fs.FileMode) error { return confine(f.root.Mkdir(name, perm)) }

// MkdirAll creates a directory and its parents.
func (f *FS) MkdirAll(name string, perm fs.FileMode) error {
	return confine(f.root.MkdirAll(name, perm))
}

// Remove removes a file, never a directory.
func (f *FS) Remove(name string) error {
	fi, err := f.root.Lstat(name)
	if err != nil {
		return confine(err)
	}
	if fi.IsDir() {
		return &fs.PathError{Op: "remove", Path: name, Err: fmt.Errorf("is a directory")}
	}
	return confine(f.root.Remove(name))
}

// RemoveDir removes an empty directory.
func (f *FS) RemoveDir(name string) error {
	fi, err := f.root.Lstat(name)
	if err != nil {
		return confine(err)
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "rmdir", Path: name, Err: fmt.Errorf("not a directory")}
	}
	return confine(f.root.Remove(name))
}

// Rename renames within the root, replacing newname.
func (f *FS) Rename(oldname, newname string) error {
	return confine(f.root.Rename(oldname, newname))
}

// Chtimes sets access and modification times.
func (f *FS) Chtimes(name string, atime, mtime time.Time) error {
	return confine(f.root.Chtimes(name, atime, mtime))
}

// Link creates newname as a hard link to oldname; it fails if newname exists.
func (f *FS) Link(oldname, newname string) error {
	return confine(f.root.Link(oldname, newname))
}

// errEscapes is os.Root's refusal of a name that leads out of the root (a
// symbolic link to outside, or ".." past it), which os leaves unexported:
// its text is all that tells it.
const errEscapes = "path escapes from parent"

// confine returns err with os.Root's refusal of a name that leads out of
// the root as fs.ErrPermission, which callers answer as a denial (an FTP
// client placed such a link's name in a reply's 550), instead of an error
// they do not know.
func confine(err error) error {
	if err == nil {
		return nil
	}
	denied := fmt.Errorf("%w: it leads out of the folder", fs.ErrPermission)
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == errEscapes {
		return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: denied}
	}
	var le *os.LinkError // Rename, Link
	if errors.As(err, &le) && le.Err != nil && le.Err.Error() == errEscapes {
		return &os.LinkError{Op: le.Op, Old: le.Old, New: le.New, Err: denied}
	}
	return err
}
