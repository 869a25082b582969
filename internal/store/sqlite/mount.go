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

var _ store.MountUploads = (*Store)(nil)

// AddMountUpload inserts u and sets its ID and CreatedAt.
func (s *Store) AddMountUpload(ctx context.Context, u *store.MountUpload) error {
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO mount_uploads (remote, temp, holder, created_at) VALUES (?, ?, ?, ?)`,
		u.Remote, u.Temp, u.Holder, now.UnixNano())
	if err != nil {
		return fmt.Errorf("record mount upload %s on %q: %w", u.Temp, u.Remote, err)
	}
	u.ID, _ = res.LastInsertId()
	u.CreatedAt = now
	return nil
}

// MountUploads lists the records of one remote, oldest first.
func (s *Store) MountUploads(ctx context.Context, remote string) ([]store.MountUpload, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, remote, temp, holder, created_at FROM mount_uploads WHERE remote = ? ORDER BY id`, remote)
	if err != nil {
		return nil, fmt.Errorf("list mount uploads on %q: %w", remote, err)
	}
	defer rows.Close()
	var out []store.MountUpload
	for rows.Next() {
		var u store.MountUpload
		var created int64
		if err := rows.Scan(&u.ID, &u.Remote, &u.Temp, &u.Holder, &created); err != nil {
			return nil, err
		}
		u.CreatedAt = time.Unix(0, created)
		out = append(out, u)
	}
	return out, rows.Err()
}

// ReleaseMountUpload clears the record's holder.
func (s *Store) ReleaseMountUpload(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE mount_uploads SET holder = '' WHERE id = ?`, id); err != nil {
		return fmt.Errorf("release mount upload %d: %w", id, err)
	}
	return nil
}

// DeleteMountUpload removes the record, if it is still there.
func (s *Store) DeleteMountUpload(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM mount_uploads WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete mount upload %d: %w", id, err)
	}
	return nil
}
