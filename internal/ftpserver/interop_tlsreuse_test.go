package ftpserver_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropTLSReuse: with tls_reuse, data connections must resume the
// control connection's TLS session. curl and lftp do; plain ftplib does
// not and is refused with a reply naming tls_reuse; ftplib resuming the
// session explicitly works; an account override switches it off.
func TestInteropTLSReuse(t *testing.T) {
	interop(t, "curl", "lftp", "python3")
	t.Parallel()
	no := false
	strict := startServer(t, ftpserver.Config{TLSReuse: true})
	exempt := startServer(t, ftpserver.Config{TLSReuse: true}, func(a *store.Account) { a.Policy.TLSReuse = &no })
	data := randomData(t, 120_000)
	for _, ts := range []*testServer{strict, exempt} {
		writeFile(t, filepath.Join(ts.root, "acme", "send", "x.edi"), data)
	}

	// curl over TLS 1.3 only: curl 7.88.1 does not offer the control
	// session on TLS 1.2 data connections (OpenSSL's s_client resumes this
	// server's TLS 1.2 tickets, and so does ftplib below).
	t.Run("curl", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "x.edi")
		r := curl(t, "--ssl-reqd", "-k", "--tlsv1.3", "-u", curlUser("acme"), "-o", out, ftpURL("ftp", strict.addr, "/send/x.edi"))
		if r.exit != 0 || fileSum(out) != sum(data) {
			t.Errorf("curl with tls_reuse: %v", r)
		}
		if !strings.Contains(r.stderr, "SSL re-using session ID") {
			t.Errorf("curl did not report resuming the session")
		}
	})
	t.Run("lftp", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		r := lftp(t, strict.addr, "acme", "lcd "+dir, "get /send/x.edi", "cls -1 /send")
		if r.exit != 0 || fileSum(filepath.Join(dir, "x.edi")) != sum(data) {
			t.Errorf("lftp with tls_reuse: %v", r)
		}
		if !strings.Contains(r.stdout, "x.edi") {
			t.Errorf("lftp cls /send = %q, want x.edi", r.stdout)
		}
	})
	for _, v := range []string{"1.3", "1.2"} {
		t.Run("ftplib refused tls"+v, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "x.edi")
			steps := ftplib(t, strict.addr, "acme", "data", v, "noreuse", out)
			if tls := steps["tls"].Reply; tls != "TLSv"+v {
				t.Errorf("control connection used %s, want TLSv%s", tls, v)
			}
			for _, name := range []string{"nlst", "retr"} {
				s := steps[name]
				if s.OK {
					t.Errorf("ftplib %s without session reuse succeeded; want a refusal", name)
					continue
				}
				reply := s.Reply + " " + strings.Join(s.Extra, " ")
				if !strings.Contains(reply, "tls_reuse") {
					t.Errorf("ftplib %s: replies %q (%s) do not mention tls_reuse", name, reply, s.Exc)
				}
			}
			if b, err := readIfExists(out); len(b) != 0 || err != nil {
				t.Errorf("refused download wrote %d bytes (%v)", len(b), err)
			}
		})
		t.Run("ftplib resuming tls"+v, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "x.edi")
			steps := ftplib(t, strict.addr, "acme", "data", v, "reuse", out)
			if got := strings.Join(steps["resumed"].Lines, ","); got != "True,True" {
				t.Errorf("data connections resumed: %s, want True,True", got)
			}
			wantStep(t, steps, "nlst", "")
			wantStep(t, steps, "retr", "226")
			if fileSum(out) != sum(data) {
				t.Errorf("download with a resumed session: sha256 %s, want %s", fileSum(out), sum(data))
			}
		})
		t.Run("ftplib other session's ticket tls"+v, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "x.edi")
			steps := ftplib(t, strict.addr, "acme", "cross-session", v, out)
			if tls := steps["b_tls"].Reply; tls != "TLSv"+v {
				t.Errorf("control connection used %s, want TLSv%s", tls, v)
			}
			wantStep(t, steps, "a_nlst", "")
			for _, name := range []string{"nlst", "retr"} {
				s := steps[name]
				if s.OK {
					t.Errorf("ftplib %s resuming another control session's TLS session succeeded; want a refusal", name)
					continue
				}
				if reply := s.Reply + " " + strings.Join(s.Extra, " "); !strings.Contains(reply, "tls_reuse") {
					t.Errorf("ftplib %s with another session's ticket: replies %q (%s) do not mention tls_reuse", name, reply, s.Exc)
				}
			}
			if b, err := readIfExists(out); len(b) != 0 || err != nil {
				t.Errorf("refused download wrote %d bytes (%v)", len(b), err)
			}
		})
		t.Run("ftplib exempt account tls"+v, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "x.edi")
			steps := ftplib(t, exempt.addr, "acme", "data", v, "noreuse", out)
			wantStep(t, steps, "nlst", "")
			wantStep(t, steps, "retr", "226")
			if fileSum(out) != sum(data) {
				t.Errorf("download for an account with tls_reuse off: sha256 %s, want %s", fileSum(out), sum(data))
			}
		})
	}
}
