package ftpserver

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
		f, err := ParseFilter(tc.filter)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tc.filter, err)
		}
		err = f.Check(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ParseFilter(%q).Check(%q) = %v, want ok=%v", tc.filter, tc.name, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, errFiltered) || !strings.Contains(err.Error(), tc.rule)) {
			t.Errorf("Check(%q) error %q does not name rule %q", tc.name, err, tc.rule)
		}
	}
	for _, bad := range []string{"-", "[", "a/*.edi"} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("ParseFilter(%q) succeeded, want an error", bad)
		}
	}
}

func TestTempBase(t *testing.T) {
	exts := parseExtensions(".tmp, part")
	for _, tc := range []struct {
		in, base string
		temp     bool
	}{{"a.edi.tmp", "a.edi", true}, {"a.PART", "a", true}, {"a.edi", "a.edi", false}, {".tmp", ".tmp", false}, {".order.edi.0123456789ab.wharf-part", "order.edi", true}} {
		if b, ok := tempBase(tc.in, exts); b != tc.base || ok != tc.temp {
			t.Errorf("tempBase(%q) = %q, %v; want %q, %v", tc.in, b, ok, tc.base, tc.temp)
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
		flt, err := ParseFilter(filter)
		if err != nil {
			return
		}
		// Parsing the printed form gives the same verdicts.
		again, err := ParseFilter(flt.String())
		if err != nil {
			t.Fatalf("ParseFilter(%q) = %v after round trip of %q", flt.String(), err, filter)
		}
		if (flt.Check(name) == nil) != (again.Check(name) == nil) {
			t.Fatalf("verdict for %q changed after round trip of %q", name, filter)
		}
		// An exclude always wins.
		if ex, err := ParseFilter(filter + ",-*"); err == nil && ex.Check(name) == nil {
			t.Fatalf("%q allowed %q despite -*", filter+",-*", name)
		}
	})
}
