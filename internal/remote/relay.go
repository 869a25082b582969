package remote

import (
	"io"
	"net"
	"sync"
	"time"
)

// relay copies a data connection to w with two goroutines: a reader that
// receives (and for TLS decrypts) the next records while this goroutine
// writes the previous ones to w. A mount passing a TLS download to its
// client decrypts and encrypts every byte; done in one goroutine the two
// halves alternate on one core and the relay, not the remote, sets the
// pace. Reads are handed over as they come, so a slow remote's bytes reach
// w as soon as they arrive.
func relay(w io.Writer, dc net.Conn) (int64, error) {
	type chunk struct {
		b   []byte
		err error
	}
	free := make(chan []byte, relayBufs)
	full := make(chan chunk, relayBufs) // never blocks: at most relayBufs chunks exist
	for range relayBufs {
		free <- make([]byte, relayBufSize)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			n, err := dc.Read(b)
			full <- chunk{b[:n], err}
			if err != nil {
				return
			}
		}
	}()
	var written int64
	var err error
	for {
		c := <-full
		if len(c.b) > 0 {
			var n int
			n, err = w.Write(c.b)
			written += int64(n)
			if err == nil && n < len(c.b) {
				err = io.ErrShortWrite
			}
			if err != nil {
				break
			}
		}
		if c.err != nil {
			if c.err != io.EOF {
				err = &netError{"read data", c.err}
			}
			break
		}
		free <- c.b[:cap(c.b)]
	}
	close(stop)
	if err != nil {
		// Unblock a reader waiting for the remote; the caller closes dc.
		dc.SetReadDeadline(time.Now())
	}
	wg.Wait()
	return written, err
}

// relayBufs buffers of relayBufSize (one TLS record's worth) are in flight.
const (
	relayBufs    = 16
	relayBufSize = 16 << 10
)
