package remote

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrSelf reports a remote that is this same Wharf instance.
var ErrSelf = errors.New("remote is this Wharf instance")

// ErrReadOnly reports a change refused because the remote is read-only.
var ErrReadOnly = errors.New("remote is read-only")

// errTLSRequired marks a login refused in clear by a server that wants TLS.
var errTLSRequired = errors.New("the server requires TLS")

// Conn is one logged-in control connection. It is not safe for concurrent
// use; its owner calls Close.
type Conn struct {
	cfg  Config
	log  *slog.Logger
	tcfg *tls.Config // nil without TLS

	raw  net.Conn      // the TCP connection
	dc   *deadlineConn // raw with per-operation deadlines
	ctl  net.Conn      // what commands go over: deadlineConn, or TLS over it
	tail *tailConn     // between TLS and dc: what the server sent last, for clearReply
	r    *bufio.Reader // replies
	feat map[string]string
	root string // absolute remote directory paths are relative to

	epsvFailed  bool
	epsvWorked  bool // an EPSV got its 229 here: the data command may go with the next (see dialPassive)
	mtimeMethod int
	listDash    int    // listDashA or listDashPlain once known; see listAll
	broken      bool   // the connection failed; never reuse it
	leftover    string // temporary upload a failure left behind (absolute)
	dataResumed bool   // the last TLS data connection resumed the control session
	created     time.Time
	greeting    string

	mu   sync.Mutex
	leaf *x509.Certificate // control connection's certificate
	skew time.Duration     // added to the TLS clock; see tlsTime

	peerLeaf *x509.Certificate // the control certificate presented, accepted or not
	data     net.Conn          // open data connection, closed on cancel
}

// Dial connects, secures and logs in. The caller closes the Conn.
func Dial(ctx context.Context, cfg Config, log *slog.Logger) (*Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := newConn(cfg, log)
	err := c.run(ctx, func() error {
		if err := c.connect(ctx); err != nil {
			return err
		}
		if err := c.secure(ctx); err != nil {
			return err
		}
		return c.login()
	})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("connect to %s: %w", c.cfg.Addr(), err)
	}
	return c, nil
}

func newConn(cfg Config, log *slog.Logger) *Conn {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Conn{cfg: cfg, log: log.With("remote", cfg.Addr()), created: time.Now()}
}

// run ties ctx to the connection for the duration of fn: when ctx ends, the
// connection is closed, which unblocks any read or write, and ctx's error is
// returned.
func (c *Conn) run(ctx context.Context, fn func() error) error {
	if c.broken {
		return &netError{"use", errors.New("connection is broken")}
	}
	stop := context.AfterFunc(ctx, c.abort)
	err := fn()
	if !stop() { // abort ran: the connection is closed
		c.broken = true
		if err == nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	var ne *netError
	if errors.As(err, &ne) {
		c.broken = true
	}
	return err
}

// abort closes the control and any data connection.
func (c *Conn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw != nil {
		c.raw.Close()
	}
	if c.data != nil {
		c.data.Close()
	}
}

// connect dials TCP, shakes hands for implicit TLS and reads the greeting.
func (c *Conn) connect(ctx context.Context) error {
	if err := c.dialTCP(ctx); err != nil {
		return err
	}
	if c.cfg.TLS == TLSImplicit {
		if err := c.handshake(ctx); err != nil {
			return err
		}
	}
	return c.greet(ctx)
}

func (c *Conn) dialTCP(ctx context.Context) error {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	if c.cfg.SourceAddress != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(c.cfg.SourceAddress)}
	}
	raw, err := d.DialContext(ctx, "tcp", c.cfg.Addr())
	if err != nil {
		return c.sourceErr(err)
	}
	c.mu.Lock()
	c.raw = raw
	c.mu.Unlock()
	c.dc = &deadlineConn{Conn: raw, timeout: c.cfg.IOTimeout}
	c.ctl = c.dc
	c.r = bufio.NewReaderSize(c.ctl, maxLineLen)
	return nil
}

