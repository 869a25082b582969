package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dataCmd opens a data connection and sends verb with arg over control,
// after REST offset when offset > 0. It returns the data connection once the
// server answered 1xx and, under TLS, the handshake is done. The caller reads
// or writes it and then calls finish.
func (c *Conn) dataCmd(ctx context.Context, verb, arg string, offset int64) (net.Conn, error) {
	dc, _, err := c.dataCmdAfter(ctx, nil, verb, arg, offset)
	return dc, err
}

// dataCmdAfter is dataCmd with commands that go first, in the same write
// as EPSV or PASV (pipelined, see publish), and whose replies it returns:
// a round trip saved per command. In active mode they go before PORT.
func (c *Conn) dataCmdAfter(ctx context.Context, pre [][2]string, verb, arg string, offset int64) (net.Conn, []reply, error) {
	if err := checkArg(arg); err != nil {
		return nil, nil, fmt.Errorf("%s %q: %w", verb, arg, err)
	}
	var dc net.Conn
	var ln net.Listener
	var replies []reply
	var err error
	sent := false
	if c.cfg.Active {
		if len(pre) > 0 {
			if replies, err = c.pipeline(pre); err != nil {
				return nil, nil, err
			}
		}
		ln, err = c.listenActive()
	} else {
		var data [2]string
		if offset == 0 {
			data = [2]string{verb, arg}
		}
		dc, replies, sent, err = c.dialPassive(ctx, pre, data)
	}
	if err != nil {
		return nil, nil, err
	}
	dc, err = c.dataCmdOpen(ctx, dc, ln, verb, arg, offset, sent)
	return dc, replies, err
}

// dataCmdOpen sends verb once the data connection is dialled (passive, dc)
// or listened for (active, ln), or only reads its reply when it went with
// EPSV (sent).
func (c *Conn) dataCmdOpen(ctx context.Context, dc net.Conn, ln net.Listener, verb, arg string, offset int64, sent bool) (net.Conn, error) {
	var err error
	fail := func(err error) (net.Conn, error) {
		if dc != nil {
			dc.Close()
		}
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	if offset > 0 {
		if _, err := c.expect(350, "REST", strconv.FormatInt(offset, 10)); err != nil {
			return fail(err)
		}
	}
	var code int
	var msg string
	if sent {
		code, msg, err = c.reply()
	} else {
		code, msg, err = c.cmd(verb, arg)
	}
	if err != nil {
		return fail(err)
	}
	if code/100 != 1 {
		if code/100 == 2 {
			// A final reply without data (some servers for an empty LIST) leaves
			// nothing to read; callers treat it as an empty stream.
			return fail(&earlyReply{code, msg})
		}
		return fail(fmt.Errorf("%s: %w", verb, replyError(code, msg)))
	}
	if ln != nil {
		dc, err = c.acceptActive(ln)
		ln.Close()
		if err != nil {
			c.reply() // the server's 425 or 426
			return fail(err)
		}
	}
	dc = &deadlineConn{Conn: dc, timeout: c.cfg.IOTimeout}
	if c.tcfg != nil {
		tc := tls.Client(dc, c.tcfg)
		c.setData(tc)
		hctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			tc.Close()
			c.setData(nil)
			c.reply()
			return nil, &dataError{err: fmt.Errorf("tls handshake on data connection: %w", err)}
		}
		c.dataResumed = tc.ConnectionState().DidResume
		return tc, nil
	}
	c.setData(dc)
	return dc, nil
}

// earlyReply is a 2xx reply to a data command that came without a data
// connection.
type earlyReply struct {
	code int
	msg  string
}

func (e *earlyReply) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

// dataError marks a data connection that could not be opened while the
// control connection works: typically a firewall in front of the passive
// ports (see Diagnose).
type dataError struct {
	err  error
	hint string // the likely cause and what to do, when known; see dataHint
	// unopened marks a data connection that was never made: the passive
	// dial, or the wait for the server's connection in active mode,
	// failed or timed out. Pool.Do retries that only once (see
	// maxDataRetries).
	unopened bool
}

