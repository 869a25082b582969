// Package cli is Wharf's command line: one cobra command per noun (serve,
// partner, staff, remote, mount, sync, events, config, ban), all working on
// one data directory.
//
// Until an admin API exists, account and event commands open the store
// directly; SQLite in WAL mode lets them do so while `wharf serve` runs.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// Options are the command line's surroundings. Zero fields mean the
// process's own: os.Stdin, os.Stdout, os.Stderr, os.LookupEnv.
type Options struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	// PollInterval is how often `events --follow` polls. Default 500ms.
	PollInterval time.Duration
}

// Execute runs the wharf command line with args (without the program
// name) until it finishes or ctx ends. Cancelling ctx stops `serve` and
// `events --follow` cleanly, with a nil error. The returned error has not
// been printed.
func Execute(ctx context.Context, args []string, opt Options) error {
	if opt.Stdin == nil {
		opt.Stdin = os.Stdin
	}
	if opt.Stdout == nil {
		opt.Stdout = os.Stdout
	}
	if opt.Stderr == nil {
		opt.Stderr = os.Stderr
	}
	if opt.LookupEnv == nil {
		opt.LookupEnv = os.LookupEnv
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = 500 * time.Millisecond
	}
	root := newRoot(&app{opt: opt})
	root.SetArgs(args)
	root.SetIn(opt.Stdin)
	root.SetOut(opt.Stdout)
	root.SetErr(opt.Stderr)
	return root.ExecuteContext(ctx)
}

// app is what every command shares: its surroundings and global flags.
type app struct {
	opt        Options
	configFile string
}

// flagError rewords a bad flag value in the terms a config file's bad
// value gets (`--max-conns "x": want a whole number`), instead of the
// parser's own (strconv.ParseInt: parsing "x": invalid syntax).
func flagError(err error) error {
	var iv *pflag.InvalidValueError
	if !errors.As(err, &iv) {
		return err
	}
	f := iv.GetFlag()
	want := ""
	switch f.Value.Type() {
	case "int", "int64", "int32", "uint", "uint64":
		want = "want a whole number"
	case "duration":
		want = "want a duration such as 30s, 5m, 1h30m or 90d" // config.ParseDuration's
	case "bool":
		want = "want true or false (or the flag alone for true)"
	default:
		return err
	}
	return fmt.Errorf("--%s %q: %s", f.Name, iv.GetValue(), want)
}

// nearFlag returns, when err is an unknown long flag, the name of the
// flag of c it is closest to (at most two edits, and fewer than half its
// letters), as cobra suggests a command for a mistyped one; else "".
func nearFlag(c *cobra.Command, err error) string {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) || ne.GetSpecifiedShortnames() != "" {
		return ""
	}
	typed := ne.GetSpecifiedName()
	best, bestD := "", min(2, len(typed)/2)+1
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if d := config.Distance(typed, f.Name); !f.Hidden && d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// configKey is the pflag annotation naming the config.Key a flag sets.
const configKey = "wharf-config-key"

func newRoot(a *app) *cobra.Command {
	def := config.Default()
	root := &cobra.Command{
		Use:   "wharf",
		Short: "Wharf: a managed file-transfer gateway (FTP/FTPS)",
		Long: `Wharf is a managed file-transfer gateway. Trading partners log in over FTP
or FTPS to drop files into their receive/ folder and pick files up from their
send/ folder; staff accounts see every partner's folders.

Everything Wharf keeps lives in one data directory (--data):
  wharf.db     accounts, remotes, mounts and the event log (SQLite)
  files/       the file root: files/NAME/send and files/NAME/receive per partner
  tls/         the self-signed certificate generated when none is configured
  secret.key   the key that encrypts remote passwords (unless --secrets-url)
  instance-id  this instance's ID, which lets it refuse remotes that loop back

Settings come from, in increasing precedence: built-in defaults, a YAML config
file (--config or WHARF_CONFIG), WHARF_* environment variables, and flags.
See 'wharf serve --help' for every setting.`,
		Example: `  wharf partner add acme          # create a partner and print its password
  wharf serve                     # serve FTP on :2121 and implicit FTPS on :2990
  wharf events --follow           # watch logins and transfers`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if near := nearFlag(c, err); near != "" {
			return fmt.Errorf("%w: did you mean --%s? see `%s --help`", err, near, c.CommandPath())
		}
		return fmt.Errorf("%w: see `%s --help`", flagError(err), c.CommandPath())
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.configFile, "config", "", "YAML config file (env WHARF_CONFIG)")
	configFlag(pf, "data", "data", def.Data, "data directory (env WHARF_DATA)")
	configFlag(pf, "log-level", "log.level", def.Log.Level, "log level: debug, info, warn or error (env WHARF_LOG_LEVEL)")
	configFlag(pf, "log-format", "log.format", def.Log.Format, "log format: text or json (env WHARF_LOG_FORMAT)")
	configFlag(pf, "secrets-url", "secrets_url", "", "keeper for remote passwords; this build has base64key://KEY only (no cloud KMS or Vault drivers); default: DATA/secret.key (env WHARF_SECRETS_URL)")

	root.AddCommand(newServe(a), newPartner(a), newStaff(a), newRemote(a), newMount(a), newSync(a), newEvents(a), newConfig(a), newBan(a))
	return root
}

