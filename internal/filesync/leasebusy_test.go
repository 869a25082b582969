package filesync

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestBusyMessage: a run refused because another holds the sync's lease
// (`wharf sync run` while serve runs it) says which process holds it and
// what to do, not only a lease holder's internal name.
func TestBusyMessage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	now := time.Now()
	// A live process on this host: this test's own, under another run.
	holder := e.engine.self.host + "/" + strconv.Itoa(os.Getppid()) + "/abcd"
	if _, ok, err := e.st.AcquireSyncLease(ctx, e.sync.ID, holder, now, now.Add(time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	_, err := e.run(RunOptions{})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("run = %v, want ErrBusy", err)
	}
	for _, want := range []string{"process " + strconv.Itoa(os.Getppid()), e.engine.self.host, "wharf sync status " + e.sync.Name} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
