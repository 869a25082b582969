package ftpserver

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"math"
	"net"

	ftplib "github.com/fclairamb/ftpserverlib"

	"github.com/wharf-mft/wharf/internal/store"
)

// driver is the ftpserverlib MainDriver of one listener.
type driver struct {
	srv      *Server
	implicit bool
}

var (
	_ ftplib.MainDriver                        = (*driver)(nil)
	_ ftplib.MainDriverExtensionUserVerifier   = (*driver)(nil)
	_ ftplib.MainDriverExtensionDataTLSConfig  = (*driver)(nil)
	_ ftplib.MainDriverExtensionPassiveWrapper = (*driver)(nil)
)

// GetSettings maps Config onto ftpserverlib's settings.
func (d *driver) GetSettings() (*ftplib.Settings, error) {
	c := d.srv.cfg
	st := &ftplib.Settings{
		Listener:                d.srv.plainLn,
		PublicHost:              c.PassiveAddress,
		ActiveTransferPortNon20: true,
		DisableActiveMode:       !c.ActiveMode,
		// Both checks are IPMatchRequired already (the zero value); spelt
		// out because they are what stops FTP bounce and data theft.
		ActiveConnectionsCheck: ftplib.IPMatchRequired,
		PasvConnectionsCheck:   ftplib.IPMatchRequired,
		// Whole seconds, rounded up: 0 would be ftpserverlib's 15 minutes.
		IdleTimeout:         int(math.Ceil(c.IdleTimeout.Seconds())),
		ConnectionTimeout:   30,
		Banner:              c.Banner,
		EnableHASH:          true,
		DefaultTransferType: ftplib.TransferTypeBinary,
		// TYPE A is served byte for byte: partners' EDI files must arrive
		// exactly as sent, and SIZE/REST keep working.
		DisableASCIIConversion: true,
		DisableSite:            true,
	}
	if d.implicit {
		st.Listener = d.srv.implLn
		st.TLSRequired = ftplib.ImplicitEncryption
	}
	if c.PassivePorts != "" {
		lo, hi, _ := ParsePortRange(c.PassivePorts)
		st.PassiveTransferPortRange = ftplib.PortRange{Start: lo, End: hi}
	}
	return st, nil
}

// GetTLSConfig is the control connection's TLS config (the same pointer
// every call, so session tickets stay valid).
func (d *driver) GetTLSConfig() (*tls.Config, error) { return d.srv.tls.control(), nil }

// GetDataTLSConfig is the TLS config of one session's data connections.
func (d *driver) GetDataTLSConfig(cc ftplib.ClientContext) (*tls.Config, error) {
	ss := d.srv.session(cc)
	if ss == nil {
		return nil, errNotLoggedIn
	}
	return ss.dataTLS(), nil
}

// ClientConnected greets a new connection, or refuses it when the client's
// IP is banned or over its connection cap.
func (d *driver) ClientConnected(cc ftplib.ClientContext) (string, error) {
	ip := clientIP(cc.RemoteAddr())
	ctx, cancel := d.srv.storeCtx()
	defer cancel()
	if err := d.srv.limits.admit(ctx, cc, ip); err != nil {
		if ok, n := d.srv.refusals.note(ip); ok {
			d.srv.log.Warn("connection refused", "remote", cc.RemoteAddr().String(), "err", err, "refused_unlogged_since_last", n)
		}
		return err.Error(), err
	}
	ss := d.srv.newSession(cc, d.implicit)
	// At debug level the session logs its commands and replies (PASS
	// masked: ftpserverlib's maskSecret).
	cc.SetDebug(d.srv.log.Enabled(ctx, slog.LevelDebug))
	_ = cc.SetTLSRequirement(d.srv.tlsRequirement(nil))
	ss.log.Info("session start")
	return d.srv.greeting, nil
}

// ClientDisconnected releases the session.
func (d *driver) ClientDisconnected(cc ftplib.ClientContext) {
	d.srv.limits.release(cc)
	d.srv.endSession(cc)
}

// PreAuthUser runs at USER: banned IPs are refused, and on a plain control
// connection so is an account that needs TLS, before its password is sent.
func (d *driver) PreAuthUser(cc ftplib.ClientContext, user string) error {
	ctx, cancel := d.srv.storeCtx()
	defer cancel()
	if err := d.srv.limits.banned(ctx, clientIP(cc.RemoteAddr())); err != nil {
		return err
	}
	// Every USER starts from the server's requirement: what an earlier
	// USER relaxed must not carry over to another account. The login sets
	// it from the account that authenticates (Server.login).
	_ = cc.SetTLSRequirement(d.srv.tlsRequirement(nil))
	if d.srv.cfg.AllowPlain || cc.HasTLSForControl() {
		return nil
	}
	// Relaxed until the next USER or the login, so that ftpserverlib
	// lets an account that may use plain FTP go on to PASS.
	if a, err := d.srv.lookup(user); err == nil && d.srv.plainAllowed(a) {
		_ = cc.SetTLSRequirement(ftplib.ClearOrEncrypted)
		return nil
	}
	// ftpserverlib refuses the login next (530, use TLS); the operator
	// learns it here, with the settings that would allow it.
	d.srv.refusePlain(cc, user)
	return nil
}

// AuthUser checks the password and returns the session's file driver.
func (d *driver) AuthUser(cc ftplib.ClientContext, user, pass string) (ftplib.ClientDriver, error) {
	return d.srv.login(cc, user, pass)
}

// tlsRequirement is the TLS requirement of a session logged in as a, or
// before login (a nil): TLS for login and data unless plain FTP is allowed,
// to every account or to a.
func (s *Server) tlsRequirement(a *store.Account) ftplib.TLSRequirement {
	if s.cfg.AllowPlain || a != nil && s.plainAllowed(*a) {
		return ftplib.ClearOrEncrypted
	}
	return ftplib.MandatoryEncryption
}

// errTLSNeeded refuses a login without TLS to an account that needs it.
var errTLSNeeded = errors.New("TLS is required: use AUTH TLS (explicit FTPS) or the implicit FTPS port")

// refusePlain tells the operator of a login without TLS refused to user,
// with the settings that would allow it.
func (s *Server) refusePlain(cc ftplib.ClientContext, user string) {
	if ss := s.session(cc); ss != nil {
		ss.log.Warn("login without TLS refused", "user", user,
			"fix", "the client should use AUTH TLS or implicit FTPS; to allow plain FTP: wharf partner set "+user+" --allow-plain (or serve --allow-plain)")
	}
	s.record(store.Event{Kind: store.EventLoginFailed, Account: user, RemoteAddr: cc.RemoteAddr().String(), Detail: "TLS required: login without TLS refused"})
}

func clientIP(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
