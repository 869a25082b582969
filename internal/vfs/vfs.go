// Package vfs is the file-system contract that FTP sessions (and later
// mounts and syncs) work against, and the path rules every implementation
// shares.
//
// Paths given to an FS are clean (see Clean), slash-separated and relative
// to the FS root ("." is the root). Errors are io/fs errors.
package vfs

import (
	"io"
	"io/fs"
	"time"
)

// File is an open file. Uploads write to it and downloads read from it.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	io.Closer
	Stat() (fs.FileInfo, error)
}

// FS is a tree of files. Implementations are safe for concurrent use.
type FS interface {
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.FileInfo, error)
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	Mkdir(name string, perm fs.FileMode) error
	MkdirAll(name string, perm fs.FileMode) error
	// Remove removes a file; RemoveDir an empty directory.
	Remove(name string) error
	RemoveDir(name string) error
	// Rename replaces newname if it exists.
	Rename(oldname, newname string) error
	Chtimes(name string, atime, mtime time.Time) error
}

// Linker is an FS that can give a file a second name. Link fails with
// fs.ErrExist when newname exists, which makes "publish unless taken"
// atomic.
type Linker interface {
	Link(oldname, newname string) error
}

// AtomicFS is an FS whose OpenFile for writing publishes the file only
// when Close succeeds, and never if the File's Abort was called first (an
// upload to a remote that goes to a temporary name and is renamed after
// verification). Callers write such files under their final names.
type AtomicFS interface {
	AtomicWrites() bool
}

// Aborter is a File whose write can be abandoned before Close.
type Aborter interface {
	Abort()
}
