package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/wharf-mft/wharf/internal/filesync"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/remoteset"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
)

const remoteLong = `Manage remotes: the FTP/FTPS servers Wharf connects out to, for mounts
(wharf mount) and syncs. A remote is a URL plus connection settings:

  ftps://USER@HOST[:PORT][/ROOT][?tls=MODE]    (ftp:// and ftpes:// alike)

Every scheme means explicit TLS (AUTH TLS on the control port) unless the
URL's ?tls= or --tls says otherwise: plain FTP must be asked for, with
?tls=never or --tls never. The port defaults to 21, or 990 for implicit TLS.
ROOT is the remote folder every path is relative to (default: the login
folder).

The password never goes in the URL, where shell history and process lists
would keep it: give it on stdin with --password-stdin. Wharf stores it
encrypted with DATA/secret.key (or the --secrets-url keeper) and never prints
it. Certificates are checked; --allow-self-signed and --allow-name-mismatch
accept what the check refuses, for this remote only.

Names are 1-63 lower-case letters, digits, '.', '_' or '-'. Paths on a remote
are written NAME:PATH, e.g. acme:/outbox/x.edi.`

func newRemote(a *app) *cobra.Command {
	n := remotes{a: a}
	cmd := &cobra.Command{
		Use:   "remote",
		Short: "Manage outbound FTP/FTPS servers and copy files to and from them",
		Long:  remoteLong,
		Example: `  printf '%s\n' "$PW" | wharf remote add acme --url ftps://wharf@ftp.acme.example/outbox --password-stdin
  wharf remote test acme
  wharf remote ls acme:/ --depth 2
  wharf remote get acme:/outbox/order.edi ./order.edi
  wharf remote put ./invoice.edi acme:/inbox/
  wharf remote set acme --max-conns 4 --active
  wharf remote list
  wharf remote remove acme`,
	}
	cmd.AddCommand(n.addCmd(), n.listCmd(), n.showCmd(), n.setCmd(), n.removeCmd(), n.testCmd(),
		n.lsCmd(), n.getCmd(), n.putCmd())
	return cmd
}

// remotes implements the remote commands.
type remotes struct{ a *app }

// oneRemote is a cobra.PositionalArgs that wants exactly one remote name.
func oneRemote(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one remote name, e.g. `%s acme`", cmd.CommandPath())
	}
	return urlAsName(args[0])
}

// getRemote returns the remote called name, with an error that says what
// to do when there is none.
func getRemote(ctx context.Context, st store.Store, name string) (store.Remote, error) {
	if err := urlAsName(name); err != nil {
		return store.Remote{}, err
	}
	r, err := st.Remote(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("remote %q %w: see `wharf remote list`, or add it with `wharf remote add %s --url ...`", name, store.ErrNotFound, name)
	}
	return r, err
}

// remoteEnv is what the commands that connect or seal passwords need.
type remoteEnv struct {
	st     store.Store
	keeper *secret.Keeper
	set    *remoteset.Set
	log    *slog.Logger
}

// openRemotes opens the data directory, the secrets keeper and a set of
// pools that knows this instance's ID. The caller closes it.
func (n remotes) openRemotes(ctx context.Context, cmd *cobra.Command) (*remoteEnv, error) {
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
	log := newLogger(n.a.opt.Stderr, cfg.Log)
	return &remoteEnv{st: st, keeper: keeper, log: log, set: remoteset.New(st, keeper, log, id)}, nil
}

func (e *remoteEnv) Close() {
	e.set.Close()
	e.keeper.Close()
	e.st.Close()
}

// remoteFlags are the settings add and set share.
type remoteFlags struct {
	url               string
	pwStdin           bool
	tls               string
	allowSelfSigned   bool
	allowNameMismatch bool
	maxConns          int
	active            bool
	sourceAddress     string
	readOnly          bool
	allowSelf         bool
	allowExpired      bool
	caFile            string
	certSHA256        string
	maxTLS            string
}

