// Package sqlite implements store.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go).
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	sqlitedrv "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wharf-mft/wharf/internal/store"
)

// Store is a store.Store backed by one SQLite file. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
	// prep holds the sync journal's statements, prepared once (see
	// stmts in sync.go).
	prepMu sync.Mutex
	prep   map[string]*sql.Stmt
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.AccessStamper = (*Store)(nil)
)

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	if err := private(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		if full(err) {
			return nil, fmt.Errorf("open %s: %w (%v): free space there, then try again", path, ErrFull, err)
		}
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// private creates the database file readable by its owner only (0600),
// or makes an existing one (and its WAL and shared-memory files) so: it
// holds password hashes, sealed remote passwords and the event log, and a
// data directory made beforehand (systemd's StateDirectory, install -d)
// is often 0755. SQLite creates the -wal and -shm files with the
// database's mode.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
			return fmt.Errorf("%s is readable by other users, and making it private failed: %w: chmod 600 it", p, err)
		}
	}
	return nil
}

// ErrFull is an Open that failed because the database's file system is
// full (or gave an I/O error, as a full one does).
var ErrFull = errors.New("the file system holding it is full or failing")

// full reports whether err is SQLite's "disk full" or an I/O error, which
// a full file system also gives.
func full(err error) bool {
	var se *sqlitedrv.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
		return true
	}
	return false
}

// Close closes the database.
func (s *Store) Close() error {
	s.prepMu.Lock()
	for _, p := range s.prep {
		p.Close()
	}
	s.prep = nil
	s.prepMu.Unlock()
	return s.db.Close()
}

var migrations = []string{
	`CREATE TABLE accounts (
		id INTEGER PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		kind TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		disabled INTEGER NOT NULL DEFAULT 0,
		policy TEXT NOT NULL DEFAULT '{}',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE events (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		time INTEGER NOT NULL,
		kind TEXT NOT NULL,
		account TEXT NOT NULL DEFAULT '',
		path TEXT NOT NULL DEFAULT '',
		bytes INTEGER NOT NULL DEFAULT 0,
		remote_addr TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT ''
	);`,
	`CREATE TABLE remotes (
		id INTEGER PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		password_enc BLOB,
		settings TEXT NOT NULL DEFAULT '{}',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);`,
	`CREATE TABLE mounts (
		id INTEGER PRIMARY KEY,
		account TEXT NOT NULL,
		path TEXT NOT NULL,
		remote TEXT NOT NULL,
		remote_path TEXT NOT NULL DEFAULT '',
		read_only INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		UNIQUE (account, path)
	);`,
	`CREATE TABLE syncs (
		id INTEGER PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		settings TEXT NOT NULL DEFAULT '{}',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE sync_files (
		sync_id INTEGER NOT NULL REFERENCES syncs(id) ON DELETE CASCADE,
		path TEXT NOT NULL,
		local TEXT NOT NULL,
		remote TEXT NOT NULL,
		synced_at INTEGER NOT NULL,
		PRIMARY KEY (sync_id, path)
	);
	CREATE TABLE sync_leases (
		sync_id INTEGER PRIMARY KEY REFERENCES syncs(id) ON DELETE CASCADE,
		holder TEXT NOT NULL,
		until INTEGER NOT NULL
	);
	CREATE TABLE sync_runs (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		sync_id INTEGER NOT NULL REFERENCES syncs(id) ON DELETE CASCADE,
		holder TEXT NOT NULL DEFAULT '',
		started INTEGER NOT NULL,
		finished INTEGER NOT NULL DEFAULT 0,
		status TEXT NOT NULL,
		dry_run INTEGER NOT NULL DEFAULT 0,
		copied INTEGER NOT NULL DEFAULT 0,
		deleted INTEGER NOT NULL DEFAULT 0,
		conflicts INTEGER NOT NULL DEFAULT 0,
		skipped INTEGER NOT NULL DEFAULT 0,
		failed INTEGER NOT NULL DEFAULT 0,
		bytes INTEGER NOT NULL DEFAULT 0,
		error TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX sync_runs_sync ON sync_runs (sync_id, id);
	CREATE TABLE sync_ops (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		run_id INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
		sync_id INTEGER NOT NULL REFERENCES syncs(id) ON DELETE CASCADE,
		path TEXT NOT NULL,
		action TEXT NOT NULL,
		status TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT '',
		bytes INTEGER NOT NULL DEFAULT 0,
		error TEXT NOT NULL DEFAULT '',
		started INTEGER NOT NULL,
		finished INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX sync_ops_run ON sync_ops (run_id, id);
	CREATE INDEX sync_ops_status ON sync_ops (sync_id, status);`,
	// Uploads through mounts in progress (store.MountUpload): the
	// temporary names a crash can leave on remotes.
	`CREATE TABLE mount_uploads (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		remote TEXT NOT NULL,
		temp TEXT NOT NULL,
		holder TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL
	);
	CREATE INDEX mount_uploads_remote ON mount_uploads (remote, id);`,
	// IPs banned after failed logins (store.Ban); until is in nanoseconds.
	`CREATE TABLE bans (
		ip TEXT PRIMARY KEY,
		until INTEGER NOT NULL,
		failures INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);`,
	// A sync's max_delete 0 meant 50 and was left out of its settings;
	// now 0 means 0, so the rows without it get the 50 they ran with.
	`UPDATE syncs SET settings = json_set(settings, '$.max_delete', 50)
		WHERE json_type(settings, '$.max_delete') IS NULL;`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	// Up to date: nothing is written, so a full disk still lets every
	// command (and serve's downloads) run.
	var cur int
	if err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&cur); err == nil && cur == len(migrations) {
		return nil
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this wharf (%d): upgrade wharf", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
		return err
	}
	return tx.Commit()
}

