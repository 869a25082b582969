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
	// twoWay leaves alone the names the remote's listings cannot show
	// (see unseen): a two-way sync takes a file missing from a listing
	// for one deleted there.
	twoWay bool
	// hidesDot: the remote lists with LIST only, whose listings leave
	// out dot names (vsftpd; see hidesDotFiles).
	hidesDot bool
}

func (l lister) want(name string) bool { return l.excluded(name) == "" }

// excluded says why the sync leaves the base name alone, or "" when it
// handles it.
func (l lister) excluded(name string) string {
	switch {
	case inProgress(name, l.tempExts):
		return "excluded: a name of a file still being received"
	case l.unseen(name) != "":
		return l.unseen(name)
	case !l.filter.Match(name):
		return "excluded by filter"
	}
	return ""
}

// excludedPath is excluded for a slash-separated path: a folder the sync
// cannot see on the remote (unseen) leaves everything under it alone.
func (l lister) excludedPath(p string) string {
	if l.twoWay {
		for seg := range strings.SplitSeq(path.Dir(p), "/") {
			if why := l.unseen(seg); why != "" {
				return why
			}
		}
	}
	return l.excluded(path.Base(p))
}

// unseen says why a two-way sync leaves alone a name that the remote's
// listings do not show, or "". The file may well be there (a Stat finds
// it), but a two-way sync plans from listings, and would take it for a
// file deleted on the remote, and delete it locally. remote.Conn.List
// drops names with a backslash (an unsafe name for a local tree), and
// vsftpd's LIST leaves out dot names. One-way syncs go by their records,
// not by what the target lists, so they still copy such files.
func (l lister) unseen(name string) string {
	switch {
	case !l.twoWay:
		return ""
	case strings.Contains(name, `\`):
		return `excluded: the remote's listings cannot show a name with "\", so a two-way sync would take it for deleted there`
	case l.hidesDot && strings.HasPrefix(name, ".") && name != "." && name != "..":
		return "excluded: the remote lists folders with LIST only, which leaves out dot names (vsftpd), so a two-way sync would take it for deleted there"
	}
	return ""
}

// local walks fsys. Directories and files with Wharf temporary names are
// skipped; leftovers of this sync's own pulls are returned in temps, and
// the files left alone as unseen (see unseen) in hidden, so the plan can
// say why.
func (l lister) local(fsys vfs.FS, tempMark string) (v view, temps, hidden []string, err error) {
	v = view{}
	// walk walks dir; unseen says a folder above it is (see unseen).
	var walk func(dir string, unseen bool) error
	walk = func(dir string, unseen bool) error {
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
					if err := walk(p, unseen || l.unseen(name) != ""); err != nil {
						return err
					}
				}
			case !fi.Mode().IsRegular():
			case unseen || l.unseen(name) != "":
				if !inProgress(name, l.tempExts) && l.filter.Match(name) {
					hidden = append(hidden, p)
				}
			case l.want(name):
				v[p] = File{Size: fi.Size(), ModTime: fi.ModTime(), Precise: true}
			}
		}
		return nil
	}
	if err := walk(".", false); err != nil {
		return nil, nil, nil, err
	}
	return v, temps, hidden, nil
}

// remote walks r with up to par listings at once. dirs receives every
// directory seen ("." included) so pushes know what exists. A missing
// root is errMissingRoot, whether its listing fails or lists it empty
// (see rootExists).
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
		if err == nil && dir == "." && len(es) == 0 {
			err = rootExists(ctx, r)
		}
		<-sem
		if err != nil {
			var te *textproto.Error
			switch {
			case errors.Is(err, errMissingRoot):
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
				if !strings.HasPrefix(e.Name, tempPrefix) && l.unseen(e.Name) == "" {
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

// rootExists tells an empty sync folder from a missing one, which vsftpd
// lists alike (LIST of a missing folder is an empty 226 listing): a Stat
// that says the folder is missing is errMissingRoot, and one that fails
// otherwise fails the listing. A folder that lists files exists, so only
// an empty listing costs the Stat.
func rootExists(ctx context.Context, r Remote) error {
	_, err := r.Stat(ctx, ".")
	switch {
	case err == nil:
		return nil
	case notExist(err):
		return fmt.Errorf("%w (it lists empty, and %w)", errMissingRoot, err)
	}
	return fmt.Errorf("it lists empty, and telling an empty folder from a missing one failed: %w", err)
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
