package cli

import (
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestServeStopEndsSyncRuns: stopping serve (SIGTERM or SIGINT cancel its
// context) while a sync run, started by an upload, waits on its remote
// ends the run, which is recorded as ended rather than left running,
// releases the sync's lease, and logs "stopped".
func TestServeStopEndsSyncRuns(t *testing.T) {
	dir := t.TempDir()
	const acmePW = "partner-" + canary
	mustRun(t, dir, acmePW+"\n", "partner", "add", "acme", "--password-stdin")
	// A remote that accepts connections and never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		held []net.Conn
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range held {
			c.Close()
		}
	})
	mustRun(t, dir, "", "remote", "add", "silent", "--url", "ftp://u@"+ln.Addr().String()+"?tls=never")
	mustRun(t, dir, "", "sync", "add", "out", "--folder", "acme/receive", "--remote", "silent:/in", "--direction", "push", "--on-receive")

	_, errOut, cancel, wait := start(t, dir, map[string]string{"WHARF_LOG_LEVEL": "debug"},
		"serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off")
	c, err := ftp.Dial(explicitAddr(t, errOut), ftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true}), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("acme", acmePW); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("/receive/order.edi", strings.NewReader("ISA*00~")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	errOut.waitFor(t, "sync run started")
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("serve ended with %v, want nil\n%s", err, errOut)
	}
	if !strings.Contains(errOut.String(), "msg=stopped") {
		t.Errorf("serve log lacks msg=stopped:\n%s", errOut)
	}
	st := openStore(t, dir)
	sy, err := st.Sync(t.Context(), "out")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.SyncRuns(t.Context(), sy.ID, 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("SyncRuns = %+v, %v; want the one run", runs, err)
	}
	t.Logf("the run after serve stopped: %s: %s", runs[0].Status, runs[0].Error)
	if runs[0].Status != store.RunStopped || runs[0].Finished.IsZero() {
		t.Errorf("the run serve stopped is %q, finished %v; want it recorded as ended, %q", runs[0].Status, runs[0].Finished, store.RunStopped)
	}
	now := time.Now()
	if cur, ok, err := st.AcquireSyncLease(t.Context(), sy.ID, "test/1/x", now, now.Add(time.Minute)); err != nil || !ok {
		t.Errorf("the sync's lease after serve stopped: held by %q (%v), want it released", cur.Holder, err)
	}
}
