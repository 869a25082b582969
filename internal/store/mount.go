package store

import "time"

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
