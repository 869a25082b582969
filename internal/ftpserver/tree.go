package ftpserver

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"github.com/wharf-mft/wharf/internal/namefilter"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

const (
	sendDir    = "send"
	receiveDir = "receive"
	// tempPrefix starts the hidden names of uploads in progress. Clients
	// can neither see nor name them.
	tempPrefix = ".wharf-"
	// syncTempPrefix starts the temporaries of a sync's pulls
	// (internal/filesync), also hidden from clients by tempPrefix.
	syncTempPrefix = tempPrefix + "sync-"
)

// Public errors: ftpserverlib puts a driver error's text into the reply, so
// these say what is wrong without showing server paths.
var (
	errNoSuchFile = errors.New("no such file or directory")
	errDenied     = errors.New("permission denied")
	errLocal      = errors.New("local error; the administrator can find details in the server log")
	errExists     = errors.New("file exists and this account may not overwrite it; upload under another name")
	// A resume (REST+STOR, APPE) adds to a published file: an overwrite.
	errResumeExists = errors.New("file exists, and resuming would change it, which this account may not (no overwrite right); upload the whole file under another name, or ask the server's administrator for the overwrite right")
	errClientGone   = errors.New("upload not published: the control connection closed before the upload was confirmed")
	// errNoSpace and errQuota: the server's disk is full (RFC 959 452:
	// insufficient storage space) or its quota used up (552: exceeded
	// storage allocation); an operator must act.
	errNoSpace = errors.New("insufficient storage space on the server; the administrator can find details in the server log")
	errQuota   = errors.New("storage quota exceeded on the server; the administrator can find details in the server log")
	// errPartnerRoot: a partner's root holds only send/ and receive/.
	errPartnerRoot = fmt.Errorf("%w: a partner's root holds only /send (files to pick up) and /receive (where uploads go)", fs.ErrNotExist)
)

// node is a resolved client path.
type node struct {
	path   string       // clean absolute client path, for replies and events
	fs     vfs.FS       // the tree it lives in: the local root or a mount
	name   string       // name in fs ("." for its root)
	mount  *mountPoint  // nil outside mounts
	access store.Access // what the account may do here
	folder string       // sendDir, receiveDir or "" (root, or staff)
	top    bool         // the root or a partner's send/receive folder itself
}

// resolve cleans a client path and works out the account's rights there.
func (ss *session) resolve(p string) (node, error) {
	clean, err := vfs.Clean(p)
	if err != nil {
		return node{}, fmt.Errorf("%w: %v", fs.ErrInvalid, err)
	}
	for _, seg := range strings.Split(clean, "/") {
		if strings.HasPrefix(seg, tempPrefix) {
			return node{}, fs.ErrNotExist
		}
	}
	ss.mu.Lock()
	a, pol, local, mounts := ss.acct, ss.pol, ss.fs, ss.mounts
	ss.mu.Unlock()
	if a == nil {
		return node{}, errNotLoggedIn
	}
	n := node{path: clean, fs: local, name: vfs.Rel(clean)}
	switch {
	case a.Kind == store.Staff:
		n.access = store.Access{Read: true, Write: true}
		n.top = clean == "/"
	case clean == "/":
		n.access, n.top = store.Access{Read: true}, true
	default:
		first, _, _ := strings.Cut(strings.TrimPrefix(clean, "/"), "/")
		switch first {
		case sendDir:
			n.access = pol.send
		case receiveDir:
			n.access = pol.receive
		default:
			return n, errPartnerRoot
		}
		n.folder = first
		n.top = clean == "/"+first
	}
	for i := range mounts {
		m := &mounts[i]
		rest, ok := under(clean, m.path)
		if !ok {
			continue
		}
		n.fs, n.name, n.mount = m.fs, vfs.Rel(rest), m
		if rest == "/" {
			n.top = true // the mount point itself cannot be removed or renamed
		}
		break
	}
	return n, nil
}

