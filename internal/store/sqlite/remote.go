package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

const remoteCols = `id, name, password_enc, settings, created_at, updated_at`

func scanRemote(sc interface{ Scan(...any) error }) (store.Remote, error) {
	var r store.Remote
	var settings string
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.Name, &r.PasswordEnc, &settings, &created, &updated); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(settings), &r.Settings); err != nil {
		return r, fmt.Errorf("remote %q settings: %w", r.Name, err)
	}
	r.CreatedAt, r.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
	return r, nil
}

// CreateRemote inserts r and sets its ID and timestamps.
func (s *Store) CreateRemote(ctx context.Context, r *store.Remote) error {
	settings, err := json.Marshal(r.Settings)
	if err != nil {
		return err
	}
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO remotes (name, password_enc, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		r.Name, r.PasswordEnc, string(settings), now.UnixNano(), now.UnixNano())
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("remote %q: %w", r.Name, store.ErrExists)
		}
		return fmt.Errorf("create remote %q: %w", r.Name, err)
	}
	r.ID, _ = res.LastInsertId()
	r.CreatedAt, r.UpdatedAt = now, now
	return nil
}

// Remote returns the remote called name.
func (s *Store) Remote(ctx context.Context, name string) (store.Remote, error) {
	r, err := scanRemote(s.db.QueryRowContext(ctx, `SELECT `+remoteCols+` FROM remotes WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("remote %q: %w", name, store.ErrNotFound)
	}
	return r, err
}

// Remotes lists every remote by name.
func (s *Store) Remotes(ctx context.Context) ([]store.Remote, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+remoteCols+` FROM remotes ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Remote
	for rows.Next() {
		r, err := scanRemote(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRemote stores r's fields under r.Name; see store.Store.
func (s *Store) UpdateRemote(ctx context.Context, r *store.Remote) error {
	settings, err := json.Marshal(r.Settings)
	if err != nil {
		return err
	}
	now := time.Now()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanRemote(tx.QueryRowContext(ctx, `SELECT `+remoteCols+` FROM remotes WHERE name = ?`, r.Name))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("remote %q: %w", r.Name, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if store.RemoteMoved(old.Settings, r.Settings) {
			if err := resetRemoteSyncs(ctx, tx, r.Name, now); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE remotes SET password_enc = ?, settings = ?, updated_at = ? WHERE id = ?`,
			r.PasswordEnc, string(settings), now.UnixNano(), old.ID)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrSyncRunning) {
			return err
		}
		return fmt.Errorf("update remote %q: %w", r.Name, err)
	}
	r.UpdatedAt = now
	return nil
}

// resetRemoteSyncs resets the state of every sync of the remote called
// name (resetSyncState), in tx: all of them or, when one is running, none.
func resetRemoteSyncs(ctx context.Context, tx *sql.Tx, name string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, settings, created_at, updated_at FROM syncs ORDER BY name`)
	if err != nil {
		return err
	}
	var syncs []store.Sync
	for rows.Next() {
		sy, err := scanSync(rows)
		if err != nil {
			rows.Close()
			return err
		}
		if sy.Remote == name {
			syncs = append(syncs, sy)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, sy := range syncs {
		err := resetSyncState(ctx, tx, sy.ID, now, "the remote's host, port, user or root changed",
			"change the remote's host, port, user or root once the run ends")
		if err != nil {
			return fmt.Errorf("sync %q: %w", sy.Name, err)
		}
	}
	return nil
}

// DeleteRemote removes the remote called name.
func (s *Store) DeleteRemote(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM remotes WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete remote %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remote %q: %w", name, store.ErrNotFound)
	}
	return nil
}
