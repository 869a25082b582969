package remote

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// CertError reports a server certificate the remote's policy refuses, and
// which flag would accept it (Flag is empty when nothing can).
type CertError struct {
	Host    string
	Problem string // "expired", "not yet valid", "self-signed", "signed by an unknown authority", "for another name", …
	Flag    string
	// Remote is the remote's name (Config.Name): the hint then names the
	// command to run. SHA256 is the refused certificate's fingerprint in
	// the form Config.CertSHA256 takes, "" when unknown.
	Remote string
	SHA256 string
	Err    error
}

func (e *CertError) Error() string {
	msg := fmt.Sprintf("tls certificate of %s is %s: %v", e.Host, e.Problem, e.Err)
	pin := FlagCertSHA256
	if e.SHA256 != "" {
		pin += " " + e.SHA256
	}
	switch {
	case e.Flag == FlagCertSHA256:
		msg += "; if the server's certificate changed on purpose, pin the new one: " + fixFor(e.Remote, pin)
	case e.Flag != "" && e.Remote != "":
		msg += "; to accept it, " + fixFor(e.Remote, e.Flag) + ", or pin it: " + fixFor(e.Remote, pin)
	case e.Flag != "":
		msg += "; set " + e.Flag + " on the remote to accept it, or pin it with " + pin
	}
	return msg
}

func (e *CertError) Unwrap() error { return e.Err }

// errDataCert reports a data connection that presented another certificate
// than the control connection (RFC 4217 §15.1.1, C-12).
var errDataCert = errors.New("data connection presented a different certificate than the control connection")

// newTLSConfig returns the one tls.Config a control connection and all its
// data connections share. The per-connection session cache plus an explicit
// ServerName make data connections resume the control session: without
// ServerName Go keys the cache by ip:port, and the data port differs.
func (c *Conn) newTLSConfig() *tls.Config {
	return &tls.Config{
		ServerName:         c.cfg.Host,
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         c.cfg.MaxTLSVersion,
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
		// Verification happens in VerifyConnection, which can tell the
		// problems apart and apply the remote's allow flags.
		InsecureSkipVerify: true,
		VerifyConnection:   c.verifyConnection,
		Time:               c.tlsTime,
	}
}

// tlsTime is the clock crypto/tls uses. It runs shifted into an accepted
// expired certificate's validity, because crypto/tls refuses to resume a
// session whose certificate has expired, and then the data connections of a
// server that requires reuse fail (vsftpd: 522).
func (c *Conn) tlsTime() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

// verifyConnection runs for the control handshake and for every data
// handshake, resumed ones included.
func (c *Conn) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return &CertError{Host: c.cfg.Host, Problem: "missing", Err: errors.New("no certificate")}
	}
	leaf := cs.PeerCertificates[0]
	c.mu.Lock()
	ctlLeaf := c.leaf
	c.mu.Unlock()
	if ctlLeaf != nil {
		if !bytes.Equal(ctlLeaf.Raw, leaf.Raw) {
			return errDataCert
		}
		return nil
	}
	c.mu.Lock()
	c.peerLeaf = leaf
	c.mu.Unlock()
	if err := c.checkCert(cs.PeerCertificates); err != nil {
		return err
	}
	c.mu.Lock()
	c.leaf = leaf
	c.mu.Unlock()
	return nil
}

// checkCert verifies the chain and the host name, relaxing exactly what the
// allow flags permit.
func (c *Conn) checkCert(certs []*x509.Certificate) error {
	leaf := certs[0]
	if c.cfg.CertSHA256 != "" {
		want := strings.ToLower(strings.ReplaceAll(c.cfg.CertSHA256, ":", ""))
		if got := hex.EncodeToString(fingerprint(leaf)); got != want {
			return &CertError{Host: c.cfg.Host, Problem: "not the pinned certificate", Flag: FlagCertSHA256,
				Remote: c.cfg.Name, SHA256: Fingerprint(leaf),
				Err: fmt.Errorf("sha256 %s, pinned %s", Fingerprint(leaf), c.cfg.CertSHA256)}
		}
		if time.Now().After(leaf.NotAfter) {
			c.shiftClock(leaf)
		}
		return nil
	}
	opts := x509.VerifyOptions{Roots: c.cfg.RootCAs, Intermediates: x509.NewCertPool(), CurrentTime: time.Now()}
	for _, ic := range certs[1:] {
		opts.Intermediates.AddCert(ic)
	}
	fail := func(problem, flag string, err error) error {
		return &CertError{Host: c.cfg.Host, Problem: problem, Flag: flag, Remote: c.cfg.Name, SHA256: Fingerprint(leaf), Err: err}
	}
	for range 3 {
		_, err := leaf.Verify(opts)
		if err == nil {
			break
		}
		var invalid x509.CertificateInvalidError
		var unknown x509.UnknownAuthorityError
		if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
			if !c.cfg.AllowExpired {
				problem := "expired"
				if time.Now().Before(leaf.NotBefore) {
					problem = "not yet valid"
				}
				return fail(problem, FlagAllowExpired, err)
			}
			// Check the rest of the chain as of a moment the leaf was valid.
			opts.CurrentTime = c.shiftClock(leaf)
			continue
		}
		if errors.As(err, &unknown) {
			if !c.cfg.AllowSelfSigned {
				problem := "signed by an unknown authority"
				if leaf.CheckSignatureFrom(leaf) == nil {
					problem = "self-signed"
				}
				return fail(problem, FlagAllowSelfSigned, err)
			}
			break
		}
		return fail("not acceptable", "", err)
	}
	if err := leaf.VerifyHostname(c.cfg.Host); err != nil && !c.cfg.AllowNameMismatch {
		return fail("for another name", FlagAllowNameMismatch, err)
	}
	return nil
}

