package remote

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// LoginError reports a login the remote refused: a 530 or 430 reply to USER
// or PASS (the user or password is wrong, or the account is locked), or any
// other 5xx to them. Err is the reply, a *textproto.Error. Trying again with
// the same credentials fails the same way, and each try is one more failed
// login on the remote, where many servers lock an address out after 3 to 10
// of them; so it is never retried, and a Pool that gets one holds further
// logins back for a while (see PoolOptions.LoginHold), filling in Count, At
// and Until.
type LoginError struct {
	Name string // the remote's name in Wharf (Config.Name); "" when unset
	Addr string // host:port
	User string
	Err  error

	Count int       // refused logins in a row; 0 outside a Pool
	At    time.Time // when the last one was refused
	Until time.Time // no login is tried before then
}

func (e *LoginError) Error() string {
	if e.Count == 0 {
		return fmt.Sprintf("login as %q: %v", e.User, e.Err)
	}
	who := e.Addr
	if e.Name != "" {
		who = strconv.Quote(e.Name) + " (" + e.Addr + ")"
	}
	when := "at " + e.At.Format(time.RFC3339)
	if e.Count > 1 {
		when = strconv.Itoa(e.Count) + " times in a row, last " + when
	}
	return fmt.Sprintf("remote %s refused the login as %q %s: %v; not trying again before %s, "+
		"so that its server does not lock this address out; if the user or password is wrong, %s",
		who, e.User, when, e.Err, e.Until.Format(time.RFC3339), e.fix())
}

func (e *LoginError) Unwrap() error { return e.Err }

// fix is the advice a held LoginError ends with.
func (e *LoginError) fix() string {
	if e.Name == "" {
		return "correct them in the remote's settings"
	}
	return "give the right password with `wharf remote set " + e.Name + " --password-stdin` (the user with --url)"
}

// refusesLogin reports whether a reply to USER or PASS refuses the login
// for good. 421 (the server is closing, often for too many connections) and
// other 4xx replies are worth a retry; 430 is what some servers answer for
// wrong credentials instead of 530.
func refusesLogin(code int) bool {
	return code == 430 || code >= 500 && code < 600
}

// errConnLimit marks a connection the server turned away because it has
// as many as it allows, from this address or from everyone. It is worth
// another try once a connection closes, and says nothing about the
// credentials.
var errConnLimit = errors.New("the server is at its connection limit")

// connLimit wraps err, a reply turning the connection away for a limit,
// with errConnLimit and the advice for the case where Wharf's own
// connections fill the limit.
func (c *Conn) connLimit(err error) error {
	return fmt.Errorf("%w; %w: if Wharf's own connections to it fill the limit, lower the remote's max connections (now %d) below the server's: %s",
		err, errConnLimit, c.cfg.MaxConns, c.cfg.fix(FlagMaxConns+" N"))
}

// mentionsConnLimit reports whether a reply's text refuses a connection for
// a limit on connections: vsftpd "There are too many connections from
// your internet address.", pure-ftpd "Too many connections (1) from this
// IP", ProFTPD "Sorry, the maximum number of clients (1) from your host
// are already connected.", FileZilla Server "Too many users are connected".
func mentionsConnLimit(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"too many", "maximum number", "maximal number", "max number", "connection limit"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// Defaults for zero PoolOptions login holds.
const (
	DefaultLoginHold    = 30 * time.Second
	DefaultMaxLoginHold = 5 * time.Minute
)

// loginHeldLocked returns the remembered refusal while logins are held
// back, under p.mu.
func (p *Pool) loginHeldLocked() error {
	if p.refusal == nil || !p.now().Before(p.refusal.Until) {
		return nil
	}
	e := *p.refusal
	return &e
}

// refusedLocked remembers a refused login, under p.mu, and returns the
// error for the caller: le with the pool's count and hold.
func (p *Pool) refusedLocked(le *LoginError) *LoginError {
	n := 1
	if p.refusal != nil {
		n = p.refusal.Count + 1
	}
	hold := doubled(p.opts.LoginHold, p.opts.MaxLoginHold, n)
	r := *le
	r.Count, r.At = n, p.now()
	r.Until = r.At.Add(hold)
	p.refusal, p.loggedIn = &r, false
	e := r
	return &e
}

// logRefusal logs a login the remote refused: every one is a failed login
// in the remote's log, which may lock Wharf out, so the operator must
// hear of it. The pool holds logins back after one, so this comes at most
// once per hold.
func (p *Pool) logRefusal(le *LoginError) {
	args := []any{"user", le.User, "refusals", le.Count, "retry_at", le.Until, "err", le.Err}
	var te *textproto.Error
	if errors.As(le.Err, &te) {
		args = append(args, "code", te.Code)
	}
	p.log.Warn("remote refused the login", append(args, "fix", le.fix())...)
}

// loginGate lets one dial at a time through until a login succeeded (on a
// new pool, or after a refusal), so that callers arriving together at a
// remote with a wrong password cost it one failed login, not one each. It
// returns a func to call when the dial is done, or ctx's error.
func (p *Pool) loginGate(ctx context.Context) (done func(), err error) {
	if p.trusted() {
		return func() {}, nil
	}
	select {
	case p.probe <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a connection to %s: %w", p.cfg.Addr(), ctx.Err())
	}
	if p.trusted() { // the dial before this one logged in
		<-p.probe
		return func() {}, nil
	}
	return func() { <-p.probe }, nil
}

// trusted reports whether a login succeeded since the pool was made or
// since the last refusal.
func (p *Pool) trusted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.loggedIn
}
