package filesync

import (
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
