package localfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestConfined(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, name := range []string{"escape/secret", "../" + filepath.Base(outside) + "/secret"} {
		if _, err := f.Stat(name); err == nil {
			t.Errorf("Stat(%q) reached outside the root", name)
		}
		if _, err := f.OpenFile(name, os.O_RDONLY, 0); err == nil {
			t.Errorf("OpenFile(%q) reached outside the root", name)
		}
	}
	if err := f.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove("d"); err == nil {
		t.Errorf("Remove(dir) succeeded; want an error")
	}
	if err := f.RemoveDir("d"); err != nil {
		t.Errorf("RemoveDir(d) = %v", err)
	}
	if _, err := f.Stat("d"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat after RemoveDir = %v, want ErrNotExist", err)
	}
}
