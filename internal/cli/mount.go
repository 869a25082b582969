package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/remoteset"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
)

func newMount(a *app) *cobra.Command {
	n := mounts{a: a}
	cmd := &cobra.Command{
		Use:   "mount",
		Short: "Make folders of an account pass through to a remote",
		Long: `Manage mounts. A mount makes a folder of an account's tree a live window onto
a folder on a remote (see 'wharf remote'): every listing, download and upload
in it passes straight through to the remote, over the remote's shared pool of
connections.

For a partner the folder lies inside send/ or receive/, so the usual rights
apply: /send/NAME shows files the partner picks up from the remote, and
/receive/NAME sends the partner's uploads to the remote. Staff can mount
anywhere, the root included. A running server gives the account's open
sessions a mount added, removed or changed within 2 seconds.

With remove-after-send on (server-wide or for the partner), a file
downloaded completely from a mount under /send is deleted on the remote,
as a local one is from send/; mount it --read-only to keep the remote's
files.`,
		Example: `  wharf mount add acme /send/outbox acme-ftp:/outbox
  wharf mount add acme /receive/inbox acme-ftp:/inbox
  wharf mount add ops /archive archive-ftp --read-only
  wharf mount list acme
  wharf mount remove acme /send/outbox`,
	}
	cmd.AddCommand(n.addCmd(), n.listCmd(), n.removeCmd())
	return cmd
}

// mounts implements the mount commands.
type mounts struct{ a *app }

// mountPath cleans an account path and checks that a mount may sit there:
// anywhere for staff, strictly inside send/ or receive/ for a partner,
// whose root and those two folders belong to Wharf.
func mountPath(acct store.Account, p string) (string, error) {
	c, err := vfs.Clean(p)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", p, err)
	}
	if acct.Kind != store.Partner {
		return c, nil
	}
	if strings.HasPrefix(c, "/send/") || strings.HasPrefix(c, "/receive/") {
		return c, nil
	}
	return "", fmt.Errorf("path %s: a partner's tree holds only send/ and receive/, so a mount goes inside one of them: "+
		"/send/NAME for files %s picks up from the remote, or /receive/NAME for files %s uploads to it", c, acct.Name, acct.Name)
}

// nested reports an existing mount of the account that p would sit in or
// cover: mounts do not nest.
func nested(list []store.Mount, p string) (store.Mount, bool) {
	inside := func(a, b string) bool { return b == "/" || a == b || strings.HasPrefix(a, b+"/") }
	for _, m := range list {
		if inside(p, m.Path) || inside(m.Path, p) {
			return m, true
		}
	}
	return store.Mount{}, false
}

