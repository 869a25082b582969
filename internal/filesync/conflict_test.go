package filesync

import (
	"path"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestConflictName(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		in, side, want string
		taken          []string
	}{
		{in: "a.edi", side: "local", want: "a.conflict-local-20261122T020405Z.edi"},
		{in: "d/e/a.tar.gz", side: "remote", want: "d/e/a.tar.conflict-remote-20261122T020405Z.gz"},
		{in: ".profile", side: "local", want: ".profile.conflict-local-20261122T020405Z"},
		{in: "README", side: "local", want: "README.conflict-local-20261122T020405Z"},
		{in: "a.edi", side: "local", taken: []string{"a.conflict-local-20261122T020405Z.edi"}, want: "a.conflict-local-20261122T020405Z-2.edi"},
	} {
		taken := map[string]bool{}
		for _, n := range tc.taken {
			taken[n] = true
		}
		if got := conflictName(tc.in, tc.side, at, func(n string) bool { return taken[n] }); got != tc.want {
			t.Errorf("conflictName(%q, %q) = %q, want %q", tc.in, tc.side, got, tc.want)
		}
	}
}

func FuzzConflictName(f *testing.F) {
	for _, s := range []string{"a.edi", "d/x", ".x", strings.Repeat("é", 127) + ".edi", strings.Repeat("x", 255), "a." + strings.Repeat("e", 60)} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, p string, takenN int) {
		if !utf8.ValidString(p) || p == "" || strings.HasSuffix(p, "/") || len(path.Base(p)) > maxName {
			return
		}
		takenN %= 5
		n := 0
		got := conflictName(p, "remote", time.Unix(0, 0), func(string) bool { n++; return n <= takenN })
		dir, base := path.Split(got)
		wantDir, _ := path.Split(p)
		switch {
		case dir != wantDir:
			t.Fatalf("conflictName(%q) = %q: directory changed", p, got)
		case len(base) > maxName:
			t.Fatalf("conflictName(%q) = %q: base longer than %d bytes", p, got, maxName)
		case !utf8.ValidString(got):
			t.Fatalf("conflictName(%q) = %q: invalid UTF-8", p, got)
		case got == p || !strings.Contains(base, ".conflict-remote-"):
			t.Fatalf("conflictName(%q) = %q: not a conflict name", p, got)
		}
	})
}
