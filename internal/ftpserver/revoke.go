package ftpserver

import (
	"context"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// checkAccounts closes, every acctCheck until ctx ends, the sessions whose
// account was disabled, removed or given a new password since they logged
// in: an operator who does that during an incident means the account's
// open sessions too, not only its next logins.
func (s *Server) checkAccounts(ctx context.Context) {
	t := time.NewTicker(s.acctCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.revoke(ctx)
	}
}

// revoke closes the sessions of accounts that may no longer log in as they
// did. A store that fails is logged and tried again at the next tick.
func (s *Server) revoke(ctx context.Context) {
	s.mu.Lock()
	var live []*session
	for _, ss := range s.sessions {
		live = append(live, ss)
	}
	s.mu.Unlock()
	if len(live) == 0 {
		return
	}
	accts, err := s.store.Accounts(ctx, "")
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("check accounts of open sessions", "err", err)
		}
		return
	}
	now := make(map[string]store.Account, len(accts))
	for _, a := range accts {
		now[a.Name] = a
	}
	for _, ss := range live {
		was := ss.account()
		if was == nil {
			continue // not logged in yet
		}
		why := ""
		switch a, ok := now[was.Name]; {
		case !ok:
			why = "account removed"
		case a.Disabled:
			why = "account disabled"
		case a.PasswordHash != was.PasswordHash:
			why = "password changed"
		default:
			continue
		}
		ss.log.Warn("session closed", "reason", why)
		s.record(store.Event{Kind: store.EventSessionClosed, Account: was.Name, RemoteAddr: ss.cc.RemoteAddr().String(), Detail: "session closed: " + why})
		go func() { _ = ss.cc.CloseWithReply(421, "session closed by the server: "+why) }()
	}
}
