package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// SaveBan stores b, replacing any ban of b.IP, and drops the bans that
// have ended.
func (s *Store) SaveBan(ctx context.Context, b store.Ban) error {
	now := time.Now()
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now
	}
	if err := s.pruneBans(ctx, now); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO bans (ip, until, failures, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ip) DO UPDATE SET until = excluded.until, failures = excluded.failures, created_at = excluded.created_at`,
		b.IP, b.Until.UnixNano(), b.Failures, b.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("save ban of %s: %w", b.IP, err)
	}
	return nil
}

// Ban returns the ban of ip, or store.ErrNotFound when it has none that
// has not ended.
func (s *Store) Ban(ctx context.Context, ip string) (store.Ban, error) {
	b, err := scanBan(s.db.QueryRowContext(ctx, `SELECT ip, until, failures, created_at FROM bans WHERE ip = ? AND until > ?`, ip, time.Now().UnixNano()))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("ban of %s: %w", ip, store.ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("read ban of %s: %w", ip, err)
	}
	return b, nil
}

// Bans lists the bans that have not ended, soonest to end first.
func (s *Store) Bans(ctx context.Context) ([]store.Ban, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ip, until, failures, created_at FROM bans WHERE until > ? ORDER BY until, ip`, time.Now().UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	defer rows.Close()
	var out []store.Ban
	for rows.Next() {
		b, err := scanBan(rows)
		if err != nil {
			return nil, fmt.Errorf("list bans: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// LiftBan removes the ban of ip, and the bans that have ended, and
// reports whether ip had one that had not ended.
func (s *Store) LiftBan(ctx context.Context, ip string) (bool, error) {
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `DELETE FROM bans WHERE ip = ? AND until > ?`, ip, now.UnixNano())
	if err != nil {
		return false, fmt.Errorf("lift ban of %s: %w", ip, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, s.pruneBans(ctx, now)
}

// pruneBans deletes the bans that ended before now.
func (s *Store) pruneBans(ctx context.Context, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM bans WHERE until <= ?`, now.UnixNano()); err != nil {
		return fmt.Errorf("drop ended bans: %w", err)
	}
	return nil
}

func scanBan(sc interface{ Scan(...any) error }) (store.Ban, error) {
	var b store.Ban
	var until, created int64
	if err := sc.Scan(&b.IP, &until, &b.Failures, &created); err != nil {
		return b, err
	}
	b.Until, b.CreatedAt = time.Unix(0, until), time.Unix(0, created)
	return b, nil
}
