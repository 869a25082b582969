package ftpfs_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// hashPeerFS mounts s's writable folder.
func hashPeerFS(t *testing.T, s *peertest.Server) *ftpfs.FS {
	t.Helper()
	pool, err := remote.NewPool(remote.Config{Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
		RootCAs: s.Cert.Roots, IOTimeout: 20 * time.Second}, remote.PoolOptions{MaxAttempts: 2, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return ftpfs.New(t.Context(), ftpfs.FromPool(pool), ftpfs.Options{Remote: s.Kind, Root: s.Dir})
}

// TestHashAsksTheRemote: the digest of a whole mounted file comes from
// the remote's own HASH where it offers the algorithm (a Wharf peer,
// WHARF_INTEROP=1), so nothing is downloaded: the peer records no sent
// file. A range is hashed from the bytes.
func TestHashAsksTheRemote(t *testing.T) {
	s := peertest.Wharf(t, peertest.Options{})
	data := bytes.Repeat([]byte("ISA*00*hash~"), 100<<10)
	s.WriteFile(t, "work/order.edi", data)
	f := hashPeerFS(t, s)
	sha := sha256.Sum256(data)
	sha5 := sha512.Sum512(data)
	crc := crc32.NewIEEE()
	crc.Write(data)
	for alg, want := range map[string]string{"SHA-256": hexOf(sha[:]), "SHA-512": hexOf(sha5[:]), "CRC32": hexOf(crc.Sum(nil))} {
		if got, err := f.Hash("order.edi", alg, 0, int64(len(data))); err != nil || got != want {
			t.Errorf("Hash(order.edi, %s) = %s, %v; want %s", alg, got, err, want)
		}
	}
	if n := strings.Count(s.Log(), "msg=sent"); n != 0 {
		t.Errorf("the remote sent the file %d times for hashes it can tell itself:\n%s", n, s.Log())
	}
	part := md5.Sum(data[100:200])
	if got, err := f.Hash("order.edi", "MD5", 100, 200); err != nil || got != hexOf(part[:]) {
		t.Errorf("Hash(order.edi, MD5, 100, 200) = %s, %v; want %s", got, err, hexOf(part[:]))
	}
}

// TestHashWithoutRemoteHash: a remote with no hash command (vsftpd,
// WHARF_INTEROP=1) has the bytes hashed: the whole file, or the rest of
// it from an offset, by a download the remote completes (never one it
// logs as failed); an empty range needs none, and a range that ends
// before the file stops it.
func TestHashWithoutRemoteHash(t *testing.T) {
	s := peertest.Vsftpd(t, peertest.Options{})
	data := bytes.Repeat([]byte("ISA*00*hash~"), 300<<10) // 3.6 MB: more than socket buffers hold
	s.WriteFile(t, "work/order.edi", data)
	f := hashPeerFS(t, s)
	for _, r := range [][2]int{{0, len(data)}, {1 << 20, len(data)}, {5, 5}} {
		want := sha256.Sum256(data[r[0]:r[1]])
		if got, err := f.Hash("order.edi", "SHA-256", int64(r[0]), int64(r[1])); err != nil || got != hexOf(want[:]) {
			t.Errorf("Hash(order.edi, SHA-256, %d, %d) = %s, %v; want %s", r[0], r[1], got, err, hexOf(want[:]))
		}
	}
	if log := s.Log(); strings.Contains(log, "FAIL DOWNLOAD") || strings.Count(log, "OK DOWNLOAD") != 2 {
		t.Errorf("want two complete downloads (an empty range needs none) and no failed one:\n%s", log)
	}
	want := sha256.Sum256(data[10:20])
	if got, err := f.Hash("order.edi", "SHA-256", 10, 20); err != nil || got != hexOf(want[:]) {
		t.Errorf("Hash(order.edi, SHA-256, 10, 20) = %s, %v; want %s", got, err, hexOf(want[:]))
	}
	if _, err := f.Hash("order.edi", "SHA-256", 0, int64(len(data))+1); err == nil {
		t.Error("Hash of a range past the end succeeded")
	}
	if _, err := f.Hash("order.edi", "BLAKE3", 0, 1); err == nil {
		t.Error("Hash with an unknown algorithm succeeded")
	}
	if got, err := f.Hash("order.edi", "SHA-256", 0, int64(len(data))); err != nil || got != hexOf(sha256Of(data)) {
		t.Errorf("Hash after a cut-short range = %s, %v: the connection must still work", got, err)
	}
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
