package password

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct{ pw, wantErr string }{
		{"correct horse", ""},
		{"ünïcødé-pässwörd", ""},
		{Generate(), ""},
		{"short", "too short: 5 characters, want at least 12"},
		{"ünïcødé", "too short: 7 characters"},
		{"aaaaaaaaaaaaaaaa", "repeats one character"},
		{"éééééééééééé", "repeats one character"}, // 12 runes, 24 bytes
		{"ACME-2026-spring", `contains the account name "acme"`},
		{" leading space pw", "starts or ends with a space"},
		{"trailing space pw ", "starts or ends with a space"},
		{"tab\tinside-password", "control character"},
		{"nul\x00inside-password", "control character"},
		{"bad\xffutf8-password", "not valid UTF-8"},
	} {
		err := Check("acme", tc.pw)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", tc.pw, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Check(%q) = %v, want an error saying %q", tc.pw, err, tc.wantErr)
		}
	}
}
