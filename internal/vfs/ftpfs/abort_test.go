package ftpfs_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// stallAfter writes the first n bytes of a download, then stalls like a
// remote that stopped answering: only the transfer's context ends it,
// which it tells on cut.
func stallAfter(n int, cut chan<- bool) func(context.Context, int64, io.Writer) (int64, error) {
	return func(ctx context.Context, _ int64, w io.Writer) (int64, error) {
		m, _ := w.Write(make([]byte, n))
		<-ctx.Done()
		cut <- true
		return int64(m), ctx.Err()
	}
}

// A download closed while the remote stalls is cut (its context
// cancelled, which closes the remote's connections) within a second,
// instead of waiting out the remote's I/O timeout; one whose remote
// answers ends at once, its connection kept (the context not cancelled).
func TestDownloadCloseCutsStalledRemote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cut := make(chan bool, 1)
		p := &scripted{retrieve: stallAfter(100, cut)}
		f := newScripted(t, ftpfs.Options{}, p)
		r, err := f.OpenFile("f.edi", os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close with the remote stalled took %v, want at most 1s", d)
		}
		if !<-cut {
			t.Error("the stalled download's context was not cancelled")
		}

		answers := make(chan error, 1)
		p.retrieve = func(ctx context.Context, _ int64, w io.Writer) (int64, error) {
			n, err := io.Copy(w, infinite{})
			answers <- ctx.Err()
			return n, err
		}
		r, err = f.OpenFile("f.edi", os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		r.Close()
		if d := time.Since(start); d != 0 {
			t.Errorf("Close with the remote answering took %v, want no wait", d)
		}
		if err := <-answers; err != nil {
			t.Errorf("a download that ended by itself was cut: %v", err)
		}
	})
}

type infinite struct{}

func (infinite) Read(p []byte) (int, error) { return len(p), nil }

// An upload aborted while the remote stalls is cut within a second and
// Abort returns; the upload's cleanup (here: a temporary file's delete
// that waits for the remote) carries on in the background, and FS.Wait
// waits for it.
func TestUploadAbortCutsStalledRemote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cleanup := make(chan struct{})
		cleaned := false
		p := &scripted{store: func(ctx context.Context, r io.Reader) (int64, error) {
			n, err := io.Copy(io.Discard, r)
			if err == nil {
				return n, nil
			}
			<-ctx.Done() // the remote's reply to the cut data connection never comes
			<-cleanup    // then the temporary file's delete waits for the remote too
			cleaned = true
			return n, ctx.Err()
		}}
		f := newScripted(t, ftpfs.Options{}, p)
		w, err := f.OpenFile("new.edi", os.O_WRONLY|os.O_CREATE, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("half an order")); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		w.(interface{ Abort() }).Abort()
		if err := w.Close(); err != nil {
			t.Errorf("Close after Abort = %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Abort with the remote stalled took %v, want at most 1s", d)
		}
		close(cleanup)
		f.Wait()
		if !cleaned {
			t.Error("FS.Wait returned before the aborted upload's cleanup")
		}
	})
}

// Against vsftpd stopped (SIGSTOP) mid-transfer: closing a download and
// aborting an upload return at once, not after the remote's I/O timeout;
// once the remote runs again, the aborted upload's temporary file is
// deleted.
func TestInteropAbortStalledRemote(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{})
	t.Cleanup(s.Resume)
	pool, err := remote.NewPool(remote.Config{
		Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
		RootCAs: s.Cert.Roots, IOTimeout: 8 * time.Second, MaxConns: 4,
	}, remote.PoolOptions{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	f := ftpfs.New(context.Background(), ftpfs.FromPool(pool), ftpfs.Options{Remote: "vsftpd", Root: s.Dir})
	dir := filepath.Join(s.Root, s.Dir)
	s.WriteFile(t, filepath.Join(s.Dir, "big.bin"), bytes.Repeat([]byte("0123456789abcdef"), 4<<20)) // 64 MiB
	const quick = 2 * time.Second

	t.Run("download", func(t *testing.T) {
		r, err := f.OpenFile("big.bin", os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, make([]byte, 64<<10)); err != nil {
			t.Fatal(err)
		}
		s.Pause()
		defer s.Resume()
		start := time.Now()
		r.Close()
		if d := time.Since(start); d > quick {
			t.Errorf("Close with the remote stalled took %v, want under %v", d, quick)
		}
	})
	t.Run("upload", func(t *testing.T) {
		w, err := f.OpenFile("up.bin", os.O_WRONLY|os.O_CREATE, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(make([]byte, 256<<10)); err != nil {
			t.Fatal(err)
		}
		s.Pause()
		start := time.Now()
		w.(interface{ Abort() }).Abort()
		w.Close()
		d := time.Since(start)
		s.Resume()
		if d > quick {
			t.Errorf("Abort with the remote stalled took %v, want under %v", d, quick)
		}
		f.Wait()
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "big.bin" {
				t.Errorf("left on the remote after the aborted upload: %s", e.Name())
			}
		}
	})
	// The remote works again through the same pool.
	if _, err := f.Stat("big.bin"); err != nil {
		t.Errorf("Stat after the stalls: %v", err)
	}
}
