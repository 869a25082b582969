package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"strings"
	"syscall"
	"time"
)

// Step is one line of a Diagnose report.
type Step struct {
	Name   string // "dns", "tcp", "tls", "greeting", "login", "root", "list", "upload", "download", "delete", "cleanup"
	OK     bool
	Detail string // what was found, or what to do about it
	Err    error
	Took   time.Duration
	// Warn marks a step that worked in part, such as a drop box that
	// takes uploads but refuses downloads: OK, with Detail saying what
	// will not work.
	Warn bool
}

// Report is what Diagnose found, step by step, up to the first failure
// (plus any cleanup after it).
type Report struct {
	Steps []Step
}

// OK reports whether every step passed.
func (r Report) OK() bool {
	for _, s := range r.Steps {
		if !s.OK {
			return false
		}
	}
	return len(r.Steps) > 0
}

// String renders the report one step per line, for `wharf remote test`.
func (r Report) String() string {
	var b strings.Builder
	for _, s := range r.Steps {
		mark := "ok  "
		switch {
		case !s.OK:
			mark = "FAIL"
		case s.Warn:
			mark = "warn"
		}
		fmt.Fprintf(&b, "%s %-9s %s (%s)\n", mark, s.Name, s.Detail, s.Took.Round(time.Millisecond))
	}
	return b.String()
}

// Diagnose connects to cfg's remote step by step and says where and why it
// fails: name resolution, TCP, TLS (naming the flag that would accept a
// certificate), login, a listing and, unless the remote is read-only, a small
// upload, download and delete. A data connection that fails after the control
// connection worked is reported as a probably blocked passive port range, and
// any zero-byte probe file it left is deleted.
func Diagnose(ctx context.Context, cfg Config, log *slog.Logger) Report {
	var r Report
	add := func(name string, start time.Time, err error, detail string) bool {
		r.Steps = append(r.Steps, Step{Name: name, OK: err == nil, Detail: detail, Err: err, Took: time.Since(start)})
		return err == nil
	}
	if err := cfg.Validate(); err != nil {
		add("config", time.Now(), err, err.Error())
		return r
	}
	c := newConn(cfg, log)
	defer c.Close()
	cfg = c.cfg

	start := time.Now()
	if net.ParseIP(cfg.Host) == nil {
		addrs, err := net.DefaultResolver.LookupHost(ctx, cfg.Host)
		detail := "resolved to " + strings.Join(addrs, ", ")
		if err != nil {
			detail = fmt.Sprintf("cannot resolve %s: check the host name (%v)", cfg.Host, err)
		}
		if !add("dns", start, err, detail) {
			return r
		}
	}

	start = time.Now()
	err := c.run(ctx, func() error { return c.dialTCP(ctx) })
	if !add("tcp", start, err, tcpDetail(cfg, c, err)) {
		return r
	}
	if cfg.TLS == TLSImplicit {
		start = time.Now()
		err := c.run(ctx, func() error { return c.handshake(ctx) })
		if !add("tls", start, err, tlsDetail(c, err)) {
			return r
		}
	}
	start = time.Now()
	err = c.run(ctx, func() error { return c.greet(ctx) })
	detail := "220 " + firstLine(c.greeting)
	if err != nil {
		detail = err.Error() // it says what to check
	}
	if !add("greeting", start, err, detail) {
		return r
	}
	if cfg.TLS == TLSExplicit || cfg.TLS == TLSIfAvailable {
		start = time.Now()
		err := c.run(ctx, func() error { return c.secure(ctx) })
		if !add("tls", start, err, tlsDetail(c, err)) {
			return r
		}
	}
	start = time.Now()
	err = c.run(ctx, c.login)
	detail = fmt.Sprintf("logged in as %q, root %s", cfg.User, c.root)
	var le *LoginError
	switch {
	case err == nil:
	case errors.Is(err, errTLSRequired), errors.Is(err, errConnLimit):
		detail = err.Error() // it says what to set
	case errors.As(err, &le):
		detail = fmt.Sprintf("the server refused the login as %q (%v): check the user and password, and whether the account is locked; %s",
			cfg.User, le.Err, le.fix())
	default:
		detail = err.Error()
	}
	if !add("login", start, err, detail) {
		return r
	}
	if cfg.Root != "" {
		start = time.Now()
		err = c.run(ctx, func() error {
			_, err := c.expect(2, "CWD", c.root)
			return err
		})
		// vsftpd lists a folder it cannot open as empty, and refuses
		// uploads into it: without this step the report blamed those.
		detail = "the root folder " + c.root + " exists"
		if err != nil {
			detail = fmt.Sprintf("cannot enter the remote's root folder %s (%v): it does not exist, or %q may not open it; create it on the server, "+
				"or point the remote at the right folder (the path of its URL): %s", c.root, err, cfg.User, cfg.fix("--url URL"))
		}
		if !add("root", start, err, detail) {
			return r
		}
	}
	start = time.Now()
	var n int
	err = c.run(ctx, func() error {
		es, err := c.list(ctx, c.root)
		n = len(es)
		return err
	})
	listed := fmt.Sprintf("listed %s: %d entries", c.root, n)
	if c.tcfg != nil {
		listed += map[bool]string{true: ", data connection resumed the TLS session", false: ", data connection did not resume the TLS session (servers that require reuse refuse that)"}[c.dataResumed]
	}
	if !add("list", start, err, dataDetail(c, err, listed)) {
		return r
	}
	if cfg.ReadOnly {
		return r
	}
	warn := func(name string, start time.Time, detail string) {
		r.Steps = append(r.Steps, Step{Name: name, OK: true, Warn: true, Detail: detail, Took: time.Since(start)})
	}
	diagnoseTransfer(ctx, c, log, add, warn)
	return r
}