// greet reads the 220 greeting, waiting through 120 "ready in n minutes".
func (c *Conn) greet(ctx context.Context) error {
	// The greeting is part of setting the connection up: it gets the
	// dial timeout, not the longer one for commands. A server that says
	// nothing is most often an implicit-TLS port waiting for a
	// ClientHello, which probeImplicit finds out sooner.
	c.dc.timeout = c.cfg.DialTimeout
	var probed func() bool
	if c.cfg.TLS != TLSImplicit {
		probed = c.probeImplicit(ctx)
	}
	code, msg, err := c.reply()
	if probed != nil && probed() {
		c.broken = true
		return noRetry{fmt.Errorf("greeting: %w: %s", errImplicitPort, c.cfg.fix(FlagTLS+" implicit"))}
	}
	c.dc.timeout = c.cfg.IOTimeout
	if err == nil && code == 120 {
		code, msg, err = c.reply()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		hint := "a wrong port, or an overloaded server"
		if c.cfg.TLS != TLSImplicit {
			hint = "if this is an implicit FTPS port (often 990), " + c.cfg.fix(FlagTLS+" implicit") + "; otherwise " + hint
		}
		return fmt.Errorf("the server accepted the connection but sent no greeting within %v: %s (%w)", c.cfg.DialTimeout, hint, err)
	}
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if code != 220 {
		err := replyError(code, msg)
		if code >= 400 && mentionsConnLimit(msg) {
			return fmt.Errorf("greeting: %w", c.connLimit(err))
		}
		return fmt.Errorf("greeting: %w", err)
	}
	c.greeting = msg
	return c.checkSelf(msg)
}

// checkSelf refuses this Wharf instance as a remote (C-17).
func (c *Conn) checkSelf(text string) error {
	if c.cfg.SelfNonce != "" && !c.cfg.AllowSelf && strings.Contains(text, c.cfg.SelfNonce) {
		return fmt.Errorf("%w (its greeting carries our nonce): pointing a remote at ourselves loops; to allow it, %s",
			ErrSelf, c.cfg.fix(FlagAllowSelf))
	}
	return nil
}

// sourceErr explains a dial that could not bind the remote's source
// address: it is not (or no longer) an address of this machine. Other
// errors, among them running out of local ports, which is the same
// errno, come back as they are.
func (c *Conn) sourceErr(err error) error {
	if c.cfg.SourceAddress == "" || !errors.Is(err, syscall.EADDRNOTAVAIL) {
		return err
	}
	if lerr := CheckSourceAddress(c.cfg.SourceAddress); lerr != nil {
		return fmt.Errorf("%w; connect from one of its addresses, or from any: %s", lerr, c.cfg.fix("--source-address ''"))
	}
	return err
}

// CheckSourceAddress reports whether ip, a remote's source address, is an
// address of this machine, by listening on it (port 0) for a moment:
// nothing is sent anywhere.
func CheckSourceAddress(ip string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	switch {
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("source address %s is not an address of this machine: %w", ip, err)
	case err != nil:
		return fmt.Errorf("source address %s: %w", ip, err)
	}
	return ln.Close()
}

// handshake upgrades the control connection to TLS.
func (c *Conn) handshake(ctx context.Context) error {
	c.tcfg = c.newTLSConfig()
	c.tail = &tailConn{Conn: c.ctl}
	tc := tls.Client(c.tail, c.tcfg)
	hctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return fmt.Errorf("tls handshake: %w%s", err, c.maxTLSHint(err))
	}
	c.ctl = tc
	if id := tc.ConnectionState().CurveID; id != 0 {
		// Data connections offer only the key exchange the server chose
		// here. With Go's default list a ClientHello carries an ML-KEM
		// hybrid share, and a server that wants another group (vsftpd:
		// P-256 only) answers HelloRetryRequest: two key generations and a
		// round trip per data connection, a fifth of a small-file push's
		// CPU. The choice was authenticated by this handshake, so narrowing
		// the offer to it gives nothing away. The clone shares the session
		// cache the data connections resume from.
		c.tcfg = c.tcfg.Clone()
		c.tcfg.CurvePreferences = []tls.CurveID{id}
	}
	// A new reader drops anything sent in clear after 234.
	c.r = bufio.NewReaderSize(c.ctl, maxLineLen)
	return nil
}

