package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// syncSettings is the JSON form of a sync's settings column.
type syncSettings struct {
	Folder     string        `json:"folder"`
	Remote     string        `json:"remote"`
	RemotePath string        `json:"remote_path,omitempty"`
	Direction  string        `json:"direction"`
	AfterCopy  string        `json:"after_copy,omitempty"`
	Every      time.Duration `json:"every,omitempty"`
	Cron       string        `json:"cron,omitempty"`
	OnReceive  bool          `json:"on_receive,omitempty"`
	Filter     string        `json:"filter,omitempty"`
	Conflict   string        `json:"conflict,omitempty"`
	// MaxDelete is always written, 0 included. A row without it is from
	// before 0 meant 0, when a left-out 0 meant 50: a migration writes the
	// 50 there, and reading takes the default for one still without it.
	MaxDelete *int `json:"max_delete,omitempty"`
}

func syncSettingsOf(sy *store.Sync) (string, error) {
	b, err := json.Marshal(syncSettings{
		Folder: sy.Folder, Remote: sy.Remote, RemotePath: sy.RemotePath, Direction: sy.Direction,
		AfterCopy: sy.AfterCopy, Every: sy.Every, Cron: sy.Cron, OnReceive: sy.OnReceive,
		Filter: sy.Filter, Conflict: sy.Conflict, MaxDelete: &sy.MaxDelete,
	})
	return string(b), err
}

func scanSync(sc interface{ Scan(...any) error }) (store.Sync, error) {
	var s store.Sync
	var settings string
	var created, updated int64
	if err := sc.Scan(&s.ID, &s.Name, &settings, &created, &updated); err != nil {
		return s, err
	}
	var st syncSettings
	if err := json.Unmarshal([]byte(settings), &st); err != nil {
		return s, fmt.Errorf("sync %q settings: %w", s.Name, err)
	}
	s.Folder, s.Remote, s.RemotePath, s.Direction = st.Folder, st.Remote, st.RemotePath, st.Direction
	s.AfterCopy, s.Every, s.Cron, s.OnReceive = st.AfterCopy, st.Every, st.Cron, st.OnReceive
	s.Filter, s.Conflict, s.MaxDelete = st.Filter, st.Conflict, store.DefaultMaxDelete
	if st.MaxDelete != nil {
		s.MaxDelete = *st.MaxDelete
	}
	s.CreatedAt, s.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
	return s, nil
}

// CreateSync inserts s and sets its ID and timestamps.
func (s *Store) CreateSync(ctx context.Context, sy *store.Sync) error {
	settings, err := syncSettingsOf(sy)
	if err != nil {
		return err
	}
	now := time.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO syncs (name, settings, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		sy.Name, settings, now.UnixNano(), now.UnixNano())
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("sync %q: %w", sy.Name, store.ErrExists)
		}
		return fmt.Errorf("create sync %q: %w", sy.Name, err)
	}
	sy.ID, _ = res.LastInsertId()
	sy.CreatedAt, sy.UpdatedAt = now, now
	return nil
}

// Sync returns the sync called name.
func (s *Store) Sync(ctx context.Context, name string) (store.Sync, error) {
	sy, err := scanSync(s.db.QueryRowContext(ctx, `SELECT id, name, settings, created_at, updated_at FROM syncs WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return sy, fmt.Errorf("sync %q: %w", name, store.ErrNotFound)
	}
	return sy, err
}

// Syncs lists every sync by name.
func (s *Store) Syncs(ctx context.Context) ([]store.Sync, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, settings, created_at, updated_at FROM syncs ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Sync
	for rows.Next() {
		sy, err := scanSync(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sy)
	}
	return out, rows.Err()
}

// UpdateSync stores sy's settings under sy.Name; see store.Store.
func (s *Store) UpdateSync(ctx context.Context, sy *store.Sync) error {
	settings, err := syncSettingsOf(sy)
	if err != nil {
		return err
	}
	now := time.Now()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanSync(tx.QueryRowContext(ctx, `SELECT id, name, settings, created_at, updated_at FROM syncs WHERE name = ?`, sy.Name))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sync %q: %w", sy.Name, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if store.PairChanged(old, *sy) {
			if err := resetSyncState(ctx, tx, old.ID, now, "the sync's folder or remote changed", "change its folder or remote once the run ends"); err != nil {
				return fmt.Errorf("sync %q: %w", sy.Name, err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE syncs SET settings = ?, updated_at = ? WHERE id = ?`, settings, now.UnixNano(), old.ID)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrSyncRunning) {
			return err
		}
		return fmt.Errorf("update sync %q: %w", sy.Name, err)
	}
	sy.UpdatedAt = now
	return nil
}

