package ftpserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	ftplib "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// files is a logged-in session's ftpserverlib ClientDriver. Every method
// resolves the client path, checks the account's rights, and returns
// public errors (see publicErr).
type files struct {
	ss *session
}

var (
	_ ftplib.ClientDriver                      = (*files)(nil)
	_ ftplib.ClientDriverExtentionFileTransfer = (*files)(nil)
	_ ftplib.ClientDriverExtensionFileList     = (*files)(nil)
	_ ftplib.ClientDriverExtensionRemoveDir    = (*files)(nil)
)

// Name names the driver.
func (f *files) Name() string { return "wharf" }

func (f *files) fail(op string, n node, err error) error {
	if err == nil {
		return nil
	}
	var coded interface{ FTPCode() int }
	if n.mount != nil && errors.As(err, &coded) {
		if a := f.ss.account(); a != nil && a.Kind == store.Partner {
			// A mount's remote errors name the remote and its address,
			// which are the company's, not the partner's: the partner
			// gets what to do, the log the detail.
			f.ss.log.Warn(op+" through mount", "path", n.path, "remote", n.mount.remote, "err", err)
			return replyCode{partnerMountErr(coded.FTPCode()), coded.FTPCode()}
		}
	}
	pub := publicErr(err)
	if errors.Is(pub, errLocal) || errors.Is(pub, errNoSpace) || errors.Is(pub, errQuota) {
		f.ss.log.Error(op, "path", n.path, "err", err)
	} else {
		f.ss.log.Debug(op+" refused", "path", n.path, "err", err)
	}
	return pub
}

// Stat describes a file or folder the account may list.
func (f *files) Stat(name string) (os.FileInfo, error) {
	n, err := f.ss.resolve(name)
	if err != nil {
		return nil, f.fail("stat", n, err)
	}
	if !n.canList() {
		return nil, f.fail("stat", n, fmt.Errorf("%w: %s is closed to this account", errDenied, n.path))
	}
	fi, err := n.fs.Stat(n.name)
	if err != nil {
		return nil, f.fail("stat", n, err)
	}
	return fi, nil
}

// ReadDir lists a folder, hiding uploads in progress; a partner's root
// shows only send/ and receive/.
func (f *files) ReadDir(name string) ([]os.FileInfo, error) {
	n, err := f.ss.resolve(name)
	if err != nil {
		return nil, f.fail("list", n, err)
	}
	if !n.canList() {
		return nil, f.fail("list", n, fmt.Errorf("%w: %s cannot be listed by this account", errDenied, n.path))
	}
	ents, err := n.fs.ReadDir(n.name)
	if err != nil {
		return nil, f.fail("list", n, err)
	}
	partnerRoot := n.path == "/" && f.ss.account().Kind == store.Partner
	out := ents[:0]
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) || remoteTemp.MatchString(e.Name()) {
			continue // uploads in progress
		}
		if strings.ContainsAny(e.Name(), "\r\n") {
			// A listing line each: such a name would add made-up entries
			// to LIST and MLSD, and reply lines to STAT on the control
			// connection. No client could name it anyway (vfs.Clean).
			f.ss.log.Warn("name with a line break left out of a listing; rename it", "path", path.Join(n.path, e.Name()))
			continue
		}
		if e.Mode()&fs.ModeSymlink != 0 {
			fi, err := n.fs.Stat(path.Join(n.name, e.Name()))
			if err != nil {
				// Out of the tree (os.Root refuses it), or nowhere: the
				// account could neither open nor enter it.
				f.ss.log.Warn("symbolic link that cannot be followed left out of a listing", "path", path.Join(n.path, e.Name()), "err", err)
				continue
			}
			e = linkInfo{FileInfo: fi, name: e.Name()}
		}
		if partnerRoot && !(e.IsDir() && (e.Name() == sendDir || e.Name() == receiveDir)) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// linkInfo describes a symbolic link by what it points to, under its own
// name: LIST and MLSD show a link to a folder as a folder and a link to a
// file with the file's size, as the account sees them when it uses them.
type linkInfo struct {
	fs.FileInfo
	name string
}

func (l linkInfo) Name() string { return l.name }

// Mkdir creates a folder where the account may write.
func (f *files) Mkdir(name string, perm os.FileMode) error {
	if err := f.checkNewName("mkdir", name); err != nil {
		return err
	}
	n, err := f.ss.resolve(name)
	if err == nil {
		err = n.needWrite()
	}
	if err == nil {
		err = n.fs.Mkdir(n.name, 0o750)
	}
	if err != nil {
		return f.fail("mkdir", n, err)
	}
	f.ss.event(store.EventMkdir, n.path, 0, "")
	return nil
}