// maxTLSHint is the advice a failed handshake's error ends with when the
// server may be one that breaks on TLS 1.3 (it closed or reset the
// connection, or sent an alert) and the remote still allows 1.3.
func (c *Conn) maxTLSHint(err error) string {
	var ce *CertError
	var ne net.Error
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &rh):
		// The server spoke, but not TLS: an FTP greeting in clear.
		said := ""
		if r := c.clearReply(rh); r != nil {
			said = " (" + r.Error() + ")"
		}
		if c.cfg.TLS == TLSImplicit {
			return "; the server answered in clear text" + said + ", so this port is plain FTP or explicit FTPS: " + c.cfg.fix(FlagTLS+" explicit") +
				" (or use the implicit FTPS port, often 990)"
		}
		return "; the server answered in clear text instead of TLS" + said
	case c.cfg.MaxTLSVersion != 0 || errors.As(err, &ce) || (errors.As(err, &ne) && ne.Timeout()):
		return ""
	}
	return "; if the server mishandles TLS 1.3, " + c.cfg.fix(FlagMaxTLS+" 1.2")
}

// secure sends AUTH TLS for explicit and if-available modes. When the server
// refuses it in explicit mode, the client quits without sending USER (C-11).
func (c *Conn) secure(ctx context.Context) error {
	if c.cfg.TLS != TLSExplicit && c.cfg.TLS != TLSIfAvailable {
		return nil
	}
	code, msg, err := c.cmd("AUTH", "TLS")
	if err != nil {
		return err
	}
	if code != 234 {
		if c.cfg.TLS == TLSIfAvailable && code >= 500 {
			c.log.Warn("remote offers no tls, continuing in clear", "code", code)
			return nil
		}
		c.cmd("QUIT", "")
		c.broken = true
		return fmt.Errorf("auth tls refused, not sending credentials in clear (to allow plain FTP, %s): %w",
			c.cfg.fix(FlagTLS+" if-available"), replyError(code, msg))
	}
	return c.handshake(ctx)
}

// login sends USER and PASS, protects the data channel, reads FEAT and sets
// binary mode.
func (c *Conn) login() error {
	code, msg, err := c.cmd("USER", c.cfg.User)
	if err != nil {
		return err
	}
	if code == 331 || code == 332 {
		code, msg, err = c.cmd("PASS", c.cfg.Password.Reveal())
		if err != nil {
			return err
		}
	}
	if code != 230 && code != 202 {
		err := replyError(code, msg)
		if code >= 400 && mentionsConnLimit(msg) {
			// ProFTPD's MaxClientsPerHost: "530 Sorry, the maximum
			// number of clients (1) from your host are already
			// connected." The credentials were never checked.
			return fmt.Errorf("login as %q: %w", c.cfg.User, c.connLimit(err))
		}
		tlsRequired := c.tcfg == nil && code >= 400 && mentionsTLS(msg)
		if tlsRequired {
			err = fmt.Errorf("%w; %w: %s", err, errTLSRequired, c.cfg.fix(FlagTLS+" explicit"))
		}
		if refusesLogin(code) {
			return &LoginError{Name: c.cfg.Name, Addr: c.cfg.Addr(), User: c.cfg.User, Err: err}
		}
		if tlsRequired {
			// pure-ftpd's 421: trying again in clear gets the same.
			return noRetry{fmt.Errorf("login as %q: %w", c.cfg.User, err)}
		}
		return fmt.Errorf("login as %q: %w", c.cfg.User, replyError(code, msg))
	}
	if c.tcfg != nil {
		if _, err := c.expect(200, "PBSZ", "0"); err != nil {
			return err
		}
		if _, err := c.expect(200, "PROT", "P"); err != nil {
			return err
		}
	}
	if err := c.features(); err != nil {
		return err
	}
	if _, err := c.expect(200, "TYPE", "I"); err != nil {
		return err
	}
	if _, ok := c.feat["UTF8"]; ok {
		c.cmd("OPTS", "UTF8 ON") // advisory; some servers answer 501 and use UTF-8 anyway
	}
	c.root = c.cfg.Root
	if c.root == "" {
		msg, err := c.expect(257, "PWD", "")
		if err != nil {
			return err
		}
		c.root = parsePWD(msg)
	}
	return nil
}

// parsePWD extracts the quoted directory of a 257 reply ("" doubles a quote).
func parsePWD(msg string) string {
	i := strings.IndexByte(msg, '"')
	if i < 0 {
		return "/"
	}
	var b strings.Builder
	for s := msg[i+1:]; len(s) > 0; s = s[1:] {
		if s[0] == '"' {
			if len(s) > 1 && s[1] == '"' {
				b.WriteByte('"')
				s = s[1:]
				continue
			}
			break
		}
		b.WriteByte(s[0])
	}
	if b.Len() == 0 || !strings.HasPrefix(b.String(), "/") {
		return "/"
	}
	return path.Clean(b.String())
}

