//go:build !linux

package sendfile

import (
	"net"
	"os"
	"time"
)

// Copy sends up to n bytes of f (all that is left when n < 0), from f's
// current offset, to c, and advances f's offset by what went. It fails when
// too little has moved for idle (idle <= 0 waits forever). Here it is
// Chunked.
func Copy(c *net.TCPConn, f *os.File, n int64, idle time.Duration) (int64, error) {
	var chunk int64
	return Chunked(c, f, n, idle, &chunk)
}

// Interrupt does nothing here: a deadline or Close ends ReadFrom.
func Interrupt(c *net.TCPConn) {}
