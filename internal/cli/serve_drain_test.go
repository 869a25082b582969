package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// TestServeSignals: a real wharf serve process with an upload in progress.
// At SIGTERM it stops listening and lets the upload finish: the client
// gets its 226, the file is published whole, and serve exits 0. A second
// SIGTERM during the drain cuts the upload at once: nothing is published,
// and serve exits 0 long before the one-minute grace.
func TestServeSignals(t *testing.T) {
	for _, second := range []bool{false, true} {
		name := "SIGTERM drains"
		if second {
			name = "second SIGTERM cuts"
		}
		t.Run(name, func(t *testing.T) { testServeSignals(t, second) })
	}
}

func testServeSignals(t *testing.T, second bool) {
	dir := t.TempDir()
	const acmePW = "partner-" + canary
	mustRun(t, dir, acmePW+"\n", "partner", "add", "acme", "--password-stdin")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestServeProcess$", "--",
		"--data", dir, "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off", "--shutdown-grace", "1m")
	cmd.Env = []string{"WHARF_TEST_SERVE_PROCESS=1"}
	cmd.WaitDelay = 5 * time.Second
	errOut := newSyncBuffer()
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { t.Logf("serve log:\n%s", errOut) }()
	c, err := ftp.Dial(explicitAddr(t, errOut), ftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true}), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("acme", acmePW); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20)
	rand.Read(data)
	pr, pw := io.Pipe()
	stored := make(chan error, 1)
	go func() {
		err := c.Stor("/receive/big.bin", pr)
		pr.CloseWithError(io.ErrClosedPipe) // a Stor that ended no longer reads: unblock the writes
		stored <- err
	}()
	if _, err := pw.Write(data[:300<<10]); err != nil {
		t.Fatal(err)
	}
	receive := filepath.Join(dir, "files", "acme", "receive")
	waitUntil(ctx, t, "the upload's temporary file", func() bool {
		ents, _ := os.ReadDir(receive)
		return len(ents) > 0 && strings.HasPrefix(ents[0].Name(), ".wharf-")
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	errOut.waitFor(t, "shutting down: waiting for transfers to finish")
	published := filepath.Join(receive, "big.bin")
	if second {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		sent := time.Now()
		if err := <-exited; err != nil {
			t.Fatalf("wharf serve after a second SIGTERM: %v, want exit status 0\n%s", err, errOut)
		}
		if took := time.Since(sent); took > 10*time.Second {
			t.Errorf("wharf serve took %v to exit after the second SIGTERM, want it to cut at once", took)
		}
		pw.Close() // the client ends its upload: too late
		if err := <-stored; err == nil {
			t.Error("the cut upload got 226")
		}
		if _, err := os.Stat(published); err == nil {
			t.Error("the cut upload was published")
		}
		for _, want := range []string{"second signal: stopping at once", "finished=0 cut=1", "msg=stopped"} {
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("serve log lacks %q:\n%s", want, errOut)
			}
		}
		return
	}
	if _, err := pw.Write(data[300<<10:]); err != nil {
		t.Fatalf("the upload during the drain: %v (writing the rest: %v)\n%s", <-stored, err, errOut)
	}
	pw.Close()
	if err := <-stored; err != nil {
		t.Errorf("the upload during the drain: %v, want 226", err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("wharf serve after SIGTERM: %v, want exit status 0\n%s", err, errOut)
	}
	got, err := os.ReadFile(published)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("the drained upload: %d bytes (%v), want the whole %d", len(got), err, len(data))
	}
	for _, want := range []string{"finished=1 cut=0", "msg=stopped"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("serve log lacks %q:\n%s", want, errOut)
		}
	}
}

// waitUntil polls cond until it holds, or fails the test when ctx ends.
func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}
