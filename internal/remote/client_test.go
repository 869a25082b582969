package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/secret"
)

func hasCmd(cmds []string, prefix string) bool {
	return slices.ContainsFunc(cmds, func(c string) bool { return strings.HasPrefix(c, prefix) })
}

// C-01, C-02: EPSV first; after EPSV is refused, PASV's address is ignored
// for the control peer's.
func TestPassiveIgnoresPASVAddress(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.list = "type=file;size=3;modify=20260102030405; a.txt\r\n"
	s.feat = []string{"MLST type*;size*;modify*;"}
	var liar net.Listener
	s.handlers["EPSV"] = func(fc *fakeConn, _ string) { fc.reply("502 no EPSV here") }
	s.handlers["PASV"] = func(fc *fakeConn, _ string) {
		fc.listen()
		p := fc.data.Addr().(*net.TCPAddr).Port
		// The same port on 127.0.0.3, where the reply points.
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.3:%d", p))
		if err != nil {
			t.Errorf("cannot listen on 127.0.0.3: %v", err)
		}
		liar = ln
		fc.reply(fmt.Sprintf("227 Entering Passive Mode (127,0,0,3,%d,%d)", p>>8, p&0xff))
	}
	s.start()
	c, err := Dial(ctx, s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	es, err := c.List(ctx, "/")
	if err != nil || len(es) != 1 || es[0].Name != "a.txt" {
		t.Fatalf("List = %+v, %v", es, err)
	}
	if _, err := c.List(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	cmds := s.commands()
	if n := strings.Count(strings.Join(cmds, "\n"), "EPSV"); n != 1 {
		t.Errorf("EPSV sent %d times, want once then PASV: %q", n, cmds)
	}
	if liar != nil {
		liar.(*net.TCPListener).SetDeadline(time.Now())
		if c, err := liar.Accept(); err == nil {
			c.Close()
			t.Error("client connected to the address in the PASV reply")
		}
		liar.Close()
	}
}

// C-04: no CR, LF or NUL reaches a control line.
func TestNoControlCharactersInCommands(t *testing.T) {
	ctx := context.Background()
	s := newFake(t).start()
	c, err := Dial(ctx, s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, name := range []string{"x\r\nDELE y", "x\nDELE y", "x\x00y", "a\rb"} {
		if _, err := c.Store(ctx, name, strings.NewReader("data")); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("Store(%q) err = %v, want ErrInvalidArg", name, err)
		}
		if err := c.Delete(ctx, name); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("Delete(%q) err = %v, want ErrInvalidArg", name, err)
		}
		if err := c.Rename(ctx, "ok", name); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("Rename(ok, %q) err = %v, want ErrInvalidArg", name, err)
		}
	}
	if cmds := s.commands(); hasCmd(cmds, "DELE") || hasCmd(cmds, "STOR") || hasCmd(cmds, "RNFR") {
		t.Errorf("commands reached the server: %q", cmds)
	}
	for _, cfg := range []Config{
		{Host: "h", User: "u\r\nDELE x"},
		{Host: "h", Password: secret.Secret("p\nx")},
		{Host: "h", Root: "/a\x00"},
	} {
		if err := cfg.Validate(); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidArg", cfg, err)
		}
	}
}

// C-05: hostile names in listings are dropped.
func TestHostileListingNames(t *testing.T) {
	long := strings.Repeat("n", 5000)
	tests := []struct {
		name string
		feat []string
		list string
	}{
		{"mlsd", []string{"MLST type*;size*;"}, strings.Join([]string{
			"type=file;size=1; ../../evil", "type=file;size=1; /etc/cron.d/x", "type=file;size=1; a/b",
			"type=dir; ..", "type=dir; .", "type=file;size=1; ", "type=file;size=1; x\x00y",
			"type=file;size=1; back\\slash", "type=file;size=1; " + long, "type=cdir; /",
			"type=file;size=1; good.txt", "type=OS.unix=slink:/etc; link",
		}, "\r\n") + "\r\n"},
		{"list", nil, strings.Join([]string{
			"total 3",
			"-rw-r--r--    1 0 0 1 Jan 01 2025 ../../evil",
			"-rw-r--r--    1 0 0 1 Jan 01 2025 a/b",
			"drwxr-xr-x    2 0 0 1 Jan 01 2025 ..",
			"-rw-r--r--    1 0 0 1 Jan 01 2025 x\x00y",
			"-rw-r--r--    1 0 0 1 Jan 01 2025 " + long,
			"-rw-r--r--    1 0 0 1 Jan 01 2025 good.txt",
			"lrwxrwxrwx    1 0 0 1 Jan 01 2025 link -> /etc",
			"-rw-r--r--    1 0 0 1 Jan 01 2025 x\ry",
		}, "\r\n") + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := newFake(t)
			s.feat, s.list = tt.feat, tt.list
			s.start()
			c, err := Dial(ctx, s.config(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			es, err := c.List(ctx, "/")
			if err != nil {
				t.Fatal(err)
			}
			got := names(es)
			want := []string{"good.txt:file", "link:link"}
			if !slices.Equal(got, want) {
				t.Errorf("List = %q, want %q", got, want)
			}
		})
	}
}

// C-07: oversized and endless replies fail at the caps.
func TestReplyBounds(t *testing.T) {
	tests := []struct {
		name     string
		greeting string
	}{
		{"long line", "220 " + strings.Repeat("x", 1<<20)},
		{"endless continuation", "220-" + strings.Repeat("220-more\r\n", 5000) + "220 end"},
		{"garbage", "hello there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.greeting = tt.greeting
			s.start()
			if c, err := Dial(context.Background(), s.config(), nil); err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
		})
	}
}

