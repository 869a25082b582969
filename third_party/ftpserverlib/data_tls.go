package ftpserver

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"
)

// ErrTLSTruncated is the transfer error of an upload whose TLS data
// connection ended with a bare TCP FIN instead of a close_notify alert: the
// client may have died mid-file, so the upload is not complete (Wharf patch).
var ErrTLSTruncated = errors.New("TLS data connection closed without close_notify: upload truncated")

// dataTLSConfig returns the TLS config for this client's data connections.
func (c *clientHandler) dataTLSConfig() (*tls.Config, error) {
	if d, ok := c.server.driver.(MainDriverExtensionDataTLSConfig); ok {
		return d.GetDataTLSConfig(c)
	}

	return c.server.driver.GetTLSConfig()
}

// eofConn records whether the peer closed the TCP stream.
type eofConn struct {
	net.Conn
	sawEOF atomic.Bool
}

func (e *eofConn) Read(b []byte) (int, error) {
	n, err := e.Conn.Read(b)
	if errors.Is(err, io.EOF) {
		e.sawEOF.Store(true)
	}

	return n, err
}

// tlsServerTracked wraps conn in TLS, remembering whether the raw stream hit EOF.
func tlsServerTracked(conn net.Conn, cfg *tls.Config) *tls.Conn {
	return tls.Server(&eofConn{Conn: conn}, cfg)
}

type trackedTLSListener struct {
	net.Listener
	cfg *tls.Config
}

func (l *trackedTLSListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}

	return tlsServerTracked(conn, l.cfg), nil
}

// uploadTruncated reports whether conn is TLS and its peer sent FIN without
// close_notify. crypto/tls reports both as io.EOF; only without close_notify
// does the TLS layer read the raw EOF itself.
func uploadTruncated(conn io.ReadWriter) bool {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return false
	}
	ec, ok := tc.NetConn().(*eofConn)

	return ok && ec.sawEOF.Load()
}

// truncationCheck turns the EOF of a TLS upload that lacked close_notify
// into ErrTLSTruncated, before the file handle sees a clean end.
type truncationCheck struct {
	conn io.ReadWriter
}

func (t *truncationCheck) Read(p []byte) (int, error) {
	n, err := t.conn.Read(p)
	if errors.Is(err, io.EOF) && uploadTruncated(t.conn) {
		err = ErrTLSTruncated
	}

	return n, err
}
