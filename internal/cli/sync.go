package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/filesync"
	"github.com/wharf-mft/wharf/internal/remoteset"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/localfs"
)

const syncLong = `Manage syncs: jobs that keep a folder under DATA/files and a folder on a
remote in step.

  push      copy new and changed local files to the remote
  pull      copy new and changed remote files into the folder
  two-way   both; a delete on one side is applied to the other, and a file
            changed on both sides is a conflict settled by --conflict

A file has changed when its size or modification time differs from when it
was last synced. A file pushed (or pulled) once and since deleted by the other
side is not copied again unless it changes: each file is delivered once.
With --after-copy delete (push or pull), the source is removed once its copy
is verified. Files still being received (hidden .wharf- names, the server's
temp extensions) are never picked up. A pull, and a two-way sync for what
it takes from the remote, leaves a remote file alone until it is a minute
old by its listed time: some servers (pure-ftpd) let a file still being
uploaded be downloaded, and with --after-copy delete its source would go
while its writer still writes. A process that writes into a local
folder a push syncs should write under a temp extension or another folder
and rename the file into place: a push takes what the folder shows.

Safety: a run lists both sides completely first; a listing that fails stops
the run before anything changes. (A push with no local file changed since
the last sync has nothing to do whatever the remote holds, and does not list
it.) A two-way run that would delete more than --max-delete percent of the
files on a side, because they are gone from the other side, stops and says
where; check, then run it with --force. Every action is journaled, so a run
killed at any moment finishes on the next run without losing or duplicating
a file. A run counts the files it copied, the files it deleted because they
were deleted on the other side, and apart from those the sources it removed
after their copy (--after-copy delete).

Filters: --filter globs match a file's base name only, never its folder:
"*.edi" takes in/order.edi as it takes order.edi, in every subfolder. Files
the filter leaves out keep their synced state, so narrowing a filter and
widening it again sends nothing twice.

Conflicts (two-way): newer (default) keeps the later modification time under
the file's name; local or remote name the side that keeps it. The other
version is kept under a conflict name, e.g. order.conflict-remote-
20261122T101500Z.edi, on both sides. keep-both keeps both versions under
conflict names and neither under the original name. newer compares times at
the precision the remote gives, asking it for the exact time of a file whose
listing shows only minutes (MDTM); when the two times still cannot be told
apart, both versions are kept under conflict names, as keep-both does.

Schedules (--every, --cron) and --on-receive take effect while 'wharf serve'
runs. A --cron schedule is in the server's local time zone unless it starts
with CRON_TZ=ZONE ("CRON_TZ=America/New_York 30 5 * * 1-5"). 'wharf sync
run' runs a sync now. Under serve, a run that fails (the remote is down),
finds the sync busy or leaves files failed runs again after 10 seconds, then
at doubling delays up to 10 minutes, until one succeeds; at start every
--on-receive sync runs once (for files received meanwhile), and a schedule
continues from the sync's last run, running at once what it missed.

Under serve, a local file modified less than 3 seconds ago is not pushed
yet: a client that keeps file times sets the time just after its upload
ends (MFMT), and a copy taken before would be sent again once the time
changed; the sync runs again as soon as the file is old enough. 'wharf
sync run' pushes such a file at once. A remote file is pulled once it is a
minute old (it may still be being written).`

const syncAddLong = `Add a sync between a folder under DATA/files and a folder on a remote. It
changes nothing until it runs: 'wharf sync run NAME --dry-run' shows what it
would do, 'wharf sync run NAME' runs it, and --every, --cron or --on-receive
run it while 'wharf serve' runs.

--folder is a folder under DATA/files that exists (a partner's send/ or
receive/, made by 'wharf partner add'); --remote names a remote from 'wharf
remote list', with a folder on it after a colon (its root without one).
--folder may not be a mount ('wharf mount list'): a mount is a window onto
a remote, not files on this server; sync that remote folder instead. A
sync of a folder that holds a mount leaves the mount's content out.
--direction push copies new and changed files to the remote, pull copies
them from it, two-way both (see 'wharf sync --help'). With --after-copy
delete (push, pull) each source is removed once its copy is verified; a file
delivered once is not delivered again either way, unless it changes.

A sync with --after-copy delete may not share its source with another sync
(the same or a nested local folder for a push, the same remote folder for
a pull) unless their filters have no name in common ("*.edi" and "*.x12"):
whichever ran first would take a file and the other would never deliver
it. Such a pair is refused here, and a pair stored by an older version does
not run until one is changed. To send one folder to two remotes, keep the
source (--after-copy keep) in both.

--filter takes comma-separated globs that match a file's base name only,
never its folder: "*.edi" takes order.edi and in/order.edi, a pattern with a
slash is refused, and every subfolder is synced. A leading "-" excludes, and
matching ignores case. Files still being received (the server's temp
extensions) are never picked up.

--max-delete (percent, default 50) stops a run that would delete more than
that share of one side's files because they are gone from the other side
(two-way); 0 stops any such delete. 'wharf sync run NAME --force' lets such
a run go ahead.`

