package peertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Vsftpd starts vsftpd 3.0.x with require_ssl_reuse=YES. It serves Root to the
// anonymous user (User "anonymous", any password, TLS forced for login and
// data when TLS is on), with upload, mkdir, rename and delete allowed. vsftpd
// only authenticates local users through PAM, so a virtual login would need
// system changes; the anonymous login still goes through USER/PASS over TLS.
func Vsftpd(t testing.TB, o Options) *Server {
	t.Helper()
	Interop(t)
	bin := need(t, "/usr/sbin/vsftpd")
	uid, gid := lookupIDs("ftp")
	s := newServer(t, "vsftpd", o, uid, gid)
	s.User, s.Password = "anonymous", "wharf@example.com"
	dir := filepath.Dir(s.Root)
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	idle := o.Idle
	if idle == 0 {
		idle = 300 * time.Second
	}
	banner := "wharf peertest vsftpd"
	if o.Banner != "" {
		banner += " " + o.Banner
	}
	conf := []string{
		"listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1",
		fmt.Sprintf("listen_port=%d", s.Port),
		"background=NO", "seccomp_sandbox=NO",
		"anonymous_enable=YES", "local_enable=NO", "no_anon_password=NO",
		"anon_root=" + s.Root, "write_enable=YES", "anon_upload_enable=YES",
		"anon_mkdir_write_enable=YES", "anon_other_write_enable=YES", "anon_umask=022",
		"allow_writeable_chroot=YES", "secure_chroot_dir=" + empty,
		"pasv_enable=YES", "pasv_promiscuous=NO",
		fmt.Sprintf("pasv_min_port=%d", s.PasvMin), fmt.Sprintf("pasv_max_port=%d", s.PasvMax),
		"port_enable=YES", "connect_from_port_20=NO", "port_promiscuous=NO",
		"mdtm_write=YES", "use_localtime=NO",
		fmt.Sprintf("idle_session_timeout=%d", int(idle.Seconds())),
		"data_connection_timeout=60", "max_clients=0", fmt.Sprintf("max_per_ip=%d", o.MaxPerIP),
		"ftpd_banner=" + banner,
		"xferlog_enable=YES", "vsftpd_log_file=" + s.logFile + ".xfer", "dual_log_enable=NO",
		fmt.Sprintf("log_ftp_protocol=%s", yesNo(!o.Quiet)),
	}
	if o.TLS != NoTLS {
		conf = append(conf,
			"ssl_enable=YES", "allow_anon_ssl=YES", "force_anon_logins_ssl=YES", "force_anon_data_ssl=YES",
			"require_ssl_reuse=YES", "ssl_ciphers=HIGH", "ssl_sslv2=NO", "ssl_sslv3=NO", "ssl_tlsv1=YES",
			"rsa_cert_file="+s.Cert.CertFile, "rsa_private_key_file="+s.Cert.KeyFile, "debug_ssl="+yesNo(!o.Quiet),
		)
		if o.TLS == ImplicitTLS {
			conf = append(conf, "implicit_ssl=YES")
		}
	}
	conf = append(conf, o.Extra...)
	cf := filepath.Join(dir, "vsftpd.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.argv = []string{bin, cf}
	return s.run(t)
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}
