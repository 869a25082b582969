package cli

import (
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// TestRemoteSetTLSInterop replays the acceptance report against vsftpd and
// pure-ftpd, which require TLS for the login (WHARF_INTEROP=1): after `set
// --tls never`, `remote test` fails at the login naming the command that
// turns TLS on, and a new ftps:// URL turns it on again, as add would read
// the URL, so the login goes over TLS.
func TestRemoteSetTLSInterop(t *testing.T) {
	for _, p := range []struct {
		name  string
		start func(testing.TB, peertest.Options) *peertest.Server
	}{
		{"vsftpd", peertest.Vsftpd},
		{"pure-ftpd", peertest.PureFTPd},
	} {
		t.Run(p.name, func(t *testing.T) {
			s := p.start(t, peertest.Options{})
			dir := t.TempDir()
			url := "ftps://" + s.User + "@" + s.Addr + s.Dir
			mustRun(t, dir, s.Password+"\n", "remote", "add", "v", "--url", url, "--password-stdin", "--allow-self-signed")
			r := mustRun(t, dir, "", "remote", "set", "v", "--tls", "never")
			if want := "tls never (was explicit): the password and files cross the network in clear"; !strings.Contains(r.stdout, want) {
				t.Errorf("set --tls never printed %q, want it to contain %q", r.stdout, want)
			}
			r = run(t, dir, "", "remote", "test", "v")
			want := "the server requires TLS: run `wharf remote set v --tls explicit`"
			if r.err == nil || !strings.Contains(r.err.Error(), "login step") || !strings.Contains(r.err.Error(), want) {
				t.Fatalf("remote test in clear: err = %v\nwant a failed login step containing %q\n%s", r.err, want, r.stdout)
			}
			r = mustRun(t, dir, "", "remote", "set", "v", "--url", url)
			if want := `updated remote "v": url, tls; now ` + url + "; tls explicit (was never)"; !strings.Contains(r.stdout, want) {
				t.Errorf("set --url printed %q, want it to contain %q", r.stdout, want)
			}
			r = mustRun(t, dir, "", "remote", "test", "v")
			for _, w := range []string{"ok   tls", "ok   login", `remote "v" works`} {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("remote test lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}
