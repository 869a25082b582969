package vfs

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "/", want: "/"},
		{in: "", want: "/"},
		{in: "a/b", want: "/a/b"},
		{in: "/send/../../etc/passwd", want: "/etc/passwd"},
		{in: "/../..", want: "/"},
		{in: `..\..\windows`, want: "/windows"},
		{in: "/a//b/./c/", want: "/a/b/c"},
		{in: "/a\x00b", bad: true},
		{in: "/a\r\nDELE b", bad: true},
		{in: "/\xff", bad: true},
		{in: "/" + strings.Repeat("x", 256), bad: true},
		{in: strings.Repeat("/x", 2049), bad: true},
	} {
		got, err := Clean(tc.in)
		if tc.bad {
			if !errors.Is(err, ErrBadPath) {
				t.Errorf("Clean(%q) = %q, %v; want ErrBadPath", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func isClean(p string) bool {
	if !strings.HasPrefix(p, "/") || !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\r\n\\") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." || len(seg) > MaxNameBytes {
			return false
		}
	}
	again, err := Clean(p)
	return err == nil && again == p && (p == "/" || !strings.HasSuffix(p, "/")) && !strings.Contains(p, "//")
}

func TestCheckNewName(t *testing.T) {
	for _, tc := range []struct {
		name, reason string // reason "" means allowed
	}{
		{"order.edi", ""},
		{".profile", ""},
		{"a b.edi", ""},
		{"Überweisung 2026.xml", ""},
		{"x.", "may not end with a dot"},
		{"...", "may not end with a dot"},
		{".", "may not be . or .."},
		{"..", "may not be . or .."},
		{"", "may not be empty"},
		{" order.edi", "may not begin or end with a space"},
		{"trail.edi ", "may not begin or end with a space"},
		{" ", "may not begin or end with a space"},
		{"trail. ", "may not begin or end with a space"},
		{"nbsp.edi\u00a0", "may not begin or end with a space"},
		{"\u3000wide.edi", "may not begin or end with a space"},
		{"mid\u00a0nbsp.edi", ""},
		{`a\b.edi`, "backslash is not allowed in names on this server; use / to separate folders"},
		{`\`, "backslash is not allowed"},
		{"a/b", "may not contain /"},
		{"a\x00b", "control characters"},
		{"a\r\nDELE b", "control characters"},
		{"a\tb", "control characters"},
		{"a\x7fb", "control characters"},
		{"a\u0085b", "control characters"}, // C1 NEL
		{"\xff.edi", "valid UTF-8"},
		{strings.Repeat("x", MaxNameBytes), ""},
		{strings.Repeat("x", MaxNameBytes+1), "longer than 255 bytes"},
	} {
		err := CheckNewName(tc.name)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("CheckNewName(%q) = %v, want nil", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("CheckNewName(%q) = %v, want an error saying %q", tc.name, err, tc.reason)
			continue
		}
		if want := strconv.Quote(tc.name) + ": "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("CheckNewName(%q) = %q, want it to start with %q", tc.name, err, want)
		}
		if !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("CheckNewName(%q) = %v, does not wrap fs.ErrInvalid", tc.name, err)
		}
	}
}

// The reply text the ftpserver shows for a refused name, exactly.
func TestCheckNewNameText(t *testing.T) {
	const want = `"trail.edi ": a name may not begin or end with a space`
	if err := CheckNewName("trail.edi "); err == nil || err.Error() != want {
		t.Errorf("CheckNewName(%q) = %v, want %s", "trail.edi ", err, want)
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"/pub/../../etc/passwd", "a/./b", `..\..`, "/a\x00", "//x//..//y/", "\xc3\x28",
		" lead.edi", "trail.edi ", "nbsp\u00a0", "dot.", `a\b.edi`, "a\tb", "\u0085",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got, err := Clean(in); err == nil && !isClean(got) {
			t.Fatalf("Clean(%q) = %q, not clean", in, got)
		}
		// A name allowed for creation is one clean path element, which
		// Clean leaves as it is, so the name created is the name asked for.
		err := CheckNewName(in)
		if err == nil {
			if got, cerr := Clean("/" + in); cerr != nil || got != "/"+in {
				t.Fatalf("CheckNewName(%q) = nil, but Clean(%q) = %q, %v", in, "/"+in, got, cerr)
			}
			if strings.TrimFunc(in, unicode.IsSpace) != in || strings.HasSuffix(in, ".") || strings.ContainsFunc(in, unicode.IsControl) {
				t.Fatalf("CheckNewName(%q) = nil, want a refusal", in)
			}
			return
		}
		// The refusal's text goes into an FTP reply: one line.
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00") || !utf8.ValidString(msg) {
			t.Fatalf("CheckNewName(%q) = %q: not fit for a reply line", in, msg)
		}
	})
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		p, dir string
		want   bool
	}{
		{"acme/send", "acme/send", true},
		{"acme/send/x", "acme/send", true},
		{"acme/send/x", "acme", true},
		{"acme/sendx", "acme/send", false},
		{"acme", "acme/send", false},
		{"anything", "", true},
		{"", "", true},
	} {
		if got := Within(tc.p, tc.dir); got != tc.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tc.p, tc.dir, got, tc.want)
		}
	}
}
