package sendfile

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// maxCall bounds one sendfile(2): the kernel stops at 2 GiB anyway, and a
// bounded call hands the thread back to the scheduler now and then.
const maxCall = 64 << 20

// Copy sends up to n bytes of f (all that is left when n < 0), from f's
// current offset, to c, and advances f's offset by what went. It blocks
// until then, or until nothing has moved for idle (then it fails with an
// error that errors.Is os.ErrDeadlineExceeded; idle <= 0 waits forever), or
// until Interrupt(c) from another goroutine. c is back in its usual
// non-blocking mode when Copy returns. It returns the bytes sent. A file
// that sendfile(2) cannot read (a file system without splice support, as
// some FUSE ones) goes through Go's own copy instead.
func Copy(c *net.TCPConn, f *os.File, n int64, idle time.Duration) (int64, error) {
	sc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	fc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var sent int64
	var serr error
	cerr := sc.Control(func(sock uintptr) {
		ferr := fc.Control(func(file uintptr) {
			sent, serr = blocking(int(sock), int(file), n, idle)
		})
		if serr == nil {
			serr = ferr
		}
	})
	if serr == nil {
		serr = cerr
	}
	if sent == 0 && errors.Is(serr, errUnsupported) {
		var chunk int64
		return Chunked(c, f, n, idle, &chunk)
	}
	return sent, serr
}

// errUnsupported is a first sendfile(2) that the file or socket refuses
// (EINVAL, ENOSYS, EOPNOTSUPP), before anything was sent.
var errUnsupported = errors.New("sendfile not supported here")

// blocking runs the sendfile loop, first on sock as it is (non-blocking),
// then, once the socket's buffer is full, switched to blocking mode with
// SO_SNDTIMEO set to idle, and switches both back. A file that fits in the
// send buffer (most of a sync's small files) so goes in one call and one
// that reads the end, without the four syscalls of the switch.
func blocking(sock, file int, n int64, idle time.Duration) (int64, error) {
	sent, done, err := loop(sock, file, n, 0, false, idle)
	if done || err != nil {
		return sent, err
	}
	if err := syscall.SetNonblock(sock, false); err != nil {
		return sent, os.NewSyscallError("fcntl", err)
	}
	defer syscall.SetNonblock(sock, true)
	if idle > 0 {
		tv := syscall.NsecToTimeval(idle.Nanoseconds())
		if err := syscall.SetsockoptTimeval(sock, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
			return sent, os.NewSyscallError("setsockopt", err)
		}
		defer syscall.SetsockoptTimeval(sock, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &syscall.Timeval{})
	}
	sent, _, err = loop(sock, file, n, sent, true, idle)
	return sent, err
}

// loop calls sendfile(2) until n bytes are sent in all (the end of the
// file when n < 0), counting from sent. On a non-blocking socket (wait
// false) it stops, not done, when the send buffer is full.
func loop(sock, file int, n, sent int64, wait bool, idle time.Duration) (int64, bool, error) {
	for n < 0 || sent < n {
		count := int64(maxCall)
		if n >= 0 {
			count = min(count, n-sent)
		}
		w, err := syscall.Sendfile(sock, file, nil, int(count))
		switch {
		case err == nil && w == 0:
			return sent, true, nil // the end of f
		case err == nil:
			sent += int64(w)
		case errors.Is(err, syscall.EINTR):
		case sent == 0 && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP)):
			return 0, true, fmt.Errorf("%w: %w", errUnsupported, os.NewSyscallError("sendfile", err))
		case errors.Is(err, syscall.EAGAIN) && !wait:
			return sent, false, nil
		case errors.Is(err, syscall.EAGAIN):
			// SO_SNDTIMEO ran out with nothing sent: the peer stopped reading.
			return sent, true, fmt.Errorf("sendfile: nothing moved for %v: %w", idle, os.ErrDeadlineExceeded)
		default:
			return sent, true, os.NewSyscallError("sendfile", err)
		}
	}
	return sent, true, nil
}

// Interrupt ends a Copy to c blocked in another goroutine, which then
// fails with EPIPE: it half-closes c (FIN after what is queued), which
// (*net.TCPConn).Close, waiting for that Copy, would not do first. Call it
// before closing a connection a Copy may be using.
func Interrupt(c *net.TCPConn) { c.CloseWrite() }
