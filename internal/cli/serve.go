package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/metrics"
	"github.com/wharf-mft/wharf/internal/remoteset"
)

const serveLong = `Serve FTP and FTPS to the accounts in the data directory until interrupted
(SIGINT or SIGTERM). SIGHUP reloads the TLS certificate (systemctl reload) and
nothing else, as serve does by itself when the certificate files change; a
certificate that does not load is logged and the previous one is still served.

At the first SIGINT or SIGTERM serve stops accepting connections and closes
idle sessions (421), and lets each transfer in progress finish, and its client
hear the result, for up to --shutdown-grace (default 30s); a second signal, or
the end of the grace, cuts the rest: a cut transfer is recorded as aborted and
a cut upload is not published. With systemd, make TimeoutStopSec longer than
the grace. Sync runs stop at the first signal (their journal resumes them at
the next start).

Two listeners run by default: plain FTP with explicit TLS (AUTH TLS) on :2121,
and implicit FTPS on :2990. Set a listener to "off" to switch it off (an
empty value means its default). TLS is required for login and data unless
--allow-plain is given (accounts can also opt in one by one). Without
--cert/--key or --pkcs12, a self-signed certificate is generated into
DATA/tls/.

Settings come from, in increasing precedence: built-in defaults, the YAML
config file (--config or WHARF_CONFIG), WHARF_* environment variables, and
flags. A config file looks like this (every key is optional):

  data: /var/lib/wharf
  keep_history: 90d          # events and sync run history; 0 keeps all
  metrics_listen: 127.0.0.1:9464 # Prometheus /metrics and /healthz; off by default
  log:
    level: info              # debug, info, warn, error
    format: json             # text, json
  server:
    listen: ":2121"          # plain FTP + AUTH TLS; "off" to disable
    listen_implicit: ":2990" # implicit FTPS; "off" to disable
    passive_ports: 30000-30100
    passive_address: 203.0.113.10
    idle_timeout: 5m
    shutdown_grace: 30s      # transfers may finish at SIGTERM; 0 cuts at once
    ban_after: 10            # failed logins from one IP before a ban; -1: no bans
    password_cache: 15m      # -1 turns the cache off
    filter: "*.edi,*.x12,-*.tmp"

A 0 is refused where it would mean nothing (idle_timeout: 0, ban_after: 0):
leave the setting out for its default, or give -1 to turn off what can be
turned off. The last column says what each setting takes besides an
ordinary value.

Every setting, with its environment variable:
%s`