// shiftClock moves the TLS clock into leaf's validity (see tlsTime) and
// returns the moment it now reads.
func (c *Conn) shiftClock(leaf *x509.Certificate) time.Time {
	mid := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	c.mu.Lock()
	c.skew = time.Until(mid)
	c.mu.Unlock()
	return mid
}

func fingerprint(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.Raw)
	return sum[:]
}

// Fingerprint returns the SHA-256 of cert's DER form as colon-separated hex,
// the form Config.CertSHA256 accepts.
func Fingerprint(cert *x509.Certificate) string {
	h := hex.EncodeToString(fingerprint(cert))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// tailConn keeps the last bytes read through it. crypto/tls reads ahead,
// so when a server writes an FTP reply in clear where a TLS record
// belongs (vsftpd's "500 OOPS" after a login, when its session process
// dies; a plain greeting on a port set up for implicit TLS), the reply is
// gone from the connection by the time the TLS error names its first
// five bytes. With the tail it can still be shown (see clearReply).
type tailConn struct {
	net.Conn
	tail []byte // the last tailLen bytes read, at most
}

// tailLen bounds what tailConn keeps: a few reply lines.
const tailLen = 2 << 10

func (t *tailConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	b := p[:n]
	if len(b) > tailLen {
		b = b[len(b)-tailLen:]
	}
	if over := len(t.tail) + len(b) - tailLen; over > 0 {
		t.tail = append(t.tail[:0], t.tail[over:]...)
	}
	t.tail = append(t.tail, b...)
	return n, err
}

// clearReplyWait bounds the wait for the rest of a reply sent in clear
// whose start crypto/tls choked on.
const clearReplyWait = 2 * time.Second

// clearReply returns the FTP reply the server sent in clear where crypto/tls
// expected the record whose header rh names, or nil when those bytes do not
// look like a reply (three digits and a space or a dash). It reads the
// rest of the reply from the connection when it has not all arrived.
func (c *Conn) clearReply(rh tls.RecordHeaderError) *textproto.Error {
	hdr := rh.RecordHeader[:]
	if c.tail == nil || !looksLikeReply(hdr) {
		return nil
	}
	i := bytes.Index(c.tail.tail, hdr)
	if i < 0 {
		return nil
	}
	text := bytes.Clone(c.tail.tail[i:])
	more := io.LimitReader(&deadlineConn{Conn: c.raw, timeout: min(c.cfg.IOTimeout, clearReplyWait)}, maxReplyBytes)
	code, msg, err := readReply(bufio.NewReaderSize(io.MultiReader(bytes.NewReader(text), more), maxLineLen))
	if err != nil { // cut short: its first line, as far as it came
		line, _, _ := bytes.Cut(text, []byte("\n"))
		code, _ = strconv.Atoi(string(line[:3]))
		msg = strings.TrimSpace(string(line[4:]))
	}
	return &textproto.Error{Code: code, Msg: msg}
}

// looksLikeReply reports whether b starts like an FTP reply line: a code
// from 100 to 599, then a space or a dash.
func looksLikeReply(b []byte) bool {
	return len(b) >= 4 && b[0] >= '1' && b[0] <= '5' && isDigit(b[1]) && isDigit(b[2]) && (b[3] == ' ' || b[3] == '-')
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// clearReplyError reports an FTP reply that arrived in clear on a control
// connection secured with TLS. Servers do that when a session process dies
// before it could speak TLS (vsftpd: "500 OOPS: ..."), so the reply is the
// server's own complaint. It unwraps to the reply, a *textproto.Error, and
// to crypto/tls's error.
type clearReplyError struct {
	reply *textproto.Error
	err   error
}

func (e *clearReplyError) Error() string {
	return "the server answered in plain text inside TLS: " + e.reply.Error() + "; that is the server's own error, see its log"
}

func (e *clearReplyError) Unwrap() []error { return []error{e.reply, e.err} }
