package filesync

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// recover settles what an interrupted run left: runs still marked running
// become interrupted, and each op still started is completed when its copy
// is verifiably in place (so it is counted once and its source deleted if
// asked) or marked aborted, to be planned afresh. It returns how many ops
// it completed. A recovery that cannot tell (the remote does not answer)
// fails the run rather than risk a second delivery. A completed copy whose
// source cannot be deleted (the remote refuses) does not stop it: the copy
// is recorded, the failed delete is returned in kept, and the next run's
// plan tries the delete again.
func (x *runner) recover(ctx context.Context) (n int, kept []error, err error) {
	runs, err := x.e.st.SyncRuns(ctx, x.sy.ID, 50)
	if err != nil {
		return 0, nil, err
	}
	var interrupted []store.SyncRun
	for _, r := range runs {
		if r.Status != store.RunRunning || r.ID == x.run.ID {
			continue
		}
		r.Status, r.Finished = store.RunInterrupted, time.Now()
		r.Error = fmt.Sprintf("interrupted; recovered by run %d", x.run.ID)
		if err := x.e.st.SaveSyncRun(ctx, &r); err != nil {
			return 0, nil, err
		}
		interrupted = append(interrupted, r)
	}
	// A run's counts are saved when it finishes; one that never did
	// gets them from its journal once its started ops are settled below,
	// so its row shows what it delivered.
	defer func() {
		if err == nil {
			err = x.countInterrupted(ctx, interrupted)
		}
	}()
	ops, err := x.e.st.SyncOps(ctx, x.sy.ID, 0, store.OpStarted)
	if err != nil {
		return 0, nil, err
	}
	for i := range ops {
		op := &ops[i]
		var d opDetail
		if err := json.Unmarshal([]byte(op.Detail), &d); err != nil {
			return n, kept, fmt.Errorf("op %d: %w", op.ID, err)
		}
		var ok bool
		err = nil
		switch Action(op.Action) {
		case Push:
			if d.Temp != "" {
				// Journaled before the upload started: the only
				// temporary this op can have left. It is hidden and
				// never picked up, so a failure here only costs space.
				if err := x.removeRemote(ctx, d.Temp); err != nil {
					x.log.Warn("remove interrupted upload", "path", d.Temp, "err", err)
				}
			} else {
				x.removeUploadTemps(ctx, op.Path)
			}
			if d.Stage != "" {
				// Published under the stage but not renamed into place
				// (a rename done leaves nothing there).
				if err := x.removeRemote(ctx, d.Stage); err != nil {
					x.log.Warn("remove interrupted upload", "path", d.Stage, "err", err)
				}
			}
			ok, err = x.recoverPush(ctx, op, d)
		case Pull:
			ok, err = x.recoverPull(ctx, op, d)
		}
		if sk := (*sourceKept)(nil); errors.As(err, &sk) {
			n++
			kept = append(kept, fmt.Errorf("%s %s: %w", op.Action, op.Path, err))
			continue
		}
		if err != nil {
			return n, kept, fmt.Errorf("%s %s: %w", op.Action, op.Path, err)
		}
		if ok {
			n++
			x.log.Info("interrupted copy completed", "path", op.Path, "action", op.Action, "op", op.ID)
			continue
		}
		// Nothing verifiable happened, or it is safe to redo (deletes,
		// conflicts: the fresh plan sees where they stopped).
		op.Status, op.Finished, op.Error = store.OpAborted, time.Now(), "interrupted"
		if err := x.e.st.SaveSyncOp(ctx, op, nil, nil, nil); err != nil {
			return n, kept, err
		}
	}
	return n, kept, nil
}

// recoverPush completes a push whose verified upload is in place.
func (x *runner) recoverPush(ctx context.Context, op *store.SyncOp, d opDetail) (bool, error) {
	var rs store.SyncSide
	if d.Step == "copied" && d.Dest != nil {
		rs = *d.Dest
	} else {
		e, err := x.rem.Stat(ctx, op.Path)
		if notExist(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if e.Size != d.Size {
			return false, nil
		}
		// Still the file that was there before (same size and time)?
		// Then the upload never landed.
		if d.Prior != nil && e.Size == d.Prior.Size && !e.ModTime.IsZero() && timesMatch(e.ModTime, d.Prior.ModTime, false) {
			return false, nil
		}
		rs = store.SyncSide{Exists: true, Size: e.Size}
		if x.setMTime(ctx, op.Path, d.ModTime) {
			rs.ModTime = d.ModTime
		}
	}
	op.RunID = x.run.ID
	return true, x.afterPush(ctx, op, d, rs, d.Size, d.Step == "copied")
}

// recoverPull completes a pull whose verified file was renamed into place.
func (x *runner) recoverPull(ctx context.Context, op *store.SyncOp, d opDetail) (bool, error) {
	var ls store.SyncSide
	if d.Step == "copied" && d.Dest != nil {
		ls = *d.Dest
	} else {
		if d.Temp != "" {
			if err := x.local.Remove(d.Temp); err != nil && !isNotExist(err) {
				return false, err
			}
		}
		fi, err := x.local.Stat(op.Path)
		if isNotExist(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !fi.Mode().IsRegular() || fi.Size() != d.Size || !d.ModTime.IsZero() && !timesMatch(fi.ModTime(), d.ModTime, d.Precise) {
			return false, nil
		}
		if d.Prior != nil && fi.Size() == d.Prior.Size && fi.ModTime().Equal(d.Prior.ModTime) {
			return false, nil
		}
		ls = store.SyncSide{Exists: true, Size: fi.Size(), ModTime: fi.ModTime(), Precise: true}
	}
	op.RunID = x.run.ID
	return true, x.afterPull(ctx, op, d, ls, d.Size, d.Step == "copied")
}

// removeUploadTemps deletes what a killed Remote.Store left next to p:
// ".<name>.<12 hex>.wharf-part". Servers that hide dot files from listings
// (vsftpd) keep them out of reach; they are hidden there too.
func (x *runner) removeUploadTemps(ctx context.Context, p string) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	es, err := x.rem.List(ctx, dir)
	if err != nil {
		return
	}
	for _, e := range es {
		mid, ok := strings.CutPrefix(e.Name, "."+base+".")
		if !ok || e.Type != remote.File {
			continue
		}
		hexPart, ok := strings.CutSuffix(mid, remoteTempSuffix)
		if _, err := hex.DecodeString(hexPart); !ok || err != nil || len(hexPart) != 12 {
			continue
		}
		if err := x.removeRemote(ctx, path.Join(dir, e.Name)); err != nil {
			x.log.Warn("remove interrupted upload", "path", path.Join(dir, e.Name), "err", err)
		}
	}
}

// countInterrupted sets each interrupted run's counts from its journal.
// The copies recovery completes move to the recovering run's journal and
// count there, so every delivery counts once, in one run's row.
func (x *runner) countInterrupted(ctx context.Context, runs []store.SyncRun) error {
	for _, r := range runs {
		for _, st := range []string{store.OpDone, store.OpFailed} {
			ops, err := x.e.st.SyncOps(ctx, x.sy.ID, r.ID, st)
			if err != nil {
				return err
			}
			for _, op := range ops {
				if st == store.OpFailed {
					r.Failed++
					continue
				}
				countOp(&r, op)
				r.Bytes += op.Bytes
			}
		}
		if err := x.e.st.SaveSyncRun(ctx, &r); err != nil {
			return err
		}
	}
	return nil
}
