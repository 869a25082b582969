package ftpserver

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/wharf-mft/wharf/internal/remote"
)

// errNotResumed is the refusal of a data connection that did not resume its
// control connection's TLS session; the text reaches the client.
var errNotResumed = errors.New("TLS session of data connection not resumed: this server requires data connections to reuse the control connection's TLS session; use a client that resumes sessions, or ask the administrator to turn off tls_reuse for your account (wharf partner set NAME --tls-reuse=false)")

// loadCertificate returns the configured certificate, or a self-signed one
// kept in dir/tls (generated on first use).
func loadCertificate(c Config, dir string) (tls.Certificate, error) {
	if c.CertFile != "" || c.PKCS12File != "" {
		return configuredCertificate(c, "")
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

// configuredCertificate loads the certificate that c names: cert_file and
// key_file, or else pkcs12_file. Both serve (New) and Validate load it here,
// so 'wharf config check' finds what serve would refuse. Its errors name
// the settings with prefix ("server." or "").
func configuredCertificate(c Config, prefix string) (tls.Certificate, error) {
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return cert, fmt.Errorf("%scert_file %q with %skey_file %q: %w: want a PEM certificate chain and its own PEM private key",
				prefix, c.CertFile, prefix, c.KeyFile, err)
		}
		return cert, nil
	}
	data, err := os.ReadFile(c.PKCS12File)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%spkcs12_file: %w", prefix, err)
	}
	cert, err := decodePKCS12(data, c.PKCS12Password)
	if err != nil {
		return cert, fmt.Errorf("%spkcs12_file %q: %w", prefix, c.PKCS12File, pkcs12Hint(err, prefix))
	}
	return cert, nil
}

// errNotPKCS12 and errPEMNotPKCS12 describe a pkcs12_file that holds
// something else.
var (
	errNotPKCS12    = errors.New("not a PKCS#12 file: want the DER .p12/.pfx file that `openssl pkcs12 -export` writes")
	errPEMNotPKCS12 = errors.New("not a PKCS#12 file but PEM")
)

// decodePKCS12 reads a PKCS#12 bundle: the modern form (PBES2 with AES and a
// SHA-256 MAC, OpenSSL 3's default) and the legacy one (3DES or RC2 with a
// SHA-1 MAC, openssl -legacy). The certificate of the key is the leaf and
// the others its chain.
func decodePKCS12(data []byte, password string) (tls.Certificate, error) {
	if !isPKCS12(data) {
		if bytes.Contains(data, []byte("-----BEGIN ")) {
			return tls.Certificate{}, errPEMNotPKCS12
		}
		return tls.Certificate{}, errNotPKCS12
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("private key: %w", err)
	}
	certs := append([]*x509.Certificate{leaf}, chain...)
	// The leaf is the key's certificate: put it first should a tool have
	// listed the chain before it.
	if s, ok := key.(crypto.Signer); ok {
		for i, c := range certs {
			if pub, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(c.PublicKey) {
				certs[0], certs[i] = certs[i], certs[0]
				break
			}
		}
	}
	var certPEM []byte
	for _, c := range certs {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	// X509KeyPair checks that the key belongs to the leaf.
	return tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// isPKCS12 reports whether data has the outer shape of a PKCS#12 PFX
// (RFC 7292 section 4): a DER SEQUENCE of a version and a content, and
// nothing after it. It decrypts nothing.
func isPKCS12(data []byte) bool {
	var pfx struct {
		Version  int
		AuthSafe struct {
			ContentType asn1.ObjectIdentifier
			Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
		}
		MacData asn1.RawValue `asn1:"optional"`
	}
	rest, err := asn1.Unmarshal(data, &pfx)
	return err == nil && len(rest) == 0
}

// pkcs12Hint adds what to do to a PKCS#12 decoding error.
func pkcs12Hint(err error, prefix string) error {
	var notImpl pkcs12.NotImplementedError
	switch {
	case errors.Is(err, errNotPKCS12):
		return err
	case errors.Is(err, errPEMNotPKCS12):
		return fmt.Errorf("%w: set %scert_file and %skey_file for PEM files instead", err, prefix, prefix)
	case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
		// A MAC that does not verify, or (in a file without a MAC)
		// a key that does not decrypt: both mean a wrong password.
		return fmt.Errorf("wrong password (%w): check %spkcs12_password", err, prefix)
	case errors.As(err, &notImpl):
		return fmt.Errorf("%w: export the file again with `openssl pkcs12 -export` (OpenSSL 3's defaults or -legacy both work)", err)
	}
	return fmt.Errorf("%w: want one private key and its certificate chain", err)
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
	// certs is the certificate every config presents, through
	// GetCertificate, which Clone copies: a reload reaches control and
	// data connections alike from their next full handshake.
	certs *certHolder
}

func newTLSConfigs(certs *certHolder, minVersion uint16) (*tlsConfigs, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	base := &tls.Config{
		GetCertificate: certs.get,
		MinVersion:     minVersion,
	}
	// Explicit keys are copied by Clone, so every derived config encrypts
	// and decrypts tickets alike. A certificate reload keeps them: a
	// resumed session presents no certificate, so the data connections of
	// a session that began before the reload still resume it.
	base.SetSessionTicketKeys([][32]byte{key})
	t := &tlsConfigs{base: base, certs: certs}
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

// logCertificate says which certificate the server presents, with its
// SHA-256 fingerprint, as a Wharf remote's --cert-sha256 takes it:
// partners who pin a self-signed one need it. msg is the log message and
// args more attributes.
func logCertificate(log *slog.Logger, msg string, c Config, dir string, cert tls.Certificate, args ...any) {
	if len(cert.Certificate) == 0 {
		return
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return
	}
	from := "configured"
	if c.CertFile == "" && c.PKCS12File == "" {
		from = "self-signed, generated into " + filepath.Join(dir, "tls") + " (clients must trust or pin it; configure cert_file and key_file for a real one)"
	}
	names := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	log.Info(msg, append([]any{"subject", leaf.Subject.String(), "names", strings.Join(names, ","),
		"not_after", leaf.NotAfter.UTC().Format(time.DateOnly), "sha256", remote.Fingerprint(leaf), "source", from}, args...)...)
}
