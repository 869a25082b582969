package vfs

import (
	"errors"
	"strings"
	"testing"
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

func FuzzClean(f *testing.F) {
	for _, s := range []string{"/pub/../../etc/passwd", "a/./b", `..\..`, "/a\x00", "//x//..//y/", "\xc3\x28"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got, err := Clean(in); err == nil && !isClean(got) {
			t.Fatalf("Clean(%q) = %q, not clean", in, got)
		}
	})
}
