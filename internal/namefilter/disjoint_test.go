package namefilter

import (
	"strings"
	"testing"
)

func TestDisjoint(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "", false},
		{"*.edi", "", false},
		{"*.edi", "*.x12", true},
		{"*.EDI", "*.x12,*.csv", true},
		{"*.edi", "*.edi", false},
		{"*.edi", "order*", false}, // order.edi passes both
		{"acme_*", "bank_*", true}, // literal beginnings differ
		{"acme_*", "acme_*.edi", false},
		{"*.edi", "-*.edi", true},    // b excludes all a includes
		{"*.edi", "*,-*.edi", true},  // the same through b's include of everything
		{"po_*.edi", "-*.edi", true}, // "*.edi" excludes every po_*.edi
		{"*.edi,*.x12", "*.x12", false},
		{"order.edi", "*.edi", false}, // a literal b matches
		{"order.edi", "*.x12", true},
		{"order.edi", "invoice.edi", true},
		{"-*.tmp", "-*.bak", false},
		{"*", "-*", true},
		{"*[0-9].edi", "*.edi", false},
		{"a?c", "abc", false},
		{"a?c", "abd", true},
		{"x\\*y", "x*z", true}, // endings y and z
	} {
		a, err := Parse(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := Disjoint(a, b); got != tc.want {
			t.Errorf("Disjoint(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Disjoint(b, a); got != tc.want {
			t.Errorf("Disjoint(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

// FuzzDisjoint checks that Disjoint never claims two filters disjoint
// when some name passes both.
func FuzzDisjoint(f *testing.F) {
	for _, s := range [][3]string{
		{"*.edi", "*.x12", "a.edi"},
		{"acme_*", "bank_*", "acme_bank_"},
		{"po_*.edi", "-*.edi", "po_.edi"},
		{"a?c", "abd", "abc"},
		{"*[0-9].edi", "*.edi", "x1.edi"},
		{"x\\*y", "x*z", "x*y"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, fa, fb, name string) {
		a, err := Parse(fa)
		if err != nil {
			return
		}
		b, err := Parse(fb)
		if err != nil {
			return
		}
		if strings.Contains(name, "/") {
			return // filters see base names
		}
		if Disjoint(a, b) && a.Match(name) && b.Match(name) {
			t.Fatalf("Disjoint(%q, %q) but %q passes both", fa, fb, name)
		}
	})
}
