package cli

import (
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// TestRemoteSetURL: a URL given to set decides everything a URL says as
// add reads it, TLS mode included, so an earlier --tls never does not
// outlive a new ftps:// URL; --tls in the same command decides instead,
// and a ?tls= that contradicts it is refused. The confirmation names the
// TLS mode that results, and the certificate check when it changed or
// when a new host inherits a relaxed one.
func TestRemoteSetURL(t *testing.T) {
	dir := t.TempDir()
	pin := strings.Repeat("ab", 32)
	runSteps(t, dir, []step{
		{name: "add", args: []string{"remote", "add", "pn", "--url", "ftps://wharf@127.0.0.1:24021/in", "--allow-self-signed"},
			want: []string{`added remote "pn": ftps://wharf@127.0.0.1:24021/in (tls explicit; certificates: checked against the system CAs, self-signed or unknown CA accepted)`}},
		{name: "never", args: []string{"remote", "set", "pn", "--tls", "never"},
			want: []string{`updated remote "pn": tls; tls never (was explicit): the password and files cross the network in clear`}},
		{name: "ftps url", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.1:24021/"},
			want: []string{`updated remote "pn": url, tls; now ftps://wharf@127.0.0.1:24021; tls explicit (was never)`}},
		{name: "show explicit", args: []string{"remote", "show", "pn"},
			want: []string{"url:                  ftps://wharf@127.0.0.1:24021\n", "tls:                  explicit", "root:                 /\n"}},
		{name: "never again", args: []string{"remote", "set", "pn", "--tls", "never"}, want: []string{"tls never (was explicit)"}},
		// ftp:// means explicit TLS too, as the help and add say.
		{name: "ftp url", args: []string{"remote", "set", "pn", "--url", "ftp://wharf@127.0.0.1:24021"},
			want: []string{`updated remote "pn": url, tls; now ftps://wharf@127.0.0.1:24021; tls explicit (was never)`}},
		{name: "ftpes url same mode", args: []string{"remote", "set", "pn", "--url", "ftpes://wharf@127.0.0.1:24021"},
			want: []string{`updated remote "pn": url; now ftps://wharf@127.0.0.1:24021; tls explicit`}, notWant: []string{"was", "url, tls"}},
		{name: "query decides", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.1?tls=implicit"},
			want: []string{`url, tls; now ftps://wharf@127.0.0.1?tls=implicit; tls implicit (was explicit)`}},
		{name: "show implicit port", args: []string{"remote", "show", "pn"}, want: []string{"port:                 990"}},
		{name: "flag decides", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.1:24021", "--tls", "if-available"},
			want: []string{"now ftp://wharf@127.0.0.1:24021?tls=if-available; tls if-available (was implicit)"}},
		{name: "query and flag agree", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.1:24021?tls=explicit", "--tls", "explicit"},
			want: []string{"tls explicit (was if-available)"}},
		{name: "query and flag conflict", args: []string{"remote", "set", "pn", "--url", "ftp://wharf@127.0.0.1:24021?tls=never", "--tls", "explicit"},
			wantErr: "--url says ?tls=never but --tls says explicit: give the TLS mode once"},
		{name: "unknown query option", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.1:24021?mode=active"},
			wantErr: `unknown option "mode": the URL takes only ?tls=`},
		{name: "tls twice", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.1:24021?tls=explicit&tls=never"},
			wantErr: "?tls= given 2 times"},
		{name: "empty tls", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.1:24021?tls="},
			wantErr: `tls mode ""`},
		{name: "refusals changed nothing", args: []string{"remote", "show", "pn"}, want: []string{"url:                  ftps://wharf@127.0.0.1:24021\n"}},
		// A relaxed check that a new host inherits is shown.
		{name: "new host", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.2:24021"},
			want: []string{"tls explicit; certificates: checked against the system CAs, self-signed or unknown CA accepted"}},
		{name: "same host", args: []string{"remote", "set", "pn", "--url", "ftps://wharf@127.0.0.2:24022"}, notWant: []string{"certificates"}},
		{name: "check changed", args: []string{"remote", "set", "pn", "--allow-self-signed=false", "--allow-expired"},
			want: []string{`updated remote "pn": allow-self-signed, allow-expired; tls explicit; certificates: checked against the system CAs, expired accepted`}},
		{name: "bad pin", args: []string{"remote", "set", "pn", "--cert-sha256", "ab:cd"}, wantErr: "certificate pin"},
		{name: "pin", args: []string{"remote", "set", "pn", "--cert-sha256", pin},
			want: []string{"certificates: only the pinned one (sha256 " + pin + ")"}},
		{name: "cap", args: []string{"remote", "set", "pn", "--max-tls", "1.2"}, want: []string{"tls explicit, TLS 1.2 at most; certificates:"}},
		{name: "other settings say tls", args: []string{"remote", "set", "pn", "--max-conns", "2"},
			want: []string{`updated remote "pn": max-conns; tls explicit, TLS 1.2 at most`}, notWant: []string{"certificates"}},
	})
}

// TestRemoteSetURLResets: the parts a new URL leaves out take their
// defaults, not the old URL's values: port, user, root and TLS mode.
func TestRemoteSetURLResets(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "remote", "add", "r", "--url", "ftps://old@h.example:2121/deep/in?tls=implicit")
	mustRun(t, dir, "", "remote", "set", "r", "--url", "ftps://h2.example")
	r, err := openStore(t, dir).Remote(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	want := store.RemoteSettings{Host: "h2.example", TLS: "explicit"}
	if diff := cmp.Diff(want, r.Settings); diff != "" {
		t.Errorf("settings after set --url ftps://h2.example (-want +got):\n%s", diff)
	}
	res := mustRun(t, dir, "", "remote", "show", "r")
	for _, w := range []string{"port:                 21\n", "user:                 anonymous", "root:                 /\n", "tls:                  explicit"} {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("show lacks %q:\n%s", w, res.stdout)
		}
	}
}