func (f *remoteFlags) register(fs *pflag.FlagSet, set bool) {
	urlUsage := "ftps://USER@HOST[:PORT][/ROOT][?tls=MODE] (required; no password in it)"
	pwUsage := "read the password from the first line of stdin (prompts twice on a terminal)"
	if set {
		urlUsage = "new ftps://USER@HOST[:PORT][/ROOT][?tls=MODE]: replaces host, port, user, root and tls (explicit unless ?tls= or --tls)"
		pwUsage = "set the password to the first line of stdin"
	}
	fs.StringVar(&f.url, "url", "", urlUsage)
	fs.BoolVar(&f.pwStdin, "password-stdin", false, pwUsage)
	tlsDefault := remote.TLSExplicit.String()
	if set {
		tlsDefault = "" // set changes only what is given
	}
	fs.StringVar(&f.tls, "tls", tlsDefault, "never, if-available, explicit or implicit")
	fs.BoolVar(&f.allowSelfSigned, "allow-self-signed", false, "accept a self-signed certificate or one from an unknown CA")
	fs.BoolVar(&f.allowNameMismatch, "allow-name-mismatch", false, "accept a certificate issued for another host name")
	fs.IntVar(&f.maxConns, "max-conns", 0, fmt.Sprintf("connections at most (0: %d)", remote.DefaultMaxConns))
	fs.BoolVar(&f.active, "active", false, "use active mode (PORT/EPRT) instead of passive")
	fs.StringVar(&f.sourceAddress, "source-address", "", "local IP address to connect from")
	fs.BoolVar(&f.readOnly, "read-only", false, "never change anything on the remote")
	fs.BoolVar(&f.allowSelf, "allow-self", false, "allow this remote to be this same Wharf instance")
	fs.BoolVar(&f.allowExpired, "allow-expired", false, "accept an expired or not yet valid certificate")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of the CAs to trust for this remote instead of the system's")
	fs.StringVar(&f.maxTLS, "max-tls", "", "highest TLS version to negotiate: 1.3 (default) or 1.2, for servers that mishandle 1.3")
	fs.StringVar(&f.certSHA256, "cert-sha256", "", "pin the server certificate: its hex SHA-256 (wharf remote test prints it)")
}

