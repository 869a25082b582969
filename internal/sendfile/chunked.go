package sendfile

import (
	"io"
	"net"
	"time"
)

// MinChunk is the first and smallest chunk Chunked sends under one
// deadline.
const MinChunk = 64 << 10

// Chunked copies up to n bytes of r (all of it when n < 0) to c through
// (*net.TCPConn).ReadFrom, so the kernel moves them where it can (splice
// from a socket, sendfile from a file), in chunks, each under a fresh write
// deadline of idle (idle <= 0: none). *chunk is the next chunk's size,
// kept by the caller from one call to the next (0: MinChunk); a chunk that
// went out in under a second doubles it (up to 16 MiB), one that took over
// a quarter of idle halves it. So fast transfers pay few syscalls, and a
// transfer is cut only when it moves less than MinChunk in idle, as one
// that stalls is.
func Chunked(c *net.TCPConn, r io.Reader, n int64, idle time.Duration, chunk *int64) (int64, error) {
	if *chunk == 0 {
		*chunk = MinChunk
	}
	var sent int64
	for n < 0 || sent < n {
		count := *chunk
		if n >= 0 {
			count = min(count, n-sent)
		}
		start := time.Now()
		if idle > 0 {
			c.SetWriteDeadline(start.Add(idle))
		}
		w, err := c.ReadFrom(&io.LimitedReader{R: r, N: count})
		sent += w
		if err != nil || w < count {
			return sent, err
		}
		*chunk = NextChunk(*chunk, time.Since(start), idle)
	}
	return sent, nil
}

// NextChunk is the chunk after one of n bytes that took took, as Chunked
// sizes them; a receiver reading in chunks under deadlines sizes its own
// the same way.
func NextChunk(n int64, took, idle time.Duration) int64 {
	switch {
	case took < time.Second && n < 16<<20:
		return n * 2
	case idle > 0 && took > idle/4 && n > MinChunk:
		return n / 2
	}
	return n
}
