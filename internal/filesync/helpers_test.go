package filesync

import (
	"os/exec"
	"strconv"
	"testing"
)

// deadPID returns the ID of a process that has exited.
func deadPID(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return strconv.Itoa(cmd.Process.Pid)
}