// resetSyncState drops a sync's file state and aborts its started journal
// entries, which belong to its old pair of folders: recovery would
// otherwise look for their copies in the new ones. It fails with
// store.ErrSyncRunning while a run holds the lease (it would go on
// recording the old pair's files). why is the error the aborted entries
// record, and hint says what to do when the sync is running.
func resetSyncState(ctx context.Context, tx *sql.Tx, syncID int64, now time.Time, why, hint string) error {
	var holder string
	var until int64
	err := tx.QueryRowContext(ctx, `SELECT holder, until FROM sync_leases WHERE sync_id = ?`, syncID).Scan(&holder, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case !time.Unix(0, until).Before(now):
		return fmt.Errorf("%w (held by %s until %s): %s",
			store.ErrSyncRunning, holder, time.Unix(0, until).Format(time.RFC3339), hint)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sync_files WHERE sync_id = ?`, syncID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE sync_ops SET status = ?, finished = ?, error = ? WHERE sync_id = ? AND status = ?`,
		store.OpAborted, now.UnixNano(), why, syncID, store.OpStarted)
	return err
}

// DeleteSync removes the sync called name and, by cascade, its state,
// lease and history.
func (s *Store) DeleteSync(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM syncs WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete sync %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sync %q: %w", name, store.ErrNotFound)
	}
	return nil
}

