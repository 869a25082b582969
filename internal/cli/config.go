package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/secret"
)

func newConfig(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check or show the effective configuration",
		Long: `Check or show the configuration that 'wharf serve' would run with: defaults,
then the config file (--config or WHARF_CONFIG), then WHARF_* environment
variables, then flags. check and show take every flag serve takes, so the
same command line can be checked before it is served. See 'wharf serve
--help' for every setting.`,
		Example: `  wharf config check --config /etc/wharf.yaml
  wharf config check --listen :21 --cert /etc/wharf/cert.pem --key /etc/wharf/key.pem
  WHARF_LISTEN=off wharf config show`,
	}
	var checkPKCS12, showPKCS12 string
	check := &cobra.Command{
		Use:   "check",
		Short: "Report every problem in the configuration, or say it is fine",
		Long: `Load the configuration as 'wharf serve' would and report every problem at
once: values that do not parse, unknown keys, WHARF_ variables that are no
setting (a misspelt one), and what serve would refuse, such as a listener
address without a valid port, two listeners on one port, a certificate file
that is missing, unreadable or does not load, or a secrets_url scheme that
this build has no driver for.

check takes serve's flags; the settings without a flag (login_timeout,
ban_after, ...) are set in the file or the environment. 'wharf serve --help'
lists every setting with its WHARF_ variable.`,
		Example: `  wharf config check --config /etc/wharf.yaml
  WHARF_CONFIG=/etc/wharf.yaml wharf config check
  wharf config check --listen :21 --passive-ports 30000-30100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.serveConfig(cmd, checkPKCS12)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("configuration: %w", err)
			}
			if w := metricsWarning(cfg.MetricsListen); w != "" {
				fmt.Fprintln(cmd.OutOrStdout(), "warning: "+w)
			}
			if w := pkcs12Warning(cfg.Server); w != "" {
				fmt.Fprintln(cmd.OutOrStdout(), "warning: "+w)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "configuration OK")
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as YAML (passwords redacted)",
		Long: `Print the effective configuration as YAML, in the config file's format, with
every default filled in. Passwords are printed as REDACTED, and secrets_url
as its scheme only (a base64key:// URL holds the key itself). Durations are
printed as they are written (90d, 5m, 1h30m), and a listener that is off as
"off".

A value that does not parse, an unknown key or an unknown WHARF_ variable
stops show before it prints anything. A configuration that loads but that
'wharf serve' would refuse is printed, and then the problems 'wharf config
check' lists are reported and show exits non-zero.`,
		Example: `  wharf config show > wharf.yaml   # a complete starting point`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.serveConfig(cmd, showPKCS12)
			if err != nil {
				return err
			}
			invalid := cfg.Validate() // before redacting the password it checks
			if cfg.Server.PKCS12Password != "" {
				cfg.Server.PKCS12Password = secret.Redacted
			}
			if cfg.SecretsURL != "" {
				cfg.SecretsURL = secret.RedactURL(cfg.SecretsURL)
			}
			enc := yaml.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent(2)
			if err := enc.Encode(cfg); err != nil {
				return fmt.Errorf("encode configuration: %w", err)
			}
			if err := enc.Close(); err != nil {
				return err
			}
			if invalid != nil {
				return fmt.Errorf("configuration: %w", invalid)
			}
			return nil
		},
	}
	serveFlags(check.Flags(), &checkPKCS12)
	serveFlags(show.Flags(), &showPKCS12)
	parseAsConfig(check.Flags())
	parseAsConfig(show.Flags())
	cmd.AddCommand(check, show)
	return cmd
}

// parseAsConfig makes every flag of fs that sets a config key keep its
// text as typed, for config.Load to parse as it parses the same setting
// from the file or the environment: one duration syntax (90d too), true
// and false only, one error text, and every bad value reported with the
// other problems. Left to pflag, --idle-timeout 1d was refused while
// WHARF_IDLE_TIMEOUT=1d was taken. String flags already do this.
func parseAsConfig(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if len(f.Annotations[configKey]) != 1 {
			return
		}
		typ := f.Value.Type()
		if _, done := f.Value.(*configValue); done || typ == "string" {
			return
		}
		def := f.DefValue
		if d, err := time.ParseDuration(def); err == nil && typ == "duration" {
			def = config.FormatDuration(d)
		}
		f.Value, f.DefValue = &configValue{typ: typ, text: def}, def
	})
}

// configValue is a flag's text, unparsed. Its Type keeps the flag's help
// as it was ("duration", "int"; a bool flag still works alone, by its
// NoOptDefVal "true").
type configValue struct{ typ, text string }

func (v *configValue) String() string        { return v.text }
func (v *configValue) Set(text string) error { v.text = text; return nil }
func (v *configValue) Type() string          { return v.typ }

// pkcs12Warning says when a PKCS#12 password is set with no PKCS#12 file
// to open, or "": most often a file setting that did not take, or a
// WHARF_PKCS12_PASSWORD left in the environment.
func pkcs12Warning(c ftpserver.Config) string {
	if c.PKCS12Password == "" || c.PKCS12File != "" {
		return ""
	}
	return "server.pkcs12_password is set without server.pkcs12_file, so it opens nothing: give the certificate with --pkcs12 FILE, or unset the password"
}
