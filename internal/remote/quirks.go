package remote

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// renameOver renames from to to. Servers differ when to exists: vsftpd and
// ProFTPD replace it (rename(2)), others answer 550/553. Then the target is
// deleted and the rename tried once more: the old file disappears a moment
// before the new one appears, but nothing partial is ever visible. A
// refused RNFR (from is missing) ends it there, with to untouched.
func (c *Conn) renameOver(from, to string) error {
	if _, err := c.expect(350, "RNFR", from); err != nil {
		return err
	}
	return c.renameOverTo(from, to)
}

// renameOverTo is renameOver once the server has accepted RNFR from.
func (c *Conn) renameOverTo(from, to string) error {
	_, err := c.expect(250, "RNTO", to)
	if err == nil || !isReply(err, 5) {
		return err
	}
	if _, serr := c.size(to); serr != nil {
		return err // the target does not exist: the first error stands
	}
	if _, derr := c.expect(250, "DELE", to); derr != nil {
		return err
	}
	return c.rename(from, to)
}

// Ways to set a modification time, tried in order until one works; the one
// that worked is remembered for the connection.
const (
	mtimeMFMT     = iota + 1 // MFMT YYYYMMDDHHMMSS path (draft-somers-ftp-mfxx): ProFTPD, pure-ftpd
	mtimeSiteUTIM            // SITE UTIME YYYYMMDDHHMMSS path: ProFTPD mod_site_misc
	mtimeMDTM                // MDTM YYYYMMDDHHMMSS path: vsftpd (mdtm_write)
)

var errNoSetTime = errors.New("server offers no way to set a modification time (MFMT, SITE UTIME, MDTM)")

func (c *Conn) setModTime(ap string, t time.Time) error {
	ts := t.Format("20060102150405")
	methods := []int{mtimeMFMT, mtimeSiteUTIM, mtimeMDTM}
	if c.mtimeMethod != 0 {
		methods = []int{c.mtimeMethod}
	}
	if _, ok := c.feat["MFMT"]; !ok && c.mtimeMethod == 0 {
		methods = methods[1:]
	}
	var last error
	for _, m := range methods {
		var code int
		var msg string
		var err error
		switch m {
		case mtimeMFMT:
			code, msg, err = c.cmd("MFMT", ts+" "+ap)
		case mtimeSiteUTIM:
			code, msg, err = c.cmd("SITE", "UTIME "+ts+" "+ap)
		case mtimeMDTM:
			code, msg, err = c.cmd("MDTM", ts+" "+ap)
		}
		if err != nil {
			return err
		}
		if code/100 == 2 {
			c.mtimeMethod = m
			return nil
		}
		last = replyError(code, msg)
	}
	return fmt.Errorf("%w: %w", errNoSetTime, last)
}

// failedDespite2xx reports a transfer reply that says 2xx but admits a
// failure (vsftpd: "226 Transfer done (but failed to open directory)").
func failedDespite2xx(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "failed to open directory")
}