func (e *dataError) Error() string {
	if e.hint == "" {
		return e.err.Error()
	}
	return e.err.Error() + ": " + e.hint
}

// dataHint says what a data connection that failed while the control
// connection works most likely means, and what to try.
func (c *Conn) dataHint() string {
	if c.cfg.Active {
		return "the control connection works but the data connection failed: the remote's server could not connect back to us in active mode: " +
			"a firewall or NAT blocks it (try passive mode)"
	}
	return "the control connection works but the data connection failed: the remote's passive port range is probably blocked by a firewall " +
		"(have it opened, or try active mode: " + c.cfg.fix("--active") + ")"
}
func (e *dataError) Unwrap() error { return e.err }

func (c *Conn) setData(dc net.Conn) {
	c.mu.Lock()
	c.data = dc
	c.mu.Unlock()
}

// finish closes the data connection and reads the transfer's final reply.
// After an upload it closes gracefully: TLS close_notify, TCP half-close,
// drain until the server closes, then close. Closing at once would let the
// server's unread post-handshake TLS 1.3 tickets turn our FIN into a RST, and
// vsftpd then loses the tail of the upload (426, jlaffaye/ftp#249).
func (c *Conn) finish(dc net.Conn, upload bool, ioErr error) error {
	if upload && ioErr == nil {
		if tc, ok := dc.(*tls.Conn); ok {
			if err := tc.CloseWrite(); err != nil {
				ioErr = &netError{"close data", err}
			}
			if dl, ok := tc.NetConn().(*deadlineConn); ok {
				dl.CloseWrite()
			}
		} else if dl, ok := dc.(*deadlineConn); ok {
			dl.CloseWrite()
		}
		if ioErr == nil {
			io.Copy(io.Discard, io.LimitReader(dc, 1<<20))
		}
	}
	dc.Close()
	c.setData(nil)
	if isTimeout(ioErr) {
		// The server stopped answering; waiting IOTimeout again for its
		// reply would only double the delay.
		c.broken = true
		return ioErr
	}
	code, msg, err := c.reply()
	if local := localErr(ioErr); local != nil {
		// Our side failed (a full disk, a mount's client gone): the
		// server's 426 for the data connection we closed, read to stay in
		// step, is its echo, and a retry would fail the same way.
		if err != nil {
			c.broken = true
		}
		return local
	}
	if err != nil {
		return err
	}
	if code/100 != 2 {
		return replyError(code, msg)
	}
	if ioErr == nil && !upload && failedDespite2xx(msg) {
		// vsftpd answers a LIST of a folder it cannot open with "226
		// Transfer done (but failed to open directory)": an empty listing
		// that must not read as "everything was deleted".
		return replyError(550, msg)
	}
	return ioErr
}

// localErr returns ioErr, made permanent (noRetry), when it is a failure
// of the local reader or writer of a transfer rather than of the data
// connection (netError, dataError); nil otherwise.
func localErr(ioErr error) error {
	var ne *netError
	if ioErr == nil || errors.As(ioErr, &ne) || errorsAsData(ioErr) {
		return nil
	}
	return noRetry{ioErr}
}

