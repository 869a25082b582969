package ftpfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"path"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// Journal records every upload through a mount in the store before its
// STOR, with the temporary name it writes (see remote.Pool.Upload), and
// drops the record once the upload ended and its file is published or
// gone. A process killed mid-upload (kill -9 of serve) leaves the record
// with the file; the next process deletes both the first time one of its
// mounts of that remote lists a folder or starts an upload (Sweep). Only
// recorded names are deleted, never a file Wharf did not write there.
//
// One Journal serves every mount of a process and is safe for concurrent
// use. It takes a record that another Journal holds for a crash's, so
// only one process may serve mounts from a store at a time, as
// DATA/serve.lock makes sure.
type Journal struct {
	st     store.MountUploads
	holder string // this process's records
	log    *slog.Logger

	mu    sync.Mutex
	swept map[string]bool // remotes with nothing left to delete
	busy  map[string]bool // remotes being swept
}

// NewJournal returns a journal keeping its records in st, with a fresh
// holder ID for this process. A nil log discards.
func NewJournal(st store.MountUploads, log *slog.Logger) *Journal {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b [12]byte
	rand.Read(b[:])
	return &Journal{st: st, holder: hex.EncodeToString(b[:]), log: log,
		swept: make(map[string]bool), busy: make(map[string]bool)}
}

// recordTimeout bounds end, which runs after the upload's ctx may have
// ended.
const recordTimeout = 10 * time.Second

// begin records an upload to tmp on the remote rem before it starts and
// returns the record's ID; 0 when there is no journal, or recording failed
// (logged), and the upload goes ahead unrecorded: its file is hidden, and a
// crash would leave it behind.
func (j *Journal) begin(ctx context.Context, rem, tmp string) int64 {
	if j == nil {
		return 0
	}
	u := store.MountUpload{Remote: rem, Temp: tmp, Holder: j.holder}
	if err := j.st.AddMountUpload(ctx, &u); err != nil {
		j.log.Warn("mount upload not journaled", "remote_name", rem, "path", tmp, "err", err)
		return 0
	}
	return u.ID
}

// end settles the record of an upload that returned: dropped when its
// temporary file is published or deleted, released to the next Sweep
// when it may still be on the remote (left).
func (j *Journal) end(ctx context.Context, id int64, rem string, left bool) {
	if j == nil || id == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	var err error
	if left {
		err = j.st.ReleaseMountUpload(ctx, id)
		j.mu.Lock()
		delete(j.swept, rem)
		j.mu.Unlock()
	} else {
		err = j.st.DeleteMountUpload(ctx, id)
	}
	if err != nil {
		// A record left behind names a file that is gone or published
		// under its final name: deleting its temporary name later is a
		// harmless 550.
		j.log.Warn("mount upload journal not updated", "remote_name", rem, "id", id, "err", err)
	}
}

// deleter is what Sweep needs of a pool.
type deleter interface {
	Delete(ctx context.Context, name string) error
}

// Sweep deletes, through p, the temporary files of the uploads to the
// remote rem that the journal holds records of and no upload of this
// process is writing (a crashed process's, or a failed upload's whose
// delete failed too), and their records. It reports how many files it
// deleted. It stops at the first failure that may pass (the remote is
// down) and returns it, to go on at the next Sweep; once a Sweep of rem
// found nothing left, later ones do nothing until an upload leaves a file
// again. Concurrent callers do not wait for a Sweep in progress.
func (j *Journal) Sweep(ctx context.Context, rem string, p deleter) (int, error) {
	if j == nil {
		return 0, nil
	}
	j.mu.Lock()
	if j.swept[rem] || j.busy[rem] {
		j.mu.Unlock()
		return 0, nil
	}
	j.busy[rem] = true
	j.mu.Unlock()
	n, err := j.sweep(ctx, rem, p)
	j.mu.Lock()
	delete(j.busy, rem)
	if err == nil {
		j.swept[rem] = true
	}
	j.mu.Unlock()
	return n, err
}

func (j *Journal) sweep(ctx context.Context, rem string, p deleter) (int, error) {
	list, err := j.st.MountUploads(ctx, rem)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range list {
		if u.Holder == j.holder {
			continue // an upload of this process, in progress
		}
		if !remote.IsTemp(path.Base(u.Temp)) {
			// Never a user's file, whatever the record says.
			j.log.Error("mount upload record names no temporary file; dropped", "remote_name", rem, "path", u.Temp)
		} else if err := p.Delete(ctx, u.Temp); err == nil {
			n++
			j.log.Info("temporary file of an interrupted mount upload deleted", "remote_name", rem, "path", u.Temp,
				"since", u.CreatedAt.UTC().Format(time.RFC3339))
		} else if !gone(err) {
			if transient(err) || ctx.Err() != nil {
				return n, fmt.Errorf("delete %s on %q: %w", u.Temp, rem, err)
			}
			j.log.Warn("remote temporary file left behind", "remote_name", rem, "path", u.Temp, "err", err)
		}
		if err := j.st.DeleteMountUpload(ctx, u.ID); err != nil {
			return n, err
		}
	}
	return n, nil
}

// gone reports whether a delete failed because the file is not there.
func gone(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code == 550
}