// apply copies the flags given into s and returns the names of the
// settings that changed.
//
// A URL replaces everything a URL can say, in add and set alike: host,
// port, user, root and TLS mode. What it leaves out takes its default
// (port 21, or 990 for implicit TLS; anonymous; the login folder;
// explicit TLS), so that no setting of the old URL, least of all
// ?tls=never, outlives a new one unseen. --tls, given with it, sets the
// mode instead of ?tls=; if both are given they must agree.
func (f *remoteFlags) apply(fs *pflag.FlagSet, s *store.RemoteSettings) ([]string, error) {
	var changed []string
	oldTLS := tlsMode(*s)
	var flagTLS remote.TLSMode
	if fs.Changed("tls") {
		m, err := remote.ParseTLSMode(f.tls)
		if err != nil {
			return nil, fmt.Errorf("--tls: %w", err)
		}
		flagTLS = m
	}
	if fs.Changed("url") {
		u, err := parseRemoteURL(f.url)
		if err != nil {
			return nil, err
		}
		if fs.Changed("tls") && hasTLSQuery(f.url) && u.TLS != flagTLS {
			return nil, fmt.Errorf("--url says ?tls=%s but --tls says %s: give the TLS mode once, in the URL or with --tls", u.TLS, flagTLS)
		}
		s.Host, s.Port, s.User, s.Root, s.TLS = u.Host, u.Port, u.User, u.Root, u.TLS.String()
		changed = append(changed, "url")
	}
	if fs.Changed("tls") {
		s.TLS = flagTLS.String()
	}
	if fs.Changed("tls") || tlsMode(*s) != oldTLS {
		changed = append(changed, "tls")
	}
	bools := []struct {
		flag string
		dst  *bool
		v    bool
	}{
		{"allow-self-signed", &s.AllowSelfSigned, f.allowSelfSigned},
		{"allow-name-mismatch", &s.AllowNameMismatch, f.allowNameMismatch},
		{"active", &s.Active, f.active},
		{"read-only", &s.ReadOnly, f.readOnly},
		{"allow-self", &s.AllowSelf, f.allowSelf},
		{"allow-expired", &s.AllowExpired, f.allowExpired},
	}
	for _, b := range bools {
		if fs.Changed(b.flag) {
			*b.dst = b.v
			changed = append(changed, b.flag)
		}
	}
	if fs.Changed("max-conns") {
		if f.maxConns < 0 {
			return nil, fmt.Errorf("--max-conns %d: give a positive number, or 0 for the default (%d)", f.maxConns, remote.DefaultMaxConns)
		}
		s.MaxConns = f.maxConns
		changed = append(changed, "max-conns")
	}
	if fs.Changed("ca-file") {
		if f.caFile != "" {
			abs, err := filepath.Abs(f.caFile)
			if err != nil {
				return nil, fmt.Errorf("--ca-file: %w", err)
			}
			if _, err := os.Stat(abs); err != nil {
				return nil, fmt.Errorf("--ca-file: %w: give a readable PEM file", err)
			}
			f.caFile = abs
		}
		s.CAFile = f.caFile
		changed = append(changed, "ca-file")
	}
	if fs.Changed("cert-sha256") {
		s.CertSHA256 = f.certSHA256
		changed = append(changed, "cert-sha256")
	}
	if fs.Changed("max-tls") {
		if _, err := remote.ParseMaxTLS(f.maxTLS); err != nil {
			return nil, fmt.Errorf("--max-tls: %w", err)
		}
		s.MaxTLS = f.maxTLS
		if s.MaxTLS == "1.3" {
			s.MaxTLS = "" // the default
		}
		changed = append(changed, "max-tls")
	}
	if fs.Changed("source-address") {
		if f.sourceAddress != "" && net.ParseIP(f.sourceAddress) == nil {
			return nil, fmt.Errorf("--source-address %q is not an IP address: give one of this host's addresses, or \"\" for any", f.sourceAddress)
		}
		if f.sourceAddress != "" {
			if err := remote.CheckSourceAddress(f.sourceAddress); err != nil {
				return nil, fmt.Errorf("--source-address: %w: give one of this host's addresses, or \"\" for any", err)
			}
		}
		s.SourceAddress = f.sourceAddress
		changed = append(changed, "source-address")
	}
	return changed, nil
}

// parseRemoteURL parses a remote URL, refusing one with a password. It
// looks for the password before parsing, because url.Parse quotes the
// whole URL in its errors.
func parseRemoteURL(s string) (remote.Config, error) {
	if urlHasPassword(s) {
		return remote.Config{}, errors.New("--url holds a password, which shell history and process lists would keep: " +
			"remove it from the URL (ftps://USER@HOST) and pipe it to --password-stdin instead")
	}
	cfg, err := remote.ParseURL(s)
	if err != nil {
		return cfg, fmt.Errorf("--url: %w: want ftps://USER@HOST[:PORT][/ROOT][?tls=MODE]", err)
	}
	if strings.Contains(s, "#") {
		// url.Parse drops the fragment: ROOT would lose its end unsaid.
		return remote.Config{}, fmt.Errorf("--url %q: a '#' starts a URL fragment, which would be dropped: write a '#' in a folder name as %%23", s)
	}
	return cfg, nil
}

// urlHasPassword reports whether s has user info with a ':' in it.
func urlHasPassword(s string) bool {
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	at := strings.LastIndex(s, "@")
	return at >= 0 && strings.Contains(s[:at], ":")
}

func hasTLSQuery(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Query().Has("tls")
}

// tlsMode is s's TLS mode, explicit when unset.
func tlsMode(s store.RemoteSettings) remote.TLSMode {
	m, err := remote.ParseTLSMode(s.TLS)
	if s.TLS == "" || err != nil {
		return remote.TLSExplicit
	}
	return m
}

// certFlags are the settings of the certificate check and of the TLS
// versions: what add and set report when they change.
var certFlags = []string{"allow-self-signed", "allow-name-mismatch", "allow-expired", "ca-file", "cert-sha256", "max-tls"}