// configFlag defines a string flag that, when given, sets config key.
func configFlag(fs *pflag.FlagSet, name, key, def, usage string) {
	fs.String(name, def, usage)
	annotate(fs, name, key)
}

func annotate(fs *pflag.FlagSet, name, key string) {
	if err := fs.SetAnnotation(name, configKey, []string{key}); err != nil {
		panic(err) // the flag was defined just before: a programming error
	}
}

// config loads the configuration, letting every flag of cmd that the user
// gave and that is annotated with a config key override the file and the
// environment. It does not validate.
func (a *app) config(cmd *cobra.Command, extra ...config.Flag) (config.Config, error) {
	var flags []config.Flag
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if key := f.Annotations[configKey]; f.Changed && len(key) == 1 {
			flags = append(flags, config.Flag{Name: "--" + f.Name, Key: key[0], Value: f.Value.String()})
		}
	})
	flags = append(flags, extra...)
	cfg, err := config.Load(config.Sources{File: a.configFile, LookupEnv: a.opt.LookupEnv, Flags: flags})
	if err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// dataDir is the data directory's layout.
type dataDir struct {
	root  string
	db    string // SQLite database
	files string // file root, one folder per partner
	tls   string // generated certificate
}

// openData loads the configuration (see config) and opens its data
// directory. The caller closes the store.
func (a *app) openData(ctx context.Context, cmd *cobra.Command) (config.Config, dataDir, store.Store, error) {
	cfg, err := a.config(cmd)
	if err != nil {
		return cfg, dataDir{}, nil, err
	}
	if err := errors.Join(cfg.Log.Problems()...); err != nil {
		return cfg, dataDir{}, nil, fmt.Errorf("configuration: %w", err)
	}
	if !createsData(cmd) {
		// A listing of a data directory that is not there is a
		// mistyped --data, not an empty Wharf.
		db := filepath.Join(cfg.Data, "wharf.db")
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return cfg, dataDir{}, nil, fmt.Errorf("no Wharf data directory at %s (no wharf.db there): check --data or WHARF_DATA (or data: in the config file); 'wharf serve', 'wharf partner add', 'wharf staff add' or 'wharf remote add' creates one", cfg.Data)
		}
	}
	d, st, err := open(ctx, cfg.Data)
	return cfg, d, st, err
}

// createsData reports whether cmd may make a missing data directory (as
// serve does): the add commands of what a new Wharf starts with. mount add
// and sync add name an account or a remote, which a new data directory
// cannot hold, so for them a missing one is a mistyped --data too.
func createsData(cmd *cobra.Command) bool {
	if cmd.Name() != "add" || !cmd.HasParent() {
		return false
	}
	switch cmd.Parent().Name() {
	case "partner", "staff", "remote":
		return true
	}
	return false
}

// open creates the data directory (0700) and its folders if missing, and
// opens its store. The caller closes the store.
func open(ctx context.Context, root string) (dataDir, store.Store, error) {
	if root == "" {
		return dataDir{}, nil, fmt.Errorf("data directory is empty: set --data, WHARF_DATA or data: in the config file")
	}
	d := dataDir{
		root:  root,
		db:    filepath.Join(root, "wharf.db"),
		files: filepath.Join(root, "files"),
		tls:   filepath.Join(root, "tls"),
	}
	for _, dir := range []string{d.root, d.files, d.tls} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return d, nil, fmt.Errorf("create data directory: %w: check --data and its permissions", err)
		}
	}
	st, err := sqlite.Open(ctx, d.db)
	if errors.Is(err, sqlite.ErrFull) {
		return d, nil, err
	}
	if err != nil {
		return d, nil, fmt.Errorf("%w: check that %s is a Wharf data directory", err, root)
	}
	return d, st, nil
}

// newLogger builds the process's logger from cfg; only the command line
// chooses the handler.
func newLogger(w io.Writer, cfg config.Log) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		level = slog.LevelInfo // Validate or Log.Problems has already rejected it
	}
	ho := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}
