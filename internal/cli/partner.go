package cli

import (
	"github.com/spf13/cobra"

	"github.com/wharf-mft/wharf/internal/store"
)

func newPartner(a *app) *cobra.Command {
	n := accounts{a: a, kind: store.Partner}
	cmd := &cobra.Command{
		Use:   "partner",
		Short: "Manage trading-partner accounts",
		Long: `Manage trading-partner accounts. A partner logs in over FTP/FTPS and sees
only its own root, DATA/files/NAME, holding two folders:

  send/     files for the partner to pick up (default rights: r, download)
  receive/  files the partner drops off (default rights: w, upload)

Other settings (overwrite, allow-plain, tls-reuse, filter, temp-extensions,
remove-after-send) inherit the server's unless set per partner; --reset FIELD
returns one to the server's setting.

Names are 1-63 lower-case letters, digits, '.', '_' or '-', starting with a
letter or digit.`,
		Example: `  wharf partner add acme                       # prints a generated password once
  printf '%s\n' "$PW" | wharf partner add acme --password-stdin
  wharf partner add globex --filter '*.edi,*.x12' --remove-after-send
  wharf partner list
  wharf partner show acme
  wharf partner set acme --receive rw --overwrite
  wharf partner set acme --reset filter --disabled=false
  wharf partner remove acme                    # its files stay on disk`,
	}
	add := n.addCmd()
	add.Long = `Create a partner account and its send/ and receive/ folders under
DATA/files/NAME. Without --password-stdin a random password is generated and
printed once; Wharf keeps only its hash. A password given on stdin needs at
least 12 characters, must not contain the account name, and must not start
or end with a space.

When DATA/files/NAME still holds files (left by a removed partner of the
same name), add refuses: the new account would see them. --adopt-files
hands them to it; otherwise move the folder away first.`
	add.Example = `  wharf partner add acme
  printf '%s\n' "$PW" | wharf partner add acme --password-stdin
  wharf partner add acme --send rw --filter '*.edi,-*.tmp' --temp-extensions .tmp,.part
  wharf partner add acme --adopt-files          # after 'partner remove acme', keeping its files`

	set := n.setCmd()
	set.Long = `Change a partner account. Only the flags given change anything; a flag
given as --flag=false sets an explicit "no" that overrides the server.
--reset FIELD (repeatable, or comma-separated, or "all") removes an override so
the partner follows the default again.`
	set.Example = `  wharf partner set acme --send rw --receive w
  wharf partner set acme --disabled
  wharf partner set acme --disabled=false
  wharf partner set acme --generate-password
  printf '%s\n' "$PW" | wharf partner set acme --password-stdin
  wharf partner set acme --reset filter,temp-extensions`

	list := n.listCmd()
	list.Example = "  wharf partner list\n  wharf partner list --json | jq '.[].name'"
	show := n.showCmd()
	show.Example = "  wharf partner show acme\n  wharf partner show acme --json"
	remove := n.removeCmd()
	remove.Long = `Delete a partner account. It can no longer log in, and a running server
closes its open sessions within seconds. Its folders and files under
DATA/files/NAME stay on disk until you delete them; adding a partner of the
same name later needs --adopt-files while they are there.`
	remove.Example = "  wharf partner remove acme"
	cmd.AddCommand(add, list, show, set, remove)
	return cmd
}