// TestRemoteAddTLSConflict: add refuses a ?tls= that --tls contradicts,
// as set does, and takes them when they agree.
func TestRemoteAddTLSConflict(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "conflict", args: []string{"remote", "add", "x", "--url", "ftp://u@h.example?tls=never", "--tls", "explicit"},
			wantErr: "--url says ?tls=never but --tls says explicit"},
		{name: "agree", args: []string{"remote", "add", "x", "--url", "ftp://u@h.example?tls=never", "--tls", "never"},
			want: []string{`added remote "x": ftp://u@h.example?tls=never (tls never: the password and files cross the network in clear)`}},
		{name: "flag alone", args: []string{"remote", "add", "y", "--url", "ftp://u@h.example", "--tls", "implicit"},
			want: []string{`added remote "y": ftps://u@h.example?tls=implicit (tls implicit)`}},
	})
}

// TestRemoteSourceAddress: add and set refuse a source address this
// machine does not have, found by listening on it locally (nothing is
// sent), and take one it has.
func TestRemoteSourceAddress(t *testing.T) {
	const foreign = "198.51.100.7" // TEST-NET-2 (RFC 5737)
	if ln, err := net.Listen("tcp", net.JoinHostPort(foreign, "0")); err == nil {
		ln.Close()
		t.Skipf("this machine can bind %s (an address of its own, or ip_nonlocal_bind)", foreign)
	}
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "add foreign", args: []string{"remote", "add", "r", "--url", "ftps://u@127.0.0.1:1", "--source-address", foreign},
			wantErr: "--source-address: source address " + foreign + " is not an address of this machine"},
		{name: "add local", args: []string{"remote", "add", "r", "--url", "ftps://u@127.0.0.1:1", "--source-address", "127.0.0.1"}},
		{name: "set foreign", args: []string{"remote", "set", "r", "--source-address", foreign},
			wantErr: "is not an address of this machine"},
		{name: "unchanged", args: []string{"remote", "show", "r"}, want: []string{"source address:       127.0.0.1"}},
		{name: "set another local", args: []string{"remote", "set", "r", "--source-address", "127.0.0.2"}, want: []string{"source-address"}},
		{name: "set any", args: []string{"remote", "set", "r", "--source-address", ""}, want: []string{"source-address"}},
		{name: "show any", args: []string{"remote", "show", "r"}, want: []string{"source address:       (any)"}},
	})
}