// features reads FEAT into c.feat, keyed by upper-case keyword.
func (c *Conn) features() error {
	code, msg, err := c.cmd("FEAT", "")
	if err != nil {
		return err
	}
	c.feat = map[string]string{}
	if code != 211 {
		return nil // no FEAT: an RFC 959 server
	}
	if err := c.checkSelf(msg); err != nil {
		return err
	}
	for _, line := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(line, " ") {
			continue
		}
		kw, params, _ := strings.Cut(strings.TrimSpace(line), " ")
		c.feat[strings.ToUpper(kw)] = params
	}
	return nil
}

// cmd sends one command and reads its final reply (1xx preliminary replies
// are returned to the caller only by dataCmd).
func (c *Conn) cmd(verb, arg string) (int, string, error) {
	if err := c.send(verb, arg); err != nil {
		return 0, "", err
	}
	return c.reply()
}

// send writes one command line after checking its argument.
func (c *Conn) send(verb, arg string) error {
	if err := checkArg(arg); err != nil {
		return fmt.Errorf("%s %q: %w", verb, arg, err)
	}
	line := verb
	if arg != "" {
		line += " " + arg
	}
	if verb == "PASS" {
		c.log.Debug("ftp send", "line", "PASS ****")
	} else {
		c.log.Debug("ftp send", "line", line)
	}
	if _, err := c.ctl.Write([]byte(line + "\r\n")); err != nil {
		return &netError{"send " + verb, err}
	}
	return nil
}

// reply reads one reply.
func (c *Conn) reply() (int, string, error) {
	code, msg, err := readReply(c.r)
	if err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) {
			if r := c.clearReply(rh); r != nil {
				err = &clearReplyError{reply: r, err: err}
			}
		}
		var ne *netError
		if !errors.As(err, &ne) {
			err = &netError{"read reply", err} // a malformed or oversized reply desyncs the connection
		}
		return 0, "", err
	}
	c.log.Debug("ftp recv", "code", code, "msg", msg)
	if code == 421 {
		c.broken = true // the server is closing the connection
	}
	return code, msg, nil
}

// expect sends a command and returns its text when the code is want, or a
// *textproto.Error otherwise.
func (c *Conn) expect(want int, verb, arg string) (string, error) {
	code, msg, err := c.cmd(verb, arg)
	if err != nil {
		return "", err
	}
	if code != want && !(want < 10 && code/100 == want) {
		return "", fmt.Errorf("%s: %w", verb, replyError(code, msg))
	}
	return msg, nil
}

// Features returns the FEAT keywords the server announced, upper-case, with
// their parameters.
func (c *Conn) Features() map[string]string {
	m := make(map[string]string, len(c.feat))
	for k, v := range c.feat {
		m[k] = v
	}
	return m
}

// Root returns the absolute remote directory that paths are relative to.
func (c *Conn) Root() string { return c.root }

// NewSelfNonce returns a random nonce for Config.SelfNonce. The instance's
// own FTP server puts the same string in its 220 greeting (or a FEAT line),
// so that a remote pointing back at the instance is recognised.
func NewSelfNonce() string {
	var b [12]byte
	rand.Read(b[:])
	return "wharf-" + hex.EncodeToString(b[:])
}

// Greeting returns the text of the server's 220 reply.
func (c *Conn) Greeting() string { return c.greeting }

// TLS reports the control connection's TLS state, if any.
func (c *Conn) TLS() (tls.ConnectionState, bool) {
	if tc, ok := c.ctl.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// NoOp checks the connection is alive.
func (c *Conn) NoOp(ctx context.Context) error {
	return c.run(ctx, func() error {
		_, err := c.expect(2, "NOOP", "")
		return err
	})
}

// Close sends QUIT (briefly, without waiting long) and closes the connection.
func (c *Conn) Close() error {
	if c.ctl != nil && !c.broken {
		c.dc.timeout = time.Second
		if c.send("QUIT", "") == nil {
			c.reply()
		}
	}
	c.broken = true
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw != nil {
		return c.raw.Close()
	}
	return nil
}

// isReply reports whether err is a reply with the given code class (4 or 5)
// or exact code.
func isReply(err error, code int) bool {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return false
	}
	return te.Code == code || te.Code/100 == code
}