// diagnoseTransfer uploads, downloads and deletes a small probe file. A
// server that refuses the download or the delete (a drop box) gets a
// warning that says what will not work, not a failure. When the upload
// or a data connection fails, it makes sure no probe file, not even an
// empty one, stays behind.
func diagnoseTransfer(ctx context.Context, c *Conn, log *slog.Logger, add func(string, time.Time, error, string) bool, warn func(string, time.Time, string)) {
	var b [8]byte
	rand.Read(b[:])
	// Not ".wharf-…": Wharf's own server reserves that prefix.
	probe := path.Join(c.root, ".wharfprobe-"+hex.EncodeToString(b[:]))
	payload := []byte("wharf remote test " + hex.EncodeToString(b[:]) + "\n")
	start := time.Now()
	err := c.run(ctx, func() error {
		_, err := c.upload(ctx, "STOR", probe, bytes.NewReader(payload))
		return err
	})
	detail := dataDetail(c, err, fmt.Sprintf("uploaded %d bytes to %s", len(payload), probe))
	if isReply(err, 5) {
		detail = fmt.Sprintf("uploading into %s refused (%v): if deliveries go to a folder below it, put that folder in the remote's URL; if Wharf only reads from this remote, %s",
			c.root, err, c.cfg.fix("--read-only"))
	}
	if !add("upload", start, err, detail) {
		diagnoseCleanup(ctx, c, log, add, probe)
		return
	}
	start = time.Now()
	err = c.run(ctx, func() error {
		var got bytes.Buffer
		dc, err := c.dataCmd(ctx, "RETR", probe, 0)
		if err != nil {
			return err
		}
		_, cerr := got.ReadFrom(netReader{dc})
		if err := c.finish(dc, false, cerr); err != nil {
			return err
		}
		if !bytes.Equal(got.Bytes(), payload) {
			return fmt.Errorf("%w: downloaded %d bytes differ from the %d uploaded", ErrVerify, got.Len(), len(payload))
		}
		return nil
	})
	switch {
	case isReply(err, 5) && !errors.Is(err, ErrVerify):
		warn("download", start, fmt.Sprintf("downloads refused (%v): a drop box; uploads and push syncs work, pulls and downloads through a mount will not", err))
	case !add("download", start, err, dataDetail(c, err, "downloaded it back, the same bytes")):
		diagnoseCleanup(ctx, c, log, add, probe)
		return
	}
	start = time.Now()
	err = c.run(ctx, func() error {
		_, err := c.expect(250, "DELE", probe)
		return err
	})
	if isReply(err, 5) {
		warn("delete", start, fmt.Sprintf("deleting refused (%v): the server keeps what it receives; remove %s by hand, and --after-copy delete pulls cannot work here", err, probe))
		return
	}
	add("delete", start, err, dataDetail(c, err, "deleted it"))
}

