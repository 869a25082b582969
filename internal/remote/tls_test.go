package remote

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// C-09: each certificate problem is refused with an error that names the flag
// that accepts it, and accepted once that flag is set; data connections then
// resume and carry the same certificate.
func TestInteropCertificatePolicy(t *testing.T) {
	peertest.Interop(t)
	tests := []struct {
		name    string
		cert    peertest.CertOptions
		problem string
		flag    string
		allow   func(*Config)
		system  bool // verify against the system roots instead of the test CA
	}{
		{"self-signed", peertest.CertOptions{SelfSigned: true}, "self-signed", FlagAllowSelfSigned,
			func(c *Config) { c.AllowSelfSigned = true }, false},
		{"unknown CA", peertest.CertOptions{}, "signed by an unknown authority", FlagAllowSelfSigned,
			func(c *Config) { c.AllowSelfSigned = true }, true},
		{"expired", peertest.CertOptions{Expired: true}, "expired", FlagAllowExpired,
			func(c *Config) { c.AllowExpired = true }, false},
		{"not yet valid", peertest.CertOptions{NotYetValid: true}, "not yet valid", FlagAllowExpired,
			func(c *Config) { c.AllowExpired = true }, false},
		{"wrong name", peertest.CertOptions{Hosts: []string{"wrong.example"}}, "for another name", FlagAllowNameMismatch,
			func(c *Config) { c.AllowNameMismatch = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := peertest.Vsftpd(t, peertest.Options{Cert: peertest.NewCert(t, tt.cert)})
			ctx := context.Background()
			cfg := configFor(s)
			if tt.system {
				cfg.RootCAs = nil
			}
			_, err := Dial(ctx, cfg, nil)
			var ce *CertError
			if !errors.As(err, &ce) || ce.Problem != tt.problem || ce.Flag != tt.flag || !strings.Contains(err.Error(), tt.flag) {
				t.Fatalf("Dial err = %v, want a CertError %q naming %s", err, tt.problem, tt.flag)
			}
			if Transient(err) {
				t.Error("certificate refusal counted as transient")
			}
			r := Diagnose(ctx, cfg, nil)
			if r.OK() || !strings.Contains(r.String(), tt.flag) {
				t.Errorf("Diagnose does not name %s:\n%s", tt.flag, r)
			}
			tt.allow(&cfg)
			c, err := Dial(ctx, cfg, nil)
			if err != nil {
				t.Fatalf("Dial with %s: %v", tt.flag, err)
			}
			defer c.Close()
			if _, err := c.Store(ctx, "x", strings.NewReader("x")); err != nil {
				t.Fatalf("Store with %s: %v", tt.flag, err)
			}
		})
	}
}

// The control certificate is verified against the configured host name, and
// TLS below 1.2 is never offered.
func TestTLSConfig(t *testing.T) {
	c := newConn(Config{Host: "ftp.example.com"}, nil)
	cfg := c.newTLSConfig()
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ServerName != "ftp.example.com" || cfg.ClientSessionCache == nil {
		t.Errorf("tls config: min %x, server name %q, cache %v", cfg.MinVersion, cfg.ServerName, cfg.ClientSessionCache)
	}
	if c2 := newConn(Config{Host: "ftp.example.com"}, nil).newTLSConfig(); c2.ClientSessionCache == cfg.ClientSessionCache {
		t.Error("two connections share a session cache")
	}
}

// Diagnose against a real peer passes every step.
func TestInteropDiagnose(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{TLS: peertest.ImplicitTLS}},
		{"proftpd", peertest.ProFTPD, peertest.Options{}},
	} {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			s := pr.start(t, pr.opts)
			r := Diagnose(context.Background(), configFor(s), nil)
			if !r.OK() {
				t.Fatalf("Diagnose:\n%s", r)
			}
			if !strings.Contains(r.String(), "TLS 1.3") || !strings.Contains(r.String(), "resumed the TLS session") {
				t.Errorf("Diagnose does not report the TLS version:\n%s", r)
			}
			left, _ := readDir(s)
			if len(left) != 0 {
				t.Errorf("probe left on server: %v", left)
			}
		})
	}
}

