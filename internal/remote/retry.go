package remote

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/textproto"
	"syscall"
	"time"
)

// Transient reports whether an operation that failed with err may succeed on
// a new try: a 4xx reply, or a connection that broke, was refused or timed
// out. 5xx replies, certificate and login refusals, a data connection with a
// foreign certificate, a self-connection, local I/O errors and a done context
// are permanent.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ce *CertError
	var le *LoginError
	var nr noRetry
	if errors.As(err, &ce) || errors.As(err, &le) || errors.As(err, &nr) || errors.Is(err, ErrSelf) ||
		errors.Is(err, ErrReadOnly) || errors.Is(err, ErrInvalidArg) || errors.Is(err, ErrPoolClosed) || errors.Is(err, errDataCert) {
		return false
	}
	if errors.Is(err, errConnLimit) {
		return true // a 5xx from ProFTPD, but another connection may close
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return de.IsTemporary || de.IsTimeout
	}
	var ne *netError
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true // dial refused, reset, timed out
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	return errorsAsData(err) || errors.Is(err, ErrVerify)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}
