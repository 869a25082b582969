//go:build !linux

package sendfile

import (
	"net"
	"os"
	"time"
)

// Copy sends up to n bytes of f (all that is left when n < 0), from f's
// current offset, to c, and advances f's offset by what went. It fails when
// nothing has moved for idle (idle <= 0 waits forever). Here it is
// (*net.TCPConn).ReadFrom in chunks, each under a fresh write deadline.
func Copy(c *net.TCPConn, f *os.File, n int64, idle time.Duration) (int64, error) {
	return copyChunked(c, f, n, idle)
}

// Interrupt does nothing here: a deadline or Close ends ReadFrom.
func Interrupt(c *net.TCPConn) {}
