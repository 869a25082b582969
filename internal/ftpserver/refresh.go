package ftpserver

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// checkAccounts applies, every acctCheck until ctx ends, the operator's
// changes to the accounts of open sessions: an operator who disables an
// account, takes a right away or removes a mount during an incident means
// the account's open sessions too, not only its next logins.
func (s *Server) checkAccounts(ctx context.Context) {
	t := time.NewTicker(s.acctCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.refresh(ctx)
	}
}

// refresh brings every logged-in session up to date with its account:
// sessions of accounts disabled, removed or given a new password are
// closed; a changed policy (rights, filter, overwrite, temp extensions,
// remove after send, TLS) applies from the session's next command; mounts
// added, removed or changed, or whose remote changed, are opened anew. A
// store that fails is logged and tried again at the next tick.
func (s *Server) refresh(ctx context.Context) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if len(s.loggedIn()) == 0 {
		return
	}
	stamp, changed := s.accessChanged(ctx)
	if !changed {
		return
	}
	st, err := s.loadState(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("check accounts of open sessions", "err", err)
		}
		return
	}
	s.lastStamp, s.lastLoad = stamp, time.Now()
	// The sessions are taken after the load: one that logged in while
	// the state loaded is checked against it too. Taken before, such a
	// session was left out, while the stamp recorded now hid the change
	// from the next checks for up to fullLoadEvery.
	for _, ss := range s.loggedIn() {
		was := ss.account()
		a, ok := st.accounts[was.Name]
		why := ""
		switch {
		case !ok:
			why = "account removed"
		case a.Disabled:
			why = "account disabled"
		case a.PasswordHash != was.PasswordHash:
			why = "password changed"
		case !ss.cc.HasTLSForControl() && !s.plainAllowed(a):
			why = "plain FTP no longer allowed for this account; log in with TLS"
		}
		if why == "" && !reflect.DeepEqual(a.Policy, was.Policy) {
			s.updatePolicy(ss, a)
		}
		if why == "" && s.openMount != nil {
			s.updateMounts(ss, a, st)
		}
		if why != "" {
			s.closeSession(ss, was.Name, why)
		}
	}
}

// loggedIn returns the sessions that have logged in.
func (s *Server) loggedIn() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []*session
	for _, ss := range s.sessions {
		if ss.account() != nil {
			live = append(live, ss)
		}
	}
	return live
}

// fullLoadEvery bounds how long refresh trusts an unchanged access stamp.
const fullLoadEvery = time.Minute

// accessChanged reports whether the store's accounts, mounts or remotes may
// have changed since refresh last loaded them, with the store's access
// stamp to remember once they are loaded. Without a stamp (a store that
// has none, or fails to give it) every check loads; with one, a check
// loads only when it changed, and at least every fullLoadEvery. Sessions
// that logged in since the last load read their account then, so they
// are as current as the store.
func (s *Server) accessChanged(ctx context.Context) (stamp string, changed bool) {
	as, ok := s.store.(store.AccessStamper)
	if !ok {
		return "", true
	}
	stamp, err := as.AccessStamp(ctx)
	if err != nil {
		return "", true
	}
	return stamp, stamp != s.lastStamp || time.Since(s.lastLoad) >= fullLoadEvery
}

// accountState is what refresh compares open sessions with.
type accountState struct {
	accounts map[string]store.Account
	mounts   map[string][]store.Mount // by account
	remotes  map[string]store.Remote  // by name
}

func (s *Server) loadState(ctx context.Context) (accountState, error) {
	st := accountState{accounts: map[string]store.Account{}, mounts: map[string][]store.Mount{}, remotes: map[string]store.Remote{}}
	accts, err := s.store.Accounts(ctx, "")
	if err != nil {
		return st, err
	}
	for _, a := range accts {
		st.accounts[a.Name] = a
	}
	if s.openMount == nil {
		return st, nil
	}
	ms, err := s.store.Mounts(ctx, "")
	if err != nil {
		return st, err
	}
	for _, m := range ms {
		st.mounts[m.Account] = append(st.mounts[m.Account], m)
	}
	rs, err := s.store.Remotes(ctx)
	if err != nil {
		return st, err
	}
	for _, r := range rs {
		st.remotes[r.Name] = r
	}
	return st, nil
}

