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

// blocking runs the sendfile loop with sock switched to blocking mode and
// SO_SNDTIMEO set to idle, and switches both back.
func blocking(sock, file int, n int64, idle time.Duration) (int64, error) {
	if err := syscall.SetNonblock(sock, false); err != nil {
		return 0, os.NewSyscallError("fcntl", err)
	}
	defer syscall.SetNonblock(sock, true)
	if idle > 0 {
		tv := syscall.NsecToTimeval(idle.Nanoseconds())
		if err := syscall.SetsockoptTimeval(sock, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
			return 0, os.NewSyscallError("setsockopt", err)
		}
		defer syscall.SetsockoptTimeval(sock, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &syscall.Timeval{})
	}
	var sent int64
	for n < 0 || sent < n {
		count := int64(maxCall)
		if n >= 0 {
			count = min(count, n-sent)
		}
		w, err := syscall.Sendfile(sock, file, nil, int(count))
		switch {
		case err == nil && w == 0:
			return sent, nil // the end of f
		case err == nil:
			sent += int64(w)
		case errors.Is(err, syscall.EINTR):
		case sent == 0 && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP)):
			return 0, fmt.Errorf("%w: %w", errUnsupported, os.NewSyscallError("sendfile", err))
		case errors.Is(err, syscall.EAGAIN):
			// SO_SNDTIMEO ran out with nothing sent: the peer stopped reading.
			return sent, fmt.Errorf("sendfile: nothing moved for %v: %w", idle, os.ErrDeadlineExceeded)
		default:
			return sent, os.NewSyscallError("sendfile", err)
		}
	}
	return sent, nil
}

// Interrupt ends a Copy to c blocked in another goroutine, which then
// fails with EPIPE: it half-closes c (FIN after what is queued), which
// (*net.TCPConn).Close, waiting for that Copy, would not do first. Call it
// before closing a connection a Copy may be using.
func Interrupt(c *net.TCPConn) { c.CloseWrite() }
