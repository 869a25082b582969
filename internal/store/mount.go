package store

import (
	"context"
	"time"
)

// Mount makes a folder of an account's tree a live window onto a path on a
// remote: every operation in it passes through to the remote.
type Mount struct {
	ID         int64
	Account    string // account name
	Path       string // clean absolute path in the account's tree, e.g. /send/acme-outbox
	Remote     string // remote name
	RemotePath string // path on the remote; "" is the remote's root
	ReadOnly   bool
	CreatedAt  time.Time
}

// MountUpload records an upload through a mount that may be in progress:
// the hidden temporary name it writes on the remote before renaming it
// into place. The record is made before the upload starts and dropped
// once it ended cleanly, so one that a crash (kill -9 of serve) left
// names a file that only Wharf wrote, which the next process to use a
// mount of the remote deletes (ftpfs.Journal).
type MountUpload struct {
	ID     int64
	Remote string // remote name
	Temp   string // the temporary file, as the remote's pool takes paths (remote.TempName's form)
	// Holder is the process uploading (an ftpfs.Journal's ID); "" once no
	// process is: the upload failed and deleting its file did too.
	Holder    string
	CreatedAt time.Time
}

// MountUploads is the optional Store capability of keeping MountUpload
// records, found by type assertion. Implementations are safe for
// concurrent use, also by several processes sharing the store.
type MountUploads interface {
	// AddMountUpload inserts u and sets its ID and CreatedAt.
	AddMountUpload(ctx context.Context, u *MountUpload) error
	// MountUploads lists the records of one remote, oldest first.
	MountUploads(ctx context.Context, remote string) ([]MountUpload, error)
	// ReleaseMountUpload clears the record's Holder.
	ReleaseMountUpload(ctx context.Context, id int64) error
	// DeleteMountUpload removes the record; one already gone is not an
	// error.
	DeleteMountUpload(ctx context.Context, id int64) error
}
