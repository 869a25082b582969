package ftpfs

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"net/textproto"

	"github.com/wharf-mft/wharf/internal/remote"
)

// Hasher is the optional Pool capability of asking the remote for a
// digest (remote.Pool has it, and FromPool passes it on).
type Hasher interface {
	HashAlg(ctx context.Context, name, alg string) (string, error)
}

// Hash returns the hex digest by alg ("SHA-256", "SHA-1", "MD5", "SHA-512"
// or "CRC32", the names of draft-bryan-ftpext-hash) of bytes [start, end)
// of name: what a server's ComputeHash answers HASH, XSHA256 and the like
// with, without opening the file as a download. For the whole file it asks
// the remote for the digest, where it offers alg (a Wharf remote, for one),
// and nothing is downloaded. Otherwise the bytes are downloaded from start
// (REST) and hashed: the whole file's download ends as the remote sends its
// last byte, so the remote never sees it aborted; only a range that ends
// before the file does cuts the download short.
func (f *FS) Hash(name, alg string, start, end int64) (string, error) {
	h := remote.NewDigest(alg)
	if h == nil || start < 0 || end < start {
		return "", f.wrap("hash", name, fmt.Errorf("%w: hash %s of bytes %d-%d", fs.ErrInvalid, alg, start, end))
	}
	fi, err := f.Stat(name)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "", f.wrap("hash", name, &fs.PathError{Op: "hash", Path: name, Err: errFolder})
	}
	if hr, ok := f.pool.(Hasher); ok && start == 0 && end == fi.Size() {
		ctx, cancel := f.op()
		sum, err := hr.HashAlg(ctx, f.remotePath(name), alg)
		cancel()
		if err == nil {
			return sum, nil
		}
		if !errors.Is(err, remote.ErrNoHash) && !refusal(err) {
			return "", f.wrap("hash", name, err)
		}
		// Not offered, or refused here (a Wharf folder that allows
		// uploads only, say): the bytes tell.
	}
	if start == end {
		return hex.EncodeToString(h.Sum(nil)), nil // no bytes to fetch
	}
	return f.hashBytes(name, h, start, end)
}

// hashBytes downloads bytes [start, end) of name into h. The wait for a
// connection and the remote's first answer are bounded as a download's
// (see start.go).
func (f *FS) hashBytes(name string, h hash.Hash, start, end int64) (string, error) {
	ctx, started, cancel := f.launch(f.ctx)
	defer cancel(nil)
	w := &rangeWriter{h: h, left: end - start, started: started}
	_, err := f.pool.Retrieve(ctx, f.remotePath(name), start, w)
	if !w.begun {
		started()
	}
	if err != nil && !errors.Is(w.local, errRangeDone) {
		return "", f.wrap("retr", name, startErr(ctx, err))
	}
	if w.left > 0 {
		// The file is shorter than the range: it changed since.
		return "", f.wrap("hash", name, fmt.Errorf("%w: the file ended %d bytes before the range", fs.ErrInvalid, w.left))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// refusal reports a 5xx reply: the remote will not do this, here.
func refusal(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500
}

// errRangeDone stops a download once the range is hashed.
var errRangeDone = errors.New("range hashed")

// rangeWriter hashes the first left bytes written to it and then stops
// the download. Its stop is its own (localErr), which a retry would not
// mend.
type rangeWriter struct {
	h       hash.Hash
	left    int64
	started func() bool
	begun   bool
	local   error
}

func (w *rangeWriter) Write(p []byte) (int, error) {
	if !w.begun {
		w.begun = true
		w.started()
	}
	if w.local != nil {
		return 0, w.local
	}
	n := len(p)
	if int64(n) >= w.left {
		n = int(w.left)
		w.local = errRangeDone
	}
	w.h.Write(p[:n])
	w.left -= int64(n)
	if w.local != nil && n < len(p) {
		return n, w.local
	}
	return n, nil
}

func (w *rangeWriter) localErr() error { return w.local }