// SyncFiles returns the synced state of every path of a sync, by path.
func (s *Store) SyncFiles(ctx context.Context, syncID int64) ([]store.SyncFile, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path, local, remote, synced_at FROM sync_files WHERE sync_id = ? ORDER BY path`, syncID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SyncFile
	for rows.Next() {
		var f store.SyncFile
		var local, remote string
		var at int64
		if err := rows.Scan(&f.Path, &local, &remote, &at); err != nil {
			return nil, err
		}
		if err := decodeSide(local, &f.Local); err != nil {
			return nil, fmt.Errorf("sync file %q: %w", f.Path, err)
		}
		if err := decodeSide(remote, &f.Remote); err != nil {
			return nil, fmt.Errorf("sync file %q: %w", f.Path, err)
		}
		f.SyncedAt = time.Unix(0, at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// decodeSide decodes a stored store.SyncSide. The JSON that json.Marshal
// wrote for it ({"exists":true,"size":5,"mtime":"...","precise":true}) is
// read directly, several times faster than encoding/json: an unchanged
// push reads every record of its sync. Anything else goes to
// json.Unmarshal.
func decodeSide(s string, side *store.SyncSide) error {
	if v, ok := quickSide(s); ok {
		*side = v
		return nil
	}
	*side = store.SyncSide{}
	return json.Unmarshal([]byte(s), side)
}

func quickSide(s string) (v store.SyncSide, ok bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return v, false
	}
	body := s[1 : len(s)-1]
	if strings.ContainsAny(body, "\\ \t\r\n{}[]") {
		return v, false
	}
	seen := map[string]bool{}
	for field := range strings.SplitSeq(body, ",") {
		key, val, ok := strings.Cut(field, ":")
		if !ok || len(key) < 2 || key[0] != '"' || key[len(key)-1] != '"' {
			return v, false
		}
		key = key[1 : len(key)-1]
		if seen[key] {
			return v, false
		}
		seen[key] = true
		switch key {
		case "exists", "precise":
			var b bool
			switch val {
			case "true":
				b = true
			case "false":
			default:
				return v, false
			}
			if key == "exists" {
				v.Exists = b
			} else {
				v.Precise = b
			}
		case "size":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || val != strconv.FormatInt(n, 10) {
				return v, false
			}
			v.Size = n
		case "mtime":
			if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
				return v, false
			}
			t, err := time.Parse(time.RFC3339Nano, val[1:len(val)-1])
			if err != nil {
				return v, false
			}
			v.ModTime = t
		default:
			return v, false
		}
	}
	return v, body != ""
}

// PutSyncFiles upserts put and removes drop in one transaction.
func (s *Store) PutSyncFiles(ctx context.Context, syncID int64, put []store.SyncFile, drop []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		st := stmts{s: s, tx: tx}
		defer st.close()
		return putSyncFiles(ctx, st.exec, syncID, put, drop)
	})
}

func putSyncFiles(ctx context.Context, exec func(ctx context.Context, q string, args ...any) (sql.Result, error), syncID int64, put []store.SyncFile, drop []string) error {
	for _, f := range put {
		local, err := json.Marshal(f.Local)
		if err != nil {
			return err
		}
		remote, err := json.Marshal(f.Remote)
		if err != nil {
			return err
		}
		at := f.SyncedAt
		if at.IsZero() {
			at = time.Now()
		}
		if _, err := exec(ctx, putFile, syncID, f.Path, string(local), string(remote), at.UnixNano()); err != nil {
			return fmt.Errorf("put sync file %q: %w", f.Path, err)
		}
	}
	for _, p := range drop {
		if _, err := exec(ctx, dropFile, syncID, p); err != nil {
			return fmt.Errorf("drop sync file %q: %w", p, err)
		}
	}
	return nil
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// AcquireSyncLease takes or extends a sync's lease; see store.Store.
func (s *Store) AcquireSyncLease(ctx context.Context, syncID int64, holder string, now, until time.Time) (store.SyncLease, bool, error) {
	var cur store.SyncLease
	var ok bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var u int64
		err := tx.QueryRowContext(ctx, `SELECT holder, until FROM sync_leases WHERE sync_id = ?`, syncID).Scan(&cur.Holder, &u)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			cur.SyncID, cur.Until = syncID, time.Unix(0, u)
			if cur.Holder != holder && !cur.Until.Before(now) {
				return nil
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_leases (sync_id, holder, until) VALUES (?, ?, ?)
			ON CONFLICT (sync_id) DO UPDATE SET holder = excluded.holder, until = excluded.until`,
			syncID, holder, until.UnixNano()); err != nil {
			return err
		}
		cur, ok = store.SyncLease{SyncID: syncID, Holder: holder, Until: until}, true
		return nil
	})
	if err != nil {
		return cur, false, fmt.Errorf("acquire lease on sync %d: %w", syncID, err)
	}
	return cur, ok, nil
}

