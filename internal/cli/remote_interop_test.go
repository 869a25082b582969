package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// TestRemoteInterop drives the remote and mount commands against vsftpd,
// ProFTPD and pure-ftpd (WHARF_INTEROP=1): the certificate refusal and its
// flag, remote test, put, ls and get, and a partner's mount of the peer
// read through `wharf serve`.
func TestRemoteInterop(t *testing.T) {
	peers := []struct {
		name  string
		start func(testing.TB, peertest.Options) *peertest.Server
		mode  peertest.TLSMode
	}{
		{"vsftpd/explicit", peertest.Vsftpd, peertest.ExplicitTLS},
		{"vsftpd/implicit", peertest.Vsftpd, peertest.ImplicitTLS},
		{"proftpd/explicit", peertest.ProFTPD, peertest.ExplicitTLS},
		{"pure-ftpd/explicit", peertest.PureFTPd, peertest.ExplicitTLS},
	}
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			mode := p.mode
			s := p.start(t, peertest.Options{TLS: mode})
			dir := t.TempDir()
			url := "ftps://" + s.User + "@" + s.Addr + s.Dir
			var tlsArgs []string
			if mode == peertest.ImplicitTLS {
				tlsArgs = []string{"--tls", "implicit"}
			}
			add := append([]string{"remote", "add", "v", "--url", url, "--password-stdin"}, tlsArgs...)
			mustRun(t, dir, s.Password+"\n", add...)

			// The peer's CA is not in the system pool.
			r := run(t, dir, "", "remote", "test", "v")
			if r.err == nil || !strings.Contains(r.err.Error(), "tls step") || !strings.Contains(r.err.Error(), "--allow-self-signed") {
				t.Fatalf("remote test with an unknown CA: err = %v, want a failed tls step naming --allow-self-signed\n%s", r.err, r.stdout)
			}
			mustRun(t, dir, "", "remote", "set", "v", "--allow-self-signed")
			r = mustRun(t, dir, "", "remote", "test", "v")
			for _, w := range []string{"ok   tls", "ok   login", "ok   list", "ok   upload", "ok   download", "ok   delete", `remote "v" works`} {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("remote test lacks %q:\n%s", w, r.stdout)
				}
			}

			data := bytes.Repeat([]byte("wharf interop\n"), 100<<10) // 1.4 MB
			src := filepath.Join(t.TempDir(), "order.edi")
			if err := os.WriteFile(src, data, 0o600); err != nil {
				t.Fatal(err)
			}
			mustRun(t, dir, "", "remote", "put", src, "v:/")
			if got, err := os.ReadFile(filepath.Join(s.Root, "work", "order.edi")); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("file on the peer: %d bytes, %v; want %d", len(got), err, len(data))
			}
			r = mustRun(t, dir, "", "remote", "ls", "v:")
			if !strings.Contains(r.stdout, "order.edi") || !strings.Contains(r.stdout, "1433600") {
				t.Errorf("remote ls lacks order.edi and its size:\n%s", r.stdout)
			}
			dst := filepath.Join(t.TempDir(), "copy.edi")
			mustRun(t, dir, "", "remote", "get", "v:/order.edi", dst)
			if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("downloaded file: %d bytes, %v; want %d", len(got), err, len(data))
			}

			// A partner sees vsftpd in its send/ folder, through serve's pool.
			mustRun(t, dir, "partner-"+canary+"\n", "partner", "add", "acme", "--password-stdin")
			mustRun(t, dir, "", "mount", "add", "acme", "/send/outbox", "v:/")
			addr, _ := serveAddr(t, dir)
			mustRun(t, dir, "partner-"+canary+"\n", "remote", "add", "as-acme", "--url", "ftps://acme@"+addr,
				"--allow-self-signed", "--allow-self", "--password-stdin")
			r = mustRun(t, dir, "", "remote", "ls", "as-acme:/send/outbox")
			if !strings.Contains(r.stdout, "order.edi") {
				t.Errorf("ls through the mount lacks order.edi:\n%s", r.stdout)
			}
			viaMount := filepath.Join(t.TempDir(), "via-mount.edi")
			mustRun(t, dir, "", "remote", "get", "as-acme:/send/outbox/order.edi", viaMount)
			if got, err := os.ReadFile(viaMount); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("file through the mount: %d bytes, %v; want %d", len(got), err, len(data))
			}
			// Uploads through the mount are not driven with `remote put` here:
			// its verification (XSHA256 or SIZE of its temp name) fails against
			// a Wharf partner, whose receive/ allows no downloads and whose
			// mounts hide remote temp names. ftpserver's interop tests upload
			// through mounts with curl and lftp.
		})
	}
}
