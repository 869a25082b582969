package metrics

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// TestLastSuccessOutlivesFailures: a sync failing for more runs than a
// scrape reads back keeps its last success time, so an alert on
// time() - wharf_sync_last_success_timestamp_seconds keeps firing instead
// of losing its series.
func TestLastSuccessOutlivesFailures(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sy := store.Sync{Name: "out", Folder: "acme/send", Remote: "bank", Direction: store.SyncPush}
	if err := st.CreateSync(ctx, &sy); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	run := func(at time.Time, status string) {
		t.Helper()
		r := store.SyncRun{SyncID: sy.ID, Holder: "test", Started: at, Finished: at, Status: status}
		if err := st.SaveSyncRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	c := New(ctx, st, Sources{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	lastOK := func() (float64, bool) {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "wharf_sync_last_success_timestamp_seconds" {
				return mf.GetMetric()[0].GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	if _, ok := lastOK(); ok {
		t.Fatal("last success reported before any run")
	}
	run(t0, store.RunOK)
	if v, ok := lastOK(); !ok || v != float64(t0.Unix()) {
		t.Fatalf("last success = %v, %v; want %d", v, ok, t0.Unix())
	}
	for i := 1; i <= 60; i++ {
		run(t0.Add(time.Duration(i)*time.Minute), store.RunFailed)
	}
	if v, ok := lastOK(); !ok || v != float64(t0.Unix()) {
		t.Errorf("after %d failed runs last success = %v, %v; want %d", 60, v, ok, t0.Unix())
	}
	// A collector of a process started since (serve restarted) finds it
	// too, though it is further back than a scrape reads.
	reg = prometheus.NewPedanticRegistry()
	if err := reg.Register(New(ctx, st, Sources{}, slog.New(slog.NewTextHandler(io.Discard, nil)))); err != nil {
		t.Fatal(err)
	}
	if v, ok := lastOK(); !ok || v != float64(t0.Unix()) {
		t.Errorf("after a restart, last success = %v, %v; want %d", v, ok, t0.Unix())
	}
}
