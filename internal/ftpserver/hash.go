package ftpserver

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	ftplib "github.com/fclairamb/ftpserverlib"

	"github.com/wharf-mft/wharf/internal/remote"
)

var _ ftplib.ClientDriverExtensionHasher = (*files)(nil)

// hashNames are ftpserverlib's algorithms by their draft-bryan-ftpext-hash
// names.
var hashNames = map[ftplib.HASHAlgo]string{
	ftplib.HASHAlgoCRC32: "CRC32", ftplib.HASHAlgoMD5: "MD5", ftplib.HASHAlgoSHA1: "SHA-1",
	ftplib.HASHAlgoSHA256: "SHA-256", ftplib.HASHAlgoSHA512: "SHA-512",
}

// hasher is the optional file-system capability of computing a digest
// itself: a mount (ftpfs) asks its remote, or reads without a download
// that the remote would log as aborted.
type hasher interface {
	Hash(name, alg string, start, end int64) (string, error)
}

// ComputeHash answers HASH (and XCRC, XMD5, XSHA*) for bytes start..end of
// a file. Without it ftpserverlib reads the file through GetHandle, as a
// download: each HASH then recorded a "sent" event, and with
// remove-after-send deleted the file from send/ though nothing was sent.
//
// A digest is allowed where the account may list (read or write): it lets
// a partner verify its own upload in a write-only receive/ folder, which
// is what HASH is for, and tells nothing a listing does not about files it
// cannot download beyond confirming their content.
func (f *files) ComputeHash(name string, algo ftplib.HASHAlgo, start, end int64) (string, error) {
	n, err := f.ss.resolve(name)
	if err != nil {
		return "", f.fail("hash", n, err)
	}
	if !n.canList() {
		return "", f.fail("hash", n, fmt.Errorf("%w: %s is closed to this account", errDenied, n.path))
	}
	alg, ok := hashNames[algo]
	if !ok {
		return "", f.fail("hash", n, fmt.Errorf("%w: unknown hash algorithm %d", fs.ErrInvalid, algo))
	}
	if h, ok := n.fs.(hasher); ok {
		sum, err := h.Hash(n.name, alg, start, end)
		return sum, f.fail("hash", n, err)
	}
	h := remote.NewDigest(alg)
	fl, err := n.fs.OpenFile(n.name, os.O_RDONLY, 0)
	if err != nil {
		return "", f.fail("hash", n, err)
	}
	defer fl.Close()
	if start > 0 {
		if _, err := fl.Seek(start, io.SeekStart); err != nil {
			return "", f.fail("hash", n, err)
		}
	}
	if _, err := io.CopyN(h, fl, end-start); err != nil && !errors.Is(err, io.EOF) {
		return "", f.fail("hash", n, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
