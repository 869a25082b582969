package ftpfs

import (
	"context"
	"fmt"
	"time"
)

// A transfer through a mount starts in OpenFile, not at the first Read or
// Write: the FTP server asks for the file before it sends 150 (RFC 959
// §5.4: RETR and STOR may be refused with 550 before any mark), so a
// refusal by the remote, or a remote that is down, is the reply to the
// client's RETR or STOR, before the client's data connection is used. The
// transfer is "started" once the remote accepted the command and its data
// connection is open: the first byte of a download, the first read of an
// upload's input, or its end. The data then waits in the remote's data
// connection until the client's is open.

// launch returns the context a transfer runs under, derived from parent,
// and started, which the caller calls once the transfer started or ended.
// Until then OpTimeout and the session bound it (the wait for a pooled
// connection, the remote's reply and data connection); afterwards only
// parent, the pool's I/O deadlines and cancel do. started reports false
// when a bound already cancelled the context: the caller must then stop
// the transfer and report context.Cause. cancel ends the context with a
// cause: with nil once the transfer returned, to free it, or to cut a
// transfer the client abandoned (the remote package then closes its
// connections at once, however stalled the remote is).
func (f *FS) launch(parent context.Context) (ctx context.Context, started func() bool, cancel context.CancelCauseFunc) {
	ctx, cancel = context.WithCancelCause(parent)
	timer := time.AfterFunc(f.opt.OpTimeout, func() { cancel(notStarted{f.opt.OpTimeout}) })
	// An upload's parent outlives the session; its start does not.
	stopSession := context.AfterFunc(f.ctx, func() { cancel(context.Cause(f.ctx)) })
	started = func() bool {
		t, s := timer.Stop(), stopSession()
		return t && s
	}
	return ctx, started, cancel
}

// notStarted is the cause of a transfer that did not start within the
// operation timeout. It is a deadline, so the client gets 451 (try again).
type notStarted struct{ after time.Duration }

func (e notStarted) Error() string {
	return fmt.Sprintf("the transfer did not start within %v: every connection to the remote is busy, or it is slow to answer", e.after)
}

func (e notStarted) Unwrap() error { return context.DeadlineExceeded }

// startErr is the error of a transfer whose context ended before it
// started: its cause, which says why (notStarted, or the session's end).
func startErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		if c := context.Cause(ctx); c != nil {
			return c
		}
	}
	return err
}

// abortGrace is how long a transfer the client abandoned gets to end
// politely (the remote's reply to the data connection closed early, an
// upload's temporary file deleted), keeping its remote connection, before
// its context is cancelled, which closes the connection: a stalled remote
// would otherwise hold the client's ABOR or close for the whole I/O
// timeout.
const abortGrace = time.Second

// endOrCut waits up to abortGrace for done to close, then cuts the
// transfer with cancel(cause). It reports whether done closed in time.
func endOrCut(done <-chan struct{}, cancel context.CancelCauseFunc, cause error) bool {
	t := time.NewTimer(abortGrace)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		cancel(cause)
		return false
	}
}
