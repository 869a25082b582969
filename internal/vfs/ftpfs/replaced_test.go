package ftpfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// A download that the remote cut is resumed (REST) on a new connection.
// When the file was replaced in between (someone uploaded a new version
// of it under the same name, of the same size), the resumed download must
// not hand the client the new file's tail after the old file's head: that
// would be a file neither version ever was, delivered as complete.
func TestResumedDownloadOfReplacedFile(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{TLS: peertest.NoTLS})
	pool, err := remote.NewPool(remote.Config{
		Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
		TLS: remote.TLSNever, IOTimeout: 20 * time.Second, MaxConns: 2,
	}, remote.PoolOptions{MaxAttempts: 6, Backoff: 50 * time.Millisecond}) // retries outlast the restart
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	f := ftpfs.New(context.Background(), ftpfs.FromPool(pool), ftpfs.Options{Remote: "vsftpd", Root: s.Dir})

	const size = 32 << 20 // more than loopback's socket buffers hold
	name := filepath.Join(s.Root, s.Dir, "report.csv")
	s.WriteFile(t, s.Dir+"/report.csv", bytes.Repeat([]byte("a"), size))
	old := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}

	r, err := f.OpenFile("report.csv", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	// The remote crashes mid-download; by the time it is back, the file
	// is a new version of the same size. The download waits in the pipe
	// until the next Read, so all this happens before it notices.
	s.Kill()
	s.WriteFile(t, s.Dir+"/report.csv", bytes.Repeat([]byte("b"), size))
	s.Restart(t)

	rest, err := io.ReadAll(r)
	got := append(head, rest...)
	if err == nil {
		if len(got) != size || bytes.IndexByte(got, 'b') >= 0 && bytes.IndexByte(got, 'a') >= 0 {
			t.Fatalf("download ended cleanly with %d bytes, %d of the old file and %d of its replacement; want one version or an error",
				len(got), bytes.Count(got, []byte("a")), bytes.Count(got, []byte("b")))
		}
		return
	}
	var coded interface{ FTPCode() int }
	if !errors.As(err, &coded) || coded.FTPCode() != 451 || !strings.Contains(err.Error(), "changed on the remote") {
		t.Errorf("download of a file replaced mid-way = %v; want a 451 error saying it changed (download it again)", err)
	}
	if strings.Contains(err.Error(), "unavailable") {
		t.Errorf("download of a file replaced mid-way = %v; the remote is available", err)
	}
}
