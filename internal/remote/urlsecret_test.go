package remote

import (
	"strings"
	"testing"
)

func TestParseURLErrorsHidePassword(t *testing.T) {
	for _, in := range []string{"ftp://u:CANARY-PW@[::1", "ftp://u:CANARY-PW@host:port%zz/x", "gopher://u:CANARY-PW@h/"} {
		if _, err := ParseURL(in); err == nil {
			t.Errorf("ParseURL(%q) succeeded", in)
		} else if strings.Contains(err.Error(), "CANARY-PW") {
			t.Errorf("ParseURL(%q) error shows the password: %v", in, err)
		}
	}
}
