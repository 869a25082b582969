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

// TestPKCS12Certificate serves the certificate of PKCS#12 bundles made by
// the openssl binary in each of its formats, and refuses a wrong bundle
// password, and a file that is not PKCS#12, each with a clear error.
func TestPKCS12Certificate(t *testing.T) {
	bins := interop(t, "openssl")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	openssl := func(args ...string) {
		t.Helper()
		if r := run(t, nil, bins["openssl"], args...); r.exit != 0 {
			t.Fatalf("openssl %s: %s", strings.Join(args, " "), r)
		}
	}
	certPEM, keyPEM, err := ftpserver.SelfSigned([]string{"p12.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p("c.pem"), certPEM)
	writeFile(t, p("k.pem"), keyPEM)
	// A leaf signed by a CA, to bundle with its chain.
	openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
		"-subj", "/CN=Test CA", "-keyout", p("ca-k.pem"), "-out", p("ca.pem"))
	openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=chain.example",
		"-keyout", p("leaf-k.pem"), "-out", p("leaf.csr"))
	writeFile(t, p("ext.cnf"), []byte("subjectAltName=DNS:chain.example\n"))
	openssl("x509", "-req", "-in", p("leaf.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca-k.pem"), "-CAcreateserial",
		"-days", "2", "-extfile", p("ext.cnf"), "-out", p("leaf.pem"))

	const pass = "p12secret"
	tests := []struct {
		name  string
		args  []string // openssl pkcs12 -export options besides the files
		dns   string   // the served certificate's name
		chain int      // certificates served
	}{
		// OpenSSL 3's default: PBES2/AES-256-CBC with a SHA-256 MAC.
		{"default", nil, "p12.example", 1},
		// -legacy: RC2-40 certificates, 3DES key, SHA-1 MAC.
		{"legacy", []string{"-legacy"}, "p12.example", 1},
		{"3DES", []string{"-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"}, "p12.example", 1},
		{"with chain", []string{"-certfile", p("ca.pem")}, "chain.example", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := p(tt.name + ".p12")
			cert, key := p("c.pem"), p("k.pem")
			if tt.chain > 1 {
				cert, key = p("leaf.pem"), p("leaf-k.pem")
			}
			openssl(append([]string{"pkcs12", "-export", "-in", cert, "-inkey", key, "-out", file, "-passout", "pass:" + pass}, tt.args...)...)

			cfg := ftpserver.Config{Listen: "127.0.0.1:0", PKCS12File: file, PKCS12Password: pass}
			if err := cfg.Defaults().Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			ts := startServer(t, cfg)
			var seen []string
			tc := clientTLS()
			tc.VerifyConnection = func(cs tls.ConnectionState) error {
				for _, c := range cs.PeerCertificates {
					seen = append(seen, c.Subject.CommonName)
				}
				if len(cs.PeerCertificates[0].DNSNames) == 0 || cs.PeerCertificates[0].DNSNames[0] != tt.dns {
					t.Errorf("served certificate for %v, want the PKCS#12 one (%s)", cs.PeerCertificates[0].DNSNames, tt.dns)
				}
				return nil
			}
			c, err := ftp.Dial(ts.addr, ftp.DialWithExplicitTLS(tc), ftp.DialWithTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			c.Quit()
			if len(seen) != tt.chain {
				t.Errorf("served chain %q, want %d certificates", seen, tt.chain)
			}

			cfg.PKCS12Password = "wrong"
			_, err = ftpserver.New(cfg, ftpserver.Options{Store: ts.store, FileRoot: dir, DataDir: dir})
			if err == nil || !strings.Contains(err.Error(), "wrong password") || !strings.Contains(err.Error(), "check pkcs12_password") {
				t.Errorf("wrong PKCS#12 password: err = %v, want one saying so and naming pkcs12_password", err)
			}
		})
	}

	// A DER certificate is ASN.1 too, but not PKCS#12.
	openssl("x509", "-in", p("c.pem"), "-outform", "DER", "-out", p("c.der"))
	for _, name := range []string{"c.der", "c.pem"} {
		err := ftpserver.Config{Listen: "127.0.0.1:0", PKCS12File: p(name), PKCS12Password: pass}.Defaults().Validate()
		if err == nil || !strings.Contains(err.Error(), "not a PKCS#12 file") || strings.Contains(err.Error(), "pkcs12_password") {
			t.Errorf("pkcs12_file %s: err = %v, want \"not a PKCS#12 file\" and no mention of pkcs12_password", name, err)
		}
	}
}
