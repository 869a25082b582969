package remote

import "testing"

func TestFailedDespite2xx(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want bool
	}{
		{"Transfer done (but failed to open directory).", true},
		{"Directory send OK.", false},
		{"Transfer complete", false},
	} {
		if got := failedDespite2xx(tc.msg); got != tc.want {
			t.Errorf("failedDespite2xx(%q) = %v, want %v", tc.msg, got, tc.want)
		}
	}
}