// securitySummary says how the remote with settings s is secured after a
// change from before, for add's and set's confirmation: always the TLS
// mode (and the one before, when it changed), and the certificate check
// when certShown.
func securitySummary(before, s store.RemoteSettings, certShown bool) string {
	m := tlsMode(s)
	sum := "tls " + m.String()
	if was := tlsMode(before); was != m {
		sum += " (was " + was.String() + ")"
	}
	switch m {
	case remote.TLSNever:
		return sum + ": the password and files cross the network in clear"
	case remote.TLSIfAvailable:
		sum += ": in clear when the server offers no TLS"
	}
	if s.MaxTLS == "1.2" {
		sum += ", TLS 1.2 at most"
	}
	if certShown {
		sum += "; certificates: " + certPolicy(s)
	}
	return sum
}

// certPolicy describes the certificate check of s.
func certPolicy(s store.RemoteSettings) string {
	if s.CertSHA256 != "" {
		return "only the pinned one (sha256 " + s.CertSHA256 + ")"
	}
	p := "checked against " + pick(s.CAFile == "", "the system CAs", s.CAFile)
	for _, b := range []struct {
		on   bool
		what string
	}{
		{s.AllowSelfSigned, "self-signed or unknown CA accepted"},
		{s.AllowNameMismatch, "any host name accepted"},
		{s.AllowExpired, "expired accepted"},
	} {
		if b.on {
			p += ", " + b.what
		}
	}
	return p
}

// defaultCertPolicy reports whether s checks certificates as a new remote does.
func defaultCertPolicy(s store.RemoteSettings) bool {
	return certPolicy(s) == certPolicy(store.RemoteSettings{})
}

// readSecret reads a password from the first line of r, or, when r is a
// terminal, from two prompts on w without echo.
func readSecret(r io.Reader, w io.Writer, what, example string) (secret.Secret, error) {
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pw, err := promptPassword(int(f.Fd()), w, what)
		return secret.Secret(pw), err
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("--password-stdin: stdin held no password: pipe one in, e.g. `printf '%%s\\n' \"$PW\" | %s`", example)
	}
	return secret.Secret(pw), nil
}

// check makes the client configuration of r as a pool would, which opens
// its sealed password, and validates it.
func (e *remoteEnv) check(ctx context.Context, r store.Remote) error {
	cfg, err := e.set.Config(ctx, r)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("remote %q: %w", r.Name, err)
	}
	return nil
}

