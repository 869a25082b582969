//go:build unix

package ftpserver

import (
	"errors"
	"net"
	"syscall"
)

// PeerClosed peeks at the accepted connection (Wharf patch): a zero-byte
// read means the client sent FIN, an error other than "would block" that
// the connection is reset or gone.
func (c *clientHandler) PeerClosed() bool {
	conn := c.rawConn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = nc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = rc.Control(func(fd uintptr) {
		var b [1]byte
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = (n == 0 && rerr == nil) || (rerr != nil && !errors.Is(rerr, syscall.EAGAIN) && !errors.Is(rerr, syscall.EINTR))
	})
	return closed || err != nil
}
