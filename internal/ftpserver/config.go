package ftpserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is the server's static configuration. The zero value of each field
// is documented; Defaults fills them in.
type Config struct {
	// Listen is the plain FTP + explicit FTPS (AUTH TLS) address.
	// Empty switches it off. Default ":2121".
	Listen string `yaml:"listen"`
	// ListenImplicit is the implicit FTPS address. Empty switches it off.
	// Default ":2990".
	ListenImplicit string `yaml:"listen_implicit"`

	// CertFile and KeyFile are a PEM certificate chain and key. PKCS12File
	// (with PKCS12Password) is the alternative. With none set, a
	// self-signed certificate is generated into DataDir.
	CertFile       string `yaml:"cert_file"`
	KeyFile        string `yaml:"key_file"`
	PKCS12File     string `yaml:"pkcs12_file"`
	PKCS12Password string `yaml:"pkcs12_password"`
	// MinTLS is the lowest TLS version accepted: "1.2" (default) or "1.3".
	MinTLS string `yaml:"min_tls"`

	// AllowPlain lets every account log in and transfer without TLS.
	// Default false: TLS is required for login and for data (PROT P).
	// Accounts can opt in one by one.
	AllowPlain bool `yaml:"allow_plain"`
	// TLSReuse requires each TLS data connection to resume its control
	// connection's TLS session. Default false; accounts may override.
	TLSReuse bool `yaml:"tls_reuse"`

	// PassivePorts is the passive port range "LO-HI". Empty lets the
	// kernel choose.
	PassivePorts string `yaml:"passive_ports"`
	// PassiveAddress is the IPv4 address advertised in PASV replies, for
	// NAT. Empty advertises the control connection's local address.
	PassiveAddress string `yaml:"passive_address"`
	// ActiveMode enables PORT/EPRT (default off). Even then the server
	// connects only to the client's own address and ports >= 1024.
	ActiveMode bool `yaml:"active_mode"`

	// Banner is the 220 greeting text. Default "Wharf FTP server ready".
	Banner string `yaml:"banner"`
	// IdleTimeout closes a session idle this long. Default 5m.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// LoginTimeout closes a connection that has not logged in this long
	// after connecting. Default 30s.
	LoginTimeout time.Duration `yaml:"login_timeout"`
	// MaxConns caps connections in total (default 2000) and MaxConnsPerIP
	// per client IP (default 50). Zero means the default; negative means
	// no cap.
	MaxConns      int `yaml:"max_conns"`
	MaxConnsPerIP int `yaml:"max_conns_per_ip"`

	// Filter is the allowed-files filter, e.g. "*.edi,*.x12,-*.tmp".
	// Empty allows every name. Accounts may override.
	Filter string `yaml:"filter"`
	// TempExtensions are upload extensions (".tmp,.part") under which a file
	// is not yet received. Accounts may override.
	TempExtensions string `yaml:"temp_extensions"`
	// RemoveAfterSend deletes a file from a partner's send/ once it was
	// downloaded completely. Default false; accounts may override.
	RemoveAfterSend bool `yaml:"remove_after_send"`

	// LoginFailDelay delays each failed login reply. Default 1s.
	LoginFailDelay time.Duration `yaml:"login_fail_delay"`
	// PasswordCache is how long a password that verified is remembered
	// (as a keyed MAC in memory), so the account's next logins skip
	// argon2id. Default 15m; negative turns the cache off.
	PasswordCache time.Duration `yaml:"password_cache"`
	// BanAfter failed logins from one IP within BanFor bans that IP for
	// BanFor. Defaults 10 and 15m; BanAfter < 0 disables banning.
	BanAfter int           `yaml:"ban_after"`
	BanFor   time.Duration `yaml:"ban_for"`
}

// Defaults returns c with zero fields set to their defaults. Listen and
// ListenImplicit are not defaulted here, since empty means "off"; the
// command line supplies ":2121" and ":2990".
func (c Config) Defaults() Config {
	if c.MinTLS == "" {
		c.MinTLS = "1.2"
	}
	if c.Banner == "" {
		c.Banner = "Wharf FTP server ready"
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.LoginTimeout == 0 {
		c.LoginTimeout = 30 * time.Second
	}
	if c.MaxConns == 0 {
		c.MaxConns = 2000
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = 50
	}
	if c.LoginFailDelay == 0 {
		c.LoginFailDelay = time.Second
	}
	if c.PasswordCache == 0 {
		c.PasswordCache = 15 * time.Minute
	}
	if c.BanAfter == 0 {
		c.BanAfter = 10
	}
	if c.BanFor == 0 {
		c.BanFor = 15 * time.Minute
	}
	return c
}

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" && c.ListenImplicit == "" {
		errs = append(errs, errors.New("both listeners are off: set listen or listen_implicit"))
	}
	for name, addr := range map[string]string{"listen": c.Listen, "listen_implicit": c.ListenImplicit} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want HOST:PORT or :PORT", name, addr))
		}
	}
	if _, err := ParseTLSVersion(c.MinTLS); err != nil {
		errs = append(errs, err)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cert_file and key_file go together: set both or neither"))
	}
	if c.PKCS12File != "" && c.CertFile != "" {
		errs = append(errs, errors.New("set either cert_file/key_file or pkcs12_file, not both"))
	}
	if c.PassivePorts != "" {
		if _, _, err := ParsePortRange(c.PassivePorts); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PassiveAddress != "" {
		if ip := net.ParseIP(c.PassiveAddress); ip == nil || ip.To4() == nil {
			errs = append(errs, fmt.Errorf("passive_address %q: want an IPv4 address (EPSV serves IPv6 clients)", c.PassiveAddress))
		}
	}
	if _, err := ParseFilter(c.Filter); err != nil {
		errs = append(errs, fmt.Errorf("filter: %w", err))
	}
	for name, d := range map[string]time.Duration{"idle_timeout": c.IdleTimeout, "login_timeout": c.LoginTimeout, "ban_for": c.BanFor} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v: must not be negative", name, d))
		}
	}
	return errors.Join(errs...)
}

// ParseTLSVersion maps "1.2" or "1.3" to its crypto/tls constant.
func ParseTLSVersion(s string) (uint16, error) {
	switch s {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("min_tls %q: want 1.2 or 1.3 (older versions are insecure)", s)
}

// ParsePortRange parses "LO-HI" with 1024 <= LO <= HI <= 65535.
func ParsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if ok {
		lo, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			hi, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || lo < 1024 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("passive port range %q: want LO-HI with 1024 <= LO <= HI <= 65535, e.g. 30000-30100", s)
	}
	return lo, hi, nil
}
