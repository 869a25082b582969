package filesync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
)

// midStoreRemote is a fakeRemote whose Store calls mid once, after the
// first read of the upload's data: a local program changes the file while
// it is being pushed.
type midStoreRemote struct {
	*fakeRemote
	once sync.Once
	mid  func()
}

func (m *midStoreRemote) Store(ctx context.Context, name string, r io.Reader) (int64, error) {
	return m.fakeRemote.Store(ctx, name, &midReader{r: r, m: m})
}

type midReader struct {
	r    io.Reader
	m    *midStoreRemote
	read bool
}

func (r *midReader) Read(p []byte) (int, error) {
	if r.read {
		r.m.once.Do(r.m.mid)
	}
	r.read = true
	return r.r.Read(p[:min(len(p), 4096)])
}

// TestPushFileChangedDuringCopy: a local file rewritten in place (same
// size, new content and time) while its push reads it is never published
// as done: the remote never shows a mix of the two versions under the
// file's name, and each version that is delivered is delivered once. With
// --after-copy delete the new version is not lost. So too for a file that
// grows or shrinks during the copy.
func TestPushFileChangedDuringCopy(t *testing.T) {
	old := bytes.Repeat([]byte("o"), 64<<10)
	for _, c := range []struct {
		name  string
		after string
		neu   []byte
	}{
		// Rewritten in place, as an editor saving or a program
		// regenerating its output would.
		{"rewritten", store.AfterCopyKeep, bytes.Repeat([]byte("n"), 64<<10)},
		{"rewritten/delete", store.AfterCopyDelete, bytes.Repeat([]byte("n"), 64<<10)},
		// Appended to by a writer still at work, and cut short.
		{"grown", store.AfterCopyKeep, append(bytes.Clone(old), "tail"...)},
		{"truncated/delete", store.AfterCopyDelete, old[:1000]},
	} {
		t.Run(c.name, func(t *testing.T) {
			neu := c.neu
			e := newEnv(t, store.Sync{AfterCopy: c.after})
			m := &midStoreRemote{fakeRemote: e.rem}
			e.engine.ep = endpoints{files: e.files, rem: m}
			write(t, e.local, "big.bin", string(old), t0)
			fp := filepath.Join(e.local, "big.bin")
			m.mid = func() {
				if err := os.WriteFile(fp, neu, 0o644); err != nil {
					t.Error(err)
				}
				if err := os.Chtimes(fp, t0.Add(60e9), t0.Add(60e9)); err != nil {
					t.Error(err)
				}
			}
			res, err := e.run(RunOptions{})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			got, rerr := os.ReadFile(filepath.Join(e.rem.root, "big.bin"))
			switch {
			case errors.Is(rerr, os.ErrNotExist):
			case rerr != nil:
				t.Fatal(rerr)
			case !bytes.Equal(got, old) && !bytes.Equal(got, neu):
				t.Fatalf("remote big.bin after the first run is a torn copy (%d bytes, neither version); run errors: %v", len(got), res.Errors)
			}
			// The next run delivers the new version, once.
			e.mustRun()
			e.mustRun()
			got, err = os.ReadFile(filepath.Join(e.rem.root, "big.bin"))
			if err != nil || !bytes.Equal(got, neu) {
				t.Fatalf("remote big.bin after the next runs: %d bytes, err %v; want the new version", len(got), err)
			}
			if n := e.delivered()["big.bin"]; n != 1 {
				t.Errorf("big.bin delivered %d times, want 1 (the new version)", n)
			}
		})
	}
}
