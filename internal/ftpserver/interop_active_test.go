package ftpserver_test

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropLftpActive uploads and downloads with lftp in active mode
// over explicit FTPS: lftp listens, the server dials it and is the TLS
// server on the connection it dialled (RFC 4217 section 7), with data
// protected (PROT P, which Wharf requires). With tls_reuse on, each data
// connection must also resume the control connection's session.
//
// On IPv6 loopback lftp sends "EPRT |2|::|port|" (it listens on the
// wildcard address there and does not put in its own, patch 25); the tests
// stay on 127.0.0.1, where ftp:port-ipv4 0.0.0.0 makes it send the same
// unspecified address in PORT.
func TestInteropLftpActive(t *testing.T) {
	interop(t, "lftp")
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  ftpserver.Config
		set  string // an lftp setting
		port string // how each PORT lftp must send starts in its transcript
	}{
		{"tls", ftpserver.Config{ActiveMode: true}, "", "---> PORT 127,0,0,1,"},
		{"tls_reuse", ftpserver.Config{ActiveMode: true, TLSReuse: true}, "", "---> PORT 127,0,0,1,"},
		{"unspecified", ftpserver.Config{ActiveMode: true}, "set ftp:port-ipv4 0.0.0.0", "---> PORT 0,0,0,0,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, tc.cfg)
			local, down := t.TempDir(), t.TempDir()
			// Empty, one TLS record, many records.
			sizes := map[string]int{"empty.edi": 0, "one.edi": 1, "big.edi": 1_000_003}
			send := filepath.Join(ts.root, "acme", "send")
			cmds := []string{"set ftp:passive-mode off"}
			if tc.set != "" {
				cmds = append(cmds, tc.set)
			}
			for name, n := range sizes {
				writeFile(t, filepath.Join(local, name), randomData(t, n))
				writeFile(t, filepath.Join(send, name), randomData(t, n))
				cmds = append(cmds,
					fmt.Sprintf("put %s -o /receive/%s", filepath.Join(local, name), name),
					fmt.Sprintf("get /send/%s -o %s", name, filepath.Join(down, name)))
			}
			r := lftp(t, ts.addr, "acme", cmds...)
			if r.exit != 0 {
				t.Fatalf("lftp active put/get: %v", r)
			}
			// lftp falls back to passive mode when PORT/EPRT is
			// refused (ftp:auto-passive-mode); this test is about
			// active mode only.
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.Contains(l, "---> PASV") || strings.Contains(l, "---> EPSV") || strings.Contains(l, "Switching passive mode on") {
					t.Fatalf("lftp used passive mode (%q); transcript:\n%v", l, r)
				}
			}
			if got := strings.Count(r.stderr, tc.port); got != 2*len(sizes) {
				t.Errorf("lftp sent %d PORT commands starting %q, want %d; transcript:\n%v", got, tc.port, 2*len(sizes), r)
			}
			if got := strings.Count(r.stderr, "Accepted data connection"); got != 2*len(sizes) {
				t.Errorf("lftp accepted %d data connections, want %d (one per put and get); transcript:\n%v", got, 2*len(sizes), r)
			}
			// Every upload whole and published under its own name,
			// nothing left under a temp name.
			recv := filepath.Join(ts.root, "acme", "receive")
			if diff := cmp.Diff(tree(t, local), tree(t, recv)); diff != "" {
				t.Errorf("receive/ differs from the uploaded files (-local +receive):\n%s", diff)
			}
			if got := len(dirNames(t, recv)); got != len(sizes) {
				t.Errorf("receive/ holds %q, want only the %d uploads", dirNames(t, recv), len(sizes))
			}
			if diff := cmp.Diff(tree(t, send), tree(t, down)); diff != "" {
				t.Errorf("downloads differ from send/ (-send +downloaded):\n%s", diff)
			}
			for name := range sizes {
				if !ts.hasEvent(t, store.EventReceived, "/receive/"+name) {
					t.Errorf("no received event for /receive/%s", name)
				}
				if !ts.hasEvent(t, store.EventSent, "/send/"+name) {
					t.Errorf("no sent event for /send/%s", name)
				}
			}
		})
	}
}

// TestInteropRawActiveUnspecified: PORT/EPRT with the unspecified address
// means the client's own address (patch 25). lftp sends "EPRT |2|::|port|"
// over IPv6 loopback, where it listens on the wildcard address; the IPv4
// forms stand in for it here, the tests being on 127.0.0.1 only. An
// unspecified address of the other family is refused, and a refusal names
// the address that would do.
func TestInteropRawActiveUnspecified(t *testing.T) {
	t.Parallel() // a raw Go client: no peer to wait for, so not gated
	ts := startServer(t, ftpserver.Config{AllowPlain: true, ActiveMode: true})
	data := "ST*850*0001~"
	writeFile(t, filepath.Join(ts.root, "acme", "send", "a.edi"), []byte(data))
	c, _, _ := rawDial(t, "", ts.addr)
	c.login("acme")
	for _, tc := range []struct {
		name string
		cmd  func(port int) string
	}{
		{"PORT", func(p int) string { return "PORT " + portArg("0.0.0.0", p) }},
		{"EPRT", func(p int) string { return fmt.Sprintf("EPRT |1|0.0.0.0|%d|", p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			cmd := tc.cmd(ln.Addr().(*net.TCPAddr).Port)
			if code, msg := c.cmd(cmd); code != 200 {
				t.Fatalf("%s = %d %s, want 200", cmd, code, msg)
			}
			got := make(chan string, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					got <- "accept: " + err.Error()
					return
				}
				defer conn.Close()
				_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
				b, _ := io.ReadAll(conn)
				got <- string(b)
			}()
			if code, msg := c.cmd("RETR /send/a.edi"); code != 150 {
				ln.Close()
				<-got
				t.Fatalf("RETR after %s = %d %s, want 150", cmd, code, msg)
			}
			if b := <-got; b != data {
				t.Errorf("RETR after %s delivered %q, want %q", cmd, b, data)
			}
			if code, msg, err := c.reply(); err != nil || code != 226 {
				t.Errorf("RETR after %s: final reply = %d %s %v, want 226", cmd, code, msg, err)
			}
		})
	}
	for _, cmd := range []string{"EPRT |2|::|5555|", "EPRT |1|127.0.0.2|5555|"} {
		if code, msg := c.cmd(cmd); code != 501 || !strings.Contains(msg, "your own address (127.0.0.1)") {
			t.Errorf("%s over IPv4 = %d %s, want 501 naming 127.0.0.1", cmd, code, msg)
		}
	}
}