func (s *Server) plainAllowed(a store.Account) bool {
	return s.cfg.Effective(a).AllowPlain
}

// updatePolicy gives an open session its account's new settings.
func (s *Server) updatePolicy(ss *session, a store.Account) {
	p := s.policyFor(a)
	ss.mu.Lock()
	ss.acct = &a
	ss.pol = p
	ss.mu.Unlock()
	_ = ss.cc.SetTLSRequirement(s.tlsRequirement(&a)) // a clear data connection is refused from now on
	ss.log.Info("session policy updated", "send", p.send.String(), "receive", p.receive.String(),
		"overwrite", p.overwrite, "remove_after_send", p.removeAfterSend)
}

// mountKey is what a session's open mount was made from: a change to any
// of it means the mount must be opened again.
type mountKey struct {
	remote, remotePath string
	readOnly           bool
	remoteChanged      int64 // the remote record's UpdatedAt, Unix ns
}

func keyOf(m store.Mount, remotes map[string]store.Remote) mountKey {
	return mountKey{remote: m.Remote, remotePath: m.RemotePath, readOnly: m.ReadOnly, remoteChanged: remotes[m.Remote].UpdatedAt.UnixNano()}
}

func newMountPoint(m store.Mount, fsys vfs.FS, remotes map[string]store.Remote) mountPoint {
	return mountPoint{path: m.Path, remote: m.Remote, readOnly: m.ReadOnly, remoteReadOnly: remotes[m.Remote].Settings.ReadOnly,
		fs: fsys, key: keyOf(m, remotes)}
}

// updateMounts gives an open session its account's current mounts,
// keeping those that did not change. A transfer under way in a mount that
// was removed or changed runs to its end on what it started with.
func (s *Server) updateMounts(ss *session, a store.Account, st accountState) {
	ss.mu.Lock()
	cur, local := ss.mounts, ss.fs
	ss.mu.Unlock()
	want := st.mounts[a.Name]
	same := len(want) == len(cur)
	for _, m := range want {
		i := slices.IndexFunc(cur, func(c mountPoint) bool { return c.path == m.Path })
		same = same && i >= 0 && cur[i].key == keyOf(m, st.remotes)
	}
	if same {
		return
	}
	var next []mountPoint
	var changed []string
	for _, m := range want {
		k := keyOf(m, st.remotes)
		if i := slices.IndexFunc(cur, func(c mountPoint) bool { return c.path == m.Path }); i >= 0 && cur[i].key == k {
			next = append(next, cur[i])
			continue
		}
		fsys := s.mountFS(ss.ctx, m)
		_ = local.MkdirAll(vfs.Rel(m.Path), 0o750)
		next = append(next, newMountPoint(m, fsys, st.remotes))
		changed = append(changed, m.Path)
	}
	for _, c := range cur {
		if !slices.ContainsFunc(next, func(n mountPoint) bool { return n.path == c.path }) {
			changed = append(changed, c.path+" (removed)")
		}
	}
	sortMounts(next)
	ss.mu.Lock()
	ss.mounts = next
	ss.mu.Unlock()
	ss.log.Info("session mounts updated", "mounts", strings.Join(changed, ", "))
}

// closeSession closes an open session whose account may no longer do what
// it logged in to do.
func (s *Server) closeSession(ss *session, account, why string) {
	ss.log.Warn("session closed", "reason", why)
	s.record(store.Event{Kind: store.EventSessionClosed, Account: account, RemoteAddr: ss.cc.RemoteAddr().String(), Detail: "session closed: " + why})
	go func() { _ = ss.cc.CloseWithReply(421, "session closed by the server: "+why) }()
}
