package cli

import (
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// TestHintsNameTheRemote: where the CLI knows the remote's name, advice
// is the command to run (vsftpd with a CA outside the system pool,
// WHARF_INTEROP=1): in `remote test`'s report and error, and in the
// warning of `mount add`'s check.
func TestHintsNameTheRemote(t *testing.T) {
	s := peertest.Vsftpd(t, peertest.Options{})
	dir := t.TempDir()
	mustRun(t, dir, s.Password+"\n", "remote", "add", "v", "--url", "ftps://"+s.User+"@"+s.Addr+s.Dir, "--password-stdin")
	const want = "to accept it, run `wharf remote set v --allow-self-signed`, or pin it: run `wharf remote set v --cert-sha256 "
	r := run(t, dir, "", "remote", "test", "v")
	if r.err == nil || !strings.Contains(r.err.Error(), want) || !strings.Contains(r.stdout, "FAIL tls") || !strings.Contains(r.stdout, want) {
		t.Errorf("remote test: err %v\n%s\nwant a failed tls step and an error saying %q", r.err, r.stdout, want)
	}
	if strings.Contains(r.stdout, "on the remote") {
		t.Errorf("remote test still words a hint as a flag to set on the remote:\n%s", r.stdout)
	}
	mustRun(t, dir, "", "partner", "add", "acme")
	r = mustRun(t, dir, "", "mount", "add", "acme", "/send/x", "v:/")
	if !strings.Contains(r.stdout, "warning: could not check that v:/ is a folder") || !strings.Contains(r.stdout, want) {
		t.Errorf("mount add with a refused certificate:\n%s\nwant a warning saying %q", r.stdout, want)
	}
}
