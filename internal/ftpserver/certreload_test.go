package ftpserver_test

import (
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/remote"
)

// newPair returns a new self-signed certificate for name as PEM, and its
// SHA-256 as the server logs it.
func newPair(t *testing.T, name string) (certPEM, keyPEM []byte, sha string) {
	t.Helper()
	certPEM, keyPEM, err := ftpserver.SelfSigned([]string{name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, remote.Fingerprint(cert.Leaf)
}

// writePair writes a new certificate for name into certFile and keyFile
// and returns its SHA-256.
func writePair(t *testing.T, certFile, keyFile, name string) string {
	t.Helper()
	certPEM, keyPEM, sha := newPair(t, name)
	writeFile(t, certFile, certPEM)
	writeFile(t, keyFile, keyPEM)
	return sha
}

// handshakes records the TLS handshakes of one client config.
type handshakes struct {
	mu   sync.Mutex
	list []handshake
}

type handshake struct {
	resumed bool
	sha     string // the certificate the session is under
}

// config returns a client config that records its handshakes, with a
// session cache when resume.
func (h *handshakes) config(resume bool) *tls.Config {
	c := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}
	if resume {
		c.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	}
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.list = append(h.list, handshake{cs.DidResume, remote.Fingerprint(cs.PeerCertificates[0])})
		return nil
	}
	return c
}

func (h *handshakes) last() handshake {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.list[len(h.list)-1]
}

// loginTLS logs in as acme over explicit TLS with tc.
func loginTLS(t *testing.T, addr string, tc *tls.Config) *ftp.ServerConn {
	t.Helper()
	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(tc), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Quit() })
	if err := c.Login("acme", testPass); err != nil {
		t.Fatal(err)
	}
	return c
}

// servedCerts returns the SHA-256 of the certificates that a new
// connection gets with AUTH TLS on the explicit listener and on the
// implicit one.
func (ts *testServer) servedCerts(t *testing.T) (explicit, implicit string) {
	t.Helper()
	var h handshakes
	c, err := ftp.Dial(ts.addr, ftp.DialWithExplicitTLS(h.config(false)), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c.Quit()
	ic, err := tls.Dial("tcp", ts.implicit, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	return h.last().sha, remote.Fingerprint(ic.ConnectionState().PeerCertificates[0])
}

// wantServed fails unless new connections on both listeners get the
// certificate with SHA-256 sha.
func (ts *testServer) wantServed(t *testing.T, sha, when string) {
	t.Helper()
	if ex, im := ts.servedCerts(t); ex != sha || im != sha {
		t.Fatalf("%s: new connections get %s (AUTH TLS) and %s (implicit), want %s", when, ex, im, sha)
	}
}

// certLogger returns a logger into logs for startServerWith.
func certLogger(logs *lockedBuffer) func(*ftpserver.Options) {
	return func(o *ftpserver.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) }
}

// TestReloadCertificate: once the cert and key files are replaced,
// ReloadCertificate makes new control connections (AUTH TLS, implicit) and
// new data connections present the new certificate, while sessions
// already in TLS go on and their data connections resume. A pair that
// does not load keeps the certificate served.
func TestReloadCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	old := writePair(t, certFile, keyFile, "one.example")
	var logs lockedBuffer
	ts := startServerWith(t, ftpserver.Config{CertFile: certFile, KeyFile: keyFile}, certLogger(&logs))
	ts.srv.SetCertCheck(24 * time.Hour) // only the reloads the test asks for
	ts.wantServed(t, old, "before the reload")

	// Sessions whose data connections resume their TLS session (in TLS
	// 1.3 and 1.2), and one whose data connections make full handshakes.
	var resuming, resuming12, full handshakes
	tls12 := resuming12.config(true)
	tls12.MaxVersion = tls.VersionTLS12
	a, a12, b := loginTLS(t, ts.addr, resuming.config(true)), loginTLS(t, ts.addr, tls12), loginTLS(t, ts.addr, full.config(false))
	for _, c := range []*ftp.ServerConn{a, a12, b} {
		if _, err := c.List("/"); err != nil {
			t.Fatalf("LIST before the reload: %v", err)
		}
	}

	renewed := writePair(t, certFile, keyFile, "two.example")
	if err := ts.srv.ReloadCertificate(); err != nil {
		t.Fatalf("ReloadCertificate() = %v", err)
	}
	ts.wantServed(t, renewed, "after the reload")
	for _, want := range []string{`msg="tls certificate reloaded"`, "names=two.example", "sha256=" + renewed, "not_after="} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	for _, s := range []struct {
		c *ftp.ServerConn
		h *handshakes
	}{{a, &resuming}, {a12, &resuming12}} {
		if _, err := s.c.List("/"); err != nil {
			t.Fatalf("LIST on a session from before the reload: %v", err)
		}
		if h := s.h.last(); !h.resumed || h.sha != old {
			t.Errorf("data connection of a session from before the reload: %+v, want it resumed under %s", h, old)
		}
	}
	if _, err := b.List("/"); err != nil {
		t.Fatalf("LIST without resumption on a session from before the reload: %v", err)
	}
	if h := full.last(); h.resumed || h.sha != renewed {
		t.Errorf("data connection with a full handshake: %+v, want the new certificate %s", h, renewed)
	}

	otherCert, otherKey, _ := newPair(t, "three.example")
	bad := []struct {
		name      string
		cert, key []byte // a nil key leaves the key file as it is
		removeKey bool
		want      string
	}{
		{name: "key of another certificate", cert: otherCert, want: "private key does not match public key"},
		{name: "key file missing", cert: otherCert, removeKey: true, want: "no such file or directory"},
		{name: "not PEM", cert: []byte("not a certificate\n"), key: otherKey, want: "failed to find any PEM data in certificate input"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, certFile, tt.cert)
			if tt.key != nil {
				writeFile(t, keyFile, tt.key)
			}
			if tt.removeKey {
				if err := os.Remove(keyFile); err != nil {
					t.Fatal(err)
				}
			}
			err := ts.srv.ReloadCertificate()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), certFile) {
				t.Errorf("ReloadCertificate() = %v, want an error naming %s and saying %q", err, certFile, tt.want)
			}
			ts.wantServed(t, renewed, "after a reload that failed")
			if _, err := a.List("/"); err != nil {
				t.Errorf("LIST after a reload that failed: %v", err)
			}
		})
	}
}

