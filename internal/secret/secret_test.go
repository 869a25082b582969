package secret

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const canary = "canary-Pa55w0rd"

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(canary)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("login", "password", s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("login", "password", s)
	j, _ := json.Marshal(struct{ P Secret }{s})
	for _, got := range []string{
		s.String(), fmt.Sprint(s), fmt.Sprintf("%s %v %q %x %#v %+v", s, s, s, s, s, s),
		fmt.Sprintf("%v", struct{ P Secret }{s}), logs.String(), string(j),
	} {
		if strings.Contains(got, canary) {
			t.Errorf("secret leaked: %s", got)
		}
	}
	if s.Reveal() != canary {
		t.Errorf("Reveal() = %q, want %q", s.Reveal(), canary)
	}
}

func TestLocalKeeper(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	k, err := Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode = %04o, want 0600", fi.Mode().Perm())
	}
	ct, err := k.Encrypt(ctx, canary, "remote/1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte(canary)) {
		t.Fatal("ciphertext contains the plain text")
	}
	// A second keeper reads the same key file.
	k2, err := Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer k2.Close()
	got, err := k2.Decrypt(ctx, ct, "remote/1")
	if err != nil || got.Reveal() != canary {
		t.Fatalf("Decrypt = %q, %v; want the canary", got.Reveal(), err)
	}
	if _, err := k2.Decrypt(ctx, ct, "remote/2"); !errors.Is(err, ErrBinding) {
		t.Errorf("Decrypt with another binding: err = %v, want ErrBinding", err)
	}
	if _, err := k2.Decrypt(ctx, ct, "remote/"); !errors.Is(err, ErrBinding) {
		t.Errorf("Decrypt with a prefix binding: err = %v, want ErrBinding", err)
	}
}

func TestKeyFilePermissions(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		dir := t.TempDir()
		k, err := Open(ctx, dir, "")
		if err != nil {
			t.Fatal(err)
		}
		k.Close()
		if err := os.Chmod(filepath.Join(dir, KeyFile), mode); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, dir, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("Open with key mode %04o: err = %v, want a refusal naming chmod 600", mode, err)
		}
	}
}

func TestURLKeeper(t *testing.T) {
	ctx := context.Background()
	k, err := Open(ctx, t.TempDir(), "base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	ct, err := k.Encrypt(ctx, canary, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Decrypt(ctx, ct, "x"); err != nil || got.Reveal() != canary {
		t.Fatalf("Decrypt = %q, %v", got.Reveal(), err)
	}
	if _, err := Open(ctx, t.TempDir(), "nosuchkeeper://x"); err == nil {
		t.Error("Open(nosuchkeeper://) succeeded")
	}
}

// TestCheckURL: only the schemes whose drivers are linked in are accepted,
// and the refusal names them without repeating the URL.
func TestCheckURL(t *testing.T) {
	if got := Schemes(); got != "base64key://" {
		t.Errorf("Schemes() = %q, want base64key:// (a driver was linked in: update the README and --secrets-url's help)", got)
	}
	for url, want := range map[string]string{
		"base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=": "", "BASE64KEY://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=": "",
		"base64key://":                      "base64key:// needs the key after it (base64key://KEY, 32 bytes in URL-safe base64): use URL-safe base64, e.g. `openssl rand -base64 32 | tr '+/' '-_'`, or leave it unset to use DATA/secret.key",
		"awskms://alias/x?region=us-east-1": "no keeper driver for awskms:// in this build, which has base64key:// only: leave it unset to use DATA/secret.key",
		"alias/x":                           "not a keeper URL: want base64key://, or leave it unset to use DATA/secret.key",
	} {
		err := CheckURL(url)
		if want == "" && err != nil || want != "" && (err == nil || err.Error() != want) {
			t.Errorf("CheckURL(%q) = %v, want %q", url, err, want)
		}
	}
	_, err := Open(t.Context(), t.TempDir(), "hashivault://wharf-key")
	if want := "open secrets keeper hashivault://...: no keeper driver for hashivault://"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "wharf-key") {
		t.Errorf("Open(hashivault://) = %v, want an error containing %q and not the URL", err, want)
	}
}
