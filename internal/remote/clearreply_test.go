package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/secret"
)

const oops = "500 OOPS: vsftpd: refusing to run with writable root inside chroot()"

// wantOOPS is how the client reports oops arriving in clear inside TLS.
const wantOOPS = `the server answered in plain text inside TLS: 500 "OOPS: vsftpd: refusing to run with writable root inside chroot()"; ` +
	"that is the server's own error, see its log"

// TestClearReplyInsideTLS: a reply the server writes in clear on a control
// connection secured with TLS (vsftpd's 500 OOPS when its session process
// dies after the login) is shown, not crypto/tls's complaint about a record
// header, whether it arrives at once or the rest of it after the client
// choked on its first bytes. It is a 5xx reply, so not retried.
func TestClearReplyInsideTLS(t *testing.T) {
	cert := peertest.NewCert(t, peertest.CertOptions{})
	for _, tt := range []struct {
		name  string
		split bool
		max   uint16
	}{
		{"whole/TLS 1.3", false, 0},
		{"whole/TLS 1.2", false, tls.VersionTLS12},
		{"split/TLS 1.3", true, 0},
		{"split/TLS 1.2", true, tls.VersionTLS12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.cert = &cert.TLS
			s.handlers["PASS"] = func(fc *fakeConn, _ string) {
				raw := fc.c.(*tls.Conn).NetConn()
				if !tt.split {
					io.WriteString(raw, oops+"\r\n")
					return
				}
				// Enough for a record header; the rest once the client has
				// read it and answered with an alert.
				io.WriteString(raw, oops[:6])
				raw.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := raw.Read(make([]byte, 64)); err != nil {
					t.Errorf("no alert from the client: %v", err)
				}
				io.WriteString(raw, oops[6:]+"\r\n")
			}
			s.start()
			cfg := s.config()
			cfg.TLS, cfg.RootCAs, cfg.MaxTLSVersion = TLSExplicit, cert.Roots, tt.max
			_, err := Dial(context.Background(), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), wantOOPS) {
				t.Fatalf("Dial: %v\nwant it to contain %q", err, wantOOPS)
			}
			if !isReply(err, 500) || Transient(err) {
				t.Errorf("Dial: %v: isReply(500) = %v, Transient = %v; want a permanent 500 reply", err, isReply(err, 500), Transient(err))
			}
			var rh tls.RecordHeaderError
			if !errors.As(err, &rh) {
				t.Errorf("Dial: %v: want crypto/tls's error in the chain", err)
			}
			r := Diagnose(context.Background(), cfg, nil)
			if st := lastStep(r); st.OK || st.Name != "login" || st.Detail != wantOOPS {
				t.Errorf("Diagnose stopped at %s: %q\nwant the login step to fail with %q", st.Name, st.Detail, wantOOPS)
			}
		})
	}
}

// TestNoReplyInsideTLS: bytes in clear that do not look like a reply keep
// crypto/tls's error.
func TestNoReplyInsideTLS(t *testing.T) {
	cert := peertest.NewCert(t, peertest.CertOptions{})
	s := newFake(t)
	s.cert = &cert.TLS
	s.handlers["PASS"] = func(fc *fakeConn, _ string) {
		io.WriteString(fc.c.(*tls.Conn).NetConn(), "HTTP/1.1 400 Bad Request\r\n")
	}
	s.start()
	cfg := s.config()
	cfg.TLS, cfg.RootCAs = TLSExplicit, cert.Roots
	_, err := Dial(context.Background(), cfg, nil)
	if err == nil || strings.Contains(err.Error(), "plain text") || !strings.Contains(err.Error(), "tls: received record with version") {
		t.Fatalf("Dial: %v; want crypto/tls's record error and nothing about plain text", err)
	}
}

// TestClearGreetingOnImplicitPort: implicit TLS against a port that greets
// in clear shows the greeting with the advice.
func TestClearGreetingOnImplicitPort(t *testing.T) {
	clear := fakeGreeter(t, func(c net.Conn) { io.WriteString(c, "220 plain FTP here\r\n"); io.Copy(io.Discard, c) })
	_, err := Dial(context.Background(), Config{Host: "127.0.0.1", Port: clear, TLS: TLSImplicit, User: "u"}, nil)
	want := `the server answered in clear text (220 "plain FTP here"), so this port is plain FTP or explicit FTPS: set --tls explicit on the remote`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Dial: %v\nwant it to contain %q", err, want)
	}
}

