package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// pruneBatch is how many rows one pruning transaction deletes at most, so
// that the writers it shares the database with wait milliseconds, not
// seconds. A variable for tests.
var pruneBatch = 5000

// prunableRuns selects finished runs from before ? that no recovery reads
// (not running, no op still started) and that are not their sync's latest.
const prunableRuns = `SELECT r.id FROM sync_runs r
	WHERE r.finished > 0 AND r.finished < ? AND r.status != '` + store.RunRunning + `'
	AND r.id < (SELECT max(l.id) FROM sync_runs l WHERE l.sync_id = r.sync_id)
	AND NOT EXISTS (SELECT 1 FROM sync_ops o WHERE o.run_id = r.id AND o.status = '` + store.OpStarted + `')
	ORDER BY r.id LIMIT ?`

// PruneHistory deletes events and finished sync runs older than before.
func (s *Store) PruneHistory(ctx context.Context, before time.Time) (store.Pruned, error) {
	var p store.Pruned
	cut := before.UnixNano()
	// Event IDs grow with time, so the oldest are found first.
	if err := s.deleteAll(ctx, &p.Events, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? ORDER BY id LIMIT ?)`, cut); err != nil {
		return p, fmt.Errorf("prune events: %w", err)
	}
	for {
		ids, err := s.ids(ctx, prunableRuns, cut, 100)
		if err != nil {
			return p, fmt.Errorf("prune sync runs: %w", err)
		}
		for _, id := range ids {
			// The ops first, in batches; the run (with what is left,
			// by cascade) last, so an interrupted prune leaves a run
			// that the next one finds again.
			if err := s.deleteAll(ctx, &p.Ops, `DELETE FROM sync_ops WHERE id IN (SELECT id FROM sync_ops WHERE run_id = ? LIMIT ?)`, id); err != nil {
				return p, fmt.Errorf("prune ops of sync run %d: %w", id, err)
			}
			res, err := s.db.ExecContext(ctx, `DELETE FROM sync_runs WHERE id = ?`, id)
			if err != nil {
				return p, fmt.Errorf("prune sync run %d: %w", id, err)
			}
			n, _ := res.RowsAffected()
			p.Runs += n
		}
		if len(ids) < 100 {
			return p, nil
		}
	}
}

// deleteAll runs del, a DELETE whose last parameter is the batch size,
// until a batch deletes fewer rows than that, adding the rows to *n.
func (s *Store) deleteAll(ctx context.Context, n *int64, del string, args ...any) error {
	for {
		res, err := s.db.ExecContext(ctx, del, append(args, pruneBatch)...)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return err
		}
		*n += k
		if k < int64(pruneBatch) {
			return nil
		}
	}
}

// ids returns the first column of query's rows.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