// dialPassive asks for a passive port with EPSV, falling back to PASV when
// the server does not know EPSV (C-02), and connects to the control peer's
// IP whatever address a PASV reply names (C-01). Once an EPSV has worked on
// this connection, the data command (data, when its verb is set) goes in
// the same write as the next EPSV (RFC 959 lets a client send a command
// before the previous reply; in passive mode every server waits for the
// data connection after the command, as it must for clients that connect
// late): a round trip saved per transfer, on a WAN its latency. sent says
// whether it went; its reply is then the next to read. When that EPSV
// fails anyway, the command's reply (a 425 or 503 with no passive port) is
// read and dropped, so the connection stays in step.
func (c *Conn) dialPassive(ctx context.Context, pre [][2]string, data [2]string) (net.Conn, []reply, bool, error) {
	var port int
	var replies []reply
	var err error
	sent := false
	if !c.epsvFailed {
		var post [][2]string
		if c.epsvWorked && data[0] != "" {
			post, sent = [][2]string{data}, true
		}
		replies, port, err = c.passive(pre, "EPSV", 229, parseEPSV, post)
		pre = nil
		switch {
		case err == nil:
			c.epsvWorked = true
		case isReply(err, 500) || isReply(err, 502):
			c.epsvFailed, sent = true, false
		default:
			return nil, nil, false, err
		}
	}
	if c.epsvFailed {
		var more []reply
		if more, port, err = c.passive(pre, "PASV", 227, parsePASV, nil); err != nil {
			return nil, nil, false, err
		}
		replies = append(replies, more...)
	}
	host, _, _ := net.SplitHostPort(c.raw.RemoteAddr().String())
	// No TCP keepalive: a data connection lives for one transfer, and its
	// I/O deadlines already cut one that stalls; the probes' settings
	// would cost four setsockopt calls per file.
	d := net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: -1}
	if c.cfg.SourceAddress != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(c.cfg.SourceAddress)}
	}
	dc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		if ctx.Err() == nil {
			err = dialTimedOut(err)
		}
		derr := &dataError{err: fmt.Errorf("open passive data connection: %w", c.sourceErr(err)), unopened: true}
		if !errors.Is(derr.err, syscall.EADDRNOTAVAIL) {
			derr.hint = c.dataHint() // not when our own source address is the cause
		}
		if sent {
			// The command's reply: a refusal (550) from a server that
			// closed its passive port at once says more than the dial
			// error; one that waited for the connection answers 425,
			// but only once it gives up waiting (vsftpd: after its
			// accept_timeout, 60s), when a firewall dropped the dial.
			// A refusal has arrived by the time the dial failed, so
			// the wait for it is short; a connection whose reply did not
			// come is out of step, and is dropped.
			c.dc.timeout = min(c.cfg.IOTimeout, pipelinedReplyWait)
			code, msg, rerr := c.reply()
			c.dc.timeout = c.cfg.IOTimeout
			switch {
			case rerr != nil:
				c.broken = true
			case code/100 == 4 || code/100 == 5:
				if code != 425 {
					return nil, nil, false, fmt.Errorf("%s: %w", data[0], replyError(code, msg))
				}
			default:
				c.broken = true // a 1xx: the server saw a connection we did not make
			}
		}
		return nil, nil, false, derr
	}
	return dc, replies, sent, nil
}

// dialTimedOut returns err, from a dial whose Dialer.Timeout ran out,
// with os.ErrDeadlineExceeded as its cause, so that Transient sees a
// connection that timed out whichever of net's two timers ended it: when
// its context timer wins the race (a third of the time or more), net
// reports an error that matches context.DeadlineExceeded, which reads as
// the caller's ctx ending. The text stays "dial tcp ...: i/o timeout".
// Other errors come back as they are. Call it only while the caller's ctx
// is live.
func dialTimedOut(err error) error {
	oe, ok := err.(*net.OpError)
	if !ok || !oe.Timeout() || errors.Is(oe.Err, os.ErrDeadlineExceeded) {
		return err
	}
	e := *oe
	e.Err = os.ErrDeadlineExceeded
	return &e
}

// pipelinedReplyWait bounds the wait for the reply to a data command sent
// with EPSV once the data connection could not be dialled (see
// dialPassive).
const pipelinedReplyWait = 2 * time.Second

// passive sends pre, then verb (EPSV or PASV), then post, in one write,
// and returns pre's replies and the port that parse reads from verb's
// reply. When verb fails, post's replies are read and dropped.
func (c *Conn) passive(pre [][2]string, verb string, want int, parse func(string) (int, error), post [][2]string) ([]reply, int, error) {
	lines := append(pre[:len(pre):len(pre)], [2]string{verb, ""})
	if err := c.sendLines(append(lines, post...)); err != nil {
		return nil, 0, err
	}
	r := make([]reply, len(lines))
	for i := range r {
		code, msg, err := c.reply()
		if err != nil {
			return nil, 0, err
		}
		r[i] = reply{code, msg}
	}
	last := r[len(r)-1]
	if last.code != want {
		for range post {
			if _, _, err := c.reply(); err != nil {
				return nil, 0, err
			}
		}
		return r[:len(pre)], 0, fmt.Errorf("%s: %w", verb, replyError(last.code, last.msg))
	}
	port, err := parse(last.msg)
	if err != nil && len(post) > 0 {
		c.broken = true // the server waits for a data connection to a port we cannot read
	}
	return r[:len(pre)], port, err
}