// C-08: a server that accepts and never greets fails within the deadline.
// The greeting gets the dial timeout, not IOTimeout (see greet).
func TestSilentServer(t *testing.T) {
	s := newFake(t)
	s.greeting = ""
	s.start()
	cfg := s.config()
	cfg.DialTimeout = 200 * time.Millisecond
	_, err := Dial(context.Background(), cfg, nil)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Dial err = %v, want a deadline error", err)
	}
	if !Transient(err) {
		t.Errorf("Transient(%v) = false, want true", err)
	}
	r := Diagnose(context.Background(), cfg, nil)
	if r.OK() || !strings.Contains(r.String(), "sent no greeting") {
		t.Errorf("Diagnose:\n%s", r)
	}
}

// A done ctx closes the connection and unblocks the read at once.
func TestContextCancelUnblocks(t *testing.T) {
	s := newFake(t)
	blocked := make(chan struct{})
	s.handlers["NOOP"] = func(fc *fakeConn, _ string) { close(blocked) } // never answers
	s.start()
	c, err := Dial(context.Background(), s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-blocked
		cancel()
	}()
	if err := c.NoOp(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("NoOp err = %v, want context.Canceled", err)
	}
	if err := c.NoOp(context.Background()); err == nil {
		t.Fatal("NoOp on a cancelled connection succeeded")
	}
}

// C-11: when AUTH TLS is refused in explicit mode, no credentials are sent.
func TestAuthTLSRefusedSendsNoCredentials(t *testing.T) {
	for _, code := range []string{"500", "502", "534"} {
		s := newFake(t)
		s.handlers["AUTH"] = func(fc *fakeConn, _ string) { fc.reply(code + " no TLS") }
		s.start()
		cfg := s.config()
		cfg.TLS = TLSExplicit
		if _, err := Dial(context.Background(), cfg, nil); err == nil {
			t.Fatalf("AUTH answered %s: Dial succeeded", code)
		}
		if cmds := s.commands(); hasCmd(cmds, "USER") || hasCmd(cmds, "PASS") {
			t.Errorf("AUTH answered %s: credentials sent: %q", code, cmds)
		}
		// if-available continues in clear.
		cfg.TLS = TLSIfAvailable
		c, err := Dial(context.Background(), cfg, nil)
		if code != "534" && err != nil {
			t.Errorf("if-available with AUTH %s: %v", code, err)
		}
		if c != nil {
			c.Close()
		}
	}
}

