package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

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
address without a valid port, two listeners on one port, or a certificate
file that is missing, unreadable or does not load.`,
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
			fmt.Fprintln(cmd.OutOrStdout(), "configuration OK")
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as YAML (passwords redacted)",
		Long: `Print the effective configuration as YAML, in the config file's format, with
every default filled in. Passwords are printed as REDACTED, and secrets_url
as its scheme only (a base64key:// URL holds the key itself). Problems found by
'wharf config check' are not reported here.`,
		Example: `  wharf config show > wharf.yaml   # a complete starting point`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.serveConfig(cmd, showPKCS12)
			if err != nil {
				return err
			}
			if cfg.Server.PKCS12Password != "" {
				cfg.Server.PKCS12Password = "REDACTED"
			}
			if cfg.SecretsURL != "" {
				cfg.SecretsURL = secret.RedactURL(cfg.SecretsURL)
			}
			enc := yaml.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent(2)
			if err := enc.Encode(cfg); err != nil {
				return fmt.Errorf("encode configuration: %w", err)
			}
			return enc.Close()
		},
	}
	serveFlags(check.Flags(), &checkPKCS12)
	serveFlags(show.Flags(), &showPKCS12)
	cmd.AddCommand(check, show)
	return cmd
}
