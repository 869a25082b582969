package ftpserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"
)

// Active/Passive transfer connection handler
type transferHandler interface {
	// Get the connection to transfer data on
	Open() (net.Conn, error)

	// Close the connection (and any associated resource)
	Close() error

	// Set info about the transfer to return in STAT response
	SetInfo(info string)
	// Info about the transfer to return in STAT response
	GetInfo() string

	// protected reports whether the data connection is wrapped in TLS,
	// as chosen when PASV/EPSV/PORT/EPRT was processed (Wharf patch 33).
	protected() bool
}

// activeTransferHandler implements the transferHandler interface
var _ transferHandler = (*passiveTransferHandler)(nil)

// Passive connection
type passiveTransferHandler struct {
	listener       net.Listener          // TCP or SSL Listener
	deadlineSetter passiveDeadlineSetter // Listener used to set accept deadlines
	Port           int                   // TCP Port we are listening on
	connection     net.Conn              // TCP Connection established
	settings       *Settings             // Settings
	info           string                // transfer info
	logger         *slog.Logger          // Logger
	// data connection requirement checker
	checkDataConn func(dataConnIP net.IP, channelType DataChannel) error
	tls           bool        // the listener wraps connections in TLS (Wharf patch 33)
	interrupted   atomic.Bool // ABOR or a close ended the wait (Wharf patch 44)
}

type ipValidationError struct {
	error string
}

func (e *ipValidationError) Error() string {
	return e.error
}

func (c *clientHandler) getCurrentIP() ([]string, error) {
	// Provide our external IP address so the ftp client can connect back to us
	ipParts := c.server.settings.PublicHost

	// If we don't have an IP address, we can take the one that was used for the current connection
	if ipParts == "" {
		// Defer to the user-provided resolver.
		if c.server.settings.PublicIPResolver != nil {
			var err error
			ipParts, err = c.server.settings.PublicIPResolver(c)

			if err != nil {
				return nil, fmt.Errorf("couldn't fetch public IP: %w", err)
			}
		} else {
			// Wharf patch 40: PASV names IPv4 addresses only; over
			// IPv6 the client is told to use EPSV (RFC 2428), not that
			// "[" is an invalid passive IP.
			host, _, _ := net.SplitHostPort(c.LocalAddr().String())
			ip := net.ParseIP(host)
			if ip == nil || ip.To4() == nil {
				return nil, &ipValidationError{error: fmt.Sprintf("PASV cannot name the IPv6 address %s: use EPSV", host)}
			}

			ipParts = ip.To4().String()
		}
	}

	quads := strings.Split(ipParts, ".")
	if len(quads) != 4 {
		c.logger.Warn("Invalid passive IP", "IP", ipParts)

		return nil, &ipValidationError{error: fmt.Sprintf("invalid passive IP %#v", ipParts)}
	}

	return quads, nil
}

// ErrNoAvailableListeningPort is returned when no port could be found to accept incoming connection
var ErrNoAvailableListeningPort = errors.New("could not find any port to listen to")

const (
	portSearchMinAttempts = 10
	portSearchMaxAttempts = 1000
)

func getPassivePortCandidates(portMapping PasvPortGetter) []passivePortCandidate {
	nbAttempts := portMapping.NumberAttempts()

	if nbAttempts < portSearchMinAttempts {
		nbAttempts = portSearchMinAttempts
	} else if nbAttempts > portSearchMaxAttempts {
		nbAttempts = portSearchMaxAttempts
	}

	maxFetches := nbAttempts * 4
	if maxFetches < nbAttempts {
		maxFetches = nbAttempts
	}

	result := make([]passivePortCandidate, 0, nbAttempts)
	tried := make(map[int]struct{}, nbAttempts)

	for i := 0; len(result) < nbAttempts && i < maxFetches; i++ {
		exposedPort, listenedPort, ok := portMapping.FetchNext()
		if !ok {
			break
		}
		if _, ok := tried[listenedPort]; ok {
			continue
		}

		tried[listenedPort] = struct{}{}
		result = append(result, passivePortCandidate{
			exposedPort:  exposedPort,
			listenedPort: listenedPort,
		})
	}

	return result
}

