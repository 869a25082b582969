// Package config composes Wharf's static configuration into one typed tree:
// defaults, then a YAML file, then environment variables, then command-line
// flags, each overriding the one before.
//
// Every setting has one key, its YAML path ("server.idle_timeout"), from
// which its environment variable is derived: WHARF_ plus the upper-case
// path, except that the server section is flat (WHARF_IDLE_TIMEOUT, not
// WHARF_SERVER_IDLE_TIMEOUT). Keys lists them all.
//
// State that administrators change at run time (accounts, events) is not
// configuration; it lives in internal/store.
package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/secret"
)

// Config is the whole static configuration.
type Config struct {
	// Data is the data directory: wharf.db, files/ (one folder per
	// partner) and tls/ (a generated certificate). Default "./wharf-data",
	// relative to the working directory.
	Data string `yaml:"data"`
	// SecretsURL names the keeper that encrypts remote passwords, a
	// gocloud.dev/secrets URL; "" uses DATA/secret.key. Only the schemes
	// whose drivers internal/secret links in are accepted: base64key://
	// (cloud KMS and Vault drivers are not built in).
	SecretsURL string `yaml:"secrets_url"`
	// KeepHistory is how long the event log and the sync run history
	// (runs and their per-file records) are kept: 'wharf serve' deletes
	// what is older, hourly. 0 keeps everything. Default 90 days.
	KeepHistory time.Duration `yaml:"keep_history"`
	// MetricsListen is the HTTP address of 'wharf serve''s Prometheus
	// metrics (/metrics) and health check (/healthz). "" or "off"
	// (default) serves none. It has no authentication: bind it to
	// loopback or a private interface, e.g. 127.0.0.1:9464.
	MetricsListen string `yaml:"metrics_listen"`
	// Log chooses the log handler.
	Log Log `yaml:"log"`
	// Server is the FTP/FTPS server. Its environment variables carry no
	// section prefix.
	Server ftpserver.Config `yaml:"server" env:"flat"`

	// origin maps a Key.Path to where Load found its value ("FILE:LINE",
	// "WHARF_X" or "--flag"), for Validate's messages. Nil or missing:
	// the default.
	origin map[string]string
}

// IsSet reports whether a file, the environment or a flag gave the key at
// path (a Key.Path such as "log.level") a value.
func (c Config) IsSet(path string) bool {
	_, ok := c.origin[path]
	return ok
}

// Log chooses how and how much Wharf logs (always to stderr).
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text (default) or json.
	Format string `yaml:"format"`
}

// Problems lists what is wrong with l, each naming its key: a level or
// format a logger would not know. Commands that do not validate the whole
// configuration (everything but serve and config check) check this.
func (l Log) Problems() []error {
	var errs []error
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", l.Level))
	}
	switch l.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", l.Format))
	}
	return errs
}

// DefaultKeepHistory is KeepHistory's default: 90 days.
const DefaultKeepHistory = 90 * 24 * time.Hour

// DefaultShutdownGrace is server.shutdown_grace's default: how long a
// stopping serve lets transfers in progress finish. ftpserver.Config's
// zero value (cut at once) stays what 0 means.
const DefaultShutdownGrace = 30 * time.Second

// Default returns the configuration used when nothing else is set. Its
// Server part is complete: ftpserver.Config.Defaults has been applied,
// both listeners are on (":2121" plain/explicit, ":2990" implicit) and
// transfers get DefaultShutdownGrace to finish at shutdown.
func Default() Config {
	return Config{
		Data:        "./wharf-data",
		KeepHistory: DefaultKeepHistory,
		Log:         Log{Level: "info", Format: "text"},
		Server: ftpserver.Config{
			Listen:         ":2121",
			ListenImplicit: ":2990",
			ShutdownGrace:  DefaultShutdownGrace,
		}.Defaults(),
	}
}

// Validate reports every problem in c at once, each naming its setting by
// its full key (server.min_tls) and saying what to do. It opens and loads
// the configured certificate files, as serving does, and checks that this
// build has a driver for secrets_url's scheme (opening no keeper).
func (c Config) Validate() error {
	var errs Problems
	if strings.TrimSpace(c.Data) == "" {
		errs = append(errs, errors.New("data is empty: set --data, WHARF_DATA or data: in the config file"))
	}
	if c.KeepHistory < 0 {
		errs = append(errs, fmt.Errorf("keep_history %s: want 0 (keep everything) or more, e.g. 90d", FormatDuration(c.KeepHistory)))
	}
	if c.SecretsURL != "" {
		if err := secret.CheckURL(c.SecretsURL); err != nil {
			errs = append(errs, fmt.Errorf("secrets_url %s: %w", secret.RedactURL(c.SecretsURL), err))
		}
	}
	// Clash parses the address as the listeners' are, and checks it
	// against them.
	if !MetricsOff(c.MetricsListen) {
		if err := c.Server.Clash("metrics_listen", c.MetricsListen); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.Log.Problems()...)
	for _, err := range flatten(c.Server.ValidateSection("server")) {
		errs = append(errs, c.withPasswordSource(err))
	}
	return errs.Err()
}

// withPasswordSource adds to err, when it is a PKCS#12 file's wrong password,
// where the password came from: the file's own message can only name
// the key (server.pkcs12_password), while the password may have come from
// --pkcs12-password-file or WHARF_PKCS12_PASSWORD.
func (c Config) withPasswordSource(err error) error {
	if !errors.Is(err, pkcs12.ErrIncorrectPassword) && !errors.Is(err, pkcs12.ErrDecryption) {
		return err
	}
	if from, ok := c.origin["server.pkcs12_password"]; ok {
		return fmt.Errorf("%w (the password came from %s)", err, from)
	}
	return fmt.Errorf("%w (no password is set: give it with --pkcs12-password-file, WHARF_PKCS12_PASSWORD or pkcs12_password: in the config file)", err)
}

// Problems is a list of configuration problems reported together.
type Problems []error

// Err returns p, or nil when p is empty.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// Error lists one problem per line.
func (p Problems) Error() string {
	if len(p) == 1 {
		return p[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(p))
	for _, e := range p {
		b.WriteString("\n  - ")
		b.WriteString(strings.ReplaceAll(e.Error(), "\n", "\n    "))
	}
	return b.String()
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (p Problems) Unwrap() []error { return p }

// flatten splits an errors.Join result into its parts.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// MetricsOff reports whether addr, a metrics_listen value, switches the
// metrics listener off.
func MetricsOff(addr string) bool { return addr == "" || addr == "off" }
