package filesync

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// flakyLeaseStore fails the first renewal of a lease (a holder's second
// acquire) with an error, as SQLite does when another writer (a history
// prune, a CLI run's journal) holds the database past the busy timeout.
type flakyLeaseStore struct {
	syncStore
	mu       sync.Mutex
	calls    int
	renewals chan struct{} // gets one value per renewal attempt
}

func (s *flakyLeaseStore) AcquireSyncLease(ctx context.Context, id int64, holder string, now, until time.Time) (store.SyncLease, bool, error) {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.mu.Unlock()
	if n > 1 {
		select {
		case s.renewals <- struct{}{}:
		default:
		}
	}
	if n == 2 {
		return store.SyncLease{}, false, errors.New("database is locked (SQLITE_BUSY)")
	}
	return s.syncStore.AcquireSyncLease(ctx, id, holder, now, until)
}

// TestLeaseRenewalSurvivesOneStoreError: one renewal that fails with an
// error while the lease still has time left does not stop the run; the
// next renewal keeps it. (A lease someone else took does stop it.)
func TestLeaseRenewalSurvivesOneStoreError(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	st := &flakyLeaseStore{syncStore: e.st, renewals: make(chan struct{}, 1)}
	e.engine = New(st, endpoints{files: e.files, rem: e.rem}, Config{RetryWait: time.Millisecond, LeaseTTL: 600 * time.Millisecond})
	write(t, e.local, "a.edi", "alpha", t0)
	e.rem.storeHook = func(string) {
		// The copy lasts past the failed renewal and the one after it.
		for range 2 {
			select {
			case <-st.renewals:
			case <-time.After(10 * time.Second):
				t.Error("no lease renewal within 10s")
				return
			}
		}
	}
	res, err := e.run(RunOptions{})
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("Run = %v, errors %v; want a run that survives one failed renewal", err, res.Errors)
	}
	if d := cmp.Diff(map[string]int{"a.edi": 1}, e.delivered()); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
}
