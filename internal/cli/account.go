package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

// accounts implements the add/list/show/set/remove commands shared by the
// partner and staff nouns.
type accounts struct {
	a    *app
	kind store.Kind
}

func (n accounts) noun() string { return string(n.kind) }

// oneName is a cobra.PositionalArgs that wants exactly one account name.
func (n accounts) oneName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one %s name, e.g. `%s acme`", n.noun(), cmd.CommandPath())
	}
	return nil
}

// get returns the account called name, which must be of n's kind.
func (n accounts) get(ctx context.Context, st store.Store, name string) (store.Account, error) {
	acct, err := st.Account(ctx, strings.ToLower(name)) // names are lower case, as logins match them
	if errors.Is(err, store.ErrNotFound) {
		return acct, fmt.Errorf("%s %q %w: see `wharf %s list`", n.noun(), name, store.ErrNotFound, n.noun())
	}
	if err != nil {
		return acct, err
	}
	if acct.Kind != n.kind {
		return acct, fmt.Errorf("%q is a %s account, not a %s: see `wharf %s show %s`", name, acct.Kind, n.noun(), acct.Kind, name)
	}
	return acct, nil
}

// home is where the account's files live.
func (n accounts) home(d dataDir, name string) string {
	if n.kind == store.Partner {
		return filepath.Join(d.files, name)
	}
	return d.files
}

func (n accounts) addCmd() *cobra.Command {
	p := &policyFlags{kind: n.kind}
	var pwStdin, disabled, adopt bool
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: fmt.Sprintf("Create a %s account", n.noun()),
		Args:  n.oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := store.ValidateName(name); err != nil {
				return err
			}
			acct := store.Account{Name: name, Kind: n.kind, Disabled: disabled}
			if _, err := p.apply(cmd.Flags(), &acct.Policy); err != nil {
				return err
			}
			pw, generated := password.Generate(), true
			if pwStdin {
				var err error
				if pw, err = readPassword(cmd, fmt.Sprintf("%s %s", n.noun(), acct.Name), acct.Name); err != nil {
					return err
				}
				if err := password.Check(name, pw); err != nil {
					return fmt.Errorf("%w: choose another, or leave out --password-stdin and Wharf generates one", err)
				}
				generated = false
			}
			ctx := cmd.Context()
			_, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			old, err := st.Account(ctx, name)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case old.Kind != n.kind:
				return fmt.Errorf("name %q is taken by a %s account: choose another name: %w", name, old.Kind, store.ErrExists)
			default:
				return fmt.Errorf("%s %q %w: see `wharf %s show %s`, or change it with `wharf %s set %s`", n.noun(), name, store.ErrExists, n.noun(), name, n.noun(), name)
			}
			adopted := 0
			if n.kind == store.Partner {
				if adopted, err = leftFiles(n.home(d, name), name, adopt); err != nil {
					return err
				}
			}
			if acct.PasswordHash, err = password.Hash(pw); err != nil {
				return fmt.Errorf("hash password: %w", err)
			}
			// Folders first: EnsureHome keeps existing files, and an
			// account whose folders are missing could log in to nothing.
			if err := ftpserver.EnsureHome(d.files, acct); err != nil {
				return fmt.Errorf("create folders for %s %q: %w", n.noun(), name, err)
			}
			if err := st.CreateAccount(ctx, &acct); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "created %s %q\n", n.noun(), name)
			if n.kind == store.Partner {
				fmt.Fprintf(out, "folders: %s (send/ and receive/)\n", n.home(d, name))
				if adopted > 0 {
					fmt.Fprintf(out, "adopted the %d file(s) already there\n", adopted)
				}
			}
			if generated {
				fmt.Fprintf(out, "password: %s\n", pw)
				fmt.Fprintf(out, "This password is not shown again: Wharf keeps only its hash. Replace it with `wharf %s set %s --generate-password`.\n", n.noun(), name)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin instead of generating one")
	f.BoolVar(&disabled, "disabled", false, "create the account disabled (it cannot log in until enabled)")
	if n.kind == store.Partner {
		f.BoolVar(&adopt, "adopt-files", false, "give the new partner the files already in DATA/files/NAME (left by a removed partner of that name); without it add refuses such a folder")
	}
	p.register(f, false)
	return cmd
}