// MkdirAll is Mkdir for each missing parent.
func (f *files) MkdirAll(p string, perm os.FileMode) error {
	if err := f.checkNewName("mkdir", p); err != nil {
		return err
	}
	n, err := f.ss.resolve(p)
	if err == nil {
		err = n.needWrite()
	}
	if err == nil {
		err = n.fs.MkdirAll(n.name, 0o750)
	}
	return f.fail("mkdir", n, err)
}

// Remove deletes a file (DELE).
func (f *files) Remove(name string) error {
	n, err := f.ss.resolve(name)
	if err == nil {
		err = n.needWrite()
	}
	if err == nil {
		err = n.fs.Remove(n.name)
	}
	if err != nil {
		return f.fail("delete", n, err)
	}
	f.ss.event(store.EventDeleted, n.path, 0, "")
	return nil
}

// RemoveDir deletes an empty folder (RMD).
func (f *files) RemoveDir(name string) error {
	n, err := f.ss.resolve(name)
	if err == nil {
		err = n.needWrite()
	}
	if err == nil {
		err = f.protectHome(n)
	}
	if err == nil {
		err = n.fs.RemoveDir(n.name)
	}
	if err != nil {
		return f.fail("rmdir", n, err)
	}
	f.ss.event(store.EventRmdir, n.path, 0, "")
	return nil
}

// protectHome refuses, for staff (who see the whole file root), to remove
// or rename a partner's home or its send/ and receive/ folders: the
// partner's next login would make an empty home, with its files left
// under the new name.
func (f *files) protectHome(n node) error {
	a := f.ss.account()
	if a == nil || a.Kind != store.Staff || n.mount != nil {
		return nil
	}
	name, rest, _ := strings.Cut(strings.TrimPrefix(n.path, "/"), "/")
	if name == "" || (rest != "" && rest != sendDir && rest != receiveDir) {
		return nil
	}
	ctx, cancel := f.ss.srv.storeCtx()
	defer cancel()
	p, err := f.ss.srv.store.Account(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		f.ss.log.Error("check for a partner's home", "path", n.path, "err", err)
		return errLocal
	case p.Kind != store.Partner || p.Name != name:
		return nil
	}
	what := "partner " + p.Name + "'s home"
	if rest != "" {
		what = "partner " + p.Name + "'s " + rest + "/ folder"
	}
	return fmt.Errorf("%w: %s is %s, which Wharf keeps while the partner exists; `wharf partner remove %s` removes the partner", errDenied, n.path, what, p.Name)
}

// RemoveAll is refused: clients remove trees one entry at a time.
func (f *files) RemoveAll(string) error { return errDenied }

// Rename moves a file or folder (RNFR/RNTO). The target must pass the
// file filter, and replaces an existing file only where overwrite is
// allowed. Renaming away from a temp extension completes a receipt.
// Only the new name must pass checkNewName: a file a back-end gave a bad
// name can be renamed to a good one.
func (f *files) Rename(from, to string) error {
	if err := f.checkNewName("rename", to); err != nil {
		return err
	}
	src, err := f.ss.resolve(from)
	if err != nil {
		return f.fail("rename", src, err)
	}
	dst, err := f.ss.resolve(to)
	if err != nil {
		return f.fail("rename", dst, err)
	}
	if err := src.needWrite(); err != nil {
		return f.fail("rename", src, err)
	}
	if err := f.protectHome(src); err != nil {
		return f.fail("rename", src, err)
	}
	if src.fs != dst.fs {
		return f.fail("rename", dst, fmt.Errorf("%w: cannot rename across a mount boundary; upload a copy instead", errDenied))
	}
	if err := dst.needWrite(); err != nil {
		return f.fail("rename", dst, err)
	}
	fi, err := src.fs.Stat(src.name)
	if err != nil {
		return f.fail("rename", src, err)
	}
	if !fi.IsDir() {
		if err := f.ss.checkName(path.Base(dst.path)); err != nil {
			return f.fail("rename", dst, err)
		}
	}
	overwrite := f.ss.policy().overwrite
	if old, err := dst.fs.Stat(dst.name); err == nil && (old.IsDir() || !overwrite) {
		return f.fail("rename", dst, errExists)
	}
	if err := f.rename(src, dst, fi.IsDir() || overwrite); err != nil {
		return f.fail("rename", src, err)
	}
	f.ss.event(store.EventRenamed, dst.path, 0, "from "+src.path)
	exts := f.ss.policy().tempExts
	_, wasTemp := tempBase(path.Base(src.path), exts)
	_, isTemp := tempBase(path.Base(dst.path), exts)
	if !fi.IsDir() && wasTemp && !isTemp {
		f.ss.event(store.EventReceived, dst.path, fi.Size(), "renamed from "+path.Base(src.path))
	}
	return nil
}