func (n mounts) addCmd() *cobra.Command {
	var readOnly, noCheck bool
	cmd := &cobra.Command{
		Use:   "add ACCOUNT PATH REMOTE[:REMOTE_PATH]",
		Short: "Mount a remote folder at a path of an account",
		Long: `Mount REMOTE_PATH of REMOTE (default: the remote's root) at PATH in ACCOUNT's
tree. For a partner, PATH lies inside /send or /receive; for staff, anywhere.
Files already in the local folder at PATH are hidden while the mount is in
place. --read-only refuses every change through the mount (so does a
read-only remote).

add connects to the remote and checks that REMOTE_PATH is a folder there: a
folder that does not exist, or a file, is refused. When the remote cannot be
reached (or refuses the login), the mount is added with a warning.
--no-check skips the check, for a folder that will be created later.`,
		Example: `  wharf mount add acme /send/outbox acme-ftp:/outbox
  wharf mount add acme /receive/inbox acme-ftp:/inbox
  wharf mount add ops /archive archive-ftp --read-only
  wharf mount add acme /send/later acme-ftp:/not-yet --no-check`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 3 {
				return fmt.Errorf("want ACCOUNT, PATH and REMOTE[:REMOTE_PATH], e.g. `%s acme /send/outbox acme-ftp:/outbox`", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rp, err := parseRemotePath(args[2], true)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			acct, err := getAccount(ctx, st, args[0])
			if err != nil {
				return err
			}
			p, err := mountPath(acct, args[1])
			if err != nil {
				return err
			}
			r, err := getRemote(ctx, st, rp.name)
			if err != nil {
				return err
			}
			rdir, err := vfs.Clean(rp.path)
			if err != nil {
				return fmt.Errorf("remote path %q: %w", rp.path, err)
			}
			existing, err := st.Mounts(ctx, acct.Name)
			if err != nil {
				return fmt.Errorf("list mounts: %w", err)
			}
			if old, ok := nested(existing, p); ok {
				return fmt.Errorf("%s of %s would overlap the mount at %s (remote %s): mounts do not nest, see `wharf mount list %s`",
					p, acct.Name, old.Path, old.Remote, acct.Name)
			}
			if err := checkNoSyncUnder(ctx, st, acct, p); err != nil {
				return err
			}
			rpath := remotePath{name: r.Name, path: rdir}
			var checked string
			if !noCheck {
				if checked, err = n.checkFolder(ctx, cfg, d, st, r, rpath); err != nil {
					return err
				}
			}
			m := store.Mount{Account: acct.Name, Path: p, Remote: r.Name, RemotePath: strings.TrimSuffix(rdir, "/"), ReadOnly: readOnly}
			if err := st.CreateMount(ctx, &m); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if checked != "" {
				fmt.Fprintln(out, checked)
			}
			mode := "read-write"
			switch {
			case readOnly:
				mode = "read-only"
			case r.Settings.ReadOnly:
				mode = "read-only (the remote is)"
			}
			fmt.Fprintf(out, "mounted %s:%s at %s of %s, %s\n", r.Name, rdir, p, acct.Name, mode)
			if hidden := localFolder(d, acct, p); hasFiles(hidden) {
				fmt.Fprintf(out, "the files in %s are hidden while the mount is in place\n", hidden)
			}
			writable := !readOnly && !r.Settings.ReadOnly
			switch {
			case acct.Kind != store.Partner:
			case strings.HasPrefix(p, "/receive/") && !writable:
				fmt.Fprintf(out, "note: %s cannot upload into a read-only mount, although it is in receive/\n", acct.Name)
			case strings.HasPrefix(p, "/send/") && writable && removeAfterSend(acct, cfg.Server.RemoveAfterSend):
				fmt.Fprintf(out, "note: remove-after-send is on for %s, so files it downloads are deleted on the remote; "+
					"add --read-only to keep them\n", acct.Name)
			}
			fmt.Fprintf(out, "a running server gives %s's open sessions the mount within 2 seconds\n", acct.Name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "refuse uploads, deletes, renames and new folders through the mount")
	cmd.Flags().BoolVar(&noCheck, "no-check", false, "do not connect to the remote to check that REMOTE_PATH is a folder there")
	return cmd
}

// checkTimeout bounds mount add's look at the remote: the dial timeout,
// TLS, login and a stat.
const checkTimeout = 30 * time.Second

// checkFolder connects to remote r and asks whether rp is a folder there.
// It returns an error when the remote says it is not (missing, or a
// file) or is this instance, and otherwise a line to print: that the
// folder is there, or a warning that it could not be checked, and why.
func (n mounts) checkFolder(ctx context.Context, cfg config.Config, d dataDir, st store.Store, r store.Remote, rp remotePath) (line string, err error) {
	warn := func(err error) (string, error) {
		return fmt.Sprintf("warning: could not check that %s is a folder (%v); the mount is added anyway: "+
			"check the remote with `wharf remote test %s`", rp, err, r.Name), nil
	}
	id, err := instanceID(d)
	if err != nil {
		return "", err
	}
	keeper, err := openKeeper(ctx, d.root, cfg.SecretsURL, st)
	if err != nil {
		return "", err
	}
	defer keeper.Close()
	log := newLogger(n.a.opt.Stderr, cfg.Log)
	set := remoteset.New(st, keeper, log, id)
	defer set.Close()
	rc, err := set.Config(ctx, r)
	if err != nil {
		return warn(err)
	}
	rc.Name = r.Name // hints name the command that fixes what fails
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	c, err := remote.Dial(ctx, rc, log)
	if errors.Is(err, remote.ErrSelf) {
		// Not a remote that is down: this mount could never work.
		return "", fmt.Errorf("%w; or add --no-check to mount it anyway", err)
	}
	if err != nil {
		return warn(err)
	}
	defer c.Close()
	e, err := c.Stat(ctx, rp.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("remote folder %s does not exist on %s: create it there first (see `wharf remote ls %s:%s`), "+
			"or add --no-check to mount it anyway; the mount answers 550 until it exists", rp.path, r.Name, r.Name, path.Dir(rp.path))
	case err != nil:
		return warn(err)
	case e.Type == remote.File:
		return "", fmt.Errorf("%s is a file, not a folder: a mount shows a folder, such as %s:%s", rp, r.Name, path.Dir(rp.path))
	}
	return fmt.Sprintf("checked: %s is a folder on the remote", rp), nil
}

// removeAfterSend is the account's effective remove-after-send setting.
func removeAfterSend(a store.Account, server bool) bool {
	if a.Policy.RemoveAfterSend != nil {
		return *a.Policy.RemoveAfterSend
	}
	return server
}

// getAccount returns the account called name, of any kind.
func getAccount(ctx context.Context, st store.Store, name string) (store.Account, error) {
	a, err := st.Account(ctx, strings.ToLower(name)) // names are lower case
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("account %q %w: see `wharf partner list` and `wharf staff list`", name, store.ErrNotFound)
	}
	return a, err
}

// localFolder is the local directory behind path p of the account's tree.
func localFolder(d dataDir, a store.Account, p string) string {
	return filepath.Join(d.files, filepath.FromSlash(mountFolder(a, p)))
}

// mountFolder is the folder under DATA/files that a's tree shows at p,
// as a sync's --folder names it: "acme/send/outbox" for partner acme's
// /send/outbox, "shared/x" for a staff account's /shared/x.
func mountFolder(a store.Account, p string) string {
	if a.Kind == store.Partner {
		return path.Join(a.Name, vfs.Rel(p))
	}
	return vfs.Rel(p)
}

func hasFiles(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) > 0
}

// mountView is a mount as list prints it.
type mountView struct {
	Account    string `json:"account"`
	Path       string `json:"path"`
	Remote     string `json:"remote"`
	RemotePath string `json:"remote_path"`
	ReadOnly   bool   `json:"read_only"`
	// RemoteReadOnly: the remote itself is read-only, so the mount is too.
	RemoteReadOnly bool      `json:"remote_read_only,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

func (n mounts) listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list [ACCOUNT]",
		Aliases: []string{"ls"},
		Short:   "List mounts, of every account or of one",
		Example: "  wharf mount list\n  wharf mount list acme --json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			var account string
			if len(args) == 1 {
				acct, err := getAccount(ctx, st, args[0])
				if err != nil {
					return err
				}
				account = acct.Name
			}
			list, err := st.Mounts(ctx, account)
			if err != nil {
				return fmt.Errorf("list mounts: %w", err)
			}
			views := make([]mountView, 0, len(list))
			for _, m := range list {
				v := mountView{Account: m.Account, Path: m.Path, Remote: m.Remote,
					RemotePath: path.Clean("/" + m.RemotePath), ReadOnly: m.ReadOnly, CreatedAt: m.CreatedAt.UTC()}
				if r, err := st.Remote(ctx, m.Remote); err == nil {
					v.RemoteReadOnly = r.Settings.ReadOnly
				}
				views = append(views, v)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, views)
			}
			if len(views) == 0 {
				fmt.Fprintln(out, "no mounts yet: add one with `wharf mount add ACCOUNT PATH REMOTE[:REMOTE_PATH]`")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tPATH\tREMOTE\tMODE\tCREATED")
			for _, v := range views {
				fmt.Fprintf(tw, "%s\t%s\t%s:%s\t%s\t%s\n", v.Account, v.Path, v.Remote, v.RemotePath,
					mountMode(v), v.CreatedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func (n mounts) removeCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "remove ACCOUNT PATH",
		Aliases: []string{"rm"},
		Short:   "Remove a mount; nothing on the remote changes",
		Long: `Remove the mount at PATH of ACCOUNT; nothing on the remote changes. A running
server takes it from the account's open sessions within 2 seconds, and the
folder shows its local files again; the empty folder the mount point made
is removed.`,
		Example: "  wharf mount remove acme /send/outbox",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("want ACCOUNT and PATH, e.g. `%s acme /send/outbox`", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			acct, err := getAccount(ctx, st, args[0])
			if err != nil {
				return err
			}
			p, err := vfs.Clean(args[1])
			if err != nil {
				return fmt.Errorf("path %q: %w", args[1], err)
			}
			err = st.DeleteMount(ctx, acct.Name, p)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%s has no mount at %s: see `wharf mount list %s`", acct.Name, p, acct.Name)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed the mount at %s of %s\n", p, acct.Name)
			if top := p == "/" || acct.Kind == store.Partner && (p == "/send" || p == "/receive"); !top {
				_ = os.Remove(localFolder(d, acct, p)) // only when empty: the mount point's own folder
			}
			return nil
		},
	}
}

// mountMode is what a mount allows: its own setting, and its remote's.
func mountMode(v mountView) string {
	switch {
	case v.ReadOnly:
		return "read-only"
	case v.RemoteReadOnly:
		return "read-only (the remote is)"
	}
	return "read-write"
}

// checkNoSyncUnder refuses a mount at p of acct's tree when a sync's
// folder is there or inside it: the mount would hide the folder from the
// account, and a pull into it would deliver files nobody sees (with
// --after-copy delete, their sources gone).
func checkNoSyncUnder(ctx context.Context, st store.Store, acct store.Account, p string) error {
	at := mountFolder(acct, p)
	syncs, err := st.Syncs(ctx)
	if err != nil {
		return err
	}
	for _, sy := range syncs {
		if vfs.Within(sy.Folder, at) {
			return fmt.Errorf("sync %s uses %s, which a mount at %s of %s would hide: a mount is a window onto a remote, not files on this server; "+
				"mount elsewhere, or change the sync first (`wharf sync set %s --folder ...` or `wharf sync remove %s`)", sy.Name, sy.Folder, p, acct.Name, sy.Name, sy.Name)
		}
	}
	return nil
}
