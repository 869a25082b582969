package filesync

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/wharf-mft/wharf/internal/namefilter"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// CheckOverlaps returns an error when sy and one of others would take
// files from each other: one removes each file it copies (--after-copy
// delete) from a folder the other copies from too, so whichever runs first
// takes the file and the other never delivers it. others may include sy
// itself (by ID or name); it is skipped. Syncs whose filters no name passes
// both (namefilter.Disjoint) do not overlap.
func CheckOverlaps(sy store.Sync, others []store.Sync) error {
	for _, o := range others {
		if (sy.ID != 0 && o.ID == sy.ID) || strings.EqualFold(o.Name, sy.Name) {
			continue
		}
		if err := overlap(sy, o); err != nil {
			return err
		}
		if err := overlap(o, sy); err != nil {
			return err
		}
	}
	return nil
}

// checkOverlaps fails a run of a sync set up before `wharf sync add` and
// `sync set` refused overlaps (CheckOverlaps), rather than let it miss
// files or take another sync's.
func (x *runner) checkOverlaps(ctx context.Context) error {
	all, err := x.e.st.Syncs(ctx)
	if err != nil {
		return err
	}
	if err := CheckOverlaps(x.sy, all); err != nil {
		return fmt.Errorf("%w; until then the sync does not run (`wharf sync list` shows the folders)", err)
	}
	return nil
}

// overlap reports whether deleter removes source files that reader also
// copies from.
func overlap(deleter, reader store.Sync) error {
	if deleter.AfterCopy != store.AfterCopyDelete || !filtersMeet(deleter, reader) {
		return nil
	}
	var where string
	switch {
	case deleter.Direction == store.SyncPush && reader.Direction != store.SyncPull:
		f, ok := nested(deleter.Folder, reader.Folder)
		if !ok {
			return nil
		}
		where = "folder " + f
	case deleter.Direction == store.SyncPull && reader.Direction != store.SyncPush:
		if !strings.EqualFold(deleter.Remote, reader.Remote) {
			return nil
		}
		// Some servers (IIS) ignore case: /Out and /out may be one folder,
		// and a refusal is the safe side.
		f, ok := nested(strings.ToLower(deleter.RemotePath), strings.ToLower(reader.RemotePath))
		if !ok {
			return nil
		}
		where = deleter.Remote + ":/" + f
	default:
		return nil
	}
	return fmt.Errorf("syncs %q and %q both copy from %s, and %q deletes each file it copies (--after-copy delete): "+
		"whichever runs first takes a file and the other never delivers it. "+
		"Give each sync its own folder, set `--after-copy keep` on %q, or give the two filters no name in common (e.g. --filter \"*.edi\" and --filter \"*.x12\")",
		deleter.Name, reader.Name, where, deleter.Name, deleter.Name)
}

// filtersMeet reports whether some file name may pass both syncs' filters.
func filtersMeet(a, b store.Sync) bool {
	fa, err := namefilter.Parse(a.Filter)
	if err != nil {
		return true
	}
	fb, err := namefilter.Parse(b.Filter)
	if err != nil {
		return true
	}
	return !namefilter.Disjoint(fa, fb)
}

// nested reports whether folders a and b are the same or one holds the
// other, and returns the inner one ("" for the root).
func nested(a, b string) (string, bool) {
	ca, cb := cleanFolder(a), cleanFolder(b)
	switch {
	case vfs.Within(ca, cb):
		return ca, true
	case vfs.Within(cb, ca):
		return cb, true
	}
	return "", false
}

func cleanFolder(p string) string { return path.Clean("/" + p)[1:] }
