package ftpserver

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/wharf-mft/wharf/internal/password"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ftplib "github.com/fclairamb/ftpserverlib"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// Options are the server's collaborators.
type Options struct {
	Store    store.Store
	FileRoot string // directory holding one folder per partner
	DataDir  string // where a generated self-signed certificate is kept
	Logger   *slog.Logger
	// InstanceID identifies this Wharf instance in its 220 greeting, so
	// its own outbound client can tell a remote that loops back to it
	// (remote.Config.SelfNonce). Empty leaves the greeting alone.
	InstanceID string
	// OpenMount returns the file system of a mount, for one session. It
	// must not block on the network. Nil disables mounts.
	OpenMount func(ctx context.Context, m store.Mount) (vfs.FS, error)
	// AccountCheck is how often logged-in sessions are checked against
	// the store: a session whose account was disabled, removed or given
	// a new password is closed. 0: every 2 seconds.
	AccountCheck time.Duration
}

// Server is the FTP/FTPS server. It is safe for concurrent use.
type Server struct {
	cfg    Config
	store  store.Store
	root   string
	log    *slog.Logger
	tls    *tlsConfigs
	filter Filter
	limits *limits
	// refusals rate-limits the log lines of refused connections.
	refusals refusalLog
	// sentPrefix tells resumed downloads from range reads for
	// remove-after-send.
	sentPrefix sentPrefixes
	// refreshMu serialises refresh, which keeps the access stamp and the
	// time of the state it last loaded.
	refreshMu sync.Mutex
	lastStamp string
	lastLoad  time.Time
	hashSlots chan struct{}   // bounds concurrent password hashes to the CPUs
	dummyHash string          // verified against for unknown users, so timing does not tell which names exist
	passwords *password.Cache // nil when cfg.PasswordCache < 0
	openMount func(context.Context, store.Mount) (vfs.FS, error)
	acctCheck time.Duration
	greeting  string

	plain, implicit *ftplib.FtpServer
	plainLn, implLn net.Listener

	mu sync.Mutex
	// sessions are keyed by their ClientContext: client IDs repeat across
	// the plain and implicit listeners (one ftpserverlib server each).
	sessions map[ftplib.ClientContext]*session
	nextID   atomic.Uint64 // session numbers for logs
	// serveCtx is Serve's context. ftpserverlib calls the driver without
	// one, so sessions derive theirs from it; it is set before any
	// session starts.
	serveCtx context.Context
	// drained is closed when Serve is stopping and the last session has
	// ended (its transfer finished, its events recorded).
	drained   chan struct{}
	stopping  bool
	drainOnce sync.Once
	// cut is closed by Close: Serve stops, or ends its drain, at once.
	cut     chan struct{}
	cutOnce sync.Once
	// spool keeps the events the store refused, to write them later.
	spool *spool
}

// drainTimeout bounds how long Serve waits, once every session is closed,
// for their transfers to end and record their events.
const drainTimeout = 10 * time.Second

// New validates cfg and prepares a server; it binds nothing.
func New(cfg Config, opt Options) (*Server, error) {
	cfg = cfg.Defaults()
	// Not Validate: newCertHolder below loads (and reports) the
	// certificate, which Validate would load a second time.
	if err := cfg.validate("", false); err != nil {
		return nil, err
	}
	if opt.Store == nil || opt.FileRoot == "" {
		return nil, errors.New("ftpserver: Options.Store and Options.FileRoot are required")
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opt.FileRoot, 0o750); err != nil {
		return nil, fmt.Errorf("file root: %w", err)
	}
	certs, err := newCertHolder(cfg, opt.DataDir, log)
	if err != nil {
		return nil, err
	}
	minTLS, _ := ParseTLSVersion(cfg.MinTLS)
	tc, err := newTLSConfigs(certs, minTLS)
	if err != nil {
		return nil, err
	}
	filter, _ := ParseFilter(cfg.Filter)
	// Made here, not at package init: every wharf command links this
	// package, and only a server verifies passwords.
	dummy, err := password.Hash("wharf-no-such-user")
	if err != nil {
		return nil, fmt.Errorf("prepare login checks: %w", err)
	}
	var passwords *password.Cache
	if cfg.PasswordCache > 0 {
		passwords = password.NewCache(cfg.PasswordCache, 100_000)
	}
	return &Server{
		passwords: passwords,
		cfg:       cfg,
		store:     opt.Store,
		root:      opt.FileRoot,
		log:       log,
		tls:       tc,
		filter:    filter,
		limits:    newLimits(cfg, opt.Store, log),
		refusals:  refusalLog{now: time.Now},
		hashSlots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		dummyHash: dummy,
		openMount: opt.OpenMount,
		acctCheck: cmp.Or(opt.AccountCheck, 2*time.Second),
		greeting:  greeting(cfg.Banner, opt.InstanceID),
		sessions:  make(map[ftplib.ClientContext]*session),
		drained:   make(chan struct{}),
		cut:       make(chan struct{}),
		spool:     newSpool(),
	}, nil
}