// leftFiles counts the files already in a new partner's home, left there
// by a removed partner of the same name. Unless adopt, any is an error:
// a name reused for another company must not hand it the old one's files.
func leftFiles(home, name string, adopt bool) (int, error) {
	if fi, err := os.Stat(home); err == nil && !fi.IsDir() {
		// Staff can upload a file to the file root under any name.
		return 0, fmt.Errorf("%s is a file, not a folder: move it away, or choose another name for the partner", home)
	}
	n, first := 0, ""
	err := filepath.WalkDir(home, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == home {
				return filepath.SkipAll
			}
			return err
		}
		if !e.IsDir() {
			if n++; first == "" {
				first, _ = filepath.Rel(home, p)
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return 0, fmt.Errorf("look for files left in %s: %w", home, err)
	case n > 0 && !adopt:
		what := fmt.Sprintf("%d files, among them %s", n, first)
		if n == 1 {
			what = "a file, " + first
		}
		return 0, fmt.Errorf("%s already holds %s, left by an earlier partner %q: the new account would see them. Give --adopt-files to hand them to it, or move the folder away first", home, what, name)
	}
	return n, nil
}

// readPassword reads the first line of cmd's stdin, the password of what
// (account name). When stdin is a terminal it prompts on stderr and reads
// twice without echo.
func readPassword(cmd *cobra.Command, what, name string) (string, error) {
	r := cmd.InOrStdin()
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptPassword(int(f.Fd()), cmd.ErrOrStderr(), what)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("--password-stdin: stdin held no password: pipe one in, e.g. `printf '%%s\\n' \"$PW\" | %s %s --password-stdin`", cmd.CommandPath(), name)
	}
	return pw, nil
}

func promptPassword(fd int, w io.Writer, what string) (string, error) {
	var pw [2]string
	for i, p := range []string{"Password for " + what + ": ", "Again: "} {
		fmt.Fprint(w, p)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(w)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		pw[i] = string(b)
	}
	switch {
	case pw[0] == "":
		return "", errors.New("empty password: type one, or leave out --password-stdin to generate one")
	case pw[0] != pw[1]:
		return "", errors.New("the passwords differ: try again")
	}
	return pw[0], nil
}