func (c *clientHandler) findListenerWithinPortRange(portMapping PasvPortGetter) (int, *net.TCPListener, error) {
	// Wharf patch: most first tries succeed, so try random candidates as
	// they come before collecting the whole range.
	for range portSearchMinAttempts {
		exposedPort, listenedPort, ok := portMapping.FetchNext()
		if !ok {
			break
		}

		if ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4zero, Port: listenedPort}); err == nil {
			return exposedPort, ln, nil
		}
	}

	candidates := getPassivePortCandidates(portMapping)

	for _, candidate := range candidates {
		laddr, errResolve := net.ResolveTCPAddr("tcp", fmt.Sprintf("0.0.0.0:%d", candidate.listenedPort))

		if errResolve != nil {
			c.logger.Error("Problem resolving local port", "err", errResolve, "port", candidate.listenedPort)

			return 0, nil, newNetworkError(fmt.Sprintf("could not resolve port %d", candidate.listenedPort), errResolve)
		}

		tcpListener, errListen := net.ListenTCP("tcp", laddr)
		if errListen == nil {
			return candidate.exposedPort, tcpListener, nil
		}
	}

	c.logger.Warn(
		"Could not find any free port",
		"nbAttempts", len(candidates),
	)

	return 0, nil, ErrNoAvailableListeningPort
}

func (c *clientHandler) handlePASV(param string) error {
	command := c.GetLastCommand()

	// Wharf patch 41: EPSV ALL (RFC 2428 §4) opens no port, and from then
	// on only EPSV sets up data connections; upstream took it for EPSV.
	if command == "EPSV" && strings.EqualFold(strings.TrimSpace(param), "ALL") {
		c.epsvAll = true
		c.writeMessage(StatusOK, "EPSV ALL ok: from now on only EPSV sets up data connections")

		return nil
	}

	if command == "PASV" && c.epsvAll {
		c.writeMessage(StatusBadCommandSequence, "PASV refused after EPSV ALL: use EPSV")

		return nil
	}

	exposedPort, listener, deadlineSetter, err := c.getPassiveListener()

	if err != nil {
		// Wharf patch: 425 (cannot open data connection), not 421, which
		// tells clients the control connection is closing; and, when the
		// range is used up, which range, so the operator knows what to
		// widen.
		msg := fmt.Sprintf("Could not listen for passive connection: %v", err)
		if errors.Is(err, ErrNoAvailableListeningPort) && c.server.settings.PassiveTransferPortRange != nil {
			msg = fmt.Sprintf("every passive port (%v) is in use: try again shortly", c.server.settings.PassiveTransferPortRange)
		}
		c.logger.Error("Could not listen for passive connection", "err", err, "ports", c.server.settings.PassiveTransferPortRange,
			"fix", "widen the passive port range (wharf serve --passive-ports LO-HI)")
		c.writeMessage(StatusCannotOpenDataConnection, msg)

		return nil
	}

	// Wharf patch 40: every refusal from here on closes the listener it
	// opened; upstream left it listening for the life of the process.
	refuse := func(code int, msg string) error {
		_ = listener.Close()
		c.writeMessage(code, msg)

		return nil
	}

	if wrapper, ok := c.server.driver.(MainDriverExtensionPassiveWrapper); ok {
		wrapped, err := wrapper.WrapPassiveListener(listener)
		if err != nil {
			c.logger.Error("Could not wrap passive connection", "err", err)

			return refuse(StatusCannotOpenDataConnection, fmt.Sprintf("Could not listen for passive connection: %v", err))
		}

		listener = wrapped
	}

	// Wharf patch 33: the protection chosen here is recorded on the
	// handler, so TransferOpen can refuse it once PROT has changed.
	withTLS := c.HasTLSForTransfers() || c.server.settings.TLSRequired == ImplicitEncryption
	if withTLS {
		if tlsConfig, err := c.dataTLSConfig(); err == nil {
			listener = &trackedTLSListener{Listener: listener, cfg: tlsConfig}
		} else {
			return refuse(StatusCannotOpenDataConnection, fmt.Sprintf("Cannot get a TLS config: %v", err))
		}
	}

	if exposedPort == 0 {
		if tcpAddr, ok := listener.Addr().(*net.TCPAddr); ok {
			exposedPort = tcpAddr.Port
		}
	}
	transferHandler := &passiveTransferHandler{
		listener:       listener,
		deadlineSetter: deadlineSetter,
		Port:           exposedPort,
		settings:       c.server.settings,
		logger:         c.logger,
		checkDataConn:  c.checkDataConnectionRequirement,
		tls:            withTLS,
	}

	// We should rewrite this part
	if command == "PASV" {
		if err := c.handlePassivePASV(transferHandler); err != nil {
			return refuse(StatusCannotOpenDataConnection, fmt.Sprintf("Could not listen for passive connection: %v", err))
		}
	} else {
		c.writeMessage(StatusEnteringEPSV, fmt.Sprintf("Entering Extended Passive Mode (|||%d|)", transferHandler.Port))
	}

	c.transferMu.Lock()
	if c.transfer != nil {
		c.transfer.Close() //nolint:errcheck,gosec
	}

	c.transfer = transferHandler
	c.transferMu.Unlock()
	c.setLastDataChannel(DataChannelPassive)

	return nil
}

