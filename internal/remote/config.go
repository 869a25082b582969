package remote

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-mft/wharf/internal/secret"
)

// TLSMode says how a remote is secured.
type TLSMode int

const (
	TLSExplicit    TLSMode = iota // AUTH TLS on the control port (the default)
	TLSImplicit                   // TLS from the first byte, port 990 by default
	TLSIfAvailable                // AUTH TLS when the server offers it, else plain
	TLSNever                      // plain FTP
)

var tlsModeNames = map[TLSMode]string{
	TLSExplicit: "explicit", TLSImplicit: "implicit", TLSIfAvailable: "if-available", TLSNever: "never",
}

func (m TLSMode) String() string {
	if s, ok := tlsModeNames[m]; ok {
		return s
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// ParseTLSMode parses "never", "if-available", "explicit" or "implicit".
func ParseTLSMode(s string) (TLSMode, error) {
	for m, name := range tlsModeNames {
		if strings.EqualFold(s, name) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("tls mode %q: want never, if-available, explicit or implicit", s)
}

// ParseMaxTLS parses the highest TLS version a remote may negotiate: "" or
// "1.3" (0, Go's highest) or "1.2" (tls.VersionTLS12).
func ParseMaxTLS(s string) (uint16, error) {
	switch s {
	case "", "1.3":
		return 0, nil
	case "1.2":
		return tls.VersionTLS12, nil
	}
	return 0, fmt.Errorf("max tls %q: want 1.2 or 1.3 (older versions are insecure)", s)
}

// Flags that allow what the client refuses by default. Errors name them so the
// operator knows what to set, in the command that sets them when the remote's
// name is known (see Config.Name); the CLI uses the same names.
const (
	FlagAllowSelfSigned   = "--allow-self-signed"
	FlagAllowNameMismatch = "--allow-name-mismatch"
	FlagAllowExpired      = "--allow-expired"
	FlagAllowSelf         = "--allow-self"
	FlagCertSHA256        = "--cert-sha256"
	FlagMaxTLS            = "--max-tls"
	FlagTLS               = "--tls"
	FlagMaxConns          = "--max-conns"
)

// Defaults for zero Config fields.
const (
	DefaultMaxConns    = 25
	DefaultDialTimeout = 15 * time.Second
	DefaultIOTimeout   = 60 * time.Second
	DefaultIdleTimeout = 60 * time.Second
)

// Config describes one remote server. The zero value of each field is its
// documented default.
type Config struct {
	// Name is the remote's name in Wharf, for errors only: their hints
	// then name the command that fixes the problem (`wharf remote set
	// NAME --allow-self-signed`). "" words them as flags to set on the
	// remote.
	Name string

	Host     string
	Port     int // 0: 21, or 990 with TLSImplicit
	User     string
	Password secret.Secret
	Root     string // remote directory every path is relative to; "": the login directory

	TLS               TLSMode
	AllowSelfSigned   bool           // accept a self-signed certificate or one from an unknown CA
	AllowNameMismatch bool           // accept a certificate for another host name
	AllowExpired      bool           // accept an expired or not yet valid certificate
	RootCAs           *x509.CertPool // trusted CAs; nil: the system's
	// CertSHA256 pins the server certificate: the hex SHA-256 of its DER
	// form (colons allowed, as Diagnose prints it). When set, exactly that
	// certificate is accepted, whoever signed it and whatever names or
	// dates it carries, and any other is refused.
	CertSHA256    string
	MaxTLSVersion uint16 // 0: TLS 1.3; tls.VersionTLS12 caps it for servers that misbehave on 1.3

	MaxConns      int    // pool size; 0: 25
	Active        bool   // active mode (PORT/EPRT); passive otherwise
	SourceAddress string // local IP to connect from; "": any
	ReadOnly      bool   // refuse every operation that changes the remote

	DialTimeout time.Duration // TCP connect and TLS handshake; 0: 15s
	IOTimeout   time.Duration // each read or write on control and data connections; 0: 60s
	IdleTimeout time.Duration // how long a pooled connection may sit idle; 0: 60s

	// SelfNonce is this Wharf instance's nonce, which its own FTP server puts
	// in its 220 greeting and FEAT reply. A remote whose greeting or features
	// contain it is this instance, and is refused unless AllowSelf is set.
	SelfNonce string
	AllowSelf bool
}

// ParseURL parses ftp://USER@HOST[:PORT][/ROOT], ftps://… or ftpes://…, with
// an optional ?tls=never|if-available|explicit|implicit and no other query
// option. Every scheme means explicit TLS unless the query says otherwise:
// plain FTP must be asked for by name. A password in the URL is accepted
// but better given separately.
func ParseURL(s string) (Config, error) {
	var cfg Config
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse quotes the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return cfg, fmt.Errorf("remote url: %w", err)
	}
	switch u.Scheme {
	case "ftp", "ftps", "ftpes":
	default:
		return cfg, fmt.Errorf("remote url %q: scheme must be ftp or ftps or ftpes", u.Redacted())
	}
	if u.Hostname() == "" {
		return cfg, fmt.Errorf("remote url %q: no host", u.Redacted())
	}
	cfg.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return cfg, fmt.Errorf("remote url %q: bad port %q", u.Redacted(), p)
		}
		cfg.Port = n
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			cfg.Password = secret.Secret(pw)
		}
	}
	if u.Path != "" && u.Path != "/" {
		cfg.Root = path.Clean(u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, fmt.Errorf("remote url: query: %w", err)
	}
	for k := range q {
		if k != "tls" {
			// Ignoring it would leave the setting it was meant for as it
			// was, without a word. The URL is not quoted: its query may
			// hold what it should not.
			return cfg, fmt.Errorf("remote url: unknown option %q: the URL takes only ?tls=, other settings are flags", k)
		}
	}
	if ms, ok := q["tls"]; ok {
		if len(ms) > 1 {
			return cfg, fmt.Errorf("remote url: ?tls= given %d times: give it once", len(ms))
		}
		if cfg.TLS, err = ParseTLSMode(ms[0]); err != nil {
			return cfg, fmt.Errorf("remote url: %w", err)
		}
	}
	return cfg, cfg.Validate()
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("host is empty"))
	}
	for name, v := range map[string]string{
		"host": c.Host, "user": c.User, "password": c.Password.Reveal(), "root": c.Root,
		"source address": c.SourceAddress, "self nonce": c.SelfNonce,
	} {
		if err := checkArg(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d out of range", c.Port))
	}
	if _, ok := tlsModeNames[c.TLS]; !ok {
		errs = append(errs, fmt.Errorf("tls mode %d unknown", c.TLS))
	}
	if c.SourceAddress != "" && net.ParseIP(c.SourceAddress) == nil {
		errs = append(errs, fmt.Errorf("source address %q is not an IP address", c.SourceAddress))
	}
	if c.CertSHA256 != "" {
		if b, err := hex.DecodeString(strings.ReplaceAll(c.CertSHA256, ":", "")); err != nil || len(b) != sha256.Size {
			errs = append(errs, fmt.Errorf("certificate pin %q is not a hex SHA-256", c.CertSHA256))
		}
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max connections %d is negative", c.MaxConns))
	}
	if c.Root != "" && !strings.HasPrefix(c.Root, "/") {
		errs = append(errs, fmt.Errorf("root %q is not absolute", c.Root))
	}
	return errors.Join(errs...)
}

// fix words the advice to change this remote's settings by flags ("--tls
// implicit"): the command to run when its name is known, else the flags
// to set on the remote.
func (c Config) fix(flags string) string { return fixFor(c.Name, flags) }

func fixFor(name, flags string) string {
	if name == "" {
		return "set " + flags + " on the remote"
	}
	return "run `wharf remote set " + name + " " + flags + "`"
}

// withDefaults fills in zero fields.
func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = 21
		if c.TLS == TLSImplicit {
			c.Port = 990
		}
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.IOTimeout == 0 {
		c.IOTimeout = DefaultIOTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.User == "" {
		c.User = "anonymous"
	}
	return c
}

// Addr returns host:port with the default port filled in.
func (c Config) Addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.withDefaults().Port))
}