// C-17: a greeting with our nonce is refused unless allowed.
func TestSelfConnection(t *testing.T) {
	s := newFake(t)
	s.greeting = "220 wharf nonce-1234abcd ready"
	s.start()
	cfg := s.config()
	cfg.SelfNonce = "nonce-1234abcd"
	_, err := Dial(context.Background(), cfg, nil)
	if !errors.Is(err, ErrSelf) || !strings.Contains(err.Error(), FlagAllowSelf) {
		t.Fatalf("Dial err = %v, want ErrSelf naming %s", err, FlagAllowSelf)
	}
	if Transient(err) {
		t.Error("self-connection counted as transient")
	}
	cfg.AllowSelf = true
	c, err := Dial(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	// The nonce in FEAT is caught as well.
	s2 := newFake(t)
	s2.feat = []string{"SITE WHARF nonce-1234abcd"}
	s2.start()
	cfg = s2.config()
	cfg.SelfNonce = "nonce-1234abcd"
	if _, err := Dial(context.Background(), cfg, nil); !errors.Is(err, ErrSelf) {
		t.Fatalf("Dial with nonce in FEAT: err = %v, want ErrSelf", err)
	}
}

// C-18: 226 after fewer bytes than SIZE announced is a failure.
func TestShortRetrieve(t *testing.T) {
	s := newFake(t)
	s.files["/f"] = []byte("0123456789")
	s.handlers["RETR"] = func(fc *fakeConn, _ string) { fc.sendData([]byte("01234")) }
	s.start()
	c, err := Dial(context.Background(), s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf bytes.Buffer
	if _, err := c.Retrieve(context.Background(), "f", 0, &buf); err == nil || !Transient(err) {
		t.Fatalf("Retrieve err = %v, want a transient short-transfer error", err)
	}
}

// RetrieveTimed sends SIZE and MDTM in the same write as EPSV and returns
// the exact time with the data; a missing file is fs.ErrNotExist.
func TestRetrieveTimedPipelined(t *testing.T) {
	s := newFake(t)
	s.files["/f"] = []byte("0123456789")
	s.handlers["MDTM"] = func(fc *fakeConn, arg string) {
		if _, ok := fc.s.file(arg); !ok {
			fc.reply("550 no such file")
			return
		}
		fc.reply("213 20261120103015")
	}
	s.start()
	c := s.dial(Config{})
	before := len(s.commands())
	var buf bytes.Buffer
	r, err := c.RetrieveTimed(context.Background(), "f", 0, &buf, true)
	if err != nil || r.Bytes != 10 || buf.String() != "0123456789" {
		t.Fatalf("RetrieveTimed = %+v, %q, %v; want the 10 bytes", r, buf.String(), err)
	}
	if want := time.Date(2026, 11, 20, 10, 30, 15, 0, time.UTC); !r.ModTime.Equal(want) {
		t.Errorf("ModTime = %v, want %v", r.ModTime, want)
	}
	if got, want := strings.Join(s.commands()[before:], ","), "SIZE /f,MDTM /f,EPSV,RETR /f"; got != want {
		t.Errorf("commands %q, want %q", got, want)
	}
	if _, err := c.RetrieveTimed(context.Background(), "gone", 0, &buf, true); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RetrieveTimed of a missing file = %v, want fs.ErrNotExist", err)
	}
	// The connection is still in step.
	if _, err := c.Retrieve(context.Background(), "f", 0, io.Discard); err != nil {
		t.Errorf("Retrieve after a missing file: %v", err)
	}
}

// Blocked passive ports: the control connection works, the data port does
// not answer. Diagnose says so.
func TestDiagnoseBlockedPassive(t *testing.T) {
	closed := closedPort(t)
	s := newFake(t)
	s.handlers["EPSV"] = func(fc *fakeConn, _ string) {
		fc.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", closed))
	}
	s.start()
	r := Diagnose(context.Background(), s.config(), nil)
	if r.OK() {
		t.Fatalf("Diagnose OK:\n%s", r)
	}
	last := r.Steps[len(r.Steps)-1]
	if last.Name != "list" || !strings.Contains(last.Detail, "passive port range is probably blocked by a firewall") {
		t.Errorf("Diagnose:\n%s", r)
	}
}

// A data channel that fails after the server created the file (425 after
// STOR) leaves no zero-byte probe behind.
func TestDiagnoseCleansZeroByteProbe(t *testing.T) {
	s := newFake(t)
	s.handlers["STOR"] = func(fc *fakeConn, arg string) {
		fc.s.mu.Lock()
		fc.s.files[arg] = nil
		fc.s.mu.Unlock()
		fc.reply("425 Failed to establish connection.")
	}
	s.start()
	r := Diagnose(context.Background(), s.config(), nil)
	if r.OK() {
		t.Fatalf("Diagnose OK:\n%s", r)
	}
	var transfer, cleanup Step
	for _, st := range r.Steps {
		switch st.Name {
		case "upload":
			transfer = st
		case "cleanup":
			cleanup = st
		}
	}
	if !strings.Contains(transfer.Detail, "data connection failed") || !cleanup.OK || !strings.Contains(cleanup.Detail, "deleted") {
		t.Errorf("Diagnose:\n%s", r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.files) != 0 {
		t.Errorf("files left on server: %v", s.files)
	}
}

func TestDiagnoseRefused(t *testing.T) {
	cfg := Config{Host: "127.0.0.1", Port: closedPort(t), TLS: TLSNever}
	r := Diagnose(context.Background(), cfg, nil)
	if r.OK() || r.Steps[len(r.Steps)-1].Name != "tcp" || !strings.Contains(r.String(), "refused") {
		t.Errorf("Diagnose:\n%s", r)
	}
	cfg.Host = "no-such-host..invalid" // not a domain name: the resolver refuses it without asking a DNS server
	r = Diagnose(context.Background(), cfg, nil)
	if r.OK() || r.Steps[0].Name != "dns" {
		t.Errorf("Diagnose:\n%s", r)
	}
}

func TestDiagnoseOK(t *testing.T) {
	s := newFake(t).start()
	r := Diagnose(context.Background(), s.config(), nil)
	if !r.OK() {
		t.Fatalf("Diagnose:\n%s", r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.files) != 0 {
		t.Errorf("probe left on server: %v", s.files)
	}
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

func TestTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&textproto.Error{Code: 421, Msg: "too many"}, true},
		{&textproto.Error{Code: 450, Msg: "busy"}, true},
		{fmt.Errorf("stor: %w", &textproto.Error{Code: 550, Msg: "denied"}), false},
		{&textproto.Error{Code: 530, Msg: "login"}, false},
		{&netError{"read", errors.New("reset")}, true},
		{context.Canceled, false},
		{&CertError{Problem: "expired"}, false},
		{fmt.Errorf("x: %w", ErrSelf), false},
		{errors.New("local disk full"), false},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// Connections, control and data, come from SourceAddress.
func TestSourceAddress(t *testing.T) {
	s := newFake(t)
	s.list = "-rw-r--r-- 1 0 0 1 Jan 01 2025 a\r\n"
	var from []string
	var mu sync.Mutex
	s.handlers["LIST"] = func(fc *fakeConn, _ string) {
		mu.Lock()
		from = append(from, fc.c.RemoteAddr().(*net.TCPAddr).IP.String())
		mu.Unlock()
		dc := fc.accept()
		if dc == nil {
			return
		}
		mu.Lock()
		from = append(from, dc.RemoteAddr().(*net.TCPAddr).IP.String())
		mu.Unlock()
		fc.reply("150 here")
		dc.Write([]byte(fc.s.list))
		dc.Close()
		fc.reply("226 done")
	}
	s.start()
	cfg := s.config()
	cfg.SourceAddress = "127.0.0.2"
	c, err := Dial(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.List(context.Background(), "/"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(from, []string{"127.0.0.2", "127.0.0.2"}) {
		t.Errorf("control and data came from %q, want 127.0.0.2", from)
	}
}

func TestNewSelfNonce(t *testing.T) {
	a, b := NewSelfNonce(), NewSelfNonce()
	if a == b || !strings.HasPrefix(a, "wharf-") || checkArg(a) != nil {
		t.Errorf("NewSelfNonce() = %q, %q", a, b)
	}
}

// A drop box (uploads taken, downloads and deletes refused) passes with
// warnings saying what will not work; an upload refused fails and says
// where deliveries may go instead.
func TestDiagnoseDropBox(t *testing.T) {
	s := newFake(t)
	s.handlers["RETR"] = func(fc *fakeConn, arg string) { fc.reply("550 Permission denied.") }
	s.handlers["DELE"] = func(fc *fakeConn, arg string) { fc.reply("550 Permission denied.") }
	s.start()
	r := Diagnose(context.Background(), s.config(), nil)
	if !r.OK() {
		t.Fatalf("Diagnose of a drop box failed:\n%s", r)
	}
	got := map[string]Step{}
	for _, st := range r.Steps {
		got[st.Name] = st
	}
	if st := got["download"]; !st.Warn || !strings.Contains(st.Detail, "a drop box") {
		t.Errorf("download step: %+v\n%s", st, r)
	}
	if st := got["delete"]; !st.Warn || !strings.Contains(st.Detail, "remove") || !strings.Contains(r.String(), "warn delete") {
		t.Errorf("delete step: %+v\n%s", st, r)
	}

	ro := newFake(t)
	ro.handlers["STOR"] = func(fc *fakeConn, arg string) { fc.reply("553 Could not create file.") }
	ro.start()
	r = Diagnose(context.Background(), ro.config(), nil)
	if last := r.Steps[len(r.Steps)-1]; r.OK() || last.Name != "cleanup" {
		t.Fatalf("Diagnose with uploads refused:\n%s", r)
	}
	for _, st := range r.Steps {
		if st.Name == "upload" && (st.OK || !strings.Contains(st.Detail, "put that folder in the remote's URL")) {
			t.Errorf("upload step: %+v", st)
		}
	}
}