func (c *clientHandler) getPassiveListener() (int, net.Listener, passiveDeadlineSetter, error) {
	portMapping := c.server.settings.PassiveTransferPortRange
	if c.server.settings.PassiveTransferPortMultiplexing && portMapping != nil {
		controlConnIP, err := getIPFromRemoteAddr(c.RemoteAddr())
		if err != nil {
			return 0, nil, nil, err
		}

		return c.server.passiveListeners.reserve(controlConnIP, portMapping)
	}

	addr, _ := net.ResolveTCPAddr("tcp", ":0")
	var (
		exposedPort int
		tcpListener *net.TCPListener
		err         error
	)

	if portMapping != nil {
		exposedPort, tcpListener, err = c.findListenerWithinPortRange(portMapping)
	} else {
		tcpListener, err = net.ListenTCP("tcp", addr)
	}
	if err != nil {
		return 0, nil, nil, err
	}

	return exposedPort, tcpListener, tcpListener, nil
}

// handlePassivePASV writes the 227 reply, or returns why there is none
// (Wharf patch 40: the caller closes the listener and replies 425, not
// upstream's 421, which tells the client the control connection closes).
func (c *clientHandler) handlePassivePASV(transferHandler *passiveTransferHandler) error {
	portByte1 := transferHandler.Port / 256
	portByte2 := transferHandler.Port - (portByte1 * 256)
	quads, err := c.getCurrentIP()

	if err != nil {
		return err
	}

	c.writeMessage(
		StatusEnteringPASV,
		fmt.Sprintf(
			"Entering Passive Mode (%s,%s,%s,%s,%d,%d)",
			quads[0], quads[1], quads[2], quads[3],
			portByte1, portByte2,
		),
	)

	return nil
}

func (p *passiveTransferHandler) ConnectionWait(wait time.Duration) (net.Conn, error) {
	if p.connection != nil {
		return p.connection, nil
	}

	var err error
	if p.deadlineSetter != nil {
		err = p.deadlineSetter.SetDeadline(time.Now().Add(wait))
	}
	if err != nil {
		return nil, fmt.Errorf("failed to set deadline: %w", err)
	}

	// An interrupt between the deadline and here would be overridden by it.
	if p.interrupted.Load() {
		return nil, errAcceptInterrupted
	}

	conn, err := p.listener.Accept()
	if err != nil {
		return nil, fmt.Errorf("failed to accept passive transfer connection: %w", err)
	}

	// Wharf patch 38: a connection that fails the check is closed and
	// forgotten. Upstream kept it as the handler's connection, which the
	// next transfer on this PASV then used unchecked: a second RETR sent
	// the file to the intruder, a second STOR stored the intruder's data.
	ipAddress, err := getIPFromRemoteAddr(conn.RemoteAddr())
	if err != nil {
		p.logger.Warn("Could get remote passive IP address", "err", err)
		_ = conn.Close()

		return nil, err
	}

	if err := p.checkDataConn(ipAddress, DataChannelPassive); err != nil {
		// we don't want to expose the full error to the client, we just log it
		p.logger.Warn("Could not validate passive data connection requirement", "err", err)
		_ = conn.Close()

		return nil, &ipValidationError{error: "data connection security requirements not met"}
	}

	p.connection = conn

	return p.connection, nil
}

// errAcceptInterrupted: ABOR or the session's end stopped the wait for the
// data connection (Wharf patch 44).
var errAcceptInterrupted = errors.New("data connection wait interrupted")

// interrupt ends a ConnectionWait in progress (Wharf patch 44); safe to
// call from another goroutine, and harmless once the wait is over.
func (p *passiveTransferHandler) interrupt() {
	p.interrupted.Store(true)

	if p.deadlineSetter != nil {
		_ = p.deadlineSetter.SetDeadline(time.Now())
	}
}

func (p *passiveTransferHandler) GetInfo() string {
	return p.info
}

func (p *passiveTransferHandler) SetInfo(info string) {
	p.info = info
}

func (p *passiveTransferHandler) Open() (net.Conn, error) {
	timeout := time.Duration(time.Second.Nanoseconds() * int64(p.settings.ConnectionTimeout))

	return p.ConnectionWait(timeout)
}

func (p *passiveTransferHandler) protected() bool { return p.tls }

// Closing only the client connection is not supported at that time
func (p *passiveTransferHandler) Close() error {
	if p.listener != nil {
		if err := p.listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			p.logger.Warn("Problem closing passive listener", "err", err)
		}
	}

	if p.connection != nil {
		if err := p.connection.Close(); err != nil {
			p.logger.Warn(
				"Problem closing passive connection", "err", err)
		}
	}

	return nil
}
