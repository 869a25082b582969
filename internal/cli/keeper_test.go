package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingKeyWithSealedPasswords: a data directory whose secret.key is
// gone while remote passwords were sealed with it is refused, naming the
// remotes and what to do, and no new key is made (one that none of them
// would open under); without sealed passwords a missing key is made, as
// on first use.
func TestMissingKeyWithSealedPasswords(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, dir, "s3cret-password\n", "remote", "add", "bank", "--url", "ftps://wharf@127.0.0.1:1/out", "--password-stdin"); r.err != nil {
		t.Fatalf("remote add: %v", r.err)
	}
	key := filepath.Join(dir, "secret.key")
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"remote", "test", "bank"}, {"remote", "ls", "bank:/"}} {
		r := run(t, dir, "", args...)
		if r.err == nil || !strings.Contains(r.err.Error(), "is missing") || !strings.Contains(r.err.Error(), "remotes bank") ||
			!strings.Contains(r.err.Error(), "from a backup") {
			t.Errorf("wharf %s with the key gone: %v; want a refusal naming remote bank and the backup", strings.Join(args, " "), r.err)
		}
		if _, err := os.Stat(key); !os.IsNotExist(err) {
			t.Fatalf("wharf %s made a new secret.key (%v)", strings.Join(args, " "), err)
		}
	}

	fresh := t.TempDir()
	if r := run(t, fresh, "s3cret-password\n", "remote", "add", "bank", "--url", "ftps://wharf@127.0.0.1:1/out", "--password-stdin"); r.err != nil {
		t.Fatalf("remote add in a fresh data directory: %v", r.err)
	}
	if _, err := os.Stat(filepath.Join(fresh, "secret.key")); err != nil {
		t.Errorf("first remote add made no secret.key: %v", err)
	}
}
