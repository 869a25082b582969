package filesync

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"os"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropRemoteDownMidRun: vsftpd dies while a push with
// --after-copy delete is under way and comes back later. The run ends with
// an error or failed files that name the trouble, no file is lost (each is
// on the remote or still in the folder) and none shows twice; the next run,
// once the remote is back, delivers the rest, each file once in all.
func TestInteropRemoteDownMidRun(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{Extra: []string{"anon_max_rate=262144"}})
	p := sub(t, fromPeertest(t, s), "down")
	p.cfg.IOTimeout = 3 * time.Second
	e, _ := interopEnv(t, p, store.Sync{Direction: store.SyncPush, AfterCopy: store.AfterCopyDelete})
	want := map[string]string{}
	for i := range 30 {
		f := fmt.Sprintf("f%02d.edi", i)
		c := strings.Repeat(fmt.Sprint(i%10), 256<<10)
		write(t, e.local, f, c, t0)
		want[f] = c
	}
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if countVisible(p.dir) >= 3 {
				s.Kill()
				return
			}
			time.Sleep(5 * time.Millisecond) // polling the server's folder
		}
		t.Error("no file reached the server within 30s")
	}()
	res, err := e.run(RunOptions{})
	<-killed
	t.Logf("run with the remote down: %+v, err %v, %d file errors", res.Run, err, len(res.Errors))
	if err == nil && len(res.Errors) == 0 {
		t.Errorf("run = %+v: want an error or failed files while the remote was down", res.Run)
	}
	if res.Run.Status == store.RunOK {
		t.Errorf("run status %q with the remote down mid-way", res.Run.Status)
	}
	check := func(when string) {
		t.Helper()
		rem, loc := visible(tree(t, p.dir)), tree(t, e.local)
		for f, c := range want {
			r, inR := rem[f]
			l, inL := loc[f]
			switch {
			case !inR && !inL:
				t.Errorf("%s: %s lost (on neither side)", when, f)
			case inR && r != c:
				t.Errorf("%s: remote %s is %d bytes, want %d", when, f, len(r), len(c))
			case inL && l != c:
				t.Errorf("%s: local %s changed", when, f)
			}
		}
	}
	check("after the failed run")
	s.Restart(t)
	// The pool holds off dialling a remote that refused for a while
	// (at most its MaxBackoff): try until a run gets through, as the
	// scheduler's retries do.
	var r2 Result
	for deadline := time.Now().Add(30 * time.Second); ; {
		r2, err = e.run(RunOptions{})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling for the pool's dial hold to end
	}
	if err != nil || len(r2.Errors) > 0 {
		t.Fatalf("run after the remote came back: %v, errors %v", err, r2.Errors)
	}
	t.Logf("run after the remote came back: %+v (recovered %d)", r2.Run, r2.Recovered)
	check("after the next run")
	if d := cmp.Diff(want, visible(tree(t, p.dir))); d != "" {
		t.Errorf("remote after the next run (-want +got):\n%s", d)
	}
	if left := tree(t, e.local); len(left) != 0 {
		t.Errorf("sources left: %v", keys(left))
	}
	for f, n := range e.delivered() {
		if n != 1 {
			t.Errorf("%s delivered %d times", f, n)
		}
	}
	runs, err := e.st.SyncRuns(context.Background(), e.sync.ID, 50)
	if err != nil || len(runs) < 2 {
		t.Fatalf("runs %v, err %v", runs, err)
	}
	first := runs[len(runs)-1]
	if first.Status == store.RunOK || !strings.Contains(first.Error, "connect") {
		t.Errorf("the first run's history says %q / %q; want it not ok, with the connection error", first.Status, first.Error)
	}
	t.Logf("history: %q / %q", first.Status, first.Error)
}

// countVisible counts the files in dir that are not upload temporaries.
func countVisible(dir string) int {
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, de := range ents {
		if !strings.HasSuffix(de.Name(), remoteTempSuffix) {
			n++
		}
	}
	return n
}
