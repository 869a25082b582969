package peertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CertOptions selects what is wrong with a generated certificate. The zero value
// gives a certificate for 127.0.0.1 and localhost, valid now, signed by a fresh CA.
type CertOptions struct {
	Hosts       []string // DNS names and IP addresses; nil means 127.0.0.1 and localhost
	SelfSigned  bool     // the leaf signs itself, so Roots does not verify it
	Expired     bool     // NotAfter lies in the past
	NotYetValid bool     // NotBefore lies in the future
}

// Cert is a generated certificate and its key, written to files for the peers.
type Cert struct {
	Leaf     *x509.Certificate
	TLS      tls.Certificate
	Roots    *x509.CertPool // holds the signing CA; empty for a self-signed leaf
	CertFile string         // PEM leaf certificate
	KeyFile  string         // PEM private key (PKCS #8)
	BothFile string         // key and certificate in one PEM file (pure-ftpd)
}

// NewCert generates a certificate in-process and writes it under t.TempDir().
func NewCert(t testing.TB, o CertOptions) *Cert {
	t.Helper()
	c, err := newCert(t.TempDir(), o)
	if err != nil {
		t.Fatalf("generate certificate: %v", err)
	}
	return c
}

func newCert(dir string, o CertOptions) (*Cert, error) {
	hosts := o.Hosts
	if hosts == nil {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	now := time.Now()
	notBefore, notAfter := now.Add(-time.Hour), now.Add(24*time.Hour)
	if o.Expired {
		notBefore, notAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	}
	if o.NotYetValid {
		notBefore, notAfter = now.Add(24*time.Hour), now.Add(48*time.Hour)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "wharf peertest CA"},
		NotBefore:             now.Add(-72 * time.Hour),
		NotAfter:              now.Add(72 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	parent, signer := ca, caKey
	roots := x509.NewCertPool()
	if o.SelfSigned {
		tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, signer = tmpl, key
	} else {
		roots.AddCert(ca)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	c := &Cert{
		Leaf:     leaf,
		TLS:      tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		Roots:    roots,
		CertFile: filepath.Join(dir, "cert.pem"),
		KeyFile:  filepath.Join(dir, "key.pem"),
		BothFile: filepath.Join(dir, "both.pem"),
	}
	for name, data := range map[string][]byte{
		c.CertFile: certPEM,
		c.KeyFile:  keyPEM,
		c.BothFile: append(append([]byte{}, keyPEM...), certPEM...),
	} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}
