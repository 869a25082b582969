package main

import (
	"context"
	"fmt"
	"github.com/wharf-mft/wharf/bench/internal/benchkit"
	"os"
	"path/filepath"
	"strings"
)

// startVsftpd runs vsftpd in the foreground on a free loopback port, serving
// dir/vsftpd/root to the anonymous login (vsftpd authenticates local users
// only through PAM, and a system user would change the machine). Uploads,
// mkdir and overwrites are allowed under /receive; /send holds downloads. TLS
// is offered and optional, like Wharf with --allow-plain, so one server
// takes both the plain and the FTPS runs. Protocol logging is off and the
// transfer log on, as in Debian's default vsftpd.conf.
func startVsftpd(ctx context.Context, bin, dir, certFile, keyFile string, taken *[][2]int) (*server, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("vsftpd: %w (apt-get install vsftpd, or run scripts/test.sh as root once)", err)
	}
	uid, gid := lookupIDs("ftp")
	base := filepath.Join(dir, "vsftpd")
	root := filepath.Join(base, "root")
	empty := filepath.Join(base, "empty")
	s := &server{
		name: "vsftpd", host: "127.0.0.1", user: "anonymous", password: "bench@example.com",
		sendDir: filepath.Join(root, "send"), recvDir: filepath.Join(root, "receive"),
		uid: uid, gid: gid,
	}
	for _, d := range []string{base, root, empty, s.sendDir, s.recvDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{s.sendDir, s.recvDir} {
		if err := os.Chown(d, uid, gid); err != nil {
			return nil, err
		}
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	s.port = port
	lo, hi, err := benchkit.FreeRange(500, taken)
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
		"max_clients=0", "max_per_ip=0", "idle_session_timeout=300", "data_connection_timeout=120",
		"xferlog_enable=YES", "xferlog_file=" + filepath.Join(base, "xferlog"), "log_ftp_protocol=NO",
		"ssl_enable=YES", "allow_anon_ssl=YES", "force_anon_logins_ssl=NO", "force_anon_data_ssl=NO",
		"require_ssl_reuse=NO", "ssl_ciphers=HIGH", "ssl_sslv2=NO", "ssl_sslv3=NO", "ssl_tlsv1=NO",
		"rsa_cert_file=" + certFile, "rsa_private_key_file=" + keyFile,
	}
	cf := filepath.Join(base, "vsftpd.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	p, err := benchkit.StartProc("vsftpd", []string{bin, cf}, nil, filepath.Join(base, "vsftpd.log"))
	if err != nil {
		return nil, err
	}
	s.proc = p
	if err := p.WaitReady(ctx, s.addr()); err != nil {
		p.Stop()
		return nil, err
	}
	return s, nil
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