func newSync(a *app) *cobra.Command {
	n := syncs{a: a}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Keep local folders and remote folders in step (push, pull, two-way)",
		Long:  syncLong,
		Example: `  wharf sync add acme-out --folder acme/send --remote acme:/inbound --direction push --after-copy delete --every 5m
  wharf sync add acme-in --folder acme/receive --remote acme:/outbound --direction pull --cron "*/15 * * * *"
  wharf sync add shared --folder ops/shared --remote bank --direction two-way --conflict newer
  wharf sync run acme-out --dry-run
  wharf sync run acme-out
  wharf sync status
  wharf sync history acme-out`,
	}
	cmd.AddCommand(n.addCmd(), n.listCmd(), n.showCmd(), n.setCmd(), n.removeCmd(), n.runCmd(), n.statusCmd(), n.historyCmd())
	return cmd
}

// syncs implements the sync commands.
type syncs struct{ a *app }

func oneSync(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one sync name, e.g. `%s acme-out`", cmd.CommandPath())
	}
	return nil
}

// getSync returns the sync called name, saying what to do when there is none.
func getSync(ctx context.Context, st store.Store, name string) (store.Sync, error) {
	sy, err := st.Sync(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return sy, fmt.Errorf("no sync %q: `wharf sync list` shows the syncs, `wharf sync add` makes one", name)
	}
	return sy, err
}

// syncFlags are the settings add and set share.
type syncFlags struct {
	folder, remote, direction, afterCopy string
	every                                time.Duration
	cron                                 string
	onReceive                            bool
	filter, conflict                     string
	maxDelete                            int
}

func (f *syncFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.folder, "folder", "", "local folder under DATA/files, e.g. acme/send")
	fs.StringVar(&f.remote, "remote", "", "REMOTE[:PATH]: a remote (see wharf remote list) and a folder on it")
	fs.StringVar(&f.direction, "direction", "", "push, pull or two-way")
	fs.StringVar(&f.afterCopy, "after-copy", store.AfterCopyKeep, "keep or delete the source once its copy is verified (push, pull)")
	fs.Var((*durationValue)(&f.every), "every", "run this often while wharf serve runs, e.g. 5m or 1d (0: not on a timer)")
	fs.StringVar(&f.cron, "cron", "", `run on a cron schedule while wharf serve runs, e.g. "*/15 * * * *" (server's local time; "CRON_TZ=Europe/Berlin 0 6 * * *" names a zone)`)
	fs.BoolVar(&f.onReceive, "on-receive", false, "run when a file is received into the folder (push, two-way)")
	fs.StringVar(&f.filter, "filter", "", `files to sync: comma-separated globs on the base name, "-" excludes, e.g. "*.edi,-*.tmp"`)
	fs.StringVar(&f.conflict, "conflict", store.ConflictNewer, "two-way conflicts: newer, keep-both, local or remote")
	fs.IntVar(&f.maxDelete, "max-delete", store.DefaultMaxDelete, "stop a two-way run that would delete more than this percent of the files a side holds, because they are gone from the other side (0: stop at any such delete)")
}

// durationValue is a duration flag read as configuration durations are
// (config.ParseDuration: "5m", "1h30m", "1d").
type durationValue time.Duration