func isUnique(err error) bool {
	// modernc reports constraint failures only through the message text
	// and an extended code; the code is stable: SQLITE_CONSTRAINT_UNIQUE.
	var ce interface{ Code() int }
	if errors.As(err, &ce) {
		return ce.Code() == 2067 || ce.Code() == 1555
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

const accountCols = `id, name, kind, password_hash, disabled, policy, created_at, updated_at`

func scanAccount(sc interface{ Scan(...any) error }) (store.Account, error) {
	var a store.Account
	var policy string
	var created, updated int64
	if err := sc.Scan(&a.ID, &a.Name, &a.Kind, &a.PasswordHash, &a.Disabled, &policy, &created, &updated); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(policy), &a.Policy); err != nil {
		return a, fmt.Errorf("account %q policy: %w", a.Name, err)
	}
	a.CreatedAt = time.Unix(0, created)
	a.UpdatedAt = time.Unix(0, updated)
	return a, nil
}

// CreateAccount inserts a and sets its ID and timestamps.
func (s *Store) CreateAccount(ctx context.Context, a *store.Account) error {
	policy, err := json.Marshal(a.Policy)
	if err != nil {
		return err
	}
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO accounts (name, kind, password_hash, disabled, policy, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.Name, a.Kind, a.PasswordHash, a.Disabled, string(policy), now.UnixNano(), now.UnixNano())
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("account %q: %w", a.Name, store.ErrExists)
		}
		return fmt.Errorf("create account %q: %w", a.Name, err)
	}
	a.ID, _ = res.LastInsertId()
	a.CreatedAt, a.UpdatedAt = now, now
	return nil
}

// Account returns the account called name.
func (s *Store) Account(ctx context.Context, name string) (store.Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("account %q: %w", name, store.ErrNotFound)
	}
	return a, err
}

// Accounts lists accounts of kind (all kinds when empty), by name.
func (s *Store) Accounts(ctx context.Context, kind store.Kind) ([]store.Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE ? = '' OR kind = ? ORDER BY name`, kind, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAccount stores a's fields under a.Name.
func (s *Store) UpdateAccount(ctx context.Context, a *store.Account) error {
	policy, err := json.Marshal(a.Policy)
	if err != nil {
		return err
	}
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET kind = ?, password_hash = ?, disabled = ?, policy = ?, updated_at = ? WHERE name = ?`,
		a.Kind, a.PasswordHash, a.Disabled, string(policy), now.UnixNano(), a.Name)
	if err != nil {
		return fmt.Errorf("update account %q: %w", a.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account %q: %w", a.Name, store.ErrNotFound)
	}
	a.UpdatedAt = now
	return nil
}

// DeleteAccount removes the account called name. Its files stay on disk.
func (s *Store) DeleteAccount(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM accounts WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete account %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account %q: %w", name, store.ErrNotFound)
	}
	return nil
}

// AddEvent appends e; a zero Time is set to now.
func (s *Store) AddEvent(ctx context.Context, e store.Event) (int64, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO events (time, kind, account, path, bytes, remote_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), e.Kind, e.Account, e.Path, e.Bytes, e.RemoteAddr, e.Detail)
	if err != nil {
		return 0, fmt.Errorf("add %s event: %w", e.Kind, err)
	}
	return res.LastInsertId()
}

// Events returns up to limit events after afterID, oldest first.
func (s *Store) Events(ctx context.Context, afterID int64, limit int) ([]store.Event, error) {
	return s.events(ctx, `SELECT id, time, kind, account, path, bytes, remote_addr, detail FROM events WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
}

// LastEvents returns the newest limit events, oldest first.
func (s *Store) LastEvents(ctx context.Context, limit int) ([]store.Event, error) {
	evs, err := s.events(ctx, `SELECT id, time, kind, account, path, bytes, remote_addr, detail FROM events ORDER BY id DESC LIMIT ?`, limit)
	slices.Reverse(evs)
	return evs, err
}

// FilterEvents implements store.Store.
func (s *Store) FilterEvents(ctx context.Context, f store.EventFilter, afterID int64, limit int, newest bool) ([]store.Event, error) {
	q := `SELECT id, time, kind, account, path, bytes, remote_addr, detail FROM events WHERE id > ?`
	args := []any{afterID}
	if len(f.Kinds) > 0 {
		q += ` AND kind IN (?` + strings.Repeat(`, ?`, len(f.Kinds)-1) + `)`
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	if f.Account != "" {
		q += ` AND account = ? COLLATE NOCASE`
		args = append(args, f.Account)
	}
	order := ` ORDER BY id`
	if newest {
		order = ` ORDER BY id DESC`
	}
	evs, err := s.events(ctx, q+order+` LIMIT ?`, append(args, limit)...)
	if newest {
		slices.Reverse(evs)
	}
	return evs, err
}

func (s *Store) events(ctx context.Context, query string, args ...any) ([]store.Event, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Kind, &e.Account, &e.Path, &e.Bytes, &e.RemoteAddr, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = time.Unix(0, t)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AccessStamp implements store.AccessStamper: the count and newest change
// of accounts and remotes (updated_at, in nanoseconds), and of mounts (the
// newest ID and creation; a mount is never updated, and a deleted one's
// rowid can come back).
func (s *Store) AccessStamp(ctx context.Context) (string, error) {
	var stamp string
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM accounts) || '/' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(max(created_at), 0) FROM mounts) || '/' ||
		(SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM remotes)`).Scan(&stamp)
	if err != nil {
		return "", fmt.Errorf("access stamp: %w", err)
	}
	return stamp, nil
}
