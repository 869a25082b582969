package localfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
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

// TestEscapeIsPermission: a name that leads out of the root is refused as
// fs.ErrPermission, by every operation, so that callers answer a denial
// rather than an unknown error (the FTP server's "local error", logged
// at ERROR for each try a partner makes).
func TestEscapeIsPermission(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "file")); err != nil {
		t.Fatal(err)
	}
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops := map[string]func() error{
		"Stat link to file":   func() error { _, err := f.Stat("file"); return err },
		"Stat through link":   func() error { _, err := f.Stat("escape/secret"); return err },
		"Stat ..":             func() error { _, err := f.Stat("../" + filepath.Base(outside)); return err },
		"ReadDir link":        func() error { _, err := f.ReadDir("escape"); return err },
		"OpenFile link":       func() error { _, err := f.OpenFile("file", os.O_RDONLY, 0); return err },
		"OpenFile create":     func() error { _, err := f.OpenFile("escape/new", os.O_WRONLY|os.O_CREATE, 0o600); return err },
		"Mkdir through link":  func() error { return f.Mkdir("escape/d", 0o755) },
		"MkdirAll":            func() error { return f.MkdirAll("escape/a/b", 0o755) },
		"Remove through link": func() error { return f.Remove("escape/secret") },
		"RemoveDir":           func() error { return f.RemoveDir("escape/x") },
		"Rename out":          func() error { return f.Rename("file", "escape/moved") },
		"Chtimes":             func() error { return f.Chtimes("file", time.Now(), time.Now()) },
		"Link out":            func() error { return f.Link("escape/secret", "stolen") },
	}
	for name, op := range ops {
		err := op()
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s = %v, want fs.ErrPermission", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "secret")); err != nil {
		t.Fatalf("the file outside was touched: %v", err)
	}
}
