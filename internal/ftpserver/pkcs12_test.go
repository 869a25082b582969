package ftpserver_test

import (
	"crypto/tls"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestPKCS12Certificate serves a certificate from a PKCS#12 bundle made by
// openssl, and refuses a wrong bundle password with a clear error.
func TestPKCS12Certificate(t *testing.T) {
	bins := interop(t, "openssl")
	dir := t.TempDir()
	certPEM, keyPEM, err := ftpserver.SelfSigned([]string{"p12.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, p12 := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "b.p12")
	writeFile(t, certFile, certPEM)
	writeFile(t, keyFile, keyPEM)
	if r := run(t, nil, bins["openssl"], "pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-out", p12,
		"-passout", "pass:s3cret", "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"); r.exit != 0 {
		t.Fatalf("openssl pkcs12: %s", r)
	}
	ts := startServer(t, ftpserver.Config{PKCS12File: p12, PKCS12Password: "s3cret"})
	var seen string
	cfg := clientTLS()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		seen = cs.PeerCertificates[0].DNSNames[0]
		return nil
	}
	c, err := ftp.Dial(ts.addr, ftp.DialWithExplicitTLS(cfg), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c.Quit()
	if seen != "p12.example" {
		t.Errorf("served certificate for %q, want the PKCS#12 one (p12.example)", seen)
	}
	_, err = ftpserver.New(ftpserver.Config{Listen: "127.0.0.1:0", PKCS12File: p12, PKCS12Password: "wrong"},
		ftpserver.Options{Store: ts.store, FileRoot: dir, DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "pkcs12_password") {
		t.Errorf("wrong PKCS#12 password: err = %v, want one naming pkcs12_password", err)
	}
}
