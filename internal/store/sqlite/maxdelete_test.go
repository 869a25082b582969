package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestMigrationKeepsMaxDeleteOfOldSyncs: a sync stored when a left-out
// max_delete meant 50 keeps 50 once 0 means 0; one stored with its
// max_delete keeps that.
func TestMigrationKeepsMaxDeleteOfOldSyncs(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "wharf.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	for name, settings := range map[string]string{
		"old":  `{"folder":"acme/send","remote":"bank","direction":"two-way"}`,
		"kept": `{"folder":"acme/send","remote":"bank","direction":"two-way","max_delete":20}`,
	} {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO syncs (name, settings, created_at, updated_at) VALUES (?, ?, 0, 0)`, name, settings); err != nil {
			t.Fatal(err)
		}
	}
	// Back to the schema before the migration.
	if _, err := s.db.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)-1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, want := range map[string]int{"old": 50, "kept": 20} {
		if sy, err := s.Sync(ctx, name); err != nil || sy.MaxDelete != want {
			t.Errorf("Sync(%s).MaxDelete = %d, %v; want %d", name, sy.MaxDelete, err, want)
		}
	}
	var raw string
	if err := s.db.QueryRowContext(ctx, `SELECT settings FROM syncs WHERE name = 'old'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if want := `{"folder":"acme/send","remote":"bank","direction":"two-way","max_delete":50}`; raw != want {
		t.Errorf("migrated settings = %s, want %s", raw, want)
	}
}
