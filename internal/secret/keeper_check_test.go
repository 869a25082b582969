package secret

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"gocloud.dev/secrets"
)

// TestCheckURLAgreesWithKeeper: for keys written every way a user might
// (standard base64 as `openssl rand -base64 32` prints it, URL-safe base64,
// with or without padding or a trailing slash), CheckURL accepts exactly
// the URLs that gocloud's base64key driver opens, and never repeats the
// key. Standard base64 fails there for most keys, through a + (not
// URL-safe base64) or a / (which ends the URL's host, cutting the key; a
// key starting with / leaves the host empty, for which the driver makes up
// a random key).
func TestCheckURLAgreesWithKeeper(t *testing.T) {
	encodings := map[string]*base64.Encoding{
		"std": base64.StdEncoding, "url": base64.URLEncoding, "rawurl": base64.RawURLEncoding,
	}
	refusedStd := 0
	for i := range 200 {
		raw := make([]byte, 32)
		rand.Read(raw)
		if i == 0 {
			for j := range raw {
				raw[j] = 0xfb // encodes as "+/v7..." in standard base64
			}
		}
		for name, enc := range encodings {
			for _, suffix := range []string{"", "/"} {
				key := enc.EncodeToString(raw)
				u := "base64key://" + key + suffix
				checkErr := CheckURL(u)
				k, openErr := secrets.OpenKeeper(t.Context(), u)
				if openErr == nil {
					k.Close()
					if pu, _ := url.Parse(u); pu.Host == "" {
						// A key starting with "/": the driver opens
						// a random key, so nothing stored survives a
						// restart.
						openErr = errors.New("opened a random key")
					}
				}
				if checkErr == nil && openErr != nil {
					t.Fatalf("%s key%s: CheckURL accepts what the keeper refuses: %v", name, suffix, openErr)
				}
				if checkErr != nil && openErr == nil {
					t.Fatalf("%s key%s %q: CheckURL refuses what the keeper opens: %v", name, suffix, key, checkErr)
				}
				if checkErr == nil {
					continue
				}
				if name == "std" {
					refusedStd++
				}
				if msg := checkErr.Error(); strings.Contains(msg, strings.TrimRight(key, "=")[:8]) {
					t.Fatalf("CheckURL error repeats the key: %s", msg)
				} else if !strings.Contains(msg, "use URL-safe base64, e.g. `openssl rand -base64 32 | tr '+/' '-_'`") {
					t.Fatalf("CheckURL(%s key) = %q, want it to say how to make a key", name, msg)
				}
			}
		}
	}
	if refusedStd == 0 {
		t.Error("no standard base64 key was refused: the test keys are not what openssl prints")
	}
}

// TestCheckURLBase64KeyRefusals: each way a base64key:// URL fails says why,
// and how to make a key that works.
func TestCheckURLBase64KeyRefusals(t *testing.T) {
	good := "smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4="
	for _, tc := range []struct{ url, want string }{
		{"base64key://" + good, ""},
		{"base64key://" + good + "/", ""},
		{"base64key://" + strings.Replace(good, "b", "+", 1), "key has + or / (standard base64), which the keeper cannot read: use URL-safe base64"},
		{"base64key://" + strings.Replace(good, "b", "/", 1), "key has + or / (standard base64)"},
		{"base64key://" + good[:24], "key is not 32 bytes in URL-safe base64 (Base64Key: secret key material is 18 bytes, want 32 bytes): use URL-safe base64"},
		{"base64key://" + strings.TrimRight(good, "="), "key is not 32 bytes in URL-safe base64 (illegal base64 data"},
		{"base64key://" + good + "?x=1", `base64key:// takes no query parameters, and has ["x"]: remove them`},
		{"base64key://...", "key is not 32 bytes in URL-safe base64"},
		{"base64key:///", "base64key:// needs the key after it"},
	} {
		err := CheckURL(tc.url)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckURL(%q) = %v, want nil", tc.url, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckURL(%q) = %v, want an error containing %q", tc.url, err, tc.want)
		}
	}
}

func TestIsRedactedURL(t *testing.T) {
	for u, want := range map[string]bool{
		"base64key://...": true, "...": true, RedactURL("base64key://smGbjm71"): true,
		"": false, "base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=": false, "base64key://": false,
	} {
		if got := IsRedactedURL(u); got != want {
			t.Errorf("IsRedactedURL(%q) = %v, want %v", u, got, want)
		}
	}
}
