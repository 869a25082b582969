package filesync

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
)

// A run left marked running by a process that is gone shows as
// interrupted; one of a live process, or of another host, as running.
func TestRunStatus(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	holder := func(pid int) string { return host + "/" + strconv.Itoa(pid) + "/abcd1234" }
	if got := RunStatus(store.SyncRun{Status: store.RunRunning, Holder: holder(gone.Process.Pid)}); !strings.HasPrefix(got, "interrupted") {
		t.Errorf("run of a dead process: %q, want interrupted", got)
	}
	if got := RunStatus(store.SyncRun{Status: store.RunRunning, Holder: holder(os.Getppid())}); got != store.RunRunning {
		t.Errorf("run of a live process: %q, want running", got)
	}
	if got := RunStatus(store.SyncRun{Status: store.RunRunning, Holder: "elsewhere/1/abcd"}); got != store.RunRunning {
		t.Errorf("run on another host: %q, want running", got)
	}
	if got := RunStatus(store.SyncRun{Status: store.RunOK, Holder: holder(gone.Process.Pid)}); got != store.RunOK {
		t.Errorf("finished run: %q, want ok", got)
	}
}

// TestIdleRunNoEvent: a run that finds nothing to do (a sync run every 15
// s) is kept in the run history but adds no sync_run event.
func TestIdleRunNoEvent(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	write(t, e.local, "a.edi", "AAAA", t0)
	runEvents := func() int {
		t.Helper()
		evs, err := e.st.Events(context.Background(), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Kind == store.EventSyncRun {
				n++
			}
		}
		return n
	}
	e.mustRun()
	e.mustRun()
	e.mustRun()
	if n := runEvents(); n != 1 {
		t.Errorf("sync_run events after one busy and two idle runs = %d, want 1", n)
	}
	runs, err := e.st.SyncRuns(context.Background(), e.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Errorf("run history has %d runs, want 3", len(runs))
	}
}

// TestStoppedRun: a run whose caller cancels it mid-way (serve stopping,
// ^C) is recorded as stopped, not failed, and the next run finishes the
// work.
func TestStoppedRun(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncPush})
	write(t, e.local, "a.edi", "AAAA", t0)
	write(t, e.local, "b.edi", "BBBB", t0)
	ctx, cancel := context.WithCancel(context.Background())
	e.rem.storeHook = func(string) { cancel() } // the first upload's start stops the run
	res, _ := e.engine.Run(ctx, e.sync.Name, RunOptions{})
	if res.Run.Status != store.RunStopped {
		t.Errorf("run cancelled by its caller: status %q (%s), want %q", res.Run.Status, res.Run.Error, store.RunStopped)
	}
	e.rem.storeHook = nil
	e.mustRun()
	if got := tree(t, e.rem.root); got["a.edi"] != "AAAA" || got["b.edi"] != "BBBB" {
		t.Errorf("remote after the next run = %v, want both files", got)
	}
}