// rename moves src to dst, replacing dst when replace is set. Without it
// the move links then unlinks (moveNoReplace), as an upload is published:
// two sessions renaming onto one name at once cannot both win (the Stat
// before the rename alone let 11 of 300 such races replace a file without
// the overwrite right).
func (f *files) rename(src, dst node, replace bool) error {
	if replace {
		return src.fs.Rename(src.name, dst.name)
	}
	return moveNoReplace(src.fs, src.name, dst.name)
}

// Chtimes sets a file's modification time (MFMT).
func (f *files) Chtimes(name string, atime, mtime time.Time) error {
	n, err := f.ss.resolve(name)
	if err == nil {
		err = n.needWrite()
	}
	if err == nil {
		err = n.fs.Chtimes(n.name, atime, mtime)
	}
	return f.fail("mfmt", n, err)
}

// Chmod and Chown are not offered: permissions are Wharf's, not the
// file system's.
func (f *files) Chmod(string, os.FileMode) error { return errNotSupported }

// Chown is not offered.
func (f *files) Chown(string, int, int) error { return errNotSupported }

var errNotSupported = errors.New("not supported by this server")

// Open opens a file for ftpserverlib to hash (HASH, XSHA256, XMD5); file
// downloads go through GetHandle.
func (f *files) Open(name string) (afero.File, error) {
	n, err := f.ss.resolve(name)
	// Hashing a file needs no download right where the account may write:
	// an uploader verifies its own upload (HASH/XSHA256 right after STOR).
	if err == nil && !n.access.Read && !n.access.Write {
		err = errDenied
	}
	if err != nil {
		return nil, f.fail("open", n, err)
	}
	fl, err := n.fs.OpenFile(n.name, os.O_RDONLY, 0)
	if err != nil {
		return nil, f.fail("open", n, err)
	}
	af, ok := fl.(afero.File)
	if !ok {
		fl.Close()
		return nil, errNotSupported
	}
	return af, nil
}

// OpenFile is reached only for reads; writes go through GetHandle.
func (f *files) OpenFile(name string, flag int, _ os.FileMode) (afero.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		return nil, errDenied
	}
	return f.Open(name)
}

// Create is not used by ftpserverlib once GetHandle exists.
func (f *files) Create(string) (afero.File, error) { return nil, errDenied }

// checkNewName refuses a name that no upload, MKD or RNTO may create,
// saying why, with 553 (RFC 959: file name not allowed): vfs.CheckNewName's
// rules and the reserved temp prefix. p is the path as ftpserverlib passes
// it, the argument joined to the working directory but not yet through
// vfs.Clean, which reads a backslash as "/"; only its last element is new.
// Reads, deletes and renames from an existing name are not checked, so a
// partner can fix a name a back-end chose.
func (f *files) checkNewName(op, p string) error {
	base := p[strings.LastIndex(p, "/")+1:]
	if base == "" {
		return nil // the root: refused as it stands
	}
	err := vfs.CheckNewName(base)
	if err == nil && strings.HasPrefix(base, tempPrefix) {
		// resolve answers "no such file" for these names, which hides
		// uploads in progress; creating one is told why instead.
		err = fmt.Errorf("%q: names starting with %s are reserved for uploads in progress; use another name", base, tempPrefix)
	}
	if err != nil {
		return f.fail(op, node{path: p}, replyCode{err, 553})
	}
	return nil
}

// checkName applies the file filter to a base name, ignoring a temp
// extension ("order.edi.tmp" is judged as "order.edi").
func (ss *session) checkName(base string) error {
	pol := ss.policy()
	b, temp := tempBase(base, pol.tempExts)
	err := pol.filter.Check(b)
	if err != nil && temp {
		return fmt.Errorf("%w (%q is judged without its temp extension)", err, base)
	}
	return err
}

func (ss *session) event(kind, p string, bytes int64, detail string) {
	a := ss.account()
	name := ""
	if a != nil {
		name = a.Name
	}
	ss.log.Info(kind, "path", p, "bytes", bytes)
	ss.srv.record(store.Event{Kind: kind, Account: name, Path: p, Bytes: bytes, RemoteAddr: ss.cc.RemoteAddr().String(), Detail: detail})
}

// partnerMountErr is what a partner is told of a mount's remote failing,
// by reply code: 451 is worth a retry, 550 is not.
func partnerMountErr(code int) error {
	if code == 451 {
		return errors.New("this folder is unavailable for now: try again later")
	}
	return errors.New("not possible in this folder now; the administrator can find details in the server log")
}
