// Package store holds Wharf's state: accounts, remotes, mounts and the event log, and the
// Store contract that the SQLite and PostgreSQL implementations satisfy.
//
// Static configuration (listeners, certificates, limits) lives in
// internal/config; everything an administrator changes at run time lives here.
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned when a named record does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating a record whose name is taken.
var ErrExists = errors.New("already exists")

// Store is the persistence contract. Implementations are safe for
// concurrent use.
type Store interface {
	CreateAccount(ctx context.Context, a *Account) error
	Account(ctx context.Context, name string) (Account, error)
	Accounts(ctx context.Context, kind Kind) ([]Account, error)
	UpdateAccount(ctx context.Context, a *Account) error
	DeleteAccount(ctx context.Context, name string) error

	CreateRemote(ctx context.Context, r *Remote) error
	Remote(ctx context.Context, name string) (Remote, error)
	Remotes(ctx context.Context) ([]Remote, error)
	UpdateRemote(ctx context.Context, r *Remote) error
	DeleteRemote(ctx context.Context, name string) error

	// CreateMount fails with ErrExists when the account already has a
	// mount at that path.
	CreateMount(ctx context.Context, m *Mount) error
	// Mounts lists mounts, of one account when account is not empty.
	Mounts(ctx context.Context, account string) ([]Mount, error)
	DeleteMount(ctx context.Context, account, path string) error

	// AddEvent appends e to the event log and returns its ID.
	AddEvent(ctx context.Context, e Event) (int64, error)
	// Events returns up to limit events with ID > afterID, oldest first.
	Events(ctx context.Context, afterID int64, limit int) ([]Event, error)

	Close() error
}