func (d *durationValue) String() string { return config.FormatDuration(time.Duration(*d)) }
func (d *durationValue) Type() string   { return "duration" }
func (d *durationValue) Set(s string) error {
	v, err := config.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

// apply copies the flags that were given (all of them for add) onto sy.
func (f *syncFlags) apply(fs *pflag.FlagSet, sy *store.Sync, all bool) error {
	set := func(name string) bool { return all || fs.Changed(name) }
	if set("folder") {
		c, err := vfs.Clean(f.folder)
		if strings.HasPrefix(f.folder, "/") || slices.Contains(strings.Split(f.folder, "/"), "..") {
			return fmt.Errorf("--folder %q: want a folder under DATA/files such as acme/send, with no leading / and no .. in it", f.folder)
		}
		if err != nil || c == "/" {
			return fmt.Errorf("--folder %q: want a folder under DATA/files, e.g. acme/send", f.folder)
		}
		sy.Folder = strings.TrimPrefix(c, "/")
	}
	if set("remote") {
		if err := urlAsName(f.remote); err != nil {
			return fmt.Errorf("--remote: %w", err) // never repeats a password
		}
		name, p, _ := strings.Cut(f.remote, ":")
		if err := store.ValidateName(name); err != nil {
			return fmt.Errorf("--remote %q: want REMOTE or REMOTE:PATH, e.g. acme:/inbound: %w", f.remote, err)
		}
		sy.Remote, sy.RemotePath = name, p
	}
	if set("direction") {
		sy.Direction = f.direction
	}
	if set("after-copy") {
		sy.AfterCopy = f.afterCopy
	}
	if set("every") {
		if fs.Changed("every") && (f.every < 0 || f.every > 0 && f.every < time.Second) {
			return fmt.Errorf("--every %s: want 0 (no timer) or at least 1s, e.g. 5m", fs.Lookup("every").Value)
		}
		sy.Every = f.every
		if fs.Changed("every") && f.every > 0 && !fs.Changed("cron") {
			sy.Cron = ""
		}
	}
	if set("cron") {
		sy.Cron = f.cron
		if fs.Changed("cron") && f.cron != "" && !fs.Changed("every") {
			sy.Every = 0
		}
	}
	if set("on-receive") {
		sy.OnReceive = f.onReceive
	}
	if set("filter") {
		sy.Filter = f.filter
	}
	if set("conflict") {
		sy.Conflict = f.conflict
	}
	if set("max-delete") {
		sy.MaxDelete = f.maxDelete
	}
	return filesync.Validate(*sy)
}

// checkSync checks what Validate cannot: the remote and the folder exist,
// and a read-only remote is only read from.
func checkSync(ctx context.Context, st store.Store, d dataDir, sy store.Sync) error {
	r, err := getRemote(ctx, st, sy.Remote)
	if err != nil {
		return err
	}
	if r.Settings.ReadOnly {
		if err := filesync.ValidateReadOnly(sy); err != nil {
			return err
		}
	}
	if err := checkNotMounted(ctx, st, sy.Folder); err != nil {
		return err
	}
	fi, err := os.Stat(filepath.Join(d.files, filepath.FromSlash(sy.Folder)))
	if err != nil || !fi.IsDir() {
		return fmt.Errorf("folder %s does not exist under %s: add the partner (`wharf partner add`) or create the folder", sy.Folder, d.files)
	}
	all, err := st.Syncs(ctx)
	if err != nil {
		return err
	}
	return filesync.CheckOverlaps(sy, all)
}

// checkNotMounted refuses a sync whose folder is a mount or inside one: a
// mount is a window onto a remote, not files on this server, so the sync
// would not see it.
func checkNotMounted(ctx context.Context, st store.Store, folder string) error {
	ms, err := st.Mounts(ctx, "")
	if err != nil || len(ms) == 0 {
		return err
	}
	accts, err := st.Accounts(ctx, "")
	if err != nil {
		return err
	}
	byName := make(map[string]store.Account, len(accts))
	for _, a := range accts {
		byName[a.Name] = a
	}
	for _, m := range ms {
		a, ok := byName[m.Account]
		if !ok {
			return fmt.Errorf("mount %s of %s: account %w", m.Path, m.Account, store.ErrNotFound)
		}
		at := mountFolder(a, m.Path)
		if !vfs.Within(folder, at) {
			continue
		}
		rp := path.Join("/", m.RemotePath, strings.TrimPrefix(folder, at))
		return fmt.Errorf("folder %s is in %s's mount %s, a window onto %s:%s, not a folder on this server: "+
			"sync that remote folder directly (--remote %s:%s) with a folder under DATA/files, "+
			"or remove the mount first (`wharf mount remove %s %s`)", folder, m.Account, m.Path, m.Remote, rp, m.Remote, rp, m.Account, m.Path)
	}
	return nil
}

func (n syncs) addCmd() *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "add NAME --folder LOCAL_PATH --remote REMOTE[:PATH] --direction push|pull|two-way",
		Short: "Add a sync",
		Long:  syncAddLong,
		Example: `  wharf sync add acme-out --folder acme/send --remote acme:/inbound --direction push --after-copy delete --on-receive
  wharf sync add acme-in --folder acme/receive --remote acme:/outbound --direction pull --every 15m --filter "*.edi,-*.tmp"
  wharf sync add shared --folder ops/shared --remote bank:/shared --direction two-way --every 10m --filter "*.edi,*.x12"
  wharf sync run acme-out --dry-run   # then see what it would do`,
		Args: oneSync,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, req := range []string{"folder", "remote", "direction"} {
				if !cmd.Flags().Changed(req) {
					return fmt.Errorf("--%s is required: see `wharf sync add --help`", req)
				}
			}
			sy := store.Sync{Name: args[0]}
			if err := store.ValidateName(sy.Name); err != nil {
				return fmt.Errorf("sync %w", err)
			}
			if err := f.apply(cmd.Flags(), &sy, true); err != nil {
				return err
			}
			if err := checkSync(ctx, st, d, sy); err != nil {
				return err
			}
			if err := st.CreateSync(ctx, &sy); err != nil {
				if errors.Is(err, store.ErrExists) {
					return fmt.Errorf("sync %q exists: change it with `wharf sync set %s`", sy.Name, sy.Name)
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added sync %s: %s; try it with `wharf sync run %s --dry-run`\n", sy.Name, describe(sy), sy.Name)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// describe says in one line what a sync does.
func describe(sy store.Sync) string {
	arrow := map[string]string{store.SyncPush: "->", store.SyncPull: "<-", store.SyncTwoWay: "<->"}[sy.Direction]
	s := fmt.Sprintf("%s %s %s (%s", sy.Folder, arrow, remoteOf(sy), sy.Direction)
	if sy.AfterCopy == store.AfterCopyDelete {
		s += ", delete source after copy"
	}
	return s + ", " + schedule(sy) + ")"
}

func remoteOf(sy store.Sync) string {
	p := sy.RemotePath
	if p == "" {
		p = "/"
	}
	return sy.Remote + ":" + p
}

func schedule(sy store.Sync) string {
	var parts []string
	if sy.Every > 0 {
		parts = append(parts, "every "+config.FormatDuration(sy.Every))
	}
	if sy.Cron != "" {
		parts = append(parts, "cron "+sy.Cron)
	}
	if sy.OnReceive {
		parts = append(parts, "on receive")
	}
	if len(parts) == 0 {
		return "manual"
	}
	return strings.Join(parts, ", ")
}

func (n syncs) listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List syncs with their last run",
		Long: `List every sync on one line: its name, direction, local folder (under
DATA/files), remote folder, schedule, and the status and start of its last
run ("never" before the first). 'wharf sync show NAME' has all of a sync's
settings, 'wharf sync status' the counts of each last run.

--json prints a JSON array, one object per sync with every setting (defaults
filled in) and "last_run" (null before the first run), as 'wharf sync
status --json' shows it.`,
		Example: `  wharf sync list
  wharf sync list --json | jq -r '.[] | select(.last_run.status != "ok") | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			all, err := st.Syncs(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				views := make([]syncView, 0, len(all))
				for _, sy := range all {
					last, err := lastRunView(ctx, st, sy)
					if err != nil {
						return err
					}
					views = append(views, newSyncView(sy, last))
				}
				return writeJSON(cmd.OutOrStdout(), views)
			}
			if len(all) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no syncs yet: add one with `wharf sync add`")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDIRECTION\tFOLDER\tREMOTE\tSCHEDULE\tLAST RUN")
			for _, sy := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", sy.Name, sy.Direction, sy.Folder, remoteOf(sy), schedule(sy), lastRun(ctx, st, sy))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func lastRun(ctx context.Context, st store.Store, sy store.Sync) string {
	runs, err := st.SyncRuns(ctx, sy.ID, 1)
	if err != nil || len(runs) == 0 {
		return "never"
	}
	r := runs[0]
	return fmt.Sprintf("%s %s", filesync.RunStatus(r), r.Started.Local().Format("2006-01-02 15:04:05"))
}

func (n syncs) showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a sync's settings and last run",
		Long: `Show a sync's settings: its local folder and remote folder, direction,
what happens to a source after its copy, schedule, filter, conflict policy
(two-way) and mass-delete limit, with the defaults of those not set; how
many files it tracks (paths with a synced state, so a file delivered once
and since consumed is not sent again); and its last run. The filter's globs
match base names only: "*.edi" takes order.edi in every subfolder.
Change a setting with 'wharf sync set NAME'.`,
		Example: "  wharf sync show acme-out\n  wharf sync set acme-out --filter '*.edi,*.x12'   # then change it",
		Args:    oneSync,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			sy, err := getSync(ctx, st, args[0])
			if err != nil {
				return err
			}
			files, err := st.SyncFiles(ctx, sy.ID)
			if err != nil {
				return err
			}
			conflict, maxDel, filter := sy.Conflict, sy.MaxDelete, sy.Filter
			if conflict == "" {
				conflict = store.ConflictNewer
			}
			if filter == "" {
				filter = "(all files)"
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, row := range [][2]string{
				{"name", sy.Name}, {"folder", sy.Folder}, {"remote", remoteOf(sy)}, {"direction", sy.Direction},
				{"after copy", pick(sy.AfterCopy == store.AfterCopyDelete, "delete source", "keep source")},
				{"schedule", schedule(sy)}, {"filter", filter}, {"conflict", conflict},
				{"max delete", fmt.Sprintf("%d%%", maxDel)}, {"files tracked", fmt.Sprint(len(files))},
				{"last run", lastRun(ctx, st, sy)},
			} {
				fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
			}
			return tw.Flush()
		},
	}
}

func (n syncs) setCmd() *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "set NAME [flags]",
		Short: "Change a sync's settings",
		Long: `Change the settings given as flags; the others stay as they are.

A new --folder or --remote (its remote or its folder there) makes another
pair of folders: the sync's state (what each file looked like when last in
step) is reset with it, so the next run treats both sides as new. A
two-way run then deletes nothing (files on one side only are copied, those
on both sides with different contents are conflicts), and a push sends
every file to the new folder. Not while a run of the sync is in progress.`,
		Example: "  wharf sync set acme-out --every 10m --filter '*.edi'\n  wharf sync set acme-out --every 0 --on-receive\n  wharf sync set acme-out --remote acme:/inbound2   # state reset",
		Args:    oneSync,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, d, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			sy, err := getSync(ctx, st, args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().NFlag() == 0 {
				return fmt.Errorf("nothing to change: give at least one flag, see `wharf sync set --help`")
			}
			old := sy
			if err := f.apply(cmd.Flags(), &sy, false); err != nil {
				return err
			}
			if err := checkSync(ctx, st, d, sy); err != nil {
				return err
			}
			if err := st.UpdateSync(ctx, &sy); err != nil {
				if errors.Is(err, store.ErrSyncRunning) {
					return fmt.Errorf("sync %s: %w", sy.Name, err)
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "updated sync %s: %s\n", sy.Name, describe(sy))
			if store.PairChanged(old, sy) {
				fmt.Fprintf(cmd.OutOrStdout(), "state reset: the next run treats both sides as new (it synced %s with %s before); see what it would do with `wharf sync run %s --dry-run`\n",
					old.Folder, remoteOf(old), sy.Name)
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	// set changes only the flags given: add's defaults do not apply.
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		switch fl.Value.Type() {
		case "int":
			fl.DefValue = "0"
		case "duration":
			fl.DefValue = "0"
		case "string":
			fl.DefValue = ""
		}
	})
	return cmd
}

func (n syncs) removeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a sync and its history; no file is touched",
		Long: `Remove a sync: its settings, its synced state (what each file looked like
when last in step) and its run history. No file is touched on either side,
and the events it recorded stay in the event log. Stop a sync's schedule
without losing its state with 'wharf sync set NAME --every 0' (or --cron "",
--on-receive=false) instead: a sync added again under the same name has no
record of what was delivered, so its first run copies again every file the
other side does not have (a push sends again the files still in the folder
that the partner has consumed).`,
		Example: "  wharf sync show acme-out     # what it does, before it goes\n  wharf sync remove acme-out",
		Args:    oneSync,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := getSync(ctx, st, args[0]); err != nil {
				return err
			}
			if err := st.DeleteSync(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed sync %s; its files were not touched\n", args[0])
			return nil
		},
	}
}

// syncEnv is an engine with everything it needs open.
type syncEnv struct {
	st     store.Store
	keeper *secret.Keeper
	set    *remoteset.Set
	engine *filesync.Engine
	log    *slog.Logger
}

func (e *syncEnv) Close() {
	e.set.Close()
	e.keeper.Close()
	e.st.Close()
}

func (n syncs) openEngine(ctx context.Context, cmd *cobra.Command) (*syncEnv, error) {
	cfg, d, st, err := n.a.openData(ctx, cmd)
	if err != nil {
		return nil, err
	}
	id, err := instanceID(d)
	if err != nil {
		st.Close()
		return nil, err
	}
	keeper, err := openKeeper(ctx, d.root, cfg.SecretsURL, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	lc := cfg.Log
	if !cfg.IsSet("log.level") {
		// The run prints its own summary: the log adds only warnings and
		// errors unless a level was asked for.
		lc.Level = "warn"
	}
	log := newLogger(n.a.opt.Stderr, lc)
	set := remoteset.New(st, keeper, log, id)
	tempExts := cfg.Server.TempExtensions
	if served, ok := runningServe(d.root); ok && served != tempExts {
		// The server may have been given --temp-extensions on its
		// command line: a file it still counts as arriving must not
		// be picked up here either.
		tempExts = strings.Trim(tempExts+","+served, ",")
	}
	// No push settle: 'wharf sync run' pushes what is there when asked.
	eng := newSyncEngine(st, set, d.files, tempExts, 0, log)
	return &syncEnv{st: st, keeper: keeper, set: set, engine: eng, log: log}, nil
}

// newSyncEngine returns the sync engine for a data directory: local
// folders under files, remotes from set, holding back local files
// modified within pushSettle (filesync.Config.PushSettle). serve uses it
// with a scheduler.
func newSyncEngine(st store.Store, set *remoteset.Set, files, tempExts string, pushSettle time.Duration, log *slog.Logger) *filesync.Engine {
	return filesync.New(st, syncEndpoints{files: files, set: set}, filesync.Config{
		Logger: log, TempExtensions: filesync.ParseExtensions(tempExts), PullSettle: filesync.DefaultPullSettle,
		PushSettle: pushSettle,
		TempExtensionsFor: func(ctx context.Context, folder string) ([]string, bool) {
			// DATA/files/NAME/... belongs to partner NAME, whose own
			// setting overrides the server's.
			name, _, _ := strings.Cut(folder, "/")
			a, err := st.Account(ctx, name)
			if err != nil || a.Kind != store.Partner || a.Policy.TempExtensions == nil {
				return nil, false
			}
			return filesync.ParseExtensions(*a.Policy.TempExtensions), true
		},
	})
}

// runSyncs runs the sync scheduler until ctx ends: syncs with --every or
// --cron on their schedule, and those with --on-receive when the event log
// records a file received into their folder. serve runs it next to the FTP
// server.
func runSyncs(ctx context.Context, st store.Store, set *remoteset.Set, files, tempExts string, log *slog.Logger) error {
	eng := newSyncEngine(st, set, files, tempExts, filesync.DefaultPushSettle, log)
	return filesync.NewScheduler(eng, st, filesync.SchedulerConfig{Logger: log, Events: st}).Run(ctx)
}

type syncEndpoints struct {
	files string
	set   *remoteset.Set
}

func (e syncEndpoints) Local(folder string) (vfs.FS, error) {
	return localfs.Open(filepath.Join(e.files, filepath.FromSlash(folder)))
}

func (e syncEndpoints) Remote(ctx context.Context, name string) (filesync.Remote, error) {
	p, _, err := e.set.Pool(ctx, name)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (n syncs) runCmd() *cobra.Command {
	var dry, force, verbose bool
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Run a sync now, or show what it would do with --dry-run",
		Long: `Run a sync now and print a summary; with --dry-run, print what it would do
(copy, delete, conflict, skip, with the reason for each) and change nothing.
The command fails when the run stops or a file fails; files that failed are
listed and retried on the next run. Its log (stderr) shows warnings and
errors only, unless --log-level (or log.level) asks for more.`,
		Example: "  wharf sync run acme-out --dry-run\n  wharf sync run acme-out\n  wharf sync run shared --force   # past the mass-delete guard",
		Args:    oneSync,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if p := os.Getenv("WHARF_CPUPROFILE"); p != "" {
				stop, err := cpuProfile(p)
				if err != nil {
					return err
				}
				defer stop()
			}
			e, err := n.openEngine(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			if _, err := getSync(ctx, e.st, args[0]); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			pr := &syncProgress{out: out, errOut: cmd.ErrOrStderr(), verbose: verbose || dry}
			start := time.Now()
			res, err := e.engine.Run(ctx, args[0], filesync.RunOptions{DryRun: dry, Force: force, OnPlan: pr.plan, OnItem: pr.item})
			pr.finish()
			if dry {
				printPlan(out, res.Plan)
			}
			if res.Run.SyncID != 0 {
				printSummary(out, res, dry, time.Since(start))
			}
			if err != nil {
				return err
			}
			if len(res.Errors) > 0 {
				for _, e := range res.Errors {
					fmt.Fprintf(out, "FAILED %v\n", e)
				}
				return fmt.Errorf("sync %s: %d files failed; they are retried on the next run", args[0], len(res.Errors))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dry, "dry-run", false, "print what the run would do and change nothing")
	f.BoolVar(&force, "force", false, "run even if it deletes more than --max-delete percent of the files a side holds")
	f.BoolVarP(&verbose, "verbose", "v", false, "print each file as it is done")
	return cmd
}

// cpuProfile writes a CPU profile of the rest of the command to p until
// stop is called: WHARF_CPUPROFILE=FILE wharf sync run NAME, then
// go tool pprof FILE.
func cpuProfile(p string) (stop func(), err error) {
	f, err := os.Create(p)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// syncProgress shows a run's progress: a bar on a terminal, and with
// verbose a line per finished file.
type syncProgress struct {
	out, errOut io.Writer
	verbose     bool
	mu          sync.Mutex
	bar         interface {
		Add64(int64) error
		Finish() error
	}
}

func (p *syncProgress) plan(pl filesync.Plan) {
	var total int64
	for _, it := range pl.Items {
		switch {
		case it.Action == filesync.Push && it.Local != nil:
			total += it.Local.Size
		case it.Action == filesync.Pull && it.Remote != nil:
			total += it.Remote.Size
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if total > 0 {
		p.bar = newProgress(p.errOut, total, "syncing")
	}
}

func (p *syncProgress) item(r filesync.ItemResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Add64(r.Bytes)
	}
	if !p.verbose {
		return
	}
	if r.Err != nil {
		fmt.Fprintf(p.out, "%-13s %s: FAILED: %v\n", r.Item.Action, r.Item.Path, r.Err)
		return
	}
	fmt.Fprintf(p.out, "%-13s %s (%s)\n", r.Item.Action, r.Item.Path, bytesIEC(r.Bytes))
}

func (p *syncProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
}

// printPlan prints a dry run's plan, actions first, then skips.
func printPlan(w io.Writer, pl filesync.Plan) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, skips := range []bool{false, true} {
		for _, it := range pl.Items {
			if (it.Action == filesync.Skip) != skips {
				continue
			}
			extra := ""
			if it.DeleteSource {
				extra = ", then delete the source"
			}
			if it.Action == filesync.Conflict {
				extra = ", " + map[string]string{filesync.SideLocal: "local wins", filesync.SideRemote: "remote wins", "": "keep both"}[it.Winner]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s%s\n", it.Action, it.Path, it.Reason, extra)
		}
	}
	tw.Flush()
}

func printSummary(w io.Writer, res filesync.Result, dry bool, d time.Duration) {
	r := res.Run
	v := newRunView(r, res.SourcesRemoved)
	if dry {
		removed := ""
		if v.RemovedFromSource > 0 {
			removed = fmt.Sprintf(", remove from source after copy %d", v.RemovedFromSource)
		}
		fmt.Fprintf(w, "dry run: would copy %d, delete %d%s, settle %d conflicts, skip %d; nothing was changed\n",
			v.Copied, v.Deleted, removed, v.Conflicts, v.Skipped)
		return
	}
	fmt.Fprintf(w, "run %d %s: %s, conflicts %d, skipped %d, failed %d; %s",
		r.ID, r.Status, copiedDeleted(v), r.Conflicts, r.Skipped, r.Failed, rate(r.Bytes, d))
	if res.Recovered > 0 {
		fmt.Fprintf(w, " (%d of the copies completed an interrupted run)", res.Recovered)
	}
	if res.Plan.FromJournal {
		fmt.Fprint(w, "; no local file changed since the last sync, so the remote was not listed")
	}
	fmt.Fprintln(w)
}

// copiedDeleted says what a run copied and deleted, the sources it removed
// after their copy apart.
func copiedDeleted(v runView) string {
	s := fmt.Sprintf("copied %d, deleted %d", v.Copied, v.Deleted)
	if v.RemovedFromSource > 0 {
		s += fmt.Sprintf(", removed from source after copy %d", v.RemovedFromSource)
	}
	return s
}

func (n syncs) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show the last run of every sync, or of one",
		Long: `Show the last run of every sync, or of the one named: its status, start
and duration, and what it did. COPIED counts the files copied; DELETED the
files deleted on one side because they were deleted on the other (two-way);
REMOVED FROM SOURCE the sources removed after their verified copy
(--after-copy delete); FAILED the files that failed, which the next run
tries again. A run still marked running whose process is gone (killed, a
crash) shows as interrupted, and one ended by serve stopping (or ^C) as
stopped: the sync's next run finishes its work. 'wharf sync history NAME'
shows earlier runs.

--json prints an array with an object per sync ({"name", "last_run"}, and
last_run null before the first run), or that object alone for one sync;
times are RFC 3339, in UTC.`,
		Example: `  wharf sync status
  wharf sync status acme-out
  wharf sync status --json | jq -r '.[] | select(.last_run.failed > 0) | .name'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			var list []store.Sync
			if len(args) == 1 {
				sy, err := getSync(ctx, st, args[0])
				if err != nil {
					return err
				}
				list = []store.Sync{sy}
			} else if list, err = st.Syncs(ctx); err != nil {
				return err
			}
			views := make([]statusView, 0, len(list))
			rows := make([]store.SyncRun, len(list))
			for i, sy := range list {
				runs, err := st.SyncRuns(ctx, sy.ID, 1)
				if err != nil {
					return err
				}
				sv := statusView{Name: sy.Name}
				if len(runs) == 1 {
					v, err := runViewOf(ctx, st, runs[0])
					if err != nil {
						return err
					}
					rows[i], sv.LastRun = runs[0], &v
				}
				views = append(views, sv)
			}
			out := cmd.OutOrStdout()
			switch {
			case asJSON && len(args) == 1:
				return writeJSON(out, views[0])
			case asJSON:
				return writeJSON(out, views)
			case len(views) == 0:
				fmt.Fprintln(out, "no syncs yet: add one with `wharf sync add`")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATUS\tSTARTED\tDURATION\tCOPIED\tDELETED\tREMOVED FROM SOURCE\tCONFLICTS\tFAILED\tERROR")
			for i, sv := range views {
				v, r := sv.LastRun, rows[i]
				if v == nil {
					fmt.Fprintf(tw, "%s\tnever run\t\t\t\t\t\t\t\t\n", sv.Name)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", sv.Name, filesync.RunStatus(r), r.Started.Local().Format("2006-01-02 15:04:05"),
					duration(r), v.Copied, v.Deleted, v.RemovedFromSource, v.Conflicts, v.Failed, v.Error)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: an array, or an object for one sync")
	return cmd
}

func duration(r store.SyncRun) string {
	if r.Finished.IsZero() {
		return "running"
	}
	return r.Finished.Sub(r.Started).Round(time.Millisecond).String()
}

func (n syncs) historyCmd() *cobra.Command {
	var limit int
	var files, asJSON bool
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "Show a sync's runs, newest first, and with --files what each did",
		Long: `Show a sync's runs, newest first: each run's status, start, duration, the
files it copied, deleted (because they were deleted on the other side) and
removed from source after copy (--after-copy delete), conflicts, failures
and bytes. With --files, each run's file actions follow it, as journaled:
done, failed, or aborted (interrupted, then planned afresh by a later run).
Runs older than keep_history are pruned (see 'wharf events prune').

--json prints a JSON array of runs (with --files, each with its "files");
times are RFC 3339, in UTC.`,
		Example: "  wharf sync history acme-out\n  wharf sync history acme-out --files --limit 1\n  wharf sync history acme-out --json | jq '.[0].copied'",
		Args:    oneSync,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if limit < 1 {
				return fmt.Errorf("--limit %d: want 1 or more", limit)
			}
			sy, err := getSync(ctx, st, args[0])
			if err != nil {
				return err
			}
			runs, err := st.SyncRuns(ctx, sy.ID, limit)
			if err != nil {
				return err
			}
			views := make([]runView, 0, len(runs))
			for _, r := range runs {
				view := runViewOf
				if files {
					view = runWithFiles
				}
				v, err := view(ctx, st, r)
				if err != nil {
					return err
				}
				views = append(views, v)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, views)
			}
			if len(runs) == 0 {
				fmt.Fprintf(out, "sync %s has not run yet: `wharf sync run %s`\n", sy.Name, sy.Name)
				return nil
			}
			for i, r := range runs {
				v := views[i]
				fmt.Fprintf(out, "run %d  %s  %s  %s  %s, conflicts %d, failed %d, %s\n",
					r.ID, r.Started.Local().Format("2006-01-02 15:04:05"), filesync.RunStatus(r), duration(r),
					copiedDeleted(v), r.Conflicts, r.Failed, bytesIEC(r.Bytes))
				if r.Error != "" {
					fmt.Fprintf(out, "  error: %s\n", r.Error)
				}
				for _, op := range v.Files {
					line := fmt.Sprintf("  %-8s %-13s %s", op.Status, op.Action, op.Path)
					if op.Bytes > 0 {
						line += " (" + bytesIEC(op.Bytes) + ")"
					}
					if op.RemovedFromSource {
						line += ", source removed after copy"
					}
					if op.Error != "" {
						line += ": " + op.Error
					}
					fmt.Fprintln(out, line)
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to show")
	cmd.Flags().BoolVar(&files, "files", false, "list each run's file actions")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
