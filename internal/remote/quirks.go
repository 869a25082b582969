package remote

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// renameOver renames from to to. Servers differ when to exists: vsftpd and
// ProFTPD replace it (rename(2)), others answer 550/553. Then, when to
// exists, it is renamed aside to a hidden temporary name, from is renamed
// into place, and the aside copy is deleted: to always names one whole
// file, the old or the new. A refusal that was not about to existing (no
// rename rights: ftpserverlib, ProFTPD's <Limit RNTO>) refuses the move
// aside too, or the second rename, whose aside copy is then renamed back:
// either way to keeps its old file and the first refusal is returned. A
// refused RNFR (from is missing) ends it there, with to untouched.
func (c *Conn) renameOver(from, to string) error {
	if _, err := c.expect(350, "RNFR", from); err != nil {
		return err
	}
	return c.renameOverTo(from, to)
}

// renameOverTo is renameOver once the server has accepted RNFR from. The
// common case, an RNTO that works, costs nothing more.
func (c *Conn) renameOverTo(from, to string) error {
	_, err := c.expect(250, "RNTO", to)
	if err == nil || !isReply(err, 5) {
		return err
	}
	if _, serr := c.size(to); serr != nil {
		return err // the target does not exist (or is a folder): the first error stands
	}
	aside := tempName(to)
	if aerr := c.rename(to, aside); aerr != nil {
		if c.brokenBy(aerr) {
			return fmt.Errorf("%w (moving the old file aside to %s: %v)", err, aside, aerr)
		}
		return err // refused: the old file stays where it was
	}
	rerr := c.rename(from, to)
	if rerr == nil {
		if _, derr := c.expect(250, "DELE", aside); derr != nil {
			c.brokenBy(derr)
			c.log.Warn("remote replaced file's old copy not deleted", "path", aside, "err", derr)
		}
		return nil
	}
	berr := rerr
	if !c.brokenBy(rerr) {
		berr = c.rename(aside, to)
	}
	if berr != nil {
		// The old file is whole, under a name listings hide. %v: the
		// server's refusal, not a broken connection, is the error's
		// kind, so that nothing retries over the aside copy.
		c.brokenBy(berr)
		return fmt.Errorf("%w (the old file is kept as %s: renaming it back failed: %v)", err, aside, berr)
	}
	return err
}

// brokenBy marks the connection broken when err is its failure, and
// reports whether it is broken: a caller that returns another error in
// err's place (the server's refusal that started a fallback) keeps run
// from seeing it.
func (c *Conn) brokenBy(err error) bool {
	var ne *netError
	if errors.As(err, &ne) {
		c.broken = true
	}
	return c.broken
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
