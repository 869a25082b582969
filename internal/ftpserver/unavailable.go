package ftpserver

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// mountFS opens mount m, or, when its remote cannot be opened (its
// password does not decrypt with this data directory's key, its record
// is damaged), returns a folder whose every operation fails with 451
// naming the remote: as with a remote that is down, the rest of the
// account's tree keeps working, and the login is not refused for it.
func (s *Server) mountFS(ctx context.Context, m store.Mount) vfs.FS {
	fsys, err := s.openMount(ctx, m)
	if err == nil {
		return fsys
	}
	s.log.Error("mount unavailable: its folder answers 451 until its remote is fixed", "account", m.Account, "mount", m.Path, "remote", m.Remote, "err", err)
	return unavailable{replyCode{fmt.Errorf("the folder's remote %s cannot be used now; try again later, or ask the server's administrator (the server log says why)", m.Remote), 451}}
}

// unavailable is a mount whose remote could not be opened.
type unavailable struct{ err error }

func (u unavailable) Stat(string) (fs.FileInfo, error)                    { return nil, u.err }
func (u unavailable) ReadDir(string) ([]fs.FileInfo, error)               { return nil, u.err }
func (u unavailable) OpenFile(string, int, fs.FileMode) (vfs.File, error) { return nil, u.err }
func (u unavailable) Mkdir(string, fs.FileMode) error                     { return u.err }
func (u unavailable) MkdirAll(string, fs.FileMode) error                  { return u.err }
func (u unavailable) Remove(string) error                                 { return u.err }
func (u unavailable) RemoveDir(string) error                              { return u.err }
func (u unavailable) Rename(string, string) error                         { return u.err }
func (u unavailable) Chtimes(string, time.Time, time.Time) error          { return u.err }