func (n remotes) addCmd() *cobra.Command {
	f := &remoteFlags{}
	cmd := &cobra.Command{
		Use:   "add NAME --url ftps://USER@HOST[:PORT][/ROOT][?tls=MODE]",
		Short: "Add a remote FTP/FTPS server",
		Long: `Add a remote. The URL names the server, the user and the folder to work in:

  ftps://USER@HOST[:PORT][/ROOT][?tls=MODE]

The scheme may be ftps://, ftp:// or ftpes://: each means explicit TLS unless
MODE (or --tls; given both, they must agree) is never, if-available or
implicit, e.g. ftp://anonymous@10.0.0.5?tls=never for plain FTP. That is the
form 'wharf remote list' and 'show' print. The port defaults to 21, or 990
for implicit. The URL takes no other option: the rest are flags.

The password comes from stdin with --password-stdin (without it, Wharf logs
in without a password, as for anonymous FTP); a URL with a password in it is
refused. Nothing is dialled: check the remote afterwards with 'wharf remote
test NAME'.`,
		Example: `  printf '%s\n' "$PW" | wharf remote add acme --url ftps://wharf@ftp.acme.example/outbox --password-stdin
  wharf remote add legacy --url 'ftp://anonymous@10.0.0.5/pub?tls=never' --read-only
  wharf remote add partner2 --url ftps://u@ftp.p2.example --tls implicit --allow-self-signed --max-conns 4`,
		Args: oneRemote,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := store.ValidateName(name); err != nil {
				return err
			}
			if !cmd.Flags().Changed("url") {
				return fmt.Errorf("--url is required: e.g. `wharf remote add %s --url ftps://USER@HOST/FOLDER --password-stdin`", name)
			}
			r := store.Remote{Name: name, Settings: store.RemoteSettings{TLS: remote.TLSExplicit.String()}}
			if _, err := f.apply(cmd.Flags(), &r.Settings); err != nil {
				return err
			}
			var pw secret.Secret
			if f.pwStdin {
				var err error
				example := fmt.Sprintf("wharf remote add %s --url %s --password-stdin", name, f.url)
				if pw, err = readSecret(cmd.InOrStdin(), cmd.ErrOrStderr(), "remote "+name, example); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			e, err := n.openRemotes(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			if _, err := e.st.Remote(ctx, name); err == nil {
				return fmt.Errorf("remote %q %w: see `wharf remote show %s`, or change it with `wharf remote set %s`", name, store.ErrExists, name, name)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if r.PasswordEnc, err = remoteset.Seal(ctx, e.keeper, name, pw); err != nil {
				return err
			}
			if err := e.check(ctx, r); err != nil {
				return err
			}
			if err := e.st.CreateRemote(ctx, &r); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "added remote %q: %s (%s)\n", name, remoteURL(r.Settings),
				securitySummary(r.Settings, r.Settings, !defaultCertPolicy(r.Settings)))
			if pw == "" {
				fmt.Fprintf(out, "no password: set one with `wharf remote set %s --password-stdin` if the server needs it\n", name)
			}
			fmt.Fprintf(out, "check it with `wharf remote test %s`\n", name)
			return nil
		},
	}
	f.register(cmd.Flags(), false)
	return cmd
}

// remoteURL renders s as a URL without a password, in the form add
// accepts: ftps:// for explicit and implicit TLS, ftp:// otherwise, and a
// tls query unless the mode is the default (explicit).
func remoteURL(s store.RemoteSettings) string {
	m := tlsMode(s)
	u := url.URL{Scheme: "ftps", Host: s.Host, Path: s.Root}
	if m == remote.TLSNever || m == remote.TLSIfAvailable {
		u.Scheme = "ftp"
	}
	if m != remote.TLSExplicit {
		u.RawQuery = "tls=" + m.String()
	}
	if s.Port != 0 {
		u.Host = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	} else if strings.Contains(s.Host, ":") {
		u.Host = "[" + s.Host + "]"
	}
	if s.User != "" {
		u.User = url.User(s.User)
	}
	return u.String()
}

// remoteView is a remote as list and show print it: never its password.
type remoteView struct {
	Name              string    `json:"name"`
	URL               string    `json:"url"`
	Host              string    `json:"host"`
	Port              int       `json:"port"`
	User              string    `json:"user"`
	Root              string    `json:"root"`
	TLS               string    `json:"tls"`
	AllowSelfSigned   bool      `json:"allow_self_signed"`
	AllowNameMismatch bool      `json:"allow_name_mismatch"`
	AllowExpired      bool      `json:"allow_expired"`
	CAFile            string    `json:"ca_file,omitempty"`
	CertSHA256        string    `json:"cert_sha256,omitempty"`
	MaxTLS            string    `json:"max_tls"`
	MaxConns          int       `json:"max_conns"`
	Active            bool      `json:"active"`
	SourceAddress     string    `json:"source_address"`
	ReadOnly          bool      `json:"read_only"`
	AllowSelf         bool      `json:"allow_self"`
	PasswordSet       bool      `json:"password_set"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// viewRemote fills in the defaults the client would use.
func viewRemote(r store.Remote) remoteView {
	s := r.Settings
	v := remoteView{
		Name: r.Name, URL: remoteURL(s), Host: s.Host, Port: s.Port, User: s.User, Root: s.Root, TLS: s.TLS,
		AllowSelfSigned: s.AllowSelfSigned, AllowNameMismatch: s.AllowNameMismatch, MaxConns: s.MaxConns,
		AllowExpired: s.AllowExpired, CAFile: s.CAFile, CertSHA256: s.CertSHA256, MaxTLS: s.MaxTLS,
		Active: s.Active, SourceAddress: s.SourceAddress, ReadOnly: s.ReadOnly, AllowSelf: s.AllowSelf,
		PasswordSet: len(r.PasswordEnc) > 0, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if v.TLS == "" {
		v.TLS = remote.TLSExplicit.String()
	}
	if v.Port == 0 {
		v.Port = 21
		if v.TLS == remote.TLSImplicit.String() {
			v.Port = 990
		}
	}
	if v.User == "" {
		v.User = "anonymous"
	}
	if v.Root == "" {
		v.Root = "/"
	}
	if v.MaxConns == 0 {
		v.MaxConns = remote.DefaultMaxConns
	}
	if v.MaxTLS == "" {
		v.MaxTLS = "1.3"
	}
	return v
}

// options lists the settings that differ from the defaults.
func (v remoteView) options() string {
	var o []string
	for _, b := range []struct {
		on   bool
		name string
	}{
		{v.AllowSelfSigned, "allow-self-signed"}, {v.AllowNameMismatch, "allow-name-mismatch"},
		{v.Active, "active"}, {v.ReadOnly, "read-only"}, {v.AllowSelf, "allow-self"}, {v.AllowExpired, "allow-expired"},
	} {
		if b.on {
			o = append(o, b.name)
		}
	}
	if v.SourceAddress != "" {
		o = append(o, "source-address="+v.SourceAddress)
	}
	if v.MaxTLS != "1.3" {
		o = append(o, "max-tls="+v.MaxTLS)
	}
	if len(o) == 0 {
		return "-"
	}
	return strings.Join(o, ",")
}

func setOrNot(b bool) string { return pick(b, "set", "not set") }

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func (n remotes) listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List remotes (never their passwords)",
		Example: "  wharf remote list\n  wharf remote list --json | jq -r '.[].name'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.Remotes(ctx)
			if err != nil {
				return fmt.Errorf("list remotes: %w", err)
			}
			views := make([]remoteView, 0, len(list))
			for _, r := range list {
				views = append(views, viewRemote(r))
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, views)
			}
			if len(views) == 0 {
				fmt.Fprintln(out, "no remotes yet: add one with `wharf remote add NAME --url ftps://USER@HOST --password-stdin`")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tURL\tTLS\tCONNS\tPASSWORD\tOPTIONS")
			for _, v := range views {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", v.Name, v.URL, v.TLS, v.MaxConns, setOrNot(v.PasswordSet), v.options())
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func (n remotes) showCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a remote's settings (never its password)",
		Example: "  wharf remote show acme\n  wharf remote show acme --json",
		Args:    oneRemote,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := getRemote(ctx, st, args[0])
			if err != nil {
				return err
			}
			v := viewRemote(r)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
			row("name", v.Name)
			row("url", v.URL)
			row("host", v.Host)
			row("port", strconv.Itoa(v.Port))
			row("user", v.User)
			row("password", setOrNot(v.PasswordSet))
			row("root", v.Root)
			row("tls", v.TLS)
			row("allow self-signed", yesNo(v.AllowSelfSigned))
			row("allow name mismatch", yesNo(v.AllowNameMismatch))
			row("allow expired", yesNo(v.AllowExpired))
			row("CA file", pick(v.CAFile == "", "(system CAs)", v.CAFile))
			row("pinned certificate", pick(v.CertSHA256 == "", "(none)", v.CertSHA256))
			row("max TLS version", v.MaxTLS)
			row("max connections", strconv.Itoa(v.MaxConns))
			row("mode", pick(v.Active, "active", "passive"))
			row("source address", pick(v.SourceAddress == "", "(any)", v.SourceAddress))
			row("read-only", yesNo(v.ReadOnly))
			row("allow self", yesNo(v.AllowSelf))
			row("created", r.CreatedAt.Local().Format(time.RFC3339))
			row("updated", r.UpdatedAt.Local().Format(time.RFC3339))
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (n remotes) setCmd() *cobra.Command {
	f := &remoteFlags{}
	var clearPW bool
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a remote: only the flags given change",
		Long: `Change a remote. Only the flags given change anything; a boolean flag given
as --flag=false switches that setting off again. --url replaces all that a URL
says, as 'wharf remote add' reads it: host, port, user, root and TLS mode.
What the new URL leaves out takes its default, not the old URL's value: port
21 (990 for implicit TLS), user anonymous, the login folder, and explicit TLS
unless ?tls= or --tls says otherwise (given both, they must agree). The
confirmation shows the TLS mode that results. Pools in a running 'wharf serve'
pick the change up at their next use.

A change of host, port, user or root points the remote at other files: the
synced state of every sync of the remote is then reset, so that its next run
treats both sides as new (a push sends every file to the new place), and set
names each such sync. Not while a run of one of them is in progress. The TLS
mode, the password and the other settings keep the state; mounts need nothing.`,
		Example: `  printf '%s\n' "$PW" | wharf remote set acme --password-stdin
  wharf remote set acme --url ftps://wharf@ftp2.acme.example:2121/outbox
  wharf remote set acme --tls implicit --allow-self-signed=false
  wharf remote set acme --read-only --max-conns 2`,
		Args: oneRemote,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.pwStdin && clearPW {
				return errors.New("--password-stdin and --clear-password contradict each other: give one")
			}
			ctx := cmd.Context()
			e, err := n.openRemotes(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			r, err := getRemote(ctx, e.st, args[0])
			if err != nil {
				return err
			}
			before := r.Settings
			changed, err := f.apply(cmd.Flags(), &r.Settings)
			if err != nil {
				return err
			}
			switch {
			case f.pwStdin:
				example := fmt.Sprintf("wharf remote set %s --password-stdin", r.Name)
				pw, err := readSecret(cmd.InOrStdin(), cmd.ErrOrStderr(), "remote "+r.Name, example)
				if err != nil {
					return err
				}
				if r.PasswordEnc, err = remoteset.Seal(ctx, e.keeper, r.Name, pw); err != nil {
					return err
				}
				changed = append(changed, "password")
			case clearPW:
				r.PasswordEnc = nil
				changed = append(changed, "password")
			}
			if len(changed) == 0 {
				return errors.New("nothing to change: give at least one flag, see `wharf remote set --help`")
			}
			if err := e.check(ctx, r); err != nil {
				return err
			}
			if r.Settings.ReadOnly && slices.Contains(changed, "read-only") {
				if err := readOnlyUsers(ctx, e.st, r.Name); err != nil {
					return err
				}
			}
			var moved []store.Sync // the syncs whose state UpdateRemote resets
			if store.RemoteMoved(before, r.Settings) {
				if moved, err = syncsOf(ctx, e.st, r.Name); err != nil {
					return err
				}
			}
			if err := e.st.UpdateRemote(ctx, &r); err != nil {
				if errors.Is(err, store.ErrSyncRunning) {
					return fmt.Errorf("remote %q not changed: %w", r.Name, err)
				}
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "updated remote %q: %s\n", r.Name, setSummary(before, r.Settings, changed))
			for _, sy := range moved {
				fmt.Fprintf(out, "sync %s: state reset: the next run treats both sides as new (it synced with %s before); see what it would do with `wharf sync run %s --dry-run`\n",
					sy.Name, remotePlace(before, sy.RemotePath), sy.Name)
			}
			return nil
		},
	}
	f.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&clearPW, "clear-password", false, "forget the password (log in without one)")
	return cmd
}

// setSummary is set's confirmation after the remote's name: the settings
// changed, the new URL when it changed, and how the remote is secured
// now. The certificate check is shown when it changed, and when a new
// host inherits a check that is not the default, since a relaxation or a
// pin meant for one server then applies to another.
func setSummary(before, after store.RemoteSettings, changed []string) string {
	sum := strings.Join(changed, ", ")
	if slices.Contains(changed, "url") {
		sum += "; now " + remoteURL(after)
	}
	certShown := slices.ContainsFunc(changed, func(c string) bool { return slices.Contains(certFlags, c) }) ||
		(after.Host != before.Host && !defaultCertPolicy(after))
	return sum + "; " + securitySummary(before, after, certShown)
}

func (n remotes) removeCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Delete a remote that no mount or sync uses",
		Long: `Delete a remote and its stored password. A remote that a mount or a sync
still uses is kept: remove those first (wharf mount remove, wharf sync remove).
Nothing on the remote server changes.`,
		Example: "  wharf remote remove acme",
		Args:    oneRemote,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, _, st, err := n.a.openData(ctx, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := getRemote(ctx, st, args[0])
			if err != nil {
				return err
			}
			if err := remoteInUse(ctx, st, r.Name); err != nil {
				return err
			}
			if err := st.DeleteRemote(ctx, r.Name); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed remote %q\n", r.Name)
			return nil
		},
	}
}