// accountView is an account as shown by list and show: never its hash.
type accountView struct {
	Name     string       `json:"name"`
	Kind     store.Kind   `json:"kind"`
	Disabled bool         `json:"disabled"`
	Home     string       `json:"home"`
	Policy   store.Policy `json:"policy"`
	// Effective is what the account may do: Policy where it sets a
	// field, the server's otherwise, as ServerSettings says where those
	// come from: "running_serve" (the serve running on the data
	// directory) or "configuration" (this command's own, when none runs).
	Effective      ftpserver.Effective `json:"effective"`
	ServerSettings string              `json:"server_settings"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
}

func (n accounts) view(d dataDir, srv serverSettings, a store.Account) accountView {
	return accountView{Name: a.Name, Kind: a.Kind, Disabled: a.Disabled, Home: n.home(d, a.Name),
		Policy: a.Policy, Effective: srv.cfg.Effective(a), ServerSettings: srv.source,
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

func status(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}

func (n accounts) listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   fmt.Sprintf("List %s accounts", n.noun()),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.Accounts(ctx, n.kind)
			if err != nil {
				return fmt.Errorf("list %s accounts: %w", n.noun(), err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				srv := serverSettingsFor(d.root, cfg.Server)
				views := make([]accountView, 0, len(list))
				for _, a := range list {
					views = append(views, n.view(d, srv, a))
				}
				return writeJSON(out, views)
			}
			if len(list) == 0 {
				fmt.Fprintf(out, "no %s accounts yet: add one with `wharf %s add NAME`\n", n.noun(), n.noun())
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			if n.kind == store.Partner {
				fmt.Fprintln(tw, "NAME\tSTATUS\tSEND\tRECEIVE\tOVERRIDES\tCREATED")
			} else {
				fmt.Fprintln(tw, "NAME\tSTATUS\tOVERRIDES\tCREATED")
			}
			for _, a := range list {
				created := a.CreatedAt.Local().Format(time.DateTime)
				if n.kind == store.Partner {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, status(a.Disabled),
						a.Policy.SendAccess(), a.Policy.ReceiveAccess(), overrides(a.Policy), created)
				} else {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, status(a.Disabled), overrides(a.Policy), created)
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (n accounts) showCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: fmt.Sprintf("Show a %s account's settings (never its password)", n.noun()),
		Args:  n.oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			acct, err := n.get(ctx, st, args[0])
			if err != nil {
				return err
			}
			srv := serverSettingsFor(d.root, cfg.Server)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), n.view(d, srv, acct))
			}
			return n.printAccount(cmd.OutOrStdout(), d, srv, acct)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (n accounts) printAccount(w io.Writer, d dataDir, srv serverSettings, a store.Account) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	eff := srv.cfg.Effective(a)
	// b and s show the account's own value, or the effective one marked
	// as the server's.
	b := func(v *bool, effective bool, def string) string {
		if v == nil {
			return yesNo(effective) + " (" + def + ")"
		}
		return yesNo(*v)
	}
	s := func(v *string, effective string) string {
		show := func(x string) string {
			if x == "" {
				return `"" (none)`
			}
			return x
		}
		if v == nil && effective == "" {
			return "none (server setting)"
		}
		if v == nil {
			return effective + " (server setting)"
		}
		return show(*v)
	}
	row("name", a.Name)
	row("kind", string(a.Kind))
	row("status", status(a.Disabled))
	row("home", n.home(d, a.Name))
	if n.kind == store.Partner {
		acc := func(v *store.Access, eff store.Access) string {
			if v == nil {
				return eff.String() + " (default)"
			}
			return v.String()
		}
		row("send", acc(a.Policy.Send, a.Policy.SendAccess()))
		row("receive", acc(a.Policy.Receive, a.Policy.ReceiveAccess()))
	}
	overwriteDefault := "default"
	if n.kind == store.Staff {
		overwriteDefault = "staff default"
	}
	row("overwrite", b(a.Policy.Overwrite, eff.Overwrite, overwriteDefault))
	allowPlain := b(a.Policy.AllowPlain, eff.AllowPlain, "server setting")
	if a.Policy.AllowPlain != nil && !*a.Policy.AllowPlain && eff.AllowPlain {
		allowPlain = "yes (the server allows plain FTP to every account)"
	}
	row("allow plain", allowPlain)
	row("tls reuse", b(a.Policy.TLSReuse, eff.TLSReuse, "server setting"))
	row("filter", s(a.Policy.Filter, eff.Filter))
	row("temp extensions", s(a.Policy.TempExtensions, eff.TempExtensions))
	if n.kind == store.Partner {
		row("remove after send", b(a.Policy.RemoveAfterSend, eff.RemoveAfterSend, "server setting"))
	}
	row("server settings", srv.note)
	row("created", a.CreatedAt.Local().Format(time.RFC3339))
	row("updated", a.UpdatedAt.Local().Format(time.RFC3339))
	return tw.Flush()
}

func (n accounts) setCmd() *cobra.Command {
	p := &policyFlags{kind: n.kind}
	var pwStdin, genPW, disabled bool
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: fmt.Sprintf("Change a %s account: only the flags given change", n.noun()),
		Args:  n.oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if pwStdin && genPW {
				return errors.New("--password-stdin and --generate-password contradict each other: give one")
			}
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			acct, err := n.get(ctx, st, args[0])
			if err != nil {
				return err
			}
			changed, err := p.apply(f, &acct.Policy)
			if err != nil {
				return err
			}
			if f.Changed("disabled") {
				acct.Disabled = disabled
				changed = append(changed, "disabled")
			}
			var newPW string
			switch {
			case pwStdin:
				if newPW, err = readPassword(cmd, fmt.Sprintf("%s %s", n.noun(), acct.Name), acct.Name); err != nil {
					return err
				}
				if err := password.Check(acct.Name, newPW); err != nil {
					return fmt.Errorf("%w: choose another, or use --generate-password instead", err)
				}
			case genPW:
				newPW = password.Generate()
			}
			if newPW != "" {
				if acct.PasswordHash, err = password.Hash(newPW); err != nil {
					return fmt.Errorf("hash password: %w", err)
				}
				changed = append(changed, "password")
			}
			if len(changed) == 0 {
				return fmt.Errorf("nothing to change: give at least one flag, see `wharf %s set --help`", n.noun())
			}
			if err := st.UpdateAccount(ctx, &acct); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "updated %s %q: %s\n", n.noun(), acct.Name, strings.Join(changed, ", "))
			if genPW {
				fmt.Fprintf(out, "password: %s\n", newPW)
				fmt.Fprintln(out, "This password is not shown again: Wharf keeps only its hash.")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&pwStdin, "password-stdin", false, "set the password to the first line of stdin; a running server closes the sessions logged in with the old one")
	f.BoolVar(&genPW, "generate-password", false, "set a new random password and print it once")
	f.BoolVar(&disabled, "disabled", false, "disable the account; a running server closes its open sessions within seconds (--disabled=false enables it again)")
	p.register(f, true)
	return cmd
}

func (n accounts) removeCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   n.removeShort(),
		Args:    n.oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			acct, err := n.get(ctx, st, args[0])
			if err != nil {
				return err
			}
			mounts, err := st.Mounts(ctx, acct.Name)
			if err != nil {
				return err
			}
			if err := st.DeleteAccount(ctx, acct.Name); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "removed %s %q\n", n.noun(), acct.Name)
			for _, m := range mounts {
				if err := st.DeleteMount(ctx, m.Account, m.Path); err != nil {
					return err
				}
				fmt.Fprintf(out, "removed its mount %s of remote %q\n", m.Path, m.Remote)
			}
			if n.kind == store.Partner {
				fmt.Fprintf(out, "its files in %s were kept: delete them yourself when no longer needed\n", n.home(d, acct.Name))
				syncs, err := st.Syncs(ctx)
				if err != nil {
					return err
				}
				for _, sy := range syncs {
					if vfs.Within(sy.Folder, acct.Name) {
						fmt.Fprintf(out, "sync %s still runs on %s, whose files were kept: `wharf sync remove %s` stops it\n", sy.Name, sy.Folder, sy.Name)
					}
				}
			}
			return nil
		},
	}
}

func (n accounts) removeShort() string {
	if n.kind == store.Partner {
		return "Delete a partner account (a running server closes its sessions); its files stay on disk"
	}
	return "Delete a staff account (a running server closes its sessions)"
}
