package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// PureFTPd starts pure-ftpd 1.0.50 with TLS required on control and data
// (-Y 3), unpacked into PeerDir by install-peers.sh. The login is a virtual
// user from a PureDB file, chrooted to Root and mapped to nobody. pure-ftpd
// has no implicit TLS, so ImplicitTLS skips the test.
func PureFTPd(t testing.TB, o Options) *Server {
	t.Helper()
	Interop(t)
	if o.TLS == ImplicitTLS {
		t.Skip("pure-ftpd has no implicit TLS")
	}
	base := filepath.Join(PeerDir(), "root")
	bin := need(t, filepath.Join(base, "usr/sbin/pure-ftpd"))
	pw := need(t, filepath.Join(base, "usr/bin/pure-pw"))
	uid, gid := lookupIDs("nobody")
	s := newServer(t, "pure-ftpd", o, uid, gid)
	s.User, s.Password = "wharf", "pure-"+randomToken()
	dir := filepath.Dir(s.Root)
	passwd, pdb := filepath.Join(dir, "pureftpd.passwd"), filepath.Join(dir, "pureftpd.pdb")
	// pure-pw hashes with argon2id at t=511, which makes every login take
	// seconds; a SHA-512 crypt hash in the same file logs in at once.
	hash, err := cryptPassword(s.Password)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("%s:%s:%d:%d::%s/./::::::::::::\n", s.User, hash, uid, gid, s.Root)
	if err := os.WriteFile(passwd, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pw, "mkdb", pdb, "-f", passwd).CombinedOutput(); err != nil {
		t.Fatalf("pure-pw mkdb: %v\n%s", err, out)
	}
	idle := o.Idle
	if idle == 0 {
		idle = 5 * time.Minute
	}
	perIP := o.MaxPerIP
	if perIP == 0 {
		perIP = 200
	}
	s.argv = []string{bin,
		"--bind", fmt.Sprintf("127.0.0.1,%d", s.Port),
		"--passiveportrange", fmt.Sprintf("%d:%d", s.PasvMin, s.PasvMax),
		"--login", "puredb:" + pdb, "--noanonymous", "--chrooteveryone",
		"--maxclientsnumber", "200", "--maxclientsperip", fmt.Sprint(perIP),
		"--maxidletime", fmt.Sprint(max(1, int(idle.Minutes()))),
		"--minuid", "1", "--dontresolve",
		"--altlog", "clf:" + s.logFile + ".xfer",
		"--pidfile", filepath.Join(dir, "pure-ftpd.pid"),
	}
	if o.TLS != NoTLS {
		s.argv = append(s.argv, "--tls", "3", "--certfile", s.Cert.CertFile+","+s.Cert.KeyFile)
	}
	s.argv = append(s.argv, o.Extra...)
	return s.run(t)
}