// remoteInUse refuses to remove a remote that mounts or syncs name: an
// account with a mount of a missing remote could not log in.
func remoteInUse(ctx context.Context, st store.Store, name string) error {
	mounts, err := st.Mounts(ctx, "")
	if err != nil {
		return fmt.Errorf("list mounts: %w", err)
	}
	var users []string
	for _, m := range mounts {
		if m.Remote == name {
			users = append(users, fmt.Sprintf("mount %s of %s (`wharf mount remove %s %s`)", m.Path, m.Account, m.Account, m.Path))
		}
	}
	syncs, err := st.Syncs(ctx)
	if err != nil {
		return fmt.Errorf("list syncs: %w", err)
	}
	for _, s := range syncs {
		if s.Remote == name {
			users = append(users, fmt.Sprintf("sync %s (`wharf sync remove %s`)", s.Name, s.Name))
		}
	}
	if len(users) > 0 {
		return fmt.Errorf("remote %q is in use by %s: remove those first", name, strings.Join(users, ", "))
	}
	return nil
}

func (n remotes) testCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Connect to a remote step by step and say what fails and how to fix it",
		Long: `Connect to a remote step by step: name resolution, TCP, TLS, greeting, login,
a listing of its root and, unless it is read-only, a small upload, download and
delete of a probe file. Each step prints ok, warn or FAIL with what was found
or what to do about it; the command exits non-zero when a step fails. A drop
box that takes uploads but refuses downloads or deletes passes with warnings.`,
		Example: "  wharf remote test acme",
		Args:    oneRemote,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			e, err := n.openRemotes(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			r, err := getRemote(ctx, e.st, args[0])
			if err != nil {
				return err
			}
			cfg, err := e.set.Config(ctx, r)
			if err != nil {
				return err
			}
			cfg.Name = r.Name // hints name the command that fixes what fails
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "testing remote %q: %s (tls %s)\n", r.Name, remoteURL(r.Settings), cfg.TLS)
			rep := remote.Diagnose(ctx, cfg, e.log)
			fmt.Fprint(out, rep.String())
			for _, s := range rep.Steps {
				if !s.OK {
					return fmt.Errorf("remote %q failed at the %s step: %s", r.Name, s.Name, s.Detail)
				}
			}
			if !rep.OK() {
				return fmt.Errorf("remote %q: the test made no steps", r.Name)
			}
			fmt.Fprintf(out, "remote %q works\n", r.Name)
			return nil
		},
	}
}

// readOnlyUsers refuses to make a remote read-only while a sync needs to
// write to it (a push, a two-way sync, a pull that deletes its sources).
func readOnlyUsers(ctx context.Context, st store.Store, remote string) error {
	syncs, err := st.Syncs(ctx)
	if err != nil {
		return err
	}
	for _, sy := range syncs {
		if sy.Remote != remote {
			continue
		}
		if err := filesync.ValidateReadOnly(sy); err != nil {
			return fmt.Errorf("sync %s writes to remote %q (%s): change or remove it first (wharf sync set %s / wharf sync remove %s)",
				sy.Name, remote, sy.Direction+map[bool]string{true: ", delete after copy", false: ""}[sy.AfterCopy == store.AfterCopyDelete], sy.Name, sy.Name)
		}
	}
	return nil
}
