package ftpfs_test

import (
	"context"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// dirRenameRefuser is a Pool over a local directory whose server refuses
// to rename folders, as some do (550), so FS must move them entry by entry.
type dirRenameRefuser struct{ root string }

func (p dirRenameRefuser) local(name string) string {
	return filepath.Join(p.root, filepath.FromSlash(name))
}

func (p dirRenameRefuser) List(_ context.Context, dir string) ([]remote.Entry, error) {
	ents, err := os.ReadDir(p.local(dir))
	if err != nil {
		return nil, err
	}
	var out []remote.Entry
	for _, e := range ents {
		typ := remote.File
		if e.IsDir() {
			typ = remote.Dir
		}
		out = append(out, remote.Entry{Name: e.Name(), Type: typ})
	}
	return out, nil
}

func (p dirRenameRefuser) Stat(_ context.Context, name string) (remote.Entry, error) {
	fi, err := os.Stat(p.local(name))
	if err != nil {
		return remote.Entry{}, err
	}
	typ := remote.File
	if fi.IsDir() {
		typ = remote.Dir
	}
	return remote.Entry{Name: fi.Name(), Type: typ, Size: fi.Size()}, nil
}

func (p dirRenameRefuser) Rename(_ context.Context, from, to string) error {
	if fi, err := os.Stat(p.local(from)); err == nil && fi.IsDir() {
		return &textproto.Error{Code: 550, Msg: "Rename of directories not allowed"}
	}
	return os.Rename(p.local(from), p.local(to))
}

func (p dirRenameRefuser) MakeDir(_ context.Context, name string) error {
	return os.Mkdir(p.local(name), 0o750)
}
func (p dirRenameRefuser) RemoveDir(_ context.Context, name string) error {
	return os.Remove(p.local(name))
}
func (p dirRenameRefuser) Delete(_ context.Context, name string) error {
	return os.Remove(p.local(name))
}
func (dirRenameRefuser) Retrieve(context.Context, string, int64, io.Writer) (int64, error) {
	return 0, nil
}
func (dirRenameRefuser) Upload(context.Context, string, io.Reader, remote.UploadOptions) (remote.Uploaded, error) {
	return remote.Uploaded{}, nil
}
func (dirRenameRefuser) Append(context.Context, string, io.Reader) (int64, error) { return 0, nil }
func (dirRenameRefuser) SetModTime(context.Context, string, time.Time) error      { return nil }

func TestRenameFolderByMoving(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"a/x.edi", "a/sub/y.edi", "a/sub/deeper/z.edi"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	f := ftpfs.New(context.Background(), dirRenameRefuser{root}, ftpfs.Options{Remote: "strict"})
	if err := f.Rename("a", "b"); err != nil {
		t.Fatalf("Rename(a, b) = %v", err)
	}
	for _, name := range []string{"b/x.edi", "b/sub/y.edi", "b/sub/deeper/z.edi"} {
		if got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name))); err != nil || string(got) != "a"+name[1:] {
			t.Errorf("%s = %q, %v", name, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "a")); !os.IsNotExist(err) {
		t.Errorf("source folder still there: %v", err)
	}
}
