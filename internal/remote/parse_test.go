package remote

import (
	"bufio"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    Config
		addr    string
		wantErr bool
	}{
		{in: "ftp://bob@ftp.example.com", want: Config{Host: "ftp.example.com", User: "bob"}, addr: "ftp.example.com:21"},
		{in: "ftps://bob@ftp.example.com:2121/in/box", want: Config{Host: "ftp.example.com", Port: 2121, User: "bob", Root: "/in/box"}, addr: "ftp.example.com:2121"},
		{in: "ftps://bob@10.0.0.1/?tls=implicit", want: Config{Host: "10.0.0.1", User: "bob", TLS: TLSImplicit}, addr: "10.0.0.1:990"},
		{in: "ftp://bob@[::1]:21/x/../y", want: Config{Host: "::1", Port: 21, User: "bob", Root: "/y"}, addr: "[::1]:21"},
		{in: "ftp://h?tls=never", want: Config{Host: "h", TLS: TLSNever}, addr: "h:21"},
		{in: "ftp://bob:pw@h", want: Config{Host: "h", User: "bob", Password: "pw"}, addr: "h:21"},
		{in: "sftp://h", wantErr: true},
		{in: "ftp://", wantErr: true},
		{in: "ftp://h:99999", wantErr: true},
		{in: "ftp://h?tls=sometimes", wantErr: true},
		{in: "ftp://bob%0d%0aDELE@h", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseURL(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if got.Password.Reveal() != tt.want.Password.Reveal() {
			t.Errorf("ParseURL(%q) password mismatch", tt.in)
		}
		got.Password, tt.want.Password = "", ""
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Config{})); diff != "" {
			t.Errorf("ParseURL(%q) (-want +got):\n%s", tt.in, diff)
		}
		if a := got.Addr(); a != tt.addr {
			t.Errorf("ParseURL(%q).Addr() = %q, want %q", tt.in, a, tt.addr)
		}
	}
}

// The error for a scheme ParseURL does not take lists every one it takes.
func TestParseURLSchemeError(t *testing.T) {
	// internal/cli's tests look for "scheme must be ftp or ftps".
	_, err := ParseURL("sftp://bob@h")
	if err == nil || !strings.Contains(err.Error(), "scheme must be ftp or ftps or ftpes") {
		t.Fatalf("ParseURL(sftp://bob@h) err = %v, want it to list ftp, ftps and ftpes", err)
	}
	for _, scheme := range []string{"ftp", "ftps", "ftpes"} {
		if _, err := ParseURL(scheme + "://bob@h"); err != nil {
			t.Errorf("ParseURL(%s://bob@h) err = %v; the error says it is accepted", scheme, err)
		}
	}
}

func TestParseTLSMode(t *testing.T) {
	for m, name := range tlsModeNames {
		if got, err := ParseTLSMode(name); err != nil || got != m {
			t.Errorf("ParseTLSMode(%q) = %v, %v", name, got, err)
		}
		if m.String() != name {
			t.Errorf("%d.String() = %q, want %q", m, m.String(), name)
		}
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		in      string
		code    int
		msg     string
		wantErr bool
	}{
		{in: "220 hello\r\n", code: 220, msg: "hello"},
		{in: "220\r\n", code: 220, msg: ""},
		{in: "211-Features:\r\n MLST type*;\r\n UTF8\r\n211 End\r\n", code: 211, msg: "Features:\n MLST type*;\n UTF8\nEnd"},
		{in: "220-a\r\n220-b\r\n220 c\r\n", code: 220, msg: "a\n220-b\nc"},
		{in: "230-one\r\n230\r\n", code: 230, msg: "one\n"},
		{in: "999 nine\r\n", wantErr: true},
		{in: "xyz\r\n", wantErr: true},
		{in: "22\r\n", wantErr: true},
		{in: "220-never ends\r\n", wantErr: true},
		{in: "220 " + strings.Repeat("x", maxLineLen), wantErr: true},
	}
	for _, tt := range tests {
		code, msg, err := readReply(bufio.NewReaderSize(strings.NewReader(tt.in), maxLineLen))
		if (err != nil) != tt.wantErr || code != tt.code || msg != tt.msg {
			t.Errorf("readReply(%q) = %d, %q, %v; want %d, %q, err %v", truncate(tt.in), code, msg, err, tt.code, tt.msg, tt.wantErr)
		}
	}
}