// ReleaseSyncLease drops the lease when holder holds it.
func (s *Store) ReleaseSyncLease(ctx context.Context, syncID int64, holder string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sync_leases WHERE sync_id = ? AND holder = ?`, syncID, holder); err != nil {
		return fmt.Errorf("release lease on sync %d: %w", syncID, err)
	}
	return nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeOrZero(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// SaveSyncRun inserts or updates r.
func (s *Store) SaveSyncRun(ctx context.Context, r *store.SyncRun) error {
	if r.Started.IsZero() {
		r.Started = time.Now()
	}
	args := []any{r.SyncID, r.Holder, r.Started.UnixNano(), unixOrZero(r.Finished), r.Status, r.DryRun,
		r.Copied, r.Deleted, r.Conflicts, r.Skipped, r.Failed, r.Bytes, r.Error}
	if r.ID == 0 {
		res, err := s.db.ExecContext(ctx, `INSERT INTO sync_runs (sync_id, holder, started, finished, status, dry_run, copied, deleted, conflicts, skipped, failed, bytes, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if err != nil {
			return fmt.Errorf("save run of sync %d: %w", r.SyncID, err)
		}
		r.ID, _ = res.LastInsertId()
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE sync_runs SET sync_id = ?, holder = ?, started = ?, finished = ?, status = ?, dry_run = ?,
		copied = ?, deleted = ?, conflicts = ?, skipped = ?, failed = ?, bytes = ?, error = ? WHERE id = ?`, append(args, r.ID)...)
	if err != nil {
		return fmt.Errorf("save run %d: %w", r.ID, err)
	}
	return nil
}

// SyncRuns returns up to limit runs of a sync, newest first.
func (s *Store) SyncRuns(ctx context.Context, syncID int64, limit int) ([]store.SyncRun, error) {
	return s.syncRuns(ctx, `SELECT id, sync_id, holder, started, finished, status, dry_run, copied, deleted, conflicts, skipped, failed, bytes, error
		FROM sync_runs WHERE sync_id = ? ORDER BY id DESC LIMIT ?`, syncID, limit)
}

// LastSyncRun implements store.Store.
func (s *Store) LastSyncRun(ctx context.Context, syncID int64, status string) (store.SyncRun, error) {
	runs, err := s.syncRuns(ctx, `SELECT id, sync_id, holder, started, finished, status, dry_run, copied, deleted, conflicts, skipped, failed, bytes, error
		FROM sync_runs WHERE sync_id = ? AND NOT dry_run AND (? = '' OR status = ?) ORDER BY id DESC LIMIT 1`, syncID, status, status)
	switch {
	case err != nil:
		return store.SyncRun{}, err
	case len(runs) == 0:
		return store.SyncRun{}, store.ErrNotFound
	}
	return runs[0], nil
}

func (s *Store) syncRuns(ctx context.Context, query string, args ...any) ([]store.SyncRun, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SyncRun
	for rows.Next() {
		var r store.SyncRun
		var started, finished int64
		if err := rows.Scan(&r.ID, &r.SyncID, &r.Holder, &started, &finished, &r.Status, &r.DryRun,
			&r.Copied, &r.Deleted, &r.Conflicts, &r.Skipped, &r.Failed, &r.Bytes, &r.Error); err != nil {
			return nil, err
		}
		r.Started, r.Finished = time.Unix(0, started), timeOrZero(finished)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveSyncOp inserts or updates op and applies put and drop, atomically.
func (s *Store) SaveSyncOp(ctx context.Context, op *store.SyncOp, put []store.SyncFile, drop []string, ev *store.Event) error {
	return s.SaveSyncOps(ctx, []store.SyncOpSave{{Op: op, Put: put, Drop: drop, Event: ev}})
}

// SaveSyncOps applies a batch of SaveSyncOp calls in order in one
// transaction, all or none, preparing each statement once: a sync run's
// journal writes that queue up while one commits share the next commit.
func (s *Store) SaveSyncOps(ctx context.Context, batch []store.SyncOpSave) error {
	var failed *store.SyncOp
	var inserted []*store.SyncOp
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st := stmts{s: s, tx: tx}
		defer st.close()
		for _, b := range batch {
			failed = b.Op
			isNew := b.Op.ID == 0
			if err := st.saveOp(ctx, b); err != nil {
				return err
			}
			if isNew {
				inserted = append(inserted, b.Op)
			}
		}
		return nil
	})
	if err != nil {
		// Rolled back: the IDs handed out are not the ops' any more.
		for _, op := range inserted {
			op.ID = 0
		}
		if failed == nil {
			return fmt.Errorf("journal: %w", err)
		}
		return fmt.Errorf("journal %s %q: %w", failed.Action, failed.Path, err)
	}
	return nil
}

// stmts runs a transaction's statements, each prepared once per Store:
// on a journal of thousands of small writes, parsing the SQL every time
// cost more than running it.
type stmts struct {
	s  *Store
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func (st *stmts) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	p, ok := st.m[q]
	if !ok {
		shared, err := st.s.prepared(ctx, q)
		if err != nil {
			return nil, err
		}
		// Reuses the statement where it is prepared on the
		// transaction's connection already.
		p = st.tx.StmtContext(ctx, shared)
		if st.m == nil {
			st.m = map[string]*sql.Stmt{}
		}
		st.m[q] = p
	}
	return p.ExecContext(ctx, args...)
}

// close closes the transaction's handles; the shared statements stay.
func (st *stmts) close() {
	for _, p := range st.m {
		p.Close()
	}
}

// prepared returns q prepared on the database, preparing it on first use.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	s.prepMu.Lock()
	defer s.prepMu.Unlock()
	if p, ok := s.prep[q]; ok {
		return p, nil
	}
	p, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if s.prep == nil {
		s.prep = map[string]*sql.Stmt{}
	}
	s.prep[q] = p
	return p, nil
}

const (
	insertOp = `INSERT INTO sync_ops (run_id, sync_id, path, action, status, detail, bytes, error, started, finished)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateOp = `UPDATE sync_ops SET run_id = ?, sync_id = ?, path = ?, action = ?, status = ?, detail = ?, bytes = ?, error = ?, started = ?, finished = ?
		WHERE id = ?`
	finishOp    = `UPDATE sync_ops SET status = ?, detail = ?, bytes = ?, error = ?, finished = ? WHERE id = ? AND run_id = ?`
	insertEvent = `INSERT INTO events (time, kind, account, path, bytes, remote_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`
	putFile     = `INSERT INTO sync_files (sync_id, path, local, remote, synced_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (sync_id, path) DO UPDATE SET local = excluded.local, remote = excluded.remote, synced_at = excluded.synced_at`
	dropFile = `DELETE FROM sync_files WHERE sync_id = ? AND path = ?`
)

func (st *stmts) saveOp(ctx context.Context, b store.SyncOpSave) error {
	op := b.Op
	if op.Started.IsZero() {
		op.Started = time.Now()
	}
	args := []any{op.RunID, op.SyncID, op.Path, op.Action, op.Status, op.Detail, op.Bytes, op.Error, op.Started.UnixNano(), unixOrZero(op.Finished)}
	if op.ID == 0 {
		res, err := st.exec(ctx, insertOp, args...)
		if err != nil {
			return err
		}
		op.ID, _ = res.LastInsertId()
	} else {
		// Most updates only finish an op of the run that journaled it: the
		// narrow statement leaves the run index and the foreign keys alone
		// (the full one costs twice as much). An op's sync, path, action and
		// start never change; its run does when recovery adopts it.
		res, err := st.exec(ctx, finishOp, op.Status, op.Detail, op.Bytes, op.Error, unixOrZero(op.Finished), op.ID, op.RunID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if _, err := st.exec(ctx, updateOp, append(args, op.ID)...); err != nil {
				return err
			}
		}
	}
	if err := putSyncFiles(ctx, st.exec, op.SyncID, b.Put, b.Drop); err != nil {
		return err
	}
	if b.Event == nil {
		return nil
	}
	e := *b.Event
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	_, err := st.exec(ctx, insertEvent, e.Time.UnixNano(), e.Kind, e.Account, e.Path, e.Bytes, e.RemoteAddr, e.Detail)
	return err
}

// SyncOps returns ops of a sync in journal order; see store.Store.
func (s *Store) SyncOps(ctx context.Context, syncID, runID int64, status string) ([]store.SyncOp, error) {
	// Only the conditions asked for, so SQLite can use the (sync_id,
	// status) index: a run looks for ops left started every time, and a
	// sync's ops grow with every run.
	q := `SELECT id, run_id, sync_id, path, action, status, detail, bytes, error, started, finished FROM sync_ops WHERE sync_id = ?`
	args := []any{syncID}
	if runID != 0 {
		q += ` AND run_id = ?`
		args = append(args, runID)
	}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SyncOp
	for rows.Next() {
		var op store.SyncOp
		var started, finished int64
		if err := rows.Scan(&op.ID, &op.RunID, &op.SyncID, &op.Path, &op.Action, &op.Status, &op.Detail, &op.Bytes, &op.Error, &started, &finished); err != nil {
			return nil, err
		}
		op.Started, op.Finished = time.Unix(0, started), timeOrZero(finished)
		out = append(out, op)
	}
	return out, rows.Err()
}