func newServe(a *app) *cobra.Command {
	var pkcs12PasswordFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the FTP/FTPS server",
		Long:  fmt.Sprintf(serveLong, settingsTable()),
		Example: `  wharf serve
  wharf serve --config /etc/wharf.yaml
  wharf serve --listen :21 --listen-implicit off --passive-ports 30000-30100 --passive-address 203.0.113.10
  WHARF_DATA=/var/lib/wharf WHARF_LOG_FORMAT=json wharf serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.serveConfig(cmd, pkcs12PasswordFile)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("configuration: %w", err)
			}
			return a.serve(cmd.Context(), cfg)
		},
	}
	serveFlags(cmd.Flags(), &pkcs12PasswordFile)
	return cmd
}

// serveFlags registers serve's settings as flags; config check and show
// take them too, so they tell what serve would run with the same command
// line.
func serveFlags(f *pflag.FlagSet, pkcs12PasswordFile *string) {
	def := config.Default().Server
	configFlag(f, "listen", "server.listen", def.Listen, `plain FTP + explicit FTPS address, or "off"`)
	configFlag(f, "listen-implicit", "server.listen_implicit", def.ListenImplicit, `implicit FTPS address, or "off"`)
	configFlag(f, "passive-ports", "server.passive_ports", def.PassivePorts, "passive port range LO-HI, e.g. 30000-30100 (default: any)")
	configFlag(f, "passive-address", "server.passive_address", def.PassiveAddress, "IPv4 address advertised in PASV replies, for NAT")
	boolFlag(f, "allow-plain", "server.allow_plain", def.AllowPlain, "let every account log in and transfer without TLS")
	boolFlag(f, "tls-reuse", "server.tls_reuse", def.TLSReuse, "require data connections to resume the control connection's TLS session")
	boolFlag(f, "active-mode", "server.active_mode", def.ActiveMode, "allow active mode (PORT/EPRT), only to the client's own address")
	configFlag(f, "banner", "server.banner", def.Banner, `greeting sent to clients, followed by " [wharf ID]" (this instance's ID, so Wharf can tell a remote that is itself)`)
	f.Duration("idle-timeout", def.IdleTimeout, "close sessions idle this long (more than 0)")
	annotate(f, "idle-timeout", "server.idle_timeout")
	f.Duration("shutdown-grace", def.ShutdownGrace, "at SIGTERM/SIGINT, let transfers in progress finish for up to this long, then cut them (0: cut at once; a second signal cuts at once)")
	annotate(f, "shutdown-grace", "server.shutdown_grace")
	configFlag(f, "filter", "server.filter", def.Filter, `allowed file names, comma-separated globs, "-" excludes: "*.edi,-*.tmp"`)
	configFlag(f, "temp-extensions", "server.temp_extensions", def.TempExtensions, `upload extensions that do not count as received: ".tmp,.part"`)
	boolFlag(f, "remove-after-send", "server.remove_after_send", def.RemoveAfterSend, "delete a file from send/ once downloaded completely")
	configFlag(f, "cert", "server.cert_file", def.CertFile, "PEM certificate chain file (with --key)")
	configFlag(f, "key", "server.key_file", def.KeyFile, "PEM private key file (with --cert)")
	configFlag(f, "pkcs12", "server.pkcs12_file", def.PKCS12File, "PKCS#12 certificate and key file (instead of --cert/--key)")
	f.StringVar(pkcs12PasswordFile, "pkcs12-password-file", "", "file holding the --pkcs12 password; or put the password itself in WHARF_PKCS12_PASSWORD")
	configFlag(f, "min-tls", "server.min_tls", def.MinTLS, "lowest TLS version accepted: 1.2 or 1.3")
	configFlag(f, "metrics-listen", "metrics_listen", "off", "HTTP address for Prometheus /metrics and /healthz, e.g. 127.0.0.1:9464 (no authentication: keep it on loopback or a private network)")
	configFlag(f, "keep-history", "keep_history", config.FormatDuration(config.DefaultKeepHistory), "delete events and sync run history older than this, hourly (0: keep all)")
	f.Int("max-conns", def.MaxConns, "connections allowed in total (more than 0, or -1 for no cap)")
	annotate(f, "max-conns", "server.max_conns")
	f.Int("max-conns-per-ip", def.MaxConnsPerIP, "connections allowed per client IP (more than 0, or -1 for no cap)")
	annotate(f, "max-conns-per-ip", "server.max_conns_per_ip")
	parseAsConfig(f) // values are read as in the file and the environment
}

// serveConfig loads the configuration with serve's flags, the password of
// --pkcs12-password-file included.
func (a *app) serveConfig(cmd *cobra.Command, pkcs12PasswordFile string) (config.Config, error) {
	var extra []config.Flag
	if pkcs12PasswordFile != "" {
		pw, err := os.ReadFile(pkcs12PasswordFile)
		if err != nil {
			return config.Config{}, fmt.Errorf("--pkcs12-password-file: %w", err)
		}
		extra = append(extra, config.Flag{Name: "--pkcs12-password-file", Key: "server.pkcs12_password", Value: strings.TrimRight(string(pw), "\r\n")})
	}
	return a.config(cmd, extra...)
}

func boolFlag(fs *pflag.FlagSet, name, key string, def bool, usage string) {
	fs.Bool(name, def, usage)
	annotate(fs, name, key)
}

// serve runs the server until ctx ends.
func (a *app) serve(ctx context.Context, cfg config.Config) error {
	// First, so that a SIGHUP during start-up no longer ends the process
	// (Go's default): it reloads the certificate once the server is up.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// The first SIGINT or SIGTERM starts the drain (it also ends ctx,
	// through main's signal.NotifyContext); the second cuts it short.
	stopSigs := make(chan os.Signal, 2)
	signal.Notify(stopSigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stopSigs)
	log := newLogger(a.opt.Stderr, cfg.Log)
	d, st, err := open(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	unlock, err := lockServeConfig(d.root, cfg.Server)
	if err != nil {
		return err
	}
	defer unlock()

	accounts, err := st.Accounts(ctx, "")
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	if len(accounts) == 0 {
		log.Info("no accounts yet: add one with `wharf partner add NAME`")
	}
	id, err := instanceID(d)
	if err != nil {
		return err
	}
	keeper, err := openKeeper(ctx, d.root, cfg.SecretsURL, st)
	if err != nil {
		return err
	}
	defer keeper.Close()
	// Mounts share one pool per remote; closing the set after Serve
	// returns closes them once every session has ended.
	remotes := remoteset.New(st, keeper, log, id)
	defer remotes.Close()
	srv, err := ftpserver.New(cfg.Server, ftpserver.Options{
		Store: st, FileRoot: d.files, DataDir: d.root, Logger: log,
		InstanceID: id, OpenMount: remotes.OpenMount,
	})
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return err
	}
	if !config.MetricsOff(cfg.MetricsListen) {
		// Not ctx: the first signal starts a drain, during which the
		// metrics still count what the sessions do.
		c := metrics.New(context.WithoutCancel(ctx), st, metrics.Sources{Sessions: srv.SessionCounts, Pools: remotes.PoolStats, Stopping: srv.Stopping}, log)
		stopMetrics, err := serveMetrics(ctx, cfg.MetricsListen, c, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	// Serve logs each listener's address ("listening") once it accepts.
	abs, err := filepath.Abs(d.root)
	if err != nil {
		abs = d.root
	}
	log.Info("serving", "data", abs, "accounts", len(accounts), "keep_history", config.FormatDuration(cfg.KeepHistory))
	// The sync scheduler (--every, --cron, --on-receive) runs beside the
	// server and stops when the server starts to stop, without a grace:
	// its runs are journaled and resume at the next start.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	syncDone := make(chan error, 1)
	go func() { syncDone <- runSyncs(ctx, st, remotes, d.files, cfg.Server.TempExtensions, log) }()
	pruneDone := make(chan struct{})
	go func() { pruneHistory(ctx, st, cfg.KeepHistory, log); close(pruneDone) }()
	hupDone := make(chan struct{})
	go func() { reloadOnHangup(ctx, hup, srv, log); close(hupDone) }()
	served := make(chan struct{})
	cutDone := make(chan struct{})
	go func() { stopOnSignals(served, stopSigs, stop, srv, log); close(cutDone) }()
	serveErr := srv.Serve(ctx)
	close(served)
	stop()
	<-cutDone
	<-hupDone
	<-pruneDone
	if err := <-syncDone; err != nil && !errors.Is(err, context.Canceled) {
		log.Error("sync scheduler", "err", err)
	}
	if serveErr != nil {
		return serveErr
	}
	log.Info("stopped")
	return nil
}

// reloadOnHangup reloads srv's TLS certificate at each signal on hup
// (SIGHUP: what `systemctl reload` and most daemons' operators send, and
// what a closing terminal sends) until ctx ends. Nothing else is
// reloaded: the settings serve started with stay.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, srv *ftpserver.Server, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := srv.ReloadCertificate(); err != nil {
			log.Error("tls certificate not reloaded: still serving the previous one", "err", err, "trigger", "sighup")
		}
		log.Info("sighup handled: it reloads the tls certificate only; restart serve for other configuration changes")
	}
}

