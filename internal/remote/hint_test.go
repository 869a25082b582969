package remote

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// TestHintsNameTheCommand: where the remote's name is known (Config.Name),
// each piece of advice is the command to run, `wharf remote set NAME
// --flag`; without a name it is the flag to set on the remote. Each case
// is a server on loopback that makes the client give that advice.
func TestHintsNameTheCommand(t *testing.T) {
	ctx := context.Background()
	clear := fakeGreeter(t, func(c net.Conn) { io.WriteString(c, "220 ready\r\n"); io.Copy(io.Discard, c) })
	silent := fakeGreeter(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	script := func(greeting string, replies map[string]string) int {
		return fakeGreeter(t, func(c net.Conn) {
			io.WriteString(c, greeting+"\r\n")
			br := bufio.NewReader(c)
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				verb, _, _ := strings.Cut(strings.TrimSpace(l), " ")
				r, ok := replies[verb]
				if !ok {
					r = "500 no"
				}
				io.WriteString(c, r+"\r\n")
				if strings.HasPrefix(r, "234") {
					br.ReadByte() // the ClientHello's first byte, then drop the connection
					return
				}
			}
		})
	}
	wantsTLS := script("220 ready", map[string]string{"USER": "530 Anonymous sessions must use encryption."})
	noTLS := script("220 ready", map[string]string{"AUTH": "500 AUTH not understood"})
	self := script("220 wharf-0123456789abcdef ready", nil)
	drops := script("220 ready", map[string]string{"AUTH": "234 go ahead"})

	local := func(port int, tls TLSMode) Config {
		return Config{Host: "127.0.0.1", Port: port, TLS: tls, User: "u", DialTimeout: 2 * time.Second}
	}
	dial := func(cfg Config) string {
		_, err := Dial(ctx, cfg, nil)
		if err == nil {
			t.Fatalf("Dial %s succeeded", cfg.Addr())
		}
		return err.Error()
	}
	diagnose := func(cfg Config) string {
		r := Diagnose(ctx, cfg, nil)
		return lastStep(r).Detail
	}
	silentCfg := local(silent, TLSExplicit)
	silentCfg.DialTimeout = 300 * time.Millisecond // how long it waits for a greeting
	selfCfg := local(self, TLSNever)
	selfCfg.SelfNonce = "wharf-0123456789abcdef"
	tests := []struct {
		name  string
		got   func(Config) string
		cfg   Config
		flags string
	}{
		{"implicit on a clear port", dial, local(clear, TLSImplicit), "--tls explicit"},
		{"explicit on a silent port", diagnose, silentCfg, "--tls implicit"},
		{"plain login refused", diagnose, local(wantsTLS, TLSNever), "--tls explicit"},
		{"no AUTH TLS", dial, local(noTLS, TLSExplicit), "--tls if-available"},
		{"this instance", dial, selfCfg, "--allow-self"},
		{"handshake dropped", dial, local(drops, TLSExplicit), "--max-tls 1.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			named := tt.cfg
			named.Name = "acme"
			want := "run `wharf remote set acme " + tt.flags + "`"
			if got := tt.got(named); !strings.Contains(got, want) {
				t.Errorf("with the name known: %q\nwant it to contain %q", got, want)
			}
			got := tt.got(tt.cfg)
			if want := "set " + tt.flags + " on the remote"; !strings.Contains(got, want) || strings.Contains(got, "wharf remote set") {
				t.Errorf("without a name: %q\nwant it to contain %q and no command", got, want)
			}
		})
	}
}

// TestCertHintNamesTheCommand: a refused certificate's error (vsftpd,
// WHARF_INTEROP=1) names the command that accepts it and the one that pins
// exactly it, with its fingerprint; a pin that no longer matches names
// the command that pins the new certificate.
func TestCertHintNamesTheCommand(t *testing.T) {
	cert := peertest.NewCert(t, peertest.CertOptions{SelfSigned: true})
	s := peertest.Vsftpd(t, peertest.Options{Cert: cert})
	fp := Fingerprint(cert.Leaf)
	cfg := configFor(s)
	cfg.Name = "acme"
	_, err := Dial(context.Background(), cfg, nil)
	for _, want := range []string{
		"to accept it, run `wharf remote set acme --allow-self-signed`",
		"or pin it: run `wharf remote set acme --cert-sha256 " + fp + "`",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Dial with a self-signed certificate: %v\nwant it to contain %q", err, want)
		}
	}
	r := Diagnose(context.Background(), cfg, nil)
	if d := lastStep(r).Detail; !strings.Contains(d, "wharf remote set acme --allow-self-signed") || strings.Count(d, fp) != 1 {
		t.Errorf("Diagnose tls step: %q; want the command, and the fingerprint once", d)
	}

	cfg.CertSHA256 = strings.Repeat("ab", 32)
	_, err = Dial(context.Background(), cfg, nil)
	if want := "pin the new one: run `wharf remote set acme --cert-sha256 " + fp + "`"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Dial with another pin: %v\nwant it to contain %q", err, want)
	}

	cfg.Name, cfg.CertSHA256 = "", ""
	_, err = Dial(context.Background(), cfg, nil)
	if want := "set --allow-self-signed on the remote to accept it, or pin it with --cert-sha256 " + fp; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Dial without a name: %v\nwant it to contain %q", err, want)
	}
}
