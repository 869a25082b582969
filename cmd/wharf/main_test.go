package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run this binary as wharf: with WHARF_TEST_MAIN
// set, the arguments after "--" go to main.
func TestMain(m *testing.M) {
	if os.Getenv("WHARF_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"wharf"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func wharf(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = []string{"WHARF_TEST_MAIN=1"}
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

func TestErrorPrintedOnce(t *testing.T) {
	dir := t.TempDir()
	if out, err := wharf(t, "--data", dir, "staff", "add", "ops").CombinedOutput(); err != nil {
		t.Fatalf("staff add: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := wharf(t, "--data", dir, "partner", "show", "nobody")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("wharf partner show nobody: %v, want exit status 1", err)
	}
	want := "wharf: partner \"nobody\" not found: see `wharf partner list`\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("stderr = %q, stdout = %q; want stderr %q only", stderr.String(), stdout.String(), want)
	}
}

// TestSignalStopsServe starts wharf serve, sends SIGTERM once it serves and
// expects a clean exit.
func TestSignalStopsServe(t *testing.T) {
	cmd := wharf(t, "--data", t.TempDir(), "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "msg=serving") {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("wharf serve after SIGTERM: %v, want exit status 0\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "msg=stopped") {
		t.Errorf("serve log lacks msg=stopped:\n%s", log.String())
	}
}