// TestReloadCertificatePKCS12 reloads a pkcs12_file with the password the
// server has, and keeps the certificate when the new file needs another.
func TestReloadCertificatePKCS12(t *testing.T) {
	file := filepath.Join(t.TempDir(), "wharf.p12")
	const pass = "p12secret"
	writeP12 := func(name, password string) string {
		t.Helper()
		certPEM, keyPEM, sha := newPair(t, name)
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		data, err := pkcs12.Modern.Encode(cert.PrivateKey, cert.Leaf, nil, password)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, file, data)
		return sha
	}
	old := writeP12("one.example", pass)
	ts := startServer(t, ftpserver.Config{PKCS12File: file, PKCS12Password: pass})
	ts.srv.SetCertCheck(24 * time.Hour)
	ts.wantServed(t, old, "before the reload")
	renewed := writeP12("two.example", pass)
	if err := ts.srv.ReloadCertificate(); err != nil {
		t.Fatalf("ReloadCertificate() = %v", err)
	}
	ts.wantServed(t, renewed, "after the reload")
	writeP12("three.example", "another password")
	if err := ts.srv.ReloadCertificate(); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("ReloadCertificate() of a file with another password = %v, want wrong password", err)
	}
	ts.wantServed(t, renewed, "after a reload with the wrong password")
}

// TestReloadGeneratedCertificate reloads the certificate generated into
// the data directory, which an operator may replace too.
func TestReloadGeneratedCertificate(t *testing.T) {
	ts := startServer(t, ftpserver.Config{})
	ts.srv.SetCertCheck(24 * time.Hour)
	tlsDir := filepath.Join(filepath.Dir(ts.root), "tls")
	renewed := writePair(t, filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem"), "renewed.example")
	if err := ts.srv.ReloadCertificate(); err != nil {
		t.Fatalf("ReloadCertificate() = %v", err)
	}
	ts.wantServed(t, renewed, "after the reload")
}

// TestCertificateFilesChanged: the server reloads a certificate whose
// files changed by itself, once they stayed unchanged between two looks,
// and reports a pair that does not load once.
func TestCertificateFilesChanged(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	old := writePair(t, certFile, keyFile, "one.example")
	var logs lockedBuffer
	ts := startServerWith(t, ftpserver.Config{CertFile: certFile, KeyFile: keyFile}, certLogger(&logs))
	ts.srv.SetCertCheck(0) // look at every handshake
	ts.wantServed(t, old, "unchanged")
	// New times, so that the change shows whatever the file system's
	// time resolution.
	touch := func(d time.Duration, names ...string) {
		t.Helper()
		for _, n := range names {
			if err := os.Chtimes(n, time.Now().Add(d), time.Now().Add(d)); err != nil {
				t.Fatal(err)
			}
		}
	}
	renewed := writePair(t, certFile, keyFile, "two.example")
	touch(time.Hour, certFile, keyFile)
	// Each wantServed makes two handshakes: the first sees the change,
	// the second (files unchanged since) loads them.
	if ex, _ := ts.servedCerts(t); ex != old {
		t.Errorf("first handshake after the change got %s, want the previous certificate %s until the files settle", ex, old)
	}
	ts.wantServed(t, renewed, "after the files changed")
	if want := `msg="tls certificate reloaded"`; !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), `trigger="files changed"`) {
		t.Errorf("log lacks %q with trigger=\"files changed\":\n%s", want, logs.String())
	}

	otherCert, _, _ := newPair(t, "three.example")
	writeFile(t, certFile, otherCert)
	touch(2*time.Hour, certFile)
	for range 3 {
		ts.wantServed(t, renewed, "after the cert file changed alone")
	}
	if n := strings.Count(logs.String(), `msg="tls certificate not reloaded: still serving the previous one"`); n != 1 {
		t.Errorf("a pair that does not load logged %d errors, want 1:\n%s", n, logs.String())
	}
}
