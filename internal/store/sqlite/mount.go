package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// CreateMount inserts m and sets its ID.
func (s *Store) CreateMount(ctx context.Context, m *store.Mount) error {
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO mounts (account, path, remote, remote_path, read_only, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.Account, m.Path, m.Remote, m.RemotePath, m.ReadOnly, now.UnixNano())
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("mount %s for %q: %w", m.Path, m.Account, store.ErrExists)
		}
		return fmt.Errorf("create mount %s for %q: %w", m.Path, m.Account, err)
	}
	m.ID, _ = res.LastInsertId()
	m.CreatedAt = now
	return nil
}

// Mounts lists mounts by account and path.
func (s *Store) Mounts(ctx context.Context, account string) ([]store.Mount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, account, path, remote, remote_path, read_only, created_at FROM mounts WHERE ? = '' OR account = ? ORDER BY account, path`, account, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Mount
	for rows.Next() {
		var m store.Mount
		var created int64
		if err := rows.Scan(&m.ID, &m.Account, &m.Path, &m.Remote, &m.RemotePath, &m.ReadOnly, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = time.Unix(0, created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeleteMount removes the account's mount at path.
func (s *Store) DeleteMount(ctx context.Context, account, path string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM mounts WHERE account = ? AND path = ?`, account, path)
	if err != nil {
		return fmt.Errorf("delete mount %s for %q: %w", path, account, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mount %s for %q: %w", path, account, store.ErrNotFound)
	}
	return nil
}