// under reports whether p is dir or below it, and returns p relative to
// dir as a clean absolute path.
func under(p, dir string) (string, bool) {
	switch {
	case dir == "/":
		return p, true
	case p == dir:
		return "/", true
	case strings.HasPrefix(p, dir+"/"):
		return p[len(dir):], true
	}
	return "", false
}

// canList: listing is allowed where the account may read or write (a
// write-only folder still shows what was put there, so clients can resume
// and mirror).
func (n node) canList() bool { return n.access.Read || n.access.Write }

// needWrite returns an error unless the account may change n.
func (n node) needWrite() error {
	if n.mount != nil && n.mount.readOnly {
		return fmt.Errorf("%w: %s is on the read-only mount of remote %q", errDenied, n.path, n.mount.remote)
	}
	if n.mount != nil && n.mount.remoteReadOnly {
		return fmt.Errorf("%w: %s is on remote %q, which is read-only", errDenied, n.path, n.mount.remote)
	}
	if !n.top && !n.access.Read && !n.access.Write {
		return fmt.Errorf("%w: %s is closed to this account", errDenied, n.path)
	}
	if n.top || !n.access.Write {
		return fmt.Errorf("%w: %s is read-only for this account", errDenied, n.path)
	}
	return nil
}

// publicErr maps an internal error to one safe to show the client. Errors
// that say the action cannot succeed as asked (missing, denied, invalid)
// carry 550: ftpserverlib's default for LIST, NLST and STAT is 450,
// which clients such as lftp retry without end.
func publicErr(err error) error {
	var pe *fs.PathError
	var coded interface{ FTPCode() int }
	switch {
	case err == nil:
		return nil
	case errors.As(err, &coded):
		return err // written for clients (a mount's remote errors), with its reply code
	case errors.Is(err, errDenied):
		return replyCode{err, 550}
	case errors.Is(err, syscall.ENOSPC):
		return replyCode{errNoSpace, 452}
	case errors.Is(err, syscall.EDQUOT):
		return replyCode{errQuota, 552}
	case errors.Is(err, namefilter.ErrRefused):
		return replyCode{err, 553} // RFC 959: file name not allowed, as vfs.CheckNewName's refusals
	case errors.Is(err, errExists), errors.Is(err, errResumeExists), errors.Is(err, errNotLoggedIn),
		errors.Is(err, errClientGone):
		return err
	case errors.Is(err, fs.ErrInvalid) && !errors.As(err, new(syscall.Errno)):
		// Not the OS's EINVAL: its text names host paths ("seek
		// /srv/.../.wharf-....part: invalid argument").
		return replyCode{errors.New("invalid path: " + strings.TrimPrefix(err.Error(), fs.ErrInvalid.Error()+": ")), 550}
	case errors.Is(err, errPartnerRoot):
		return replyCode{fmt.Errorf("%w: %s", errNoSuchFile, strings.TrimPrefix(errPartnerRoot.Error(), fs.ErrNotExist.Error()+": ")), 550}
	case errors.Is(err, fs.ErrNotExist):
		return replyCode{errNoSuchFile, 550}
	case errors.Is(err, syscall.ENOTEMPTY):
		// Before ErrExist, which ENOTEMPTY also matches.
		return replyCode{errors.New("folder not empty: remove what is in it first"), 550}
	case errors.Is(err, fs.ErrExist):
		return errors.New("already exists")
	case errors.Is(err, fs.ErrPermission):
		return replyCode{errDenied, 550}
	case errors.As(err, &pe) && pe.Op == "remove":
		return fmt.Errorf("not a file: %w", pe.Err)
	case errors.As(err, &pe) && pe.Op == "rmdir":
		return fmt.Errorf("not removed: %w", pe.Err)
	}
	return errLocal
}

// replyCode is a public error with the reply code ftpserverlib sends
// for it (see its getErrorCode).
type replyCode struct {
	error
	code int
}

func (e replyCode) Unwrap() error { return e.error }
func (e replyCode) FTPCode() int  { return e.code }
