package ftpfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

func vsftpdFS(t *testing.T, opt ftpfs.Options) (*ftpfs.FS, *peertest.Server, *remote.Pool) {
	t.Helper()
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{})
	pool, err := remote.NewPool(remote.Config{
		Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
		RootCAs: s.Cert.Roots, IOTimeout: 20 * time.Second, MaxConns: 4,
	}, remote.PoolOptions{MaxAttempts: 2, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	opt.Remote = "vsftpd"
	opt.Root = s.Dir
	return ftpfs.New(context.Background(), ftpfs.FromPool(pool), opt), s, pool
}

func TestOperationsAgainstVsftpd(t *testing.T) {
	f, s, _ := vsftpdFS(t, ftpfs.Options{})
	local := filepath.Join(s.Root, s.Dir)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB

	w, err := f.OpenFile("up.bin", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.(io.ReaderFrom).ReadFrom(bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(local, "up.bin")); sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("remote file differs (%d bytes, want %d)", len(got), len(data))
	}
	if _, err := f.OpenFile("up.bin", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640); !errors.Is(err, fs.ErrExist) {
		t.Errorf("O_EXCL on an existing file = %v, want ErrExist", err)
	}

	r, err := f.OpenFile("up.bin", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Seek(int64(len(data)-16), io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := r.(io.WriterTo).WriteTo(&buf); err != nil || buf.String() != "0123456789abcdef" {
		t.Errorf("WriteTo from offset = %q, %v", buf.String(), err)
	}
	r.Close()

	if err := f.Mkdir("d", 0o750); err != nil {
		t.Fatal(err)
	}
	if err := f.Rename("up.bin", "d/moved.bin"); err != nil {
		t.Fatal(err)
	}
	ents, err := f.ReadDir("d")
	if err != nil || len(ents) != 1 || ents[0].Name() != "moved.bin" || ents[0].Size() != int64(len(data)) {
		t.Fatalf("ReadDir(d) = %v, %v", ents, err)
	}
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := f.Chtimes("d/moved.bin", mt, mt); err != nil {
		t.Fatalf("Chtimes: %v", err)
	}
	if fi, err := f.Stat("d/moved.bin"); err != nil || !fi.ModTime().Equal(mt) {
		t.Errorf("after Chtimes Stat = %v, %v; want mtime %v", fi, err, mt)
	}
	// A folder is renamed (vsftpd renames folders itself).
	if err := f.Rename("d", "e"); err != nil {
		t.Fatalf("rename folder: %v", err)
	}
	if err := f.Remove("e/moved.bin"); err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveDir("e"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stat("e"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(removed) = %v, want ErrNotExist", err)
	}
}

func TestAbortedUploadLeavesNothing(t *testing.T) {
	f, s, _ := vsftpdFS(t, ftpfs.Options{})
	w, err := f.OpenFile("cut.bin", os.O_WRONLY|os.O_CREATE, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	src := io.MultiReader(bytes.NewReader(make([]byte, 256<<10)), errReader{})
	if _, err := w.(io.ReaderFrom).ReadFrom(src); err == nil {
		t.Fatal("ReadFrom of a failing source succeeded")
	}
	w.(interface{ Abort() }).Abort()
	w.Close()
	ents, _ := os.ReadDir(filepath.Join(s.Root, s.Dir))
	for _, e := range ents {
		t.Errorf("left on the remote: %s", e.Name())
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client went away") }

func TestReadOnlyAndUnavailable(t *testing.T) {
	f, s, _ := vsftpdFS(t, ftpfs.Options{ReadOnly: true})
	if err := f.Mkdir("x", 0o750); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Mkdir on read-only mount = %v, want ErrPermission", err)
	}
	if _, err := f.OpenFile("x", os.O_WRONLY|os.O_CREATE, 0o640); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("OpenFile(write) on read-only mount = %v, want ErrPermission", err)
	}
	s.Kill()
	_, err := f.ReadDir(".")
	var coded interface{ FTPCode() int }
	if !errors.As(err, &coded) || coded.FTPCode() != 451 {
		t.Fatalf("ReadDir with the remote down = %v, want a 451 error", err)
	}
}
