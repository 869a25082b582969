package filesync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropManySyncsSmallPool: six syncs (push and pull) run at once
// through one remote's pool against vsftpd allowing two sessions per
// client address, with a pool of two connections and with one of eight
// (more than the server takes: it answers 421): every run completes and
// copies its files, and none fails for want of a connection.
func TestInteropManySyncsSmallPool(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{MaxPerIP: 2})
	for _, conns := range []int{2, 8} {
		t.Run(fmt.Sprint(conns), func(t *testing.T) {
			p := sub(t, fromPeertest(t, s), fmt.Sprint("pool-", conns))
			p.cfg.MaxConns = conns
			manySyncs(t, p)
		})
	}
}

func manySyncs(t *testing.T, p peer) {
	pool, err := remote.NewPool(p.cfg, remote.PoolOptions{Backoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	e := newEnv(t, store.Sync{Name: "push-0", Folder: "out/0", RemotePath: "push-0"})
	e.engine = New(e.st, endpoints{files: e.files, rem: pool}, Config{RetryWait: 10 * time.Millisecond})
	ctx := context.Background()
	var names []string
	for i := range 6 {
		dir := "pull-" + fmt.Sprint(i)
		sy := store.Sync{Name: dir, Folder: "in/" + fmt.Sprint(i), Remote: "bank", RemotePath: dir, Direction: store.SyncPull, MaxDelete: store.DefaultMaxDelete}
		if i%2 == 0 {
			dir = "push-" + fmt.Sprint(i)
			sy = store.Sync{Name: dir, Folder: "out/" + fmt.Sprint(i), Remote: "bank", RemotePath: dir, Direction: store.SyncPush, MaxDelete: store.DefaultMaxDelete}
		}
		if i > 0 {
			if err := e.st.CreateSync(ctx, &sy); err != nil {
				t.Fatal(err)
			}
		}
		sub(t, p, dir) // the remote folder, made as the server's user
		if err := os.MkdirAll(filepath.Join(e.files, filepath.FromSlash(sy.Folder)), 0o755); err != nil {
			t.Fatal(err)
		}
		for j := range 10 {
			f := fmt.Sprintf("f%02d.edi", j)
			if sy.Direction == store.SyncPush {
				write(t, filepath.Join(e.files, filepath.FromSlash(sy.Folder)), f, "x"+f, t0)
			} else {
				p.seed(t, dir+"/"+f, "y"+f, t0)
			}
		}
		names = append(names, sy.Name)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, n := range names {
		wg.Go(func() {
			res, err := e.engine.Run(ctx, n, RunOptions{})
			if err == nil && len(res.Errors) > 0 {
				err = fmt.Errorf("%d failed: %v", len(res.Errors), res.Errors[0])
			}
			if err == nil && res.Run.Copied != 10 {
				err = fmt.Errorf("copied %d, want 10", res.Run.Copied)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("sync %s: %v", names[i], err)
		}
	}
}
