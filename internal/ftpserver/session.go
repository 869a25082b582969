package ftpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	ftplib "github.com/fclairamb/ftpserverlib"

	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/localfs"
)

// session is one control connection, from connect to disconnect.
type session struct {
	srv      *Server
	cc       ftplib.ClientContext
	implicit bool
	log      *slog.Logger
	timer    *time.Timer // login timeout
	// ctx lives as long as the session; ftpserverlib's calls carry none.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	acct    *store.Account // nil until logged in
	pol     policy
	fs      *localfs.FS
	mounts  []mountPoint // longest path first
	dataCfg *tls.Config
}

// mountPoint is a folder of the session's tree backed by a remote.
type mountPoint struct {
	path     string // clean absolute path in the account's tree
	remote   string
	readOnly bool
	// remoteReadOnly: the remote is (wharf remote set --read-only).
	remoteReadOnly bool
	fs             vfs.FS
	key            mountKey // what it was opened from
}

// policy is an account's effective settings: its overrides over the
// server's.
type policy struct {
	send, receive   store.Access
	overwrite       bool
	tlsReuse        bool
	filter          Filter
	tempExts        []string
	removeAfterSend bool
}

func (s *Server) newSession(cc ftplib.ClientContext, implicit bool) *session {
	ss := &session{
		srv: s, cc: cc, implicit: implicit,
		log: s.log.With("session", s.nextID.Add(1), "remote", cc.RemoteAddr().String(),
			"listener", listenerName(implicit), "client_id", cc.ID()),
	}
	s.mu.Lock()
	ss.ctx, ss.cancel = context.WithCancel(s.serveCtx)
	s.mu.Unlock()
	ss.timer = time.AfterFunc(s.cfg.LoginTimeout, func() {
		if ss.account() == nil {
			ss.log.Info("login timeout")
			_ = cc.CloseWithReply(421, fmt.Sprintf("no login within %v: closing control connection", s.cfg.LoginTimeout))
		}
	})
	s.mu.Lock()
	s.sessions[cc] = ss
	if s.stopping {
		// Accepted as Serve stopped: closeSessions missed it.
		go func() { _ = cc.CloseWithReply(421, shutdownReply) }()
	}
	s.mu.Unlock()
	return ss
}

// SessionCounts returns the control connections open now and how many of
// them are logged in.
func (s *Server) SessionCounts() (open, loggedIn int) {
	s.mu.Lock()
	live := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		live = append(live, ss)
	}
	s.mu.Unlock()
	for _, ss := range live {
		if ss.account() != nil {
			loggedIn++
		}
	}
	return len(live), loggedIn
}

func (s *Server) session(cc ftplib.ClientContext) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[cc]
}

func (s *Server) endSession(cc ftplib.ClientContext) {
	s.mu.Lock()
	ss := s.sessions[cc]
	delete(s.sessions, cc)
	if s.stopping && len(s.sessions) == 0 {
		defer s.drainOnce.Do(func() { close(s.drained) })
	}
	s.mu.Unlock()
	if ss == nil {
		return
	}
	ss.timer.Stop()
	ss.cancel()
	ss.mu.Lock()
	if ss.fs != nil {
		ss.fs.Close()
	}
	for _, m := range ss.mounts {
		if c, ok := m.fs.(io.Closer); ok {
			c.Close()
		}
	}
	ss.mu.Unlock()
	ss.log.Info("session end")
}

func (ss *session) account() *store.Account {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.acct
}

// policy returns the session's current settings. An operator's change to
// the account reaches open sessions (see refresh), so callers take it once
// per operation rather than keep it.
func (ss *session) policy() policy {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.pol
}

// dataTLS returns this session's data-connection TLS config.
func (ss *session) dataTLS() *tls.Config {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.dataCfg == nil {
		ss.dataCfg = ss.srv.tls.data(ss.cc.RemoteAddr().String(), ss.requireReuse)
	}
	return ss.dataCfg
}

func (ss *session) requireReuse() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.acct == nil {
		return ss.srv.cfg.TLSReuse
	}
	return ss.pol.tlsReuse
}

var (
	errNotLoggedIn = errors.New("not logged in")
	errLogin       = errors.New("login incorrect")
)

// lookup finds the account a USER names. Account names are lower case
// (store.ValidateName), so "ACME" and "Acme" log in as acme: partners type
// their name as they write it.
func (s *Server) lookup(user string) (store.Account, error) {
	ctx, cancel := s.storeCtx()
	defer cancel()
	return s.store.Account(ctx, strings.ToLower(user))
}

