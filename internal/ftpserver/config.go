package ftpserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
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
	// The server appends " [wharf ID]", this instance's random ID
	// (DATA/instance-id), by which its own outbound client recognises a
	// remote that points back at it.
	Banner string `yaml:"banner"`
	// IdleTimeout closes a session idle this long. Zero means the
	// default, 5m; negative is invalid: sessions always time out.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// LoginTimeout closes a connection that has not logged in this long
	// after connecting. Zero means the default, 30s; negative is invalid.
	LoginTimeout time.Duration `yaml:"login_timeout"`
	// ShutdownGrace is how long Serve, once its context ends, lets
	// transfers in progress finish before it cuts them (Close cuts them
	// sooner). Zero cuts them at once; wharf serve defaults it to 30s
	// (config.DefaultShutdownGrace).
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
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

	// LoginFailDelay delays each failed login reply. Zero means the
	// default, 1s; negative means no delay.
	LoginFailDelay time.Duration `yaml:"login_fail_delay"`
	// PasswordCache is how long a password that verified is remembered
	// (as a keyed MAC in memory), so the account's next logins skip
	// argon2id. Zero means the default, 15m; negative turns the cache
	// off.
	PasswordCache time.Duration `yaml:"password_cache"`
	// BanAfter failed logins from one IP within BanFor bans that IP for
	// BanFor. Zero means the defaults, 10 and 15m; BanAfter < 0 disables
	// banning, and a negative BanFor is invalid.
	BanAfter int           `yaml:"ban_after"`
	BanFor   time.Duration `yaml:"ban_for"`
}

// Defaults returns c with zero fields set to their defaults. Listen and
// ListenImplicit are not defaulted here, since empty means "off"; the
// command line supplies ":2121" and ":2990". Defaults cannot tell a zero
// that was left unset from one that a user gave: a caller that reads user
// input (internal/config) starts from Defaults and refuses a given zero
// for these fields rather than let it become the default.
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

// Validate reports every problem in c at once, naming each setting by its
// key (min_tls). It opens the certificate files and loads the certificate
// as New does, so that a check finds what serving would refuse.
func (c Config) Validate() error { return c.ValidateSection("") }

// ValidateSection is Validate for a Config kept under section in a larger
// configuration: ValidateSection("server") says server.min_tls where
// Validate says min_tls.
func (c Config) ValidateSection(section string) error { return c.validate(section, true) }

// validate is ValidateSection; with load false it only checks that the
// certificate files can be read, for New, which loads the certificate
// next anyway.
func (c Config) validate(section string, load bool) error {
	p := section
	if p != "" {
		p += "."
	}
	var errs []error
	if c.Listen == "" && c.ListenImplicit == "" {
		errs = append(errs, fmt.Errorf("both listeners are off: set %slisten or %slisten_implicit", p, p))
	}
	plain, errPlain := parseListen(p+"listen", c.Listen)
	implicit, errImplicit := parseListen(p+"listen_implicit", c.ListenImplicit)
	errs = append(errs, errPlain, errImplicit)
	if errPlain == nil && errImplicit == nil && plain.clashes(implicit) {
		errs = append(errs, fmt.Errorf("%slisten %q and %slisten_implicit %q both use port %d: give each listener its own port, or switch one off",
			p, c.Listen, p, c.ListenImplicit, plain.port))
	}
	if _, err := ParseTLSVersion(c.MinTLS); err != nil {
		errs = append(errs, fmt.Errorf("%smin_tls %w", p, err))
	}
	errs = append(errs, c.validateCertificate(p, load)...)
	if c.PassivePorts != "" {
		if _, _, err := ParsePortRange(c.PassivePorts); err != nil {
			errs = append(errs, fmt.Errorf("%spassive_ports %w", p, err))
		}
	}
	if c.PassiveAddress != "" {
		if ip := net.ParseIP(c.PassiveAddress); ip == nil || ip.To4() == nil {
			errs = append(errs, fmt.Errorf("%spassive_address %q: want an IPv4 address (EPSV serves IPv6 clients)", p, c.PassiveAddress))
		}
	}
	if _, err := ParseFilter(c.Filter); err != nil {
		errs = append(errs, fmt.Errorf("%sfilter: %w", p, err))
	}
	if _, err := CleanExtensions(c.TempExtensions); err != nil {
		errs = append(errs, fmt.Errorf("%stemp_extensions: %w", p, err))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"idle_timeout", c.IdleTimeout}, {"login_timeout", c.LoginTimeout}, {"shutdown_grace", c.ShutdownGrace}, {"ban_for", c.BanFor}} {
		if d.d < 0 {
			errs = append(errs, fmt.Errorf("%s%s %v: must not be negative", p, d.name, d.d))
		}
	}
	return errors.Join(errs...)
}

// listenAddr is a parsed listener address.
type listenAddr struct {
	host string
	port int
}

