package sendfile

import (
	"io"
	"net"
	"os"
	"time"
)

// chunk is what copyChunked moves under one write deadline.
const chunk = 256 << 10

// copyChunked is Copy through (*net.TCPConn).ReadFrom, chunk by chunk, each
// under a fresh write deadline: where sendfile(2) cannot be used blocking
// (another OS, or a file system without it), Go's netpoller waits instead.
func copyChunked(c *net.TCPConn, f *os.File, n int64, idle time.Duration) (int64, error) {
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
