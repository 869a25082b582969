package password

import "testing"

func TestHashVerify(t *testing.T) {
	h, err := Hash("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"s3cret", true}, {"s3cret ", false}, {"", false}} {
		if got, err := Verify(h, tc.pw); err != nil || got != tc.want {
			t.Errorf("Verify(hash, %q) = %v, %v; want %v", tc.pw, got, err, tc.want)
		}
	}
	if _, err := Verify("plain", "x"); err == nil {
		t.Errorf("Verify on a non-hash succeeded")
	}
	if a, b := Generate(), Generate(); a == b || len(a) != 26 {
		t.Errorf("Generate() = %q, %q", a, b)
	}
}