// parseListen parses a listener address "HOST:PORT" or ":PORT" given as
// setting key. Empty (off) parses as the zero listenAddr.
func parseListen(key, addr string) (listenAddr, error) {
	if addr == "" {
		return listenAddr{}, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return listenAddr{}, fmt.Errorf("%s %q: want HOST:PORT or :PORT, e.g. :2121 or 127.0.0.1:2121", key, addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return listenAddr{}, fmt.Errorf("%s %q: port %q is not a number from 0 to 65535 (0 lets the kernel choose)", key, addr, port)
	}
	return listenAddr{host: host, port: n}, nil
}

// Clash reports whether addr, given as setting key, cannot be bound
// beside this server's listeners, and says which one it clashes with, or
// why addr does not parse. "" clashes with nothing; what is "off" is the
// caller's to know (config.MetricsOff).
func (c Config) Clash(key, addr string) error {
	a, err := parseListen(key, addr)
	if err != nil {
		return err
	}
	for _, l := range []struct{ key, addr string }{{"server.listen", c.Listen}, {"server.listen_implicit", c.ListenImplicit}} {
		if b, err := parseListen(l.key, l.addr); err == nil && a.clashes(b) {
			return fmt.Errorf("%s %q and %s %q both want port %d: give one another port", key, addr, l.key, l.addr, a.port)
		}
	}
	return nil
}

// IsWildcard reports whether the host of addr ("HOST:PORT") is every
// address of the machine (":PORT", "0.0.0.0:PORT", "[::]:PORT").
func IsWildcard(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isWildcard(host)
}

// clashes reports whether a and b cannot both be bound: the same port (not
// 0, for which the kernel picks two) on the same host, or on a wildcard
// host, which Go binds dual-stack and so overlaps every address.
func (a listenAddr) clashes(b listenAddr) bool {
	if a.port == 0 || a.port != b.port {
		return false
	}
	if isWildcard(a.host) || isWildcard(b.host) {
		return true
	}
	ipA, ipB := net.ParseIP(a.host), net.ParseIP(b.host)
	if ipA != nil && ipB != nil {
		return ipA.Equal(ipB)
	}
	return strings.EqualFold(a.host, b.host)
}

func isWildcard(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || ip != nil && ip.IsUnspecified()
}

// validateCertificate checks that the certificate settings go together,
// that their files can be read, and (with load) that they load.
func (c Config) validateCertificate(p string, load bool) []error {
	var errs []error
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%scert_file and %skey_file go together: set both or neither", p, p))
	}
	if c.PKCS12File != "" && (c.CertFile != "" || c.KeyFile != "") {
		errs = append(errs, fmt.Errorf("set either %scert_file/%skey_file or %spkcs12_file, not both", p, p, p))
	}
	for _, f := range []struct{ key, path string }{
		{"cert_file", c.CertFile}, {"key_file", c.KeyFile}, {"pkcs12_file", c.PKCS12File},
	} {
		if f.path != "" {
			if err := checkReadable(p+f.key, f.path); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if load && len(errs) == 0 && (c.CertFile != "" || c.PKCS12File != "") {
		if _, err := configuredCertificate(c, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// checkReadable reports, for setting key, a path that is not a file this
// process can read, with the operating system's reason and what to do.
func checkReadable(key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		reason := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err // the path is in the message already
		}
		hint := "check the path and its permissions"
		switch {
		case errors.Is(err, fs.ErrNotExist):
			hint = "check the path (a relative one starts at the working directory)"
		case errors.Is(err, fs.ErrPermission):
			hint = "make the file (and its directories) readable by the user that runs wharf"
		}
		return fmt.Errorf("%s %q: %w: %s", key, path, reason, hint)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %q is a directory: want a file", key, path)
	}
	return nil
}

// CleanExtensions checks a comma-separated list of temp extensions such as
// ".tmp,.part" and returns it without blanks; "" (none) is valid. Its error
// describes only the value: the caller names the setting. Partners' own
// temp extensions follow the same rule.
func CleanExtensions(s string) (string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !strings.HasPrefix(e, ".") || len(e) < 2 || strings.ContainsAny(e, "/\\*? ") {
			return "", fmt.Errorf("%q is not an extension: write it with its dot, e.g. .tmp,.part", e)
		}
		out = append(out, e)
	}
	return strings.Join(out, ","), nil
}

// ParseTLSVersion maps "1.2" or "1.3" to its crypto/tls constant. Its error
// describes only the value.
func ParseTLSVersion(s string) (uint16, error) {
	switch s {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%q: want 1.2 or 1.3 (older versions are insecure)", s)
}

// ParsePortRange parses "LO-HI" with 1024 <= LO <= HI <= 65535. Its error
// describes only the value.
func ParsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if ok {
		lo, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			hi, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || lo < 1024 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("%q: want a port range LO-HI with 1024 <= LO <= HI <= 65535, e.g. 30000-30100", s)
	}
	return lo, hi, nil
}