// stopOnSignals calls drain at the first signal on sigs, which makes
// srv.Serve stop and let transfers finish, and closes srv at the second,
// which cuts them, until done is closed. The first signal also ended
// serve's context when main's signal.NotifyContext saw it first: drain
// then does nothing more.
func stopOnSignals(done <-chan struct{}, sigs <-chan os.Signal, drain func(), srv *ftpserver.Server, log *slog.Logger) {
	for n := 1; ; n++ {
		select {
		case <-done:
			return
		case sig := <-sigs:
			if n == 1 {
				drain()
				continue
			}
			log.Info("second signal: stopping at once, cutting the transfers in progress", "signal", sig.String())
			srv.Close()
			return
		}
	}
}

// instanceFile holds this instance's ID in the data directory.
const instanceFile = "instance-id"

// instanceID returns this Wharf instance's ID from DATA/instance-id,
// creating it (16 random bytes in hex, mode 0600) on first use. The server
// puts it in its greeting and the remote client refuses a remote whose
// greeting carries it: a remote pointing back at this instance would loop.
func instanceID(d dataDir) (string, error) {
	name := filepath.Join(d.root, instanceFile)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return createInstanceID(name)
	}
	if err != nil {
		return "", fmt.Errorf("instance id: %w", err)
	}
	id := strings.TrimSpace(string(data))
	if b, err := hex.DecodeString(id); err != nil || len(b) < 8 {
		return "", fmt.Errorf("instance id in %s is not 16 or more hex digits: delete the file and a new one is made", name)
	}
	return id, nil
}

func createInstanceID(name string) (string, error) {
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return instanceID(dataDir{root: filepath.Dir(name)}) // another process made it first
	}
	if err != nil {
		return "", fmt.Errorf("create instance id: %w: check the data directory's permissions", err)
	}
	_, err = f.WriteString(id + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("write instance id: %w", err)
	}
	return id, nil
}

// settingsTable lists every config key and its environment variable.
func settingsTable() string {
	var b strings.Builder
	for _, k := range config.Keys() {
		line := fmt.Sprintf("  %-26s %-26s %-8s %s", k.Path, k.Env, k.Type, k.Limits())
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	fmt.Fprintf(&b, "  %-26s %-26s %s\n", "(the config file itself)", config.EnvConfig, "path")
	return b.String()
}