// login authenticates user and opens the session's tree.
func (s *Server) login(cc ftplib.ClientContext, user, pass string) (ftplib.ClientDriver, error) {
	ss := s.session(cc)
	if ss == nil {
		return nil, errNotLoggedIn
	}
	ip := clientIP(cc.RemoteAddr())
	a, err := s.lookup(user)
	ok := err == nil && !a.Disabled && s.passwords.Hit(a.Name, a.PasswordHash, pass)
	if !ok {
		// argon2id takes 19 MiB per hash: a burst of logins waits for a
		// slot rather than growing the heap by 19 MiB per concurrent login.
		s.hashSlots <- struct{}{}
		if err == nil && !a.Disabled {
			if ok, _ = password.Verify(a.PasswordHash, pass); ok {
				s.passwords.Remember(a.Name, a.PasswordHash, pass)
			}
		} else if err == nil || errors.Is(err, store.ErrNotFound) {
			// Spend the same time on unknown users, so timing does not
			// tell which names exist.
			_, _ = password.Verify(s.dummyHash, pass)
		}
		<-s.hashSlots
	}
	if !ok {
		ctx, cancel := s.storeCtx()
		banned := s.limits.failed(ctx, ip, user)
		cancel()
		ss.log.Warn("login failed", "user", user, "banned", banned)
		who := user // as typed, for a name that is no account
		if err == nil {
			who = a.Name // the account's events under its own name, whatever the case typed
		}
		s.record(store.Event{Kind: store.EventLoginFailed, Account: who, RemoteAddr: cc.RemoteAddr().String()})
		if banned {
			s.record(store.Event{Kind: store.EventBanned, Account: who, RemoteAddr: cc.RemoteAddr().String(),
				Detail: fmt.Sprintf("%s banned for %v after %d failed logins", ip, s.cfg.BanFor, s.cfg.BanAfter)})
		}
		time.Sleep(s.cfg.LoginFailDelay) // slows guessing; blocks only this session
		return nil, errLogin
	}
	s.limits.succeeded(ip, a.Name)
	// The TLS requirement follows the account that authenticated, not
	// the names an earlier USER gave (PreAuthUser relaxes it only for
	// the USER check).
	if !cc.HasTLSForControl() && !s.plainAllowed(a) {
		s.refusePlain(cc, a.Name)
		return nil, errTLSNeeded
	}
	_ = cc.SetTLSRequirement(s.tlsRequirement(&a))
	if err := EnsureHome(s.root, a); err != nil {
		ss.log.Error("account folders", "account", a.Name, "err", err)
		return nil, errLocal
	}
	dir := s.root
	if a.Kind == store.Partner {
		dir = filepath.Join(s.root, a.Name)
	}
	fsys, err := localfs.Open(dir)
	if err != nil {
		ss.log.Error("open account root", "account", a.Name, "err", err)
		return nil, errLocal
	}
	mounts, err := s.openMounts(ss.ctx, a, fsys)
	if err != nil {
		fsys.Close()
		ss.log.Error("open mounts", "account", a.Name, "err", err)
		return nil, errLocal
	}
	ss.mu.Lock()
	ss.mounts = mounts
	ss.acct = &a
	ss.pol = s.policyFor(a)
	ss.fs = fsys
	ss.log = ss.log.With("account", a.Name)
	ss.mu.Unlock()
	ss.timer.Stop()
	ss.log.Info("login", "tls", cc.HasTLSForControl())
	s.record(store.Event{Kind: store.EventLogin, Account: a.Name, RemoteAddr: cc.RemoteAddr().String()})
	return &files{ss: ss}, nil
}

func (s *Server) policyFor(a store.Account) policy {
	e := s.cfg.Effective(a)
	p := policy{
		send: e.Send, receive: e.Receive, overwrite: e.Overwrite, tlsReuse: e.TLSReuse,
		filter: s.filter, tempExts: parseExtensions(e.TempExtensions), removeAfterSend: e.RemoveAfterSend,
	}
	if a.Policy.Filter != nil {
		if f, err := ParseFilter(*a.Policy.Filter); err == nil {
			p.filter = f
		} else {
			s.log.Error("account filter is invalid; using the server filter", "account", a.Name, "err", err)
		}
	}
	return p
}

// openMounts prepares the account's mounts. Opening does not dial: a
// remote that is down fails the operations inside its mount, not the login.
func (s *Server) openMounts(ctx context.Context, a store.Account, local *localfs.FS) ([]mountPoint, error) {
	if s.openMount == nil {
		return nil, nil
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ms, err := s.store.Mounts(lctx, a.Name)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	rs, err := s.store.Remotes(lctx)
	if err != nil {
		return nil, err
	}
	remotes := make(map[string]store.Remote, len(rs))
	for _, r := range rs {
		remotes[r.Name] = r
	}
	var out []mountPoint
	for _, m := range ms {
		fsys := s.mountFS(ctx, m)
		// The mount point shows in its parent's listing as a folder.
		_ = local.MkdirAll(vfs.Rel(m.Path), 0o750)
		out = append(out, newMountPoint(m, fsys, remotes))
	}
	sortMounts(out)
	return out, nil
}

// sortMounts puts the longest path first, so a path resolves to the
// innermost mount holding it.
func sortMounts(ms []mountPoint) {
	sort.Slice(ms, func(i, j int) bool { return len(ms[i].path) > len(ms[j].path) })
}

// storeCtx bounds one store call. It outlives Serve's cancellation, so the
// events of sessions closed by a shutdown are still recorded.
func (s *Server) storeCtx() (context.Context, context.CancelFunc) {
	s.mu.Lock()
	base := s.serveCtx
	s.mu.Unlock()
	return context.WithTimeout(context.WithoutCancel(base), 10*time.Second)
}
