package ftpserver

import "testing"

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