func readDir(s *peertest.Server) ([]string, error) {
	var out []string
	es, err := os.ReadDir(local(s, ""))
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out, err
}

// C-12: a data connection with another certificate than the control
// connection is refused, and not retried.
func TestDataCertificateMustMatchControl(t *testing.T) {
	ctl := peertest.NewCert(t, peertest.CertOptions{})
	other := peertest.NewCert(t, peertest.CertOptions{})
	for _, tt := range []struct {
		name string
		data *peertest.Cert
		ok   bool
	}{{"same", ctl, true}, {"different", other, false}} {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.cert, s.dataCert = &ctl.TLS, &tt.data.TLS
			s.list = "type=file;size=1; a\r\n"
			s.feat = []string{"MLST type*;"}
			s.start()
			cfg := s.config()
			cfg.TLS, cfg.RootCAs = TLSExplicit, ctl.Roots
			c, err := Dial(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.List(context.Background(), "/")
			if tt.ok && err != nil {
				t.Fatal(err)
			}
			if !tt.ok && (!errors.Is(err, errDataCert) || Transient(err)) {
				t.Fatalf("List err = %v, want a permanent errDataCert", err)
			}
		})
	}
}

// Data connections offer only the key exchange the server chose for the
// control connection: no ML-KEM share it would not take, no
// HelloRetryRequest (vsftpd accepts P-256 only).
func TestDataHandshakeOffersControlCurve(t *testing.T) {
	cert := peertest.NewCert(t, peertest.CertOptions{})
	s := newFake(t)
	s.cert, s.curves = &cert.TLS, []tls.CurveID{tls.CurveP256}
	s.list = "type=file;size=1; a\r\n"
	s.feat = []string{"MLST type*;"}
	s.start()
	cfg := s.config()
	cfg.TLS, cfg.RootCAs = TLSExplicit, cert.Roots
	c := s.dial(cfg)
	for range 2 {
		if _, err := c.List(context.Background(), "/"); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctl := s.offered["ctl"]; len(ctl) != 1 || len(ctl[0]) < 2 {
		t.Errorf("control ClientHello offered %v, want Go's full list", ctl)
	}
	data := s.offered["data"]
	if len(data) != 2 {
		t.Fatalf("data ClientHellos %v, want 2", data)
	}
	for _, d := range data {
		if len(d) != 1 || d[0] != tls.CurveP256 {
			t.Errorf("data ClientHello offered %v, want only P-256 (the control connection's)", d)
		}
	}
}

// A wrong password is a permanent 530, and Diagnose says what to check.
func TestInteropWrongPassword(t *testing.T) {
	peertest.Interop(t)
	s := peertest.ProFTPD(t, peertest.Options{})
	cfg := configFor(s)
	cfg.Password = "wrong"
	_, err := Dial(context.Background(), cfg, nil)
	if !isReply(err, 530) || Transient(err) {
		t.Fatalf("Dial err = %v, want a permanent 530", err)
	}
	r := Diagnose(context.Background(), cfg, nil)
	if r.OK() || !strings.Contains(r.String(), "check the user and password") {
		t.Errorf("Diagnose:\n%s", r)
	}
	if strings.Contains(r.String(), "wrong") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("password leaked into an error: %v\n%s", err, r)
	}
}

