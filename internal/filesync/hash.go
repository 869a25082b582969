package filesync

import (
	"context"
	"encoding/hex"
	"io"
	"os"
	"strings"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// hasher is the optional Remote capability of telling a file's digest
// (HASH, XSHA256, ...); alg is "" when the server offers none.
// *remote.Pool has it.
type hasher interface {
	Hash(ctx context.Context, name string) (alg, sum string, err error)
}

func (u under) Hash(ctx context.Context, name string) (string, string, error) {
	h, ok := u.r.(hasher)
	if !ok {
		return "", "", nil
	}
	return h.Hash(ctx, u.p(name))
}

// byContent revisits the copies and conflicts of a plan whose two files
// have the same size: where the server can tell a digest and it matches
// the local file's, the pair is already in step and is recorded instead of
// copied (a first two-way run over identical trees, a server that cannot
// keep modification times, a source with nothing on record whose copy is
// there already). The copy of a file back after its last delivery's source
// was removed is a new delivery and is left alone. It stops asking once
// the server shows it has no hash command.
func (x *runner) byContent(ctx context.Context, p *Plan) {
	h := x.rem
	for i := range p.Items {
		it := &p.Items[i]
		if it.Local == nil || it.Remote == nil || it.Local.Size != it.Remote.Size {
			continue
		}
		if it.Action != Push && it.Action != Pull && it.Action != Conflict || it.again {
			continue
		}
		alg, sum, err := h.Hash(ctx, it.Path)
		if err != nil {
			x.log.Debug("remote hash", "path", it.Path, "err", err)
			continue
		}
		if alg == "" {
			return
		}
		local, err := x.localDigest(it.Path, alg)
		if err != nil || !strings.EqualFold(local, sum) {
			continue
		}
		put := &store.SyncFile{Path: it.Path, Local: sideOf(it.Local), Remote: sideOf(it.Remote)}
		reason := "same content (" + alg + ") on both sides"
		switch {
		case it.DeleteSource && it.Action == Push:
			*it = Item{Path: it.Path, Local: it.Local, Remote: it.Remote, Action: DeleteLocal, AfterCopy: true, Reason: reason + "; removing the source", put: put}
		case it.DeleteSource && it.Action == Pull:
			*it = Item{Path: it.Path, Local: it.Local, Remote: it.Remote, Action: DeleteRemote, AfterCopy: true, Reason: reason + "; removing the source", put: put}
		default:
			*it = Item{Path: it.Path, Local: it.Local, Remote: it.Remote, Action: Skip, Reason: reason, put: put}
		}
	}
}

func (x *runner) localDigest(p, alg string) (string, error) {
	d := remote.NewDigest(alg)
	if d == nil {
		return "", nil
	}
	f, err := x.local.OpenFile(p, os.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(d, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(d.Sum(nil)), nil
}
