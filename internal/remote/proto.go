package remote

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-mft/wharf/internal/sendfile"
)

// Bounds on what a server may send on the control connection (C-07).
const (
	maxLineLen    = 8 << 10  // one reply line
	maxReplyLines = 1000     // lines of one multi-line reply
	maxReplyBytes = 64 << 10 // one reply in total
	maxArgLen     = 4096     // one command argument
)

// ErrInvalidArg reports a command argument that would break the control line.
var ErrInvalidArg = errors.New("argument contains CR, LF or NUL")

// checkArg refuses what could end a control line early or inject a command
// (C-04). Every argument passes through it before it is written.
func checkArg(s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return ErrInvalidArg
	}
	if len(s) > maxArgLen {
		return fmt.Errorf("argument longer than %d bytes", maxArgLen)
	}
	return nil
}

// netError marks a failure of the connection itself (reset, timeout, EOF),
// which leaves the Conn unusable and is worth a retry on a new one.
type netError struct {
	op  string
	err error
}

func (e *netError) Error() string { return e.op + ": " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// deadlineConn sets a fresh deadline before every Read and Write, because
// neither net.Conn nor crypto/tls has an idle timeout. TLS layers on top of
// it, so handshakes and records get the same deadlines.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
	chunk   int64 // ReadFrom's next chunk (sendfile.Chunked); 0: the smallest
}

func (d *deadlineConn) Read(p []byte) (int, error) {
	d.Conn.SetReadDeadline(time.Now().Add(d.timeout))
	return d.Conn.Read(p)
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	d.Conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.Conn.Write(p)
}

// WriteTo copies everything the connection receives to w. Over plain TCP
// it goes chunk by chunk, each under a fresh read deadline, handing w a
// *io.LimitedReader of the *net.TCPConn itself: the kernel then splices
// socket to socket (a mount relaying a download to its client) or socket
// to file (a pull) without copying the data through this process, in
// chunks sized as sendfile.Chunked sizes its own (sendfile.NextChunk).
func (d *deadlineConn) WriteTo(w io.Writer) (int64, error) {
	tc, ok := d.Conn.(*net.TCPConn)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{d})
	}
	var total int64
	chunk := int64(sendfile.MinChunk)
	for {
		start := time.Now()
		tc.SetReadDeadline(start.Add(d.timeout))
		n, err := io.Copy(w, &io.LimitedReader{R: tc, N: chunk})
		total += n
		if err != nil || n < chunk {
			return total, err
		}
		chunk = sendfile.NextChunk(chunk, time.Since(start), d.timeout)
	}
}

// ReadFrom copies r to the connection. Over plain TCP, when r is a source
// the kernel can move data from, directly or as an *io.LimitedReader, the
// data does not pass through this process: a local file (an upload) goes
// by blocking sendfile (package sendfile), cut when nothing moves for the
// timeout; a socket (splice: a mount relaying a client's upload, which the
// FTP server hands over chunk by chunk) goes by sendfile.Chunked, its
// chunk size kept from one call to the next.
// Any other r goes through Write, which renews the deadline.
func (d *deadlineConn) ReadFrom(r io.Reader) (int64, error) {
	tc, plain := d.Conn.(*net.TCPConn)
	lr, limited := r.(*io.LimitedReader)
	src := r
	if limited {
		src = lr.R
	}
	switch src.(type) {
	case *os.File, *net.TCPConn:
	default:
		plain = false
	}
	if !plain {
		return io.Copy(struct{ io.Writer }{d}, r)
	}
	n := int64(-1)
	if limited {
		n = lr.N
	}
	var sent int64
	var err error
	if f, ok := src.(*os.File); ok {
		sent, err = sendfile.Copy(tc, f, n, d.timeout)
	} else {
		sent, err = sendfile.Chunked(tc, src, n, d.timeout, &d.chunk)
	}
	if limited {
		lr.N -= sent
	}
	return sent, err
}

// Close wakes a sendfile blocked in ReadFrom first (an abort), which
// (*net.TCPConn).Close would wait for.
func (d *deadlineConn) Close() error {
	if tc, ok := d.Conn.(*net.TCPConn); ok {
		sendfile.Interrupt(tc)
	}
	return d.Conn.Close()
}

// CloseWrite half-closes the TCP connection (FIN) where the conn can.
func (d *deadlineConn) CloseWrite() error {
	if cw, ok := d.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// readReply reads one reply, single- or multi-line (RFC 959 §4.2), within the
// bounds above. msg holds the text without the code, lines joined by "\n".
func readReply(r *bufio.Reader) (code int, msg string, err error) {
	line, err := readLine(r)
	if err != nil {
		return 0, "", err
	}
	if len(line) < 3 {
		return 0, "", fmt.Errorf("malformed reply %q", truncate(line))
	}
	code, err = strconv.Atoi(line[:3])
	if err != nil || code < 100 || code > 599 {
		return 0, "", fmt.Errorf("malformed reply %q", truncate(line))
	}
	if len(line) == 3 || line[3] != '-' {
		return code, strings.TrimPrefix(line[3:], " "), nil
	}
	var b strings.Builder
	b.WriteString(line[4:])
	end := line[:3] + " "
	for n := 1; ; n++ {
		if n >= maxReplyLines || b.Len() > maxReplyBytes {
			return 0, "", fmt.Errorf("reply %d longer than %d lines or %d bytes", code, maxReplyLines, maxReplyBytes)
		}
		line, err := readLine(r)
		if err != nil {
			return 0, "", err
		}
		b.WriteByte('\n')
		if strings.HasPrefix(line, end) || line == end[:3] {
			b.WriteString(strings.TrimPrefix(line[3:], " "))
			return code, b.String(), nil
		}
		b.WriteString(line)
	}
}

// readLine reads one line of at most maxLineLen bytes, without CRLF.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("reply line longer than %d bytes", r.Size())
	}
	if err != nil {
		return "", &netError{"read reply", closedErr(err)}
	}
	return string(bytes.TrimRight(line, "\r\n")), nil
}

// closedErr says what a bare EOF or reset on the control connection
// means: the server (or something between) ended the session, often by
// killing it, or for a limit of its own (idle time, transfer size).
func closedErr(err error) error {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the server closed the connection (%w); its log says why", err)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("the server reset the connection (%w); its log says why", err)
	}
	return err
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// replyError turns a reply into the error callers switch on.
func replyError(code int, msg string) error {
	return &textproto.Error{Code: code, Msg: msg}
}
