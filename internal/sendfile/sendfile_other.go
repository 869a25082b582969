//go:build !linux

package sendfile

import (
	"io"
	"net"
	"os"
	"time"
)

// chunk is what moves under one write deadline.
const chunk = 256 << 10

// Copy sends up to n bytes of f (all that is left when n < 0), from f's
// current offset, to c, and advances f's offset by what went. It fails when
// nothing has moved for idle (idle <= 0 waits forever). Here it is
// (*net.TCPConn).ReadFrom in chunks, each under a fresh write deadline.
func Copy(c *net.TCPConn, f *os.File, n int64, idle time.Duration) (int64, error) {
	var sent int64
	for n < 0 || sent < n {
		count := int64(chunk)
		if n >= 0 {
			count = min(count, n-sent)
		}
		if idle > 0 {
			c.SetWriteDeadline(time.Now().Add(idle))
		}
		w, err := c.ReadFrom(&io.LimitedReader{R: f, N: count})
		sent += w
		if err != nil || w < count {
			return sent, err
		}
	}
	return sent, nil
}

// Interrupt does nothing here: a deadline or Close ends ReadFrom.
func Interrupt(c *net.TCPConn) {}
