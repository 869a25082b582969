package namefilter

import (
	"errors"
	"strings"
	"testing"
)

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		filter, name string
		ok           bool
		rule         string // a refusal names this rule
	}{
		{"", "anything.bin", true, ""},
		{"*.edi,*.x12,-*.tmp", "order.edi", true, ""},
		{"*.edi,*.x12,-*.tmp", "ORDER.EDI", true, ""},
		{"*.edi,*.x12,-*.tmp", "order.csv", false, "*.edi,*.x12"},
		{"*.edi,*.x12,-*.tmp", "x.tmp", false, "-*.tmp"},
		{"-*.exe", "tool.exe", false, "-*.exe"},
		{"-*.exe", "data.csv", true, ""},
		{" *.edi , -secret* ", "secret.edi", false, "-secret*"},
	} {
		f, err := Parse(tc.filter)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.filter, err)
		}
		err = f.Check(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q).Check(%q) = %v, want ok=%v", tc.filter, tc.name, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.rule)) {
			t.Errorf("Check(%q) error %q does not name rule %q", tc.name, err, tc.rule)
		}
	}
	for _, bad := range []string{"-", "[", "a/*.edi"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", bad)
		}
	}
}

func FuzzFilter(f *testing.F) {
	f.Add("*.edi,*.x12,-*.tmp", "order.edi")
	f.Add("-[a-z]*", "Z9")
	f.Add("*,-*", "x")
	f.Fuzz(func(t *testing.T, filter, name string) {
		if strings.Contains(name, "/") {
			return // Check takes base names
		}
		flt, err := Parse(filter)
		if err != nil {
			return
		}
		// Parsing the printed form gives the same verdicts.
		again, err := Parse(flt.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %v after round trip of %q", flt.String(), err, filter)
		}
		if (flt.Check(name) == nil) != (again.Check(name) == nil) {
			t.Fatalf("verdict for %q changed after round trip of %q", name, filter)
		}
		// An exclude always wins.
		if ex, err := Parse(filter + ",-*"); err == nil && ex.Check(name) == nil {
			t.Fatalf("%q allowed %q despite -*", filter+",-*", name)
		}
	})
}
