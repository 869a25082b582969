package filesync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/textproto"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// File is one side's view of a regular file.
type File struct {
	Size    int64
	ModTime time.Time
	// Precise is false for a remote time from LIST (minutes at best).
	Precise bool
}

// view is one side's files by slash-separated path relative to the sync's
// folder.
type view map[string]File

// errMissingRoot reports a remote sync folder that does not exist.
var errMissingRoot = errors.New("remote folder does not exist")

// lister walks one side completely, or fails: a view is never partial.
type lister struct {
	filter   Filter
	tempExts []string
}

func (l lister) want(name string) bool { return l.excluded(name) == "" }

// excluded says why the sync leaves the base name alone, or "" when it
// handles it.
func (l lister) excluded(name string) string {
	switch {
	case inProgress(name, l.tempExts):
		return "excluded: a name of a file still being received"
	case !l.filter.Match(name):
		return "excluded by filter"
	}
	return ""
}

// local walks fsys. Directories and files with Wharf temporary names are
// skipped; leftovers of this sync's own pulls are returned in temps.
func (l lister) local(fsys vfs.FS, tempMark string) (v view, temps []string, err error) {
	v = view{}
	var walk func(dir string) error
	walk = func(dir string) error {
		fis, err := fsys.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("list local %q: %w", dir, err)
		}
		for _, fi := range fis {
			name := fi.Name()
			p := name
			if dir != "." {
				p = dir + "/" + name
			}
			switch {
			case strings.HasPrefix(name, tempMark):
				temps = append(temps, p)
			case fi.IsDir():
				if !strings.HasPrefix(name, tempPrefix) {
					if err := walk(p); err != nil {
						return err
					}
				}
			case fi.Mode().IsRegular() && l.want(name):
				v[p] = File{Size: fi.Size(), ModTime: fi.ModTime(), Precise: true}
			}
		}
		return nil
	}
	if err := walk("."); err != nil {
		return nil, nil, err
	}
	return v, temps, nil
}

// remote walks r with up to par listings at once. dirs receives every
// directory seen ("." included) so pushes know what exists. A missing
// root is errMissingRoot.
func (l lister) remote(ctx context.Context, r Remote, par int) (view, map[string]bool, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		v    = view{}
		dirs = map[string]bool{}
		wg   sync.WaitGroup
		sem  = make(chan struct{}, max(par, 1))
	)
	var walk func(dir string)
	walk = func(dir string) {
		defer wg.Done()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		es, err := r.List(ctx, dir)
		<-sem
		if err != nil {
			var te *textproto.Error
			switch {
			case dir == "." && notExist(err):
				err = fmt.Errorf("%w: %w", errMissingRoot, err)
			case dir == "." && errors.As(err, &te) && te.Code/100 == 5:
				// pyftpdlib answers a missing folder's MLSD with 501.
				err = fmt.Errorf("%w: check that the sync's folder exists on the remote (create it there) and its --remote path", err)
			}
			what := fmt.Sprintf("list remote %q", dir)
			if dir == "." {
				what = "list the folder" // the caller names the remote and the folder
			}
			cancel(fmt.Errorf("%s: %w", what, err))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		dirs[dir] = true
		for _, e := range es {
			p := e.Name
			if dir != "." {
				p = dir + "/" + e.Name
			}
			switch e.Type {
			case remote.Dir:
				if !strings.HasPrefix(e.Name, tempPrefix) {
					wg.Add(1)
					go walk(p)
				}
			case remote.File:
				if l.want(e.Name) {
					v[p] = File{Size: e.Size, ModTime: e.ModTime, Precise: e.PreciseTime}
				}
			}
		}
	}
	wg.Add(1)
	go walk(".")
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, nil, err
	}
	return v, dirs, nil
}

// parentDirs returns the directories above p, outermost first.
func parentDirs(p string) []string {
	var out []string
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}

// isNotExist is fs.ErrNotExist for local errors.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
