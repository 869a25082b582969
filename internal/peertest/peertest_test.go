package peertest

import (
	"crypto/tls"
	"os/exec"
	"strings"
	"testing"
)

// TestPeersWithCurl checks the harness itself with an independent client.
func TestPeersWithCurl(t *testing.T) {
	Interop(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	peers := map[string]func(testing.TB, Options) *Server{
		"vsftpd": Vsftpd, "proftpd": ProFTPD, "pure-ftpd": PureFTPd,
	}
	for name, start := range peers {
		for _, mode := range []TLSMode{ExplicitTLS, ImplicitTLS} {
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				t.Run(name+"/"+mode.String()+"/"+tls.VersionName(v), func(t *testing.T) {
					t.Parallel()
					s := start(t, Options{TLS: mode, TLSVersion: v})
					s.Mkdir(t, "work/dir")
					s.WriteFile(t, "work/dir/hello.txt", []byte("hello"))
					scheme, flag := "ftp", "--ssl-reqd"
					if mode == ImplicitTLS {
						scheme = "ftps"
					}
					url := scheme + "://" + s.Addr + "/work/dir/hello.txt"
					out, err := exec.Command("curl", "-sS", flag, "--cacert", s.Cert.CertFile, "-k",
						"--user", s.User+":"+s.Password, url).CombinedOutput()
					if err != nil || string(out) != "hello" {
						t.Fatalf("curl %s: %v\n%s\n%s", url, err, out, s.Log())
					}
					up := scheme + "://" + s.Addr + "/work/dir/up.txt"
					cmd := exec.Command("curl", "-sS", flag, "-k", "--user", s.User+":"+s.Password, "-T", "-", up)
					cmd.Stdin = strings.NewReader("uploaded")
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("curl -T %s: %v\n%s\n%s", up, err, out, s.Log())
					}
				})
			}
		}
	}
}
