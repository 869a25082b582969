package main

import (
	"context"
	"fmt"
	"github.com/wharf-mft/wharf/bench/internal/benchkit"
	"os"
	"path/filepath"
	"strings"
)

// peer is the vsftpd under test: the remote behind Wharf's mount and the
// server curl talks to directly. bank is the folder on disk behind /bank.
type peer struct {
	port     int
	user     string
	password string
	bank     string
	uid, gid int
	proc     *benchkit.Proc
	cg       *cgroup // nil: CPU time sampled from /proc
}

func (v *peer) url(p string) string { return fmt.Sprintf("ftp://127.0.0.1:%d%s", v.port, p) }

// startVsftpd runs vsftpd in the foreground on a free loopback port. In
// explicit mode it requires FTPS for login and data, with
// require_ssl_reuse=YES; in plain mode it has no TLS at all. It
// serves the anonymous login, chrooted to dir/vsftpd/root, whose /bank
// folder the login may write to: vsftpd checks local users only through
// PAM, so a local user would need a system account (peertest and
// serverbench make the same choice). The anonymous login still sends USER
// and PASS over TLS and moves data like a local user.
func startVsftpd(ctx context.Context, bin, dir string, md mode, certFile, keyFile string, taken *[][2]int) (*peer, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("vsftpd: %w (apt-get install vsftpd)", err)
	}
	uid, gid := lookupIDs("ftp")
	base := filepath.Join(dir, "vsftpd")
	root := filepath.Join(base, "root")
	empty := filepath.Join(base, "empty")
	v := &peer{user: "anonymous", password: "mountbench@example.com", bank: filepath.Join(root, "bank"), uid: uid, gid: gid}
	for _, d := range []string{base, root, empty, v.bank} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Chown(v.bank, uid, gid); err != nil {
		return nil, err
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	v.port = port
	lo, hi, err := benchkit.FreeRange(200, taken)
	if err != nil {
		return nil, err
	}
	conf := []string{
		"listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1",
		fmt.Sprintf("listen_port=%d", port),
		"background=NO", "seccomp_sandbox=NO",
		"anonymous_enable=YES", "local_enable=NO", "no_anon_password=NO",
		"anon_root=" + root, "write_enable=YES", "anon_upload_enable=YES",
		"anon_mkdir_write_enable=YES", "anon_other_write_enable=YES", "anon_umask=022",
		"allow_writeable_chroot=YES", "secure_chroot_dir=" + empty,
		"pasv_enable=YES", "pasv_address=127.0.0.1",
		fmt.Sprintf("pasv_min_port=%d", lo), fmt.Sprintf("pasv_max_port=%d", hi),
		"port_enable=NO",
		"mdtm_write=YES", "use_localtime=NO",
		"max_clients=0", "max_per_ip=0", "idle_session_timeout=600", "data_connection_timeout=120",
		"xferlog_enable=YES", "xferlog_file=" + filepath.Join(base, "xferlog"), "log_ftp_protocol=NO",
	}
	if md.tls() {
		conf = append(conf, "ssl_enable=YES", "allow_anon_ssl=YES", "force_anon_logins_ssl=YES", "force_anon_data_ssl=YES",
			"require_ssl_reuse=YES", "ssl_ciphers=HIGH", "ssl_sslv2=NO", "ssl_sslv3=NO", "ssl_tlsv1=YES",
			"rsa_cert_file="+certFile, "rsa_private_key_file="+keyFile)
	}
	cf := filepath.Join(base, "vsftpd.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	p, err := benchkit.StartProc("vsftpd", []string{bin, cf}, nil, filepath.Join(base, "vsftpd.log"))
	if err != nil {
		return nil, err
	}
	v.proc = p
	v.cg = ownCgroup(p, string(md))
	if err := p.WaitReady(ctx, fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		stopServer(p, v.cg)
		return nil, err
	}
	return v, nil
}

// lookupIDs returns the uid and gid of a system user, or nobody's.
func lookupIDs(name string) (int, int) {
	data, err := os.ReadFile("/etc/passwd")
	if err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			f := strings.Split(line, ":")
			if len(f) > 3 && f[0] == name {
				var uid, gid int
				if _, err := fmt.Sscan(f[2]+" "+f[3], &uid, &gid); err == nil {
					return uid, gid
				}
			}
		}
	}
	return 65534, 65534
}

func vsftpdVersion() string {
	data, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		return "vsftpd"
	}
	for block := range strings.SplitSeq(string(data), "\n\n") {
		if !strings.HasPrefix(block, "Package: vsftpd\n") {
			continue
		}
		for line := range strings.SplitSeq(block, "\n") {
			if v, ok := strings.CutPrefix(line, "Version: "); ok {
				return "vsftpd " + v
			}
		}
	}
	return "vsftpd"
}
