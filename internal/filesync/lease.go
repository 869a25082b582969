package filesync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// holderID names this process in leases: "host/pid".
type holderID struct {
	host string
	pid  int
}

func thisProcess() holderID {
	h, _ := os.Hostname()
	return holderID{host: h, pid: os.Getpid()}
}

// newHolder returns a lease holder name unique to one run:
// "host/pid/random".
func (h holderID) newHolder() string {
	var b [4]byte
	rand.Read(b[:])
	return h.host + "/" + strconv.Itoa(h.pid) + "/" + hex.EncodeToString(b[:])
}

// deadLocal reports whether holder is a run of a process on this host that
// no longer exists, whose lease may be taken over at once rather than
// after it expires (a kill -9 followed by a restart).
func (h holderID) deadLocal(holder string) bool {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 || parts[0] != h.host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || pid == h.pid {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// describeHolder names the process behind a lease holder "host/pid/run"
// for a person: "process 1234 on host vm" (wharf serve, or another
// `wharf sync run`).
func describeHolder(holder string) string {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 {
		return holder
	}
	return fmt.Sprintf("process %s on host %s (wharf serve, or another `wharf sync run`)", parts[1], parts[0])
}

// lease is a held sync lease, renewed in the background until released.
type lease struct {
	holder string
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// acquire takes the sync's lease and returns a context that ends when the
// lease is lost, with ErrLeaseLost as its cause.
func (x *runner) acquire(ctx context.Context) (context.Context, *lease, error) {
	st, ttl, id := x.e.st, x.e.cfg.LeaseTTL, x.sy.ID
	holder := x.e.self.newHolder()
	now := time.Now()
	cur, ok, err := st.AcquireSyncLease(ctx, id, holder, now, now.Add(ttl))
	if err != nil {
		return nil, nil, err
	}
	if !ok && x.e.self.deadLocal(cur.Holder) {
		x.log.Warn("taking over the lease of a dead process", "holder", cur.Holder)
		// Acquiring "after" the old lease's end replaces exactly that
		// lease; a racing taker sees the new one and fails.
		cur, ok, err = st.AcquireSyncLease(ctx, id, holder, cur.Until.Add(time.Nanosecond), time.Now().Add(ttl))
		if err != nil {
			return nil, nil, err
		}
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s holds the sync's lease (renewed while it runs; now until %s). Wait for that run to end; `wharf sync status %s` shows it",
			ErrBusy, describeHolder(cur.Holder), cur.Until.Format(time.RFC3339), x.sy.Name)
	}
	rctx, cancel := context.WithCancelCause(ctx)
	l := &lease{holder: holder}
	var loopCtx context.Context
	loopCtx, l.stop = context.WithCancel(rctx)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		held := cur.Until // the lease is ours until then at least
		for {
			select {
			case <-loopCtx.Done():
				return
			case <-t.C:
			}
			now := time.Now()
			_, ok, err := st.AcquireSyncLease(loopCtx, id, holder, now, now.Add(ttl))
			if loopCtx.Err() != nil {
				return
			}
			switch {
			case err == nil && ok:
				held = now.Add(ttl)
				continue
			case err != nil && time.Now().Add(ttl/3).Before(held):
				// The store failed (SQLite busy past its timeout, say),
				// which says nothing about the lease: it is still ours
				// until held, and the next tick tries again before then.
				x.log.Warn("renew sync lease; trying again", "err", err, "held_until", held)
				continue
			}
			x.log.Error("sync lease lost; stopping the run", "err", err)
			cancel(ErrLeaseLost)
			return
		}
	}()
	return rctx, l, nil
}

// release stops renewing and drops the lease.
func (x *runner) release(ctx context.Context, l *lease) {
	l.stop()
	l.wg.Wait()
	if err := x.e.st.ReleaseSyncLease(context.WithoutCancel(ctx), x.sy.ID, l.holder); err != nil {
		x.log.Warn("release sync lease", "err", err)
	}
}

// RunStatus is r's status for display: a run still marked running whose
// process on this host is gone (kill -9, a crash) shows as interrupted,
// which the sync's next run records.
func RunStatus(r store.SyncRun) string {
	if RunState(r) != r.Status {
		return "interrupted (its process is gone; the next run finishes its work)"
	}
	return r.Status
}

// RunState is r's status as one of the store.Run* words, for machines:
// store.RunInterrupted for a run still marked running whose process on
// this host is gone (see RunStatus).
func RunState(r store.SyncRun) string {
	if r.Status == store.RunRunning && thisProcess().deadLocal(r.Holder) {
		return store.RunInterrupted
	}
	return r.Status
}