// parseEPSV reads the port from "229 Entering Extended Passive Mode
// (|||port|)" (RFC 2428).
func parseEPSV(msg string) (int, error) {
	start, end := strings.IndexByte(msg, '('), strings.LastIndexByte(msg, ')')
	if start < 0 || end < start+5 {
		return 0, fmt.Errorf("epsv: malformed reply %q", truncate(msg))
	}
	f := msg[start+1 : end]
	d := f[0]
	parts := strings.Split(f, string(d))
	if len(parts) != 5 {
		return 0, fmt.Errorf("epsv: malformed reply %q", truncate(msg))
	}
	return parsePort(parts[3])
}

// parsePASV reads "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)" and
// keeps only the port.
func parsePASV(msg string) (int, error) {
	start := strings.IndexAny(msg, "0123456789")
	if start < 0 {
		return 0, fmt.Errorf("pasv: malformed reply %q", truncate(msg))
	}
	end := start
	for end < len(msg) && (msg[end] == ',' || msg[end] >= '0' && msg[end] <= '9') {
		end++
	}
	f := strings.Split(msg[start:end], ",")
	if len(f) != 6 {
		return 0, fmt.Errorf("pasv: malformed reply %q", truncate(msg))
	}
	hi, err1 := strconv.Atoi(f[4])
	lo, err2 := strconv.Atoi(f[5])
	if err1 != nil || err2 != nil || hi > 255 || lo > 255 {
		return 0, fmt.Errorf("pasv: malformed reply %q", truncate(msg))
	}
	return parsePort(strconv.Itoa(hi<<8 | lo))
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("bad data port %q", s)
	}
	return p, nil
}

// listenActive listens on the control connection's local address and tells
// the server with PORT (IPv4) or EPRT (IPv6).
func (c *Conn) listenActive() (net.Listener, error) {
	local := c.raw.LocalAddr().(*net.TCPAddr)
	ln, err := net.Listen("tcp", net.JoinHostPort(local.IP.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("listen for active data connection: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if ip4 := local.IP.To4(); ip4 != nil {
		_, err = c.expect(200, "PORT", fmt.Sprintf("%d,%d,%d,%d,%d,%d", ip4[0], ip4[1], ip4[2], ip4[3], port>>8, port&0xff))
	} else {
		_, err = c.expect(200, "EPRT", fmt.Sprintf("|2|%s|%d|", local.IP, port))
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// acceptActive waits for the server's data connection and accepts it only
// from the control peer's address.
func (c *Conn) acceptActive(ln net.Listener) (net.Conn, error) {
	peer := c.raw.RemoteAddr().(*net.TCPAddr).IP
	tl := ln.(*net.TCPListener)
	tl.SetDeadline(time.Now().Add(c.cfg.DialTimeout))
	for {
		dc, err := tl.Accept()
		if err != nil {
			return nil, &dataError{err: fmt.Errorf("wait for active data connection: %w", err), hint: c.dataHint(), unopened: true}
		}
		if dc.RemoteAddr().(*net.TCPAddr).IP.Equal(peer) {
			return dc, nil
		}
		c.log.Warn("active data connection from a foreign address dropped", "from", dc.RemoteAddr().String())
		dc.Close()
	}
}

// errorsAsData reports whether err came from opening a data connection.
func errorsAsData(err error) bool {
	var de *dataError
	return errors.As(err, &de)
}

// dataUnopened reports whether err is a data connection that was never
// made (see dataError.unopened).
func dataUnopened(err error) bool {
	var de *dataError
	return errors.As(err, &de) && de.unopened
}
