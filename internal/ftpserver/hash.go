package ftpserver

import (
	"crypto/md5"  //nolint:gosec // HASH offers it (draft-bryan-ftpext-hash); not for security
	"crypto/sha1" //nolint:gosec // idem
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"

	ftplib "github.com/fclairamb/ftpserverlib"
)

var _ ftplib.ClientDriverExtensionHasher = (*files)(nil)

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
		return "", f.fail("hash", n, errDenied)
	}
	h, err := newHash(algo)
	if err != nil {
		return "", f.fail("hash", n, err)
	}
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

func newHash(algo ftplib.HASHAlgo) (hash.Hash, error) {
	switch algo {
	case ftplib.HASHAlgoCRC32:
		return crc32.NewIEEE(), nil
	case ftplib.HASHAlgoMD5:
		return md5.New(), nil //nolint:gosec
	case ftplib.HASHAlgoSHA1:
		return sha1.New(), nil //nolint:gosec
	case ftplib.HASHAlgoSHA256:
		return sha256.New(), nil
	case ftplib.HASHAlgoSHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("%w: unknown hash algorithm %d", fs.ErrInvalid, algo)
}