func TestParseListings(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		line string
		mlsd bool
		want Entry
		skip bool
	}{
		{line: "type=file;size=1024;modify=20261122013035; a file.txt", mlsd: true,
			want: Entry{Name: "a file.txt", Type: File, Size: 1024, ModTime: time.Date(2026, 11, 22, 1, 30, 35, 0, time.UTC), PreciseTime: true}},
		{line: "Type=dir;Modify=20260101000000.5;Perm=el; sub", mlsd: true,
			want: Entry{Name: "sub", Type: Dir, ModTime: time.Date(2026, 1, 1, 0, 0, 0, 5e8, time.UTC), PreciseTime: true}},
		{line: "type=cdir; /x", mlsd: true, skip: true, want: Entry{Name: "/x", Type: Other}},
		{line: "-rw-r--r--    1 ftp      ftp          600 Nov 22 01:30 two  spaces",
			want: Entry{Name: "two  spaces", Type: File, Size: 600, ModTime: time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)}},
		{line: "drwxr-xr-x    2 0 0 4096 Dec 24 2025 old",
			want: Entry{Name: "old", Type: Dir, Size: 4096, ModTime: time.Date(2025, 12, 24, 0, 0, 0, 0, time.UTC)}},
		{line: "-rw-r--r--    1 0 0 1 Dec 24 10:00 lastyear",
			want: Entry{Name: "lastyear", Type: File, Size: 1, ModTime: time.Date(2025, 12, 24, 10, 0, 0, 0, time.UTC)}},
		{line: "lrwxrwxrwx    1 0 0 4 Nov 22 01:30 ln -> /etc",
			want: Entry{Name: "ln", Type: Link, Size: 4, ModTime: time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)}},
		{line: "11-22-26  01:30PM       <DIR>          Dos Dir",
			want: Entry{Name: "Dos Dir", Type: Dir, ModTime: time.Date(2026, 11, 22, 13, 30, 0, 0, time.UTC)}},
		{line: "11-22-26  01:30AM                 1234 dos.txt",
			want: Entry{Name: "dos.txt", Type: File, Size: 1234, ModTime: time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)}},
		{line: "total 12", skip: true},
	}
	for _, tt := range tests {
		var got Entry
		var skip bool
		var err error
		if tt.mlsd {
			got, skip, err = parseMLSx(tt.line)
		} else {
			got, skip, err = parseLIST(tt.line, now)
		}
		if err != nil || skip != tt.skip {
			t.Errorf("parse(%q) skip %v, err %v; want skip %v", tt.line, skip, err, tt.skip)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parse(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
	for _, bad := range []string{"-rw-r--r-- 1 0 0 x Nov 22 01:30 a", "junk", "-rw 1"} {
		if _, _, err := parseLIST(bad, now); err == nil {
			t.Errorf("parseLIST(%q) succeeded", bad)
		}
	}
}

func TestPassiveReplies(t *testing.T) {
	tests := []struct {
		verb, reply string
		port        int
		wantErr     bool
	}{
		{"EPSV", "229 Entering Extended Passive Mode (|||6446|)", 6446, false},
		{"EPSV", "229 ok (!!!1234!)", 1234, false},
		{"EPSV", "229 (|||0|)", 0, true},
		{"EPSV", "229 nothing", 0, true},
		{"PASV", "227 Entering Passive Mode (10,0,0,9,19,137)", 19<<8 | 137, false},
		{"PASV", "227 =127,0,0,1,4,1", 1025, false},
		{"PASV", "227 (1,2,3,4,999,1)", 0, true},
	}
	for _, tt := range tests {
		s := newFake(t)
		s.handlers[tt.verb] = func(fc *fakeConn, _ string) { fc.reply(tt.reply) }
		s.start()
		c, err := Dial(t.Context(), s.config(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var port int
		if tt.verb == "EPSV" {
			_, port, err = c.passive(nil, "EPSV", 229, parseEPSV, nil)
		} else {
			_, port, err = c.passive(nil, "PASV", 227, parsePASV, nil)
		}
		if (err != nil) != tt.wantErr || port != tt.port {
			t.Errorf("%s reply %q = %d, %v; want %d, err %v", tt.verb, tt.reply, port, err, tt.port, tt.wantErr)
		}
		c.Close()
	}
}

func TestParsePWD(t *testing.T) {
	for in, want := range map[string]string{
		`"/home/bob" is current`:  "/home/bob",
		`"/a ""q"" b" ok`:         `/a "q" b`,
		`no quotes`:               "/",
		`"relative"`:              "/",
		`"/x/../y/" is your home`: "/y",
	} {
		if got := parsePWD(in); got != want {
			t.Errorf("parsePWD(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzListing: whatever a server sends, a returned entry has a name that is
// one safe path element.
func FuzzListing(f *testing.F) {
	f.Add("type=file;size=1; ../x", true)
	f.Add("-rw-r--r-- 1 0 0 1 Nov 22 01:30 a/b", false)
	f.Add("11-22-26  01:30AM  <DIR>  ..", false)
	f.Fuzz(func(t *testing.T, line string, mlsd bool) {
		var e Entry
		var skip bool
		var err error
		if mlsd {
			e, skip, err = parseMLSx(line)
		} else {
			e, skip, err = parseLIST(line, time.Now())
		}
		if err != nil || skip || checkName(e.Name) != nil {
			return
		}
		if e.Name == "" || e.Name == "." || e.Name == ".." || len(e.Name) > maxNameLen ||
			strings.ContainsAny(e.Name, "/\\\x00\r\n") || e.Size < 0 {
			t.Fatalf("unsafe entry %+v from %q", e, line)
		}
	})
}

// FuzzReadReply: no input panics or returns an over-long message.
func FuzzReadReply(f *testing.F) {
	f.Add("220 ok\r\n")
	f.Add("211-a\r\n b\r\n211 c\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		_, msg, err := readReply(bufio.NewReaderSize(strings.NewReader(in), maxLineLen))
		if err == nil && len(msg) > maxReplyBytes+maxLineLen {
			t.Fatalf("message of %d bytes", len(msg))
		}
	})
}

// FuzzCheckArg: an accepted argument never carries a line break or NUL.
func FuzzCheckArg(f *testing.F) {
	f.Add("a\r\nDELE b")
	f.Fuzz(func(t *testing.T, s string) {
		if checkArg(s) == nil && strings.ContainsAny(s, "\r\n\x00") {
			t.Fatalf("checkArg(%q) accepted", s)
		}
	})
}

// A Config in logs or error messages never shows its password.
func TestConfigHidesPassword(t *testing.T) {
	cfg := Config{Host: "h", User: "u", Password: "canary-pw"}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("remote", "cfg", cfg)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), b.String()} {
		if strings.Contains(s, "canary-pw") {
			t.Errorf("password printed: %s", s)
		}
	}
}