// TestTLSRequiredHint: a login refused in clear by a server that wants TLS
// (as vsftpd, pure-ftpd and ProFTPD word it) says so and names the command
// that turns TLS on. It is never retried; a 5xx stays a refused login the
// pool holds back (the server may have counted it), pure-ftpd's 421 does
// not. Other refusals do not mention TLS.
func TestTLSRequiredHint(t *testing.T) {
	const want = "the server requires TLS: run `wharf remote set acme --tls explicit`"
	for _, tt := range []struct {
		name, reply string
		hint, login bool // the hint; a LoginError
	}{
		{"vsftpd", "530 Non-anonymous sessions must use encryption.", true, true},
		{"pure-ftpd", "421 Sorry, cleartext sessions and weak ciphers are not accepted on this server.", true, false},
		{"proftpd", "550 SSL/TLS required on the control channel", true, true},
		{"wrong password", "530 Login incorrect.", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.handlers["USER"] = func(fc *fakeConn, _ string) { fc.reply(tt.reply) }
			s.start()
			cfg := s.config()
			cfg.Name = "acme"
			_, err := Dial(context.Background(), cfg, nil)
			if err == nil {
				t.Fatal("Dial succeeded")
			}
			if got := strings.Contains(err.Error(), want); got != tt.hint {
				t.Errorf("Dial: %v\nhas %q: %v, want %v", err, want, got, tt.hint)
			}
			var le *LoginError
			if errors.As(err, &le) != tt.login || Transient(err) {
				t.Errorf("Dial: %v: LoginError %v, Transient %v; want LoginError %v, not transient", err, errors.As(err, &le), Transient(err), tt.login)
			}
			if !tt.hint {
				return
			}
			if st := lastStep(Diagnose(context.Background(), cfg, nil)); st.Name != "login" || !strings.Contains(st.Detail, want) {
				t.Errorf("Diagnose stopped at %s: %q\nwant the login step to say %q", st.Name, st.Detail, want)
			}
		})
	}
}

// TestSourceAddressNotLocal: a source address this machine does not have
// fails the dial with a sentence that says so, before any packet is sent
// (binding it fails locally), and names the fix.
func TestSourceAddressNotLocal(t *testing.T) {
	const foreign = "198.51.100.7" // TEST-NET-2 (RFC 5737)
	if err := CheckSourceAddress(foreign); err == nil {
		t.Skipf("this machine can bind %s (an address of its own, or ip_nonlocal_bind)", foreign)
	}
	if err := CheckSourceAddress("127.0.0.1"); err != nil {
		t.Fatalf("CheckSourceAddress(127.0.0.1) = %v, want nil", err)
	}
	s := newFake(t).start()
	cfg := s.config()
	cfg.Name, cfg.SourceAddress = "acme", foreign
	want := "source address " + foreign + " is not an address of this machine: "
	fix := "run `wharf remote set acme --source-address ''`"
	_, err := Dial(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fix) || !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Fatalf("Dial from %s: %v\nwant it to contain %q and %q", foreign, err, want, fix)
	}
	if st := lastStep(Diagnose(context.Background(), cfg, nil)); st.Name != "tcp" || !strings.Contains(st.Detail, want) {
		t.Errorf("Diagnose stopped at %s: %q\nwant the tcp step to say %q", st.Name, st.Detail, want)
	}
	if got := s.commands(); len(got) != 0 {
		t.Errorf("the server got %q", got)
	}
}

// TestTLSRequiredInterop: vsftpd, pure-ftpd and ProFTPD, which require TLS
// for the login, refuse a plain one (WHARF_INTEROP=1), and Diagnose names
// the command that turns TLS on.
func TestTLSRequiredInterop(t *testing.T) {
	const want = "the server requires TLS: run `wharf remote set acme --tls explicit`"
	for _, p := range []struct {
		name  string
		start func(testing.TB, peertest.Options) *peertest.Server
	}{
		{"vsftpd", peertest.Vsftpd},
		{"pure-ftpd", peertest.PureFTPd},
		{"proftpd", peertest.ProFTPD},
	} {
		t.Run(p.name, func(t *testing.T) {
			s := p.start(t, peertest.Options{})
			cfg := configFor(s)
			cfg.Name, cfg.TLS = "acme", TLSNever
			if st := lastStep(Diagnose(context.Background(), cfg, testLogger(t))); st.Name != "login" || !strings.Contains(st.Detail, want) {
				t.Errorf("Diagnose stopped at %s: %q\nwant the login step to say %q", st.Name, st.Detail, want)
			}
		})
	}
}

