package ftpserver

import (
	"io"
	"net"
	"os"
	"time"

	"github.com/wharf-mft/wharf/internal/sendfile"
)

// stallListener wraps passive data listeners so that a data connection on
// which nothing moves for idle is cut: ftpserverlib sets no deadlines on
// data connections, and keeps the control session alive while a transfer
// is open, so a stalled peer would hold its session forever.
type stallListener struct {
	net.Listener
	idle time.Duration
}

func (l stallListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok || l.idle <= 0 {
		return c, nil
	}
	return &stallConn{TCPConn: tc, idle: l.idle}, nil
}

// WrapActiveConn implements ftpserverlib's active-connection hook (a
// Wharf patch): active data connections get the same deadlines.
func (d *driver) WrapActiveConn(c net.Conn) (net.Conn, error) {
	tc, ok := c.(*net.TCPConn)
	if !ok || d.srv.cfg.IdleTimeout <= 0 {
		return c, nil
	}
	return &stallConn{TCPConn: tc, idle: d.srv.cfg.IdleTimeout}, nil
}

// WrapPassiveListener implements ftpserverlib's passive-listener hook.
func (d *driver) WrapPassiveListener(ln net.Listener) (net.Listener, error) {
	return stallListener{Listener: ln, idle: d.srv.cfg.IdleTimeout}, nil
}

// stallConn renews its deadline before every read and write. Bulk copies
// go in chunks, each with a fresh deadline, through the embedded
// *net.TCPConn, so plain downloads keep sendfile.
type stallConn struct {
	*net.TCPConn
	idle time.Duration
}

// stallChunk bounds what an upload receives under one deadline (WriteTo):
// small enough that a slow but moving client (about 1 KiB/s) finishes a
// chunk within the default 5-minute idle timeout, large enough that a
// splice per chunk costs nothing measurable.
const stallChunk = 256 << 10

// NetConn returns the TCP connection below, as tls.Conn's does, for
// ftpserverlib's linger at the end of a download (patch 23), whose deadline
// Read's would replace.
func (c *stallConn) NetConn() net.Conn { return c.TCPConn }

func (c *stallConn) Read(b []byte) (int, error) {
	_ = c.TCPConn.SetReadDeadline(time.Now().Add(c.idle))
	return c.TCPConn.Read(b)
}

func (c *stallConn) Write(b []byte) (int, error) {
	_ = c.TCPConn.SetWriteDeadline(time.Now().Add(c.idle))
	return c.TCPConn.Write(b)
}

// ReadFrom sends r (a download). A local *os.File goes by blocking
// sendfile (sendfile.Copy: as vsftpd sends, and as fast), cut when nothing
// moves for idle. Anything else (a mount relaying a remote's plain data
// connection: a splice) goes by sendfile.Chunked, under a fresh deadline
// per chunk. A *io.LimitedReader is unwrapped (and its N kept up to date),
// because the kernel paths see through one level only.
func (c *stallConn) ReadFrom(r io.Reader) (int64, error) {
	limit := int64(-1)
	lr, limited := r.(*io.LimitedReader)
	if limited {
		r, limit = lr.R, lr.N
	}
	var n int64
	var err error
	if f, ok := r.(*os.File); ok {
		n, err = sendfile.Copy(c.TCPConn, f, limit, c.idle)
	} else {
		var chunk int64
		n, err = sendfile.Chunked(c.TCPConn, r, limit, c.idle, &chunk)
	}
	if limited {
		lr.N -= n
	}
	return n, err
}

// Close wakes a sendfile blocked in ReadFrom first (ABOR, a session cut),
// which (*net.TCPConn).Close would wait for.
func (c *stallConn) Close() error {
	sendfile.Interrupt(c.TCPConn)
	return c.TCPConn.Close()
}

// WriteTo receives into w (an upload) in chunks; for an *os.File each
// chunk is a splice.
func (c *stallConn) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		_ = c.TCPConn.SetReadDeadline(time.Now().Add(c.idle))
		n, err := io.Copy(w, &io.LimitedReader{R: c.TCPConn, N: stallChunk})
		total += n
		if err != nil || n < stallChunk {
			return total, err
		}
	}
}
