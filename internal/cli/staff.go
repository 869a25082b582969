package cli

import (
	"github.com/spf13/cobra"

	"github.com/wharf-mft/wharf/internal/store"
)

func newStaff(a *app) *cobra.Command {
	n := accounts{a: a, kind: store.Staff}
	cmd := &cobra.Command{
		Use:   "staff",
		Short: "Manage staff accounts (they see every partner's folders)",
		Long: `Manage staff accounts. A staff user logs in over FTP/FTPS and sees the whole
file root, DATA/files, with every partner's send/ and receive/ folders.

Settings (overwrite, allow-plain, tls-reuse, filter, temp-extensions) inherit
the server's unless set per account; --reset FIELD returns one to the default.

Names are 1-63 lower-case letters, digits, '.', '_' or '-', starting with a
letter or digit, and share one namespace with partners.`,
		Example: `  wharf staff add alice                        # prints a generated password once
  printf '%s\n' "$PW" | wharf staff add alice --password-stdin
  wharf staff list
  wharf staff show alice
  wharf staff set alice --overwrite
  wharf staff remove alice`,
	}
	add := n.addCmd()
	add.Long = `Create a staff account. Without --password-stdin a random password is
generated and printed once; Wharf keeps only its hash. A password given on
stdin needs at least 12 characters, must not contain the account name, and
must not start or end with a space.`
	add.Example = "  wharf staff add alice\n  printf '%s\\n' \"$PW\" | wharf staff add alice --password-stdin"
	set := n.setCmd()
	set.Long = `Change a staff account. Only the flags given change anything; --reset FIELD
(repeatable, comma-separated, or "all") removes an override.`
	set.Example = "  wharf staff set alice --disabled\n  wharf staff set alice --generate-password\n  wharf staff set alice --reset all"
	list := n.listCmd()
	list.Example = "  wharf staff list\n  wharf staff list --json"
	show := n.showCmd()
	show.Example = "  wharf staff show alice"
	remove := n.removeCmd()
	remove.Example = "  wharf staff remove alice"
	cmd.AddCommand(add, list, show, set, remove)
	return cmd
}