// diagnoseCleanup deletes the probe a failed step may have left, on this
// connection if it still works, else on a new one.
func diagnoseCleanup(ctx context.Context, c *Conn, log *slog.Logger, add func(string, time.Time, error, string) bool, probe string) {
	start := time.Now()
	cl := c
	if c.broken {
		nc, err := Dial(ctx, c.cfg, log)
		if err != nil {
			add("cleanup", start, err, "could not reconnect to delete the probe file "+probe+": "+err.Error())
			return
		}
		defer nc.Close()
		cl = nc
	}
	err := cl.run(ctx, func() error {
		_, err := cl.expect(250, "DELE", probe)
		return err
	})
	switch {
	case err == nil:
		add("cleanup", start, nil, "deleted the probe file "+probe+" the failed transfer left")
	case isReply(err, 550):
		add("cleanup", start, nil, "no probe file left behind")
	default:
		add("cleanup", start, err, "could not delete the probe file "+probe+": "+err.Error())
	}
}

func tcpDetail(cfg Config, c *Conn, err error) string {
	switch {
	case err == nil:
		return "connected to " + c.raw.RemoteAddr().String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection to %s refused: nothing listens there (wrong port, or the server is down)", cfg.Addr())
	case isTimeout(err):
		return fmt.Sprintf("connection to %s timed out after %s: a firewall drops it, or the host is down", cfg.Addr(), cfg.DialTimeout)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("no route to %s: check the address and the network", cfg.Addr())
	}
	return err.Error()
}

func tlsDetail(c *Conn, err error) string {
	var ce *CertError
	switch {
	case errors.As(err, &ce):
		if ce.SHA256 == "" && c.peerLeaf != nil {
			return ce.Error() + " (sha256 " + Fingerprint(c.peerLeaf) + ")"
		}
		return ce.Error() // it names the fingerprint
	case err != nil:
		return err.Error()
	}
	st, ok := c.TLS()
	if !ok {
		return "the server offers no TLS: continuing in clear (tls mode if-available)"
	}
	return fmt.Sprintf("%s, %s, certificate for %s", tls.VersionName(st.Version),
		tls.CipherSuiteName(st.CipherSuite), certName(st))
}

func certName(st tls.ConnectionState) string {
	if len(st.PeerCertificates) == 0 {
		return "?"
	}
	leaf := st.PeerCertificates[0]
	names := append([]string{}, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = []string{leaf.Subject.CommonName}
	}
	return strings.Join(names, ", ") + ", sha256 " + Fingerprint(leaf)
}

// dataDetail explains a failed listing or transfer; when the control
// connection still works, the data connection is the suspect.
func dataDetail(c *Conn, err error, ok string) string {
	if err == nil {
		return ok
	}
	var de *dataError
	if errors.As(err, &de) && de.hint != "" {
		return err.Error() // it says what to try
	}
	if errorsAsData(err) || isReply(err, 425) || (isTimeout(err) && !c.broken) {
		return c.dataHint() + " (" + err.Error() + ")"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// mentionsTLS reports whether a server's reply text is about encryption:
// vsftpd "Non-anonymous sessions must use encryption.", pure-ftpd "Sorry,
// cleartext sessions and weak ciphers are not accepted on this server.",
// ProFTPD "SSL/TLS required on the control channel".
func mentionsTLS(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"encrypt", "tls", "ssl", "secure", "cleartext", "clear text", "cipher", "ftps"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}