// TestVsftpdWritableChroot: vsftpd chrooting an anonymous login into a
// root the session may write to, without allow_writeable_chroot, sends
// its 500 OOPS in clear after the TLS login (WHARF_INTEROP=1); the client
// shows it. vsftpd runs in inetd mode (listen=NO) on the one connection a
// listener of the test accepts, so it needs no port of its own and no wait
// for it to listen.
func TestVsftpdWritableChroot(t *testing.T) {
	peertest.Interop(t)
	const bin = "/usr/sbin/vsftpd"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("peer binary %s is missing: run internal/peertest/install-peers.sh", bin)
		}
		t.Skipf("peer binary %s is missing: run the README test command to install peers", bin)
	}
	cert := peertest.NewCert(t, peertest.CertOptions{})
	dir := t.TempDir()
	root, empty, log := filepath.Join(dir, "root"), filepath.Join(dir, "empty"), filepath.Join(dir, "vsftpd.log")
	for _, d := range []string{root, empty} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The fault: a chroot root the anonymous user (ftp) may write to.
	if err := os.Chmod(root, 0o777); err != nil {
		t.Fatal(err)
	}
	conf := strings.Join([]string{
		"listen=NO", "listen_ipv6=NO", "seccomp_sandbox=NO",
		"anonymous_enable=YES", "local_enable=NO", "no_anon_password=NO", "anon_root=" + root,
		"allow_writeable_chroot=NO", "secure_chroot_dir=" + empty,
		"ssl_enable=YES", "allow_anon_ssl=YES", "force_anon_logins_ssl=YES", "force_anon_data_ssl=YES",
		"rsa_cert_file=" + cert.CertFile, "rsa_private_key_file=" + cert.KeyFile,
		"xferlog_enable=YES", "vsftpd_log_file=" + log, "log_ftp_protocol=YES",
	}, "\n") + "\n"
	cf := filepath.Join(dir, "vsftpd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan *exec.Cmd, 1)
	go func() {
		defer close(started)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		f, err := c.(*net.TCPConn).File()
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		cmd := exec.Command(bin, cf)
		cmd.Stdin, cmd.Stdout = f, f
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Error(err)
			return
		}
		started <- cmd
	}()
	t.Cleanup(func() {
		ln.Close()
		if cmd := <-started; cmd != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		}
		if t.Failed() {
			data, _ := os.ReadFile(log)
			t.Logf("vsftpd log:\n%s", data)
		}
	})

	cfg := Config{
		Name: "acme", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: "anonymous",
		Password: secret.Secret("wharf@example.com"), TLS: TLSExplicit, RootCAs: cert.Roots,
	}
	r := Diagnose(context.Background(), cfg, testLogger(t))
	if st := lastStep(r); st.OK || st.Name != "login" || st.Detail != wantOOPS {
		t.Errorf("Diagnose stopped at %s: %q\nwant the login step to fail with %q\n%s", st.Name, st.Detail, wantOOPS, r)
	}
}

// readerConn is a net.Conn that reads from r, in reads of at most chunk bytes.
type readerConn struct {
	net.Conn
	r     io.Reader
	chunk int
}

func (c readerConn) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.chunk)]) }

// TestTailConnKeepsTheLastBytes: whatever the sizes of the reads, the tail
// is the last tailLen bytes read, or all of them.
func TestTailConnKeepsTheLastBytes(t *testing.T) {
	data := make([]byte, 3*tailLen+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, chunk := range []int{1, 5, 100, tailLen - 1, tailLen, tailLen + 1, len(data)} {
		for _, total := range []int{3, tailLen, len(data)} {
			tc := &tailConn{Conn: readerConn{r: bytes.NewReader(data[:total]), chunk: chunk}}
			if _, err := io.Copy(io.Discard, struct{ io.Reader }{tc}); err != nil {
				t.Fatal(err)
			}
			want := data[max(0, total-tailLen):total]
			if !bytes.Equal(tc.tail, want) || cap(tc.tail) > 2*tailLen {
				t.Errorf("reads of %d of %d bytes: tail has %d bytes (cap %d), want the last %d", chunk, total, len(tc.tail), cap(tc.tail), len(want))
			}
		}
	}
}
