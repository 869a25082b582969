package ftpserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/pkcs12"
)

// errNotResumed is the refusal of a data connection that did not resume its
// control connection's TLS session; the text reaches the client.
var errNotResumed = errors.New("TLS session of data connection not resumed: this server requires data connections to reuse the control connection's TLS session; use a client that resumes sessions, or ask the administrator to turn off tls_reuse for your account (wharf partner set NAME --tls-reuse=false)")

// loadCertificate returns the configured certificate, or a self-signed one
// kept in dir/tls (generated on first use).
func loadCertificate(c Config, dir string) (tls.Certificate, error) {
	switch {
	case c.CertFile != "":
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return cert, fmt.Errorf("load certificate %s and key %s: %w", c.CertFile, c.KeyFile, err)
		}
		return cert, nil
	case c.PKCS12File != "":
		data, err := os.ReadFile(c.PKCS12File)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("read PKCS#12 file: %w", err)
		}
		blocks, err := pkcs12.ToPEM(data, c.PKCS12Password)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("decode PKCS#12 file %s: %w (check pkcs12_password)", c.PKCS12File, err)
		}
		var pemData []byte
		for _, b := range blocks {
			pemData = append(pemData, pem.EncodeToMemory(b)...)
		}
		cert, err := tls.X509KeyPair(pemData, pemData)
		if err != nil {
			return cert, fmt.Errorf("PKCS#12 file %s: %w", c.PKCS12File, err)
		}
		return cert, nil
	}
	certFile, keyFile := filepath.Join(dir, "tls", "cert.pem"), filepath.Join(dir, "tls", "key.pem")
	if cert, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		return cert, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return cert, fmt.Errorf("load generated certificate %s: %w (delete %s to generate a new one)", certFile, err, filepath.Dir(certFile))
	}
	certPEM, keyPEM, err := SelfSigned([]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback})
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// SelfSigned returns a PEM certificate and key valid for ten years for the
// given names and addresses.
func SelfSigned(names []string, ips []net.IP) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "wharf", Organization: []string{"Wharf self-signed"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), nil
}

// tlsConfigs builds the control-connection TLS config and per-session data
// configs. Session tickets issued on a control connection carry that
// connection's client address; a data connection resumes only a ticket
// carrying its own session's address, so "reuse" means reuse of *its own*
// control session, as vsftpd's require_ssl_reuse does.
type tlsConfigs struct {
	base *tls.Config
}

func newTLSConfigs(cert tls.Certificate, minVersion uint16) (*tlsConfigs, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	base := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   minVersion,
	}
	// Explicit keys are copied by Clone, so every derived config encrypts
	// and decrypts tickets alike.
	base.SetSessionTicketKeys([][32]byte{key})
	t := &tlsConfigs{base: base}
	ctl := base.Clone()
	ctl.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.WrapSession = t.wrapper([]byte(hello.Conn.RemoteAddr().String()))
		return c, nil
	}
	t.base = ctl
	return t, nil
}

// control returns the config for control connections. It is the same
// pointer every time (ftpserverlib needs that for ticket reuse).
func (t *tlsConfigs) control() *tls.Config { return t.base }

func (t *tlsConfigs) wrapper(tag []byte) func(tls.ConnectionState, *tls.SessionState) ([]byte, error) {
	return func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		ss.Extra = append(ss.Extra, tag)
		return t.base.EncryptTicket(cs, ss)
	}
}

// data returns a config for the data connections of the control connection
// from controlAddr. requireReuse is consulted at each handshake.
func (t *tlsConfigs) data(controlAddr string, requireReuse func() bool) *tls.Config {
	tag := []byte(controlAddr)
	c := t.base.Clone()
	c.GetConfigForClient = nil
	c.WrapSession = t.wrapper(tag)
	c.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := t.base.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, nil // unknown ticket: full handshake
		}
		for _, e := range ss.Extra {
			if bytes.Equal(e, tag) {
				return ss, nil
			}
		}
		return nil, nil // another session's ticket
	}
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if !cs.DidResume && requireReuse() {
			return errNotResumed
		}
		return nil
	}
	return c
}
