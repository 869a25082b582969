package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ProFTPD starts ProFTPD 1.3.8 with mod_tls (session reuse required, its
// default), mod_digest (HASH, XSHA256, XMD5) and mod_site_misc (SITE UTIME),
// unpacked into PeerDir by install-peers.sh. The login is a virtual user from
// an AuthUserFile, chrooted to Root and mapped to nobody.
func ProFTPD(t testing.TB, o Options) *Server {
	t.Helper()
	Interop(t)
	base := filepath.Join(PeerDir(), "root")
	bin := need(t, filepath.Join(base, "usr/sbin/proftpd"))
	uid, gid := lookupIDs("nobody")
	s := newServer(t, "proftpd", o, uid, gid)
	s.User, s.Password = "wharf", "proftpd-"+randomToken()
	dir := filepath.Dir(s.Root)
	hash, err := cryptPassword(s.Password)
	if err != nil {
		t.Fatal(err)
	}
	passwd := filepath.Join(dir, "passwd")
	line := fmt.Sprintf("%s:%s:%d:%d::%s:/bin/sh\n", s.User, hash, uid, gid, s.Root)
	if err := os.WriteFile(passwd, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	idle := o.Idle
	if idle == 0 {
		idle = 300 * time.Second
	}
	mods := filepath.Join(base, "usr/lib/proftpd")
	perHost := "none"
	if o.MaxPerIP > 0 {
		perHost = fmt.Sprint(o.MaxPerIP)
	}
	conf := []string{
		"ModulePath " + mods,
		"LoadModule mod_digest.c", "LoadModule mod_site_misc.c",
		"ServerType standalone", "DefaultServer on", "UseIPv6 off",
		"ServerName \"wharf peertest proftpd " + o.Banner + "\"",
		"ServerIdent on \"wharf peertest proftpd " + o.Banner + "\"",
		"DefaultAddress 127.0.0.1", "SocketBindTight on",
		fmt.Sprintf("Port %d", s.Port),
		fmt.Sprintf("PassivePorts %d %d", s.PasvMin, s.PasvMax),
		"User nobody", "Group nogroup",
		"PidFile " + filepath.Join(dir, "proftpd.pid"),
		"ScoreboardFile " + filepath.Join(dir, "proftpd.scoreboard"),
		"DelayTable none", "WtmpLog off", "UseReverseDNS off",
		"AuthOrder mod_auth_file.c", "AuthUserFile " + passwd,
		"AuthGroupFile " + filepath.Join(dir, "group"),
		"RequireValidShell off", "DefaultRoot ~", "AllowOverwrite on", "AllowStoreRestart on", "Umask 022",
		"MaxInstances 100", "MaxClientsPerHost " + perHost,
		fmt.Sprintf("TimeoutIdle %d", int(idle.Seconds())),
		"SystemLog " + s.logFile, "TransferLog " + s.logFile + ".xfer",
		"DigestEngine on", "DigestAlgorithms all",
		"SiteMiscEngine on",
	}
	if o.TLS != NoTLS {
		conf = append(conf,
			"LoadModule mod_tls.c",
			"TLSEngine on", "TLSLog "+s.logFile, "TLSProtocol TLSv1.2 TLSv1.3",
			"TLSECCertificateFile "+s.Cert.CertFile, "TLSECCertificateKeyFile "+s.Cert.KeyFile,
			"TLSRequired on", "TLSVerifyClient off", "TLSRenegotiate none",
		)
		if o.TLS == ImplicitTLS {
			conf = append(conf, "TLSOptions UseImplicitSSL")
		}
	}
	conf = append(conf, o.Extra...)
	if err := os.WriteFile(filepath.Join(dir, "group"), []byte("nogroup:x:65534:\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cf := filepath.Join(dir, "proftpd.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.argv = []string{bin, "--nodaemon", "--config", cf}
	return s.run(t)
}

// cryptPassword returns a SHA-512 crypt(3) hash made by openssl, which every
// Debian system with the peers installed has.
func cryptPassword(pw string) (string, error) {
	cmd := exec.Command("openssl", "passwd", "-6", "-stdin")
	cmd.Stdin = strings.NewReader(pw)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("openssl passwd: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// randomToken returns 16 hex characters.
func randomToken() string {
	return fmt.Sprintf("%016x", serial().Uint64())
}
