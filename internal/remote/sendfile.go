package remote

import (
	"context"
	"io"
	"net"
	"os"
	"time"
)

// fileSource returns the local file behind r, when r is one (or Pool's
// countReader over one), and a func to count what was sent from it.
func fileSource(r io.Reader) (*os.File, func(int64), bool) {
	switch v := r.(type) {
	case *os.File:
		return v, func(int64) {}, true
	case *countReader:
		if f, ok := v.r.(*os.File); ok {
			return f, func(n int64) { v.n += n }, true
		}
	}
	return nil, nil, false
}

// uploadFile is upload from a local file. Over plain TCP the kernel copies
// the file to the socket (sendfile) without passing it through this
// process: chunk by chunk, each under a fresh write deadline, as
// deadlineConn gives every Write. A chunk sent in under a second doubles
// the next (up to 16 MiB), a slow one halves it (down to 64 KiB), so only
// a transfer that stalls as a Write would is cut. Over TLS it is upload.
func (c *Conn) uploadFile(ctx context.Context, verb, ap string, f *os.File, sent func(int64)) (int64, error) {
	dc, err := c.dataCmd(ctx, verb, ap, 0)
	if err != nil {
		return 0, err
	}
	dl, ok := dc.(*deadlineConn)
	var tc *net.TCPConn
	if ok {
		tc, ok = dl.Conn.(*net.TCPConn)
	}
	if !ok {
		n, cerr := io.Copy(netWriter{dc}, f)
		sent(n)
		return n, c.finish(dc, true, cerr)
	}
	var total int64
	var cerr error
	chunk := int64(sendChunk)
	for {
		start := time.Now()
		tc.SetWriteDeadline(start.Add(dl.timeout))
		n, err := tc.ReadFrom(&io.LimitedReader{R: f, N: chunk})
		total += n
		sent(n)
		if err != nil {
			cerr = &netError{"write data", err}
			break
		}
		if n < chunk {
			break // end of file
		}
		switch took := time.Since(start); {
		case took < time.Second && chunk < 16<<20:
			chunk *= 2
		case took > dl.timeout/4 && chunk > sendChunk:
			chunk /= 2
		}
	}
	return total, c.finish(dc, true, cerr)
}

// sendChunk is the first and smallest chunk of uploadFile.
const sendChunk = 64 << 10
