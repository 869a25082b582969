package ftpfs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// slowLister is a Pool over a local directory whose first List reads the
// folder, then waits for release before it returns: a listing still on
// its way when a change is made.
type slowLister struct {
	dirRenameRefuser
	read    chan struct{} // closed once the first List read the folder
	release chan struct{}
	first   bool
}

func (p *slowLister) List(ctx context.Context, dir string) ([]remote.Entry, error) {
	es, err := p.dirRenameRefuser.List(ctx, dir)
	if !p.first {
		p.first = true
		close(p.read)
		<-p.release
	}
	return es, err
}

// A listing that was read before a change made through the same FS, and
// returns after it, is not cached: the next listing must show the change,
// not the state before it for the whole ListCacheTTL.
func TestListingOlderThanChangeNotCached(t *testing.T) {
	p := &slowLister{dirRenameRefuser: dirRenameRefuser{root: t.TempDir()}, read: make(chan struct{}), release: make(chan struct{})}
	if err := os.WriteFile(filepath.Join(p.root, "a.edi"), []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	f := ftpfs.New(context.Background(), p, ftpfs.Options{Remote: "fake", ListCacheTTL: time.Hour})

	listed := make(chan error, 1)
	go func() {
		_, err := f.ReadDir(".")
		listed <- err
	}()
	<-p.read
	if err := f.Remove("a.edi"); err != nil {
		t.Fatal(err)
	}
	close(p.release)
	if err := <-listed; err != nil {
		t.Fatal(err)
	}
	ents, err := f.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("ReadDir after Remove lists %q, deleted before the listing was cached", e.Name())
	}
}