// Listen binds the configured listeners. Its errors say how to fix a port
// that is taken or privileged.
func (s *Server) Listen() error {
	if s.cfg.Listen != "" {
		ln, err := listen(s.cfg.Listen, "listen")
		if err != nil {
			return err
		}
		s.plainLn = ln
	}
	if s.cfg.ListenImplicit != "" {
		ln, err := listen(s.cfg.ListenImplicit, "listen_implicit")
		if err != nil {
			if s.plainLn != nil {
				s.plainLn.Close()
			}
			return err
		}
		s.implLn = tls.NewListener(ln, s.tls.control())
	}
	return nil
}

// controlKeepAlive probes an idle control connection after a minute (Go's
// default is 15 s): enough to keep NAT mappings and find dead peers, while
// 2,000 idle partners cost 33 probes a second rather than 133. Sessions
// that logged in together probe together, and on loopback bursts of
// probes overflowed the kernel's backlog and dropped live sessions.
var controlKeepAlive = net.KeepAliveConfig{Enable: true, Idle: time.Minute, Interval: 15 * time.Second, Count: 4}

func listen(addr, setting string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("permission denied binding %s: use a port above 1024 (%s), grant the binary CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep $(command -v wharf)), or redirect the port with nftables/iptables: %w", addr, setting, err)
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("address %s is already in use: stop the other server or choose another address (%s): %w", addr, setting, err)
	case err != nil:
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, setting, err)
	}
	return keepAliveListener{ln}, nil
}

// keepAliveListener sets controlKeepAlive on each accepted connection,
// and keeps urgent data in its stream (oobInline).
type keepAliveListener struct{ net.Listener }

func (l keepAliveListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetKeepAliveConfig(controlKeepAlive)
		oobInline(tc)
	}
	return c, err
}

// Addr is the plain/explicit listener's address, nil when off or not bound.
func (s *Server) Addr() net.Addr {
	if s.plainLn == nil {
		return nil
	}
	return s.plainLn.Addr()
}

// ImplicitAddr is the implicit FTPS listener's address, nil when off.
func (s *Server) ImplicitAddr() net.Addr {
	if s.implLn == nil {
		return nil
	}
	return s.implLn.Addr()
}

