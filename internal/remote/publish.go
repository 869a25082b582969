package remote

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// publish verifies an upload of n bytes at tmp by SIZE, sets its time when
// mtime is not zero, and renames it to ap. SIZE, the time command and RNFR
// go in one write, their replies read in order (RFC 959 lets a client send
// a command before the previous reply; the servers we test read commands
// one line at a time): one round trip instead of three. RNTO follows only
// when all three succeeded and the size matched. A pending RNFR left by a
// failed check is harmless: every rename here starts with its own RNFR.
// RNTO itself is never pipelined: after a failed RNFR it could rename
// whatever an earlier failed RNTO left pending on some servers
// (ftpserverlib keeps it). It is used once the connection knows how the
// server sets times (c.mtimeMethod) and when no hash is checked; store
// does the same steps one round trip each otherwise.
func (c *Conn) publish(tmp, ap string, n int64, mtime time.Time) (timeSet bool, err error) {
	lines := [][2]string{{"SIZE", tmp}}
	if !mtime.IsZero() {
		lines = append(lines, c.mtimeCommand(tmp, mtime.UTC()))
	}
	lines = append(lines, [2]string{"RNFR", tmp})
	// Every reply is read before judging, so the connection stays in step.
	r, err := c.pipeline(lines)
	if err != nil {
		return false, err
	}
	switch size := replySize(r[0].code, r[0].msg); {
	case r[0].code == 550:
		return false, fmt.Errorf("SIZE: %w: %w", fs.ErrNotExist, replyError(r[0].code, r[0].msg))
	case size >= 0 && size != n:
		return false, fmt.Errorf("%w: sent %d bytes, server has %d", ErrVerify, n, size)
	}
	if !mtime.IsZero() {
		switch code := r[1].code; {
		case code/100 == 2:
			timeSet = true
		case code >= 500:
			c.log.Debug("remote did not set the modification time", "path", tmp, "reply", replyError(code, r[1].msg))
		default:
			return false, fmt.Errorf("%s: %w", lines[1][0], replyError(code, r[1].msg))
		}
	}
	if last := r[len(r)-1]; last.code != 350 {
		return false, fmt.Errorf("RNFR: %w", replyError(last.code, last.msg))
	}
	return timeSet, c.renameOverTo(tmp, ap)
}

// mtimeCommand is the command that sets p's time the way that worked on
// this connection before (c.mtimeMethod, see setModTime).
func (c *Conn) mtimeCommand(p string, t time.Time) [2]string {
	ts := t.Format("20060102150405")
	switch c.mtimeMethod {
	case mtimeMFMT:
		return [2]string{"MFMT", ts + " " + p}
	case mtimeSiteUTIM:
		return [2]string{"SITE", "UTIME " + ts + " " + p}
	}
	return [2]string{"MDTM", ts + " " + p}
}

// reply is one server reply.
type reply struct {
	code int
	msg  string
}

// pipeline sends lines in one write and reads their replies, in order.
func (c *Conn) pipeline(lines [][2]string) ([]reply, error) {
	if err := c.sendLines(lines); err != nil {
		return nil, err
	}
	r := make([]reply, len(lines))
	for i := range r {
		code, msg, err := c.reply()
		if err != nil {
			return nil, err
		}
		r[i] = reply{code, msg}
	}
	return r, nil
}

// sendLines writes several command lines in one write.
func (c *Conn) sendLines(lines [][2]string) error {
	var b strings.Builder
	for _, l := range lines {
		verb, arg := l[0], l[1]
		if err := checkArg(arg); err != nil {
			return fmt.Errorf("%s %q: %w", verb, arg, err)
		}
		line := verb
		if arg != "" {
			line += " " + arg
		}
		c.log.Debug("ftp send", "line", line)
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	if _, err := c.ctl.Write([]byte(b.String())); err != nil {
		return &netError{"send " + lines[0][0], err}
	}
	return nil
}

// replySize is the size a SIZE reply tells, or -1.
func replySize(code int, msg string) int64 {
	if code != 213 {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(msg), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