// A pinned certificate is accepted whatever is wrong with it; any other is
// refused, naming the pin flag. Diagnose prints the fingerprint to pin.
func TestInteropCertificatePin(t *testing.T) {
	peertest.Interop(t)
	cert := peertest.NewCert(t, peertest.CertOptions{SelfSigned: true, Expired: true, Hosts: []string{"elsewhere.example"}})
	s := peertest.Vsftpd(t, peertest.Options{Cert: cert})
	ctx := context.Background()
	cfg := configFor(s)
	r := Diagnose(ctx, cfg, nil)
	fp := Fingerprint(cert.Leaf)
	if r.OK() || !strings.Contains(r.String(), fp) {
		t.Errorf("Diagnose does not show the fingerprint %s:\n%s", fp, r)
	}
	cfg.CertSHA256 = fp
	c, err := Dial(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("Dial with the pin: %v", err)
	}
	if _, err := c.Store(ctx, "x", strings.NewReader("x")); err != nil {
		t.Fatalf("Store with the pin: %v", err)
	}
	c.Close()
	other := peertest.NewCert(t, peertest.CertOptions{})
	cfg.CertSHA256 = Fingerprint(other.Leaf)
	_, err = Dial(ctx, cfg, nil)
	var ce *CertError
	if !errors.As(err, &ce) || ce.Flag != FlagCertSHA256 {
		t.Fatalf("Dial with another pin: err = %v, want a CertError naming %s", err, FlagCertSHA256)
	}
	if err := (Config{Host: "h", CertSHA256: "zz"}).Validate(); err == nil {
		t.Error("Validate accepted a malformed pin")
	}
}

// MaxTLSVersion 1.2 caps the control and the data connections at TLS 1.2,
// and vsftpd's require_ssl_reuse still sees each data connection resume the
// control session. A handshake the server breaks off names the setting.
func TestInteropMaxTLS12(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{})
	ctx := context.Background()
	for _, max := range []uint16{0, tls.VersionTLS12} {
		cfg := configFor(s)
		cfg.MaxTLSVersion = max
		c, err := Dial(ctx, cfg, nil)
		if err != nil {
			t.Fatalf("Dial with max %x: %v", max, err)
		}
		want := uint16(tls.VersionTLS13)
		if max != 0 {
			want = max
		}
		if v := c.ctl.(*tls.Conn).ConnectionState().Version; v != want {
			t.Errorf("max %x: control connection speaks %x, want %x", max, v, want)
		}
		if _, err := c.Store(ctx, "v.txt", strings.NewReader("twelve")); err != nil {
			t.Fatalf("Store with max %x: %v", max, err)
		}
		var b strings.Builder
		if _, err := c.Retrieve(ctx, "v.txt", 0, &b); err != nil || b.String() != "twelve" {
			t.Fatalf("Retrieve with max %x: %q, %v", max, b.String(), err)
		}
		c.Close()
	}
}

// A server that drops the connection during the TLS handshake gets an error
// that suggests --max-tls 1.2; with it set, or for a certificate problem,
// the advice is left out.
func TestHandshakeFailureSuggestsMaxTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		io.WriteString(c, "220 ready\r\n")
		if l, _ := r.ReadString('\n'); strings.HasPrefix(l, "AUTH TLS") {
			io.WriteString(c, "234 go ahead\r\n")
			r.ReadByte() // the ClientHello's first byte, then drop the connection
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	_, err = Dial(context.Background(), Config{Host: "127.0.0.1", Port: addr.Port, TLS: TLSExplicit}, nil)
	if err == nil || !strings.Contains(err.Error(), "tls handshake") || !strings.Contains(err.Error(), FlagMaxTLS+" 1.2") {
		t.Errorf("Dial to a server that drops the handshake: %v, want a handshake error naming %s 1.2", err, FlagMaxTLS)
	}
	if got := newConn(Config{MaxTLSVersion: tls.VersionTLS12}, nil).maxTLSHint(io.ErrUnexpectedEOF); got != "" {
		t.Errorf("hint with max TLS 1.2 already set = %q, want none", got)
	}
	if got := newConn(Config{}, nil).maxTLSHint(&CertError{Problem: "expired"}); got != "" {
		t.Errorf("hint for a certificate error = %q, want none", got)
	}
	if _, err := ParseMaxTLS("1.1"); err == nil {
		t.Error("ParseMaxTLS accepted 1.1")
	}
}
