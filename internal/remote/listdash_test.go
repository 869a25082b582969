package remote

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// Without MLSD, List asks "LIST -a" so that dot names show; a server
// that refuses -a (a 5xx) or takes "-a /" for a path (it lists nothing)
// gets a bare LIST, and no -a again on that connection.
func TestQuirkListDashA(t *testing.T) {
	const plain = "-rw-r--r-- 1 u g 5 Nov 22 01:30 a.edi\r\n"
	const all = "drwxr-xr-x 2 u g 4096 Nov 22 01:30 .\r\ndrwxr-xr-x 2 u g 4096 Nov 22 01:30 ..\r\n" +
		"-rw-r--r-- 1 u g 1 Nov 22 01:30 .hidden.edi\r\n" + plain
	tests := []struct {
		name string
		dash func(fc *fakeConn) // the answer to "LIST -a /"
		want []string
		cmds []string // the LIST commands of two Lists
	}{
		{"knows -a", func(fc *fakeConn) { fc.sendData([]byte(all)) },
			[]string{".hidden.edi:file", "a.edi:file"}, []string{"LIST -a /", "LIST -a /"}},
		{"refuses -a", func(fc *fakeConn) { fc.reply("550 -a: no such file or directory") },
			[]string{"a.edi:file"}, []string{"LIST -a /", "LIST /", "LIST /"}},
		{"takes -a for a path", func(fc *fakeConn) { fc.sendData([]byte("total 0\r\n")) },
			[]string{"a.edi:file"}, []string{"LIST -a /", "LIST /", "LIST /"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.feat = []string{"SIZE"}
			s.handlers["LIST"] = func(fc *fakeConn, arg string) {
				if strings.HasPrefix(arg, "-a ") {
					tt.dash(fc)
					return
				}
				fc.sendData([]byte(plain))
			}
			s.start()
			c := s.dial(Config{})
			for range 2 {
				es, err := c.List(context.Background(), "/")
				if got := names(es); err != nil || !slices.Equal(got, tt.want) {
					t.Fatalf("List = %q, %v; want %q", got, err, tt.want)
				}
			}
			var lists []string
			for _, cmd := range s.commands() {
				if strings.HasPrefix(cmd, "LIST") {
					lists = append(lists, cmd)
				}
			}
			if !slices.Equal(lists, tt.cmds) {
				t.Errorf("LIST commands %q, want %q", lists, tt.cmds)
			}
			if ok, err := c.ListsDotNames(context.Background()); err != nil || ok != (tt.name == "knows -a") {
				t.Errorf("ListsDotNames = %v, %v", ok, err)
			}
		})
	}
}

// A missing folder's error is its bare LIST's, not the -a one's.
func TestQuirkListDashAMissingFolder(t *testing.T) {
	s := newFake(t)
	s.handlers["LIST"] = func(fc *fakeConn, arg string) { fc.reply("450 " + arg + ": No such file or directory") }
	s.start()
	c := s.dial(Config{})
	if _, err := c.List(context.Background(), "/nope"); !isReply(err, 450) {
		t.Fatalf("List err = %v, want the 450", err)
	}
}

// On LIST-only servers (vsftpd; ProFTPD with FactsAdvertise off), dot
// names are listed, a dot-folder Stats as a folder and can be listed and
// created in, also in a folder whose name has spaces.
func TestInteropListDotNames(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{}},
		{"proftpd/no MLSD", peertest.ProFTPD, peertest.Options{Extra: []string{"FactsAdvertise off"}}},
	} {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			s := pr.start(t, pr.opts)
			s.WriteFile(t, "work/.hidden.edi", []byte("hidden"))
			s.WriteFile(t, "work/a.edi", []byte("a"))
			s.Mkdir(t, "work/.dotdir")
			s.WriteFile(t, "work/.dotdir/x.edi", []byte("x"))
			s.Mkdir(t, "work/dir with spaces")
			s.WriteFile(t, "work/dir with spaces/.x", []byte("x"))
			ctx := context.Background()
			c, err := Dial(ctx, configFor(s), testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, ok := c.Features()["MLST"]; ok {
				t.Fatal("the server offers MLST; this test is about LIST")
			}
			if ok, err := c.ListsDotNames(ctx); err != nil || !ok {
				t.Errorf("ListsDotNames = %v, %v; want true", ok, err)
			}
			es, err := c.List(ctx, "/")
			if want := []string{".dotdir:dir", ".hidden.edi:file", "a.edi:file", "dir with spaces:dir"}; err != nil || !slices.Equal(names(es), want) {
				t.Errorf("List(/) = %q, %v; want %q", names(es), err, want)
			}
			if e, err := c.Stat(ctx, ".dotdir"); err != nil || e.Type != Dir {
				t.Errorf("Stat(.dotdir) = %+v, %v; want a folder", e, err)
			}
			if e, err := c.Stat(ctx, ".hidden.edi"); err != nil || e.Type != File || e.Size != 6 {
				t.Errorf("Stat(.hidden.edi) = %+v, %v; want a 6-byte file", e, err)
			}
			if es, err := c.List(ctx, ".dotdir"); err != nil || !slices.Equal(names(es), []string{"x.edi:file"}) {
				t.Errorf("List(.dotdir) = %q, %v", names(es), err)
			}
			if es, err := c.List(ctx, "dir with spaces"); err != nil || !slices.Equal(names(es), []string{".x:file"}) {
				t.Errorf("List(dir with spaces) = %q, %v", names(es), err)
			}
			if err := c.MakeDir(ctx, ".dotdir/sub"); err != nil {
				t.Fatal(err)
			}
			if e, err := c.Stat(ctx, ".dotdir/sub"); err != nil || e.Type != Dir {
				t.Errorf("Stat(.dotdir/sub) = %+v, %v; want a folder", e, err)
			}
			if _, err := c.Stat(ctx, ".nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat(.nope) err = %v, want fs.ErrNotExist", err)
			}
		})
	}
}