// Serve serves until ctx ends, then stops listening and shuts down: idle
// sessions are closed at once, and sessions with a command in progress (a
// transfer) as soon as it has ended and its client has its reply, for up to
// Config.ShutdownGrace; then, or at Close, the rest are cut. It returns once
// every session has ended. It calls Listen first if that was not done.
func (s *Server) Serve(ctx context.Context) error {
	if s.plainLn == nil && s.implLn == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	s.removeStaleUploads()
	// Sessions outlive ctx by the drain: a transfer through a mount,
	// which runs under its session's context, must not end when the
	// shutdown starts.
	sessCtx, cutSessions := context.WithCancel(context.WithoutCancel(ctx))
	defer cutSessions()
	// Events the store refused are written as it takes them again, and
	// tried once more after the last session ended.
	evCtx, stopEvents := context.WithCancel(context.WithoutCancel(ctx))
	evDone := make(chan struct{})
	go func() { s.flushEvents(evCtx, 5*time.Second); close(evDone) }()
	defer func() { stopEvents(); <-evDone }()
	s.mu.Lock()
	s.serveCtx = sessCtx
	s.mu.Unlock()
	lctx, cancel := s.storeCtx()
	if err := s.limits.loadBans(lctx); err != nil {
		s.log.Error("bans made before this start are not enforced", "err", err)
	}
	cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	start := func(ln net.Listener, implicit bool) *ftplib.FtpServer {
		fsrv := ftplib.NewFtpServer(&driver{srv: s, implicit: implicit})
		// ftpserverlib numbers clients per listener and logs the number
		// as client_id (patch 30); sessions log it next to Wharf's own
		// "session", so the two tell one client's lines apart.
		fsrv.Logger = s.log.With("component", "ftplib", "listener", listenerName(implicit))
		if err := fsrv.Listen(); err != nil {
			errc <- err
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fsrv.Serve(); err != nil {
				errc <- err
			}
		}()
		return fsrv
	}
	if s.plainLn != nil {
		s.plain = start(s.plainLn, false)
		s.log.Info("listening", "addr", s.plainLn.Addr().String(), "tls", "explicit")
	}
	if s.implLn != nil {
		s.implicit = start(s.implLn, true)
		s.log.Info("listening", "addr", s.implLn.Addr().String(), "tls", "implicit")
	}
	// Accounts are still checked during the drain: a disabled account's
	// transfer does not get the grace.
	checkDone := make(chan struct{})
	checkCtx, stopCheck := context.WithCancel(sessCtx)
	go func() { s.checkAccounts(checkCtx); close(checkDone) }()
	var err error
	grace := s.cfg.ShutdownGrace
	select {
	case <-ctx.Done():
	case err = <-errc:
		grace = 0
	case <-s.cut:
		grace = 0
	}
	for _, f := range []*ftplib.FtpServer{s.plain, s.implicit} {
		if f != nil {
			_ = f.Stop()
		}
	}
	s.drain(grace)
	stopCheck()
	<-checkDone
	cutSessions()
	s.closeSessions()
	wg.Wait()
	select {
	case <-s.drained:
	case <-time.After(drainTimeout):
		s.mu.Lock()
		n := len(s.sessions)
		s.mu.Unlock()
		s.log.Warn("sessions still ending at shutdown; their last events may be lost", "sessions", n)
	}
	return err
}

// removeStaleUploads deletes upload temp files a crash left behind. They
// were never visible and never reported as received. A sync's pull
// temporaries (".wharf-sync-ID-...") are the sync's: a `wharf sync run`
// may be writing one now, and its own recovery removes those a crash left.
func (s *Server) removeStaleUploads() {
	_ = filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), tempPrefix) && !strings.HasPrefix(d.Name(), syncTempPrefix) {
			if os.Remove(p) == nil {
				s.log.Info("removed stale upload", "path", p)
			}
		}
		return nil
	})
}

// EnsureHome creates an account's folders under fileRoot: a partner's
// root with send/ and receive/. Staff use the file root itself.
func EnsureHome(fileRoot string, a store.Account) error {
	if a.Kind != store.Partner {
		return os.MkdirAll(fileRoot, 0o750)
	}
	if err := store.ValidateName(a.Name); err != nil {
		return err
	}
	for _, d := range []string{sendDir, receiveDir} {
		if err := os.MkdirAll(filepath.Join(fileRoot, a.Name, d), 0o750); err != nil {
			return fmt.Errorf("create %s folder for %s: %w", d, a.Name, err)
		}
	}
	return nil
}

// listenerName names a listener by its config key.
func listenerName(implicit bool) string {
	if implicit {
		return "listen_implicit"
	}
	return "listen"
}

func greeting(banner, id string) string {
	if id == "" {
		return banner
	}
	return banner + " [wharf " + id + "]"
}
