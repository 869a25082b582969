package remote

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// Symbolic links on the remote are followed: Stat of a link to a file is
// a file of its target's size, of a link to a folder a folder; List makes
// links to files files of their target's size and leaves the others
// links (a link to "." must not look like a folder to walkers). A
// dangling link stays a link, or is missing.
func TestInteropSymlinks(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range []peer{
		{"vsftpd", peertest.Vsftpd, peertest.Options{}},                                                // LIST, SIZE
		{"proftpd", peertest.ProFTPD, peertest.Options{}},                                              // MLSD OS.unix=symlink; MLST follows type, not size
		{"pure-ftpd", peertest.PureFTPd, peertest.Options{}},                                           // MLSD and MLST OS.unix=slink:
		{"proftpd/no MLSD", peertest.ProFTPD, peertest.Options{Extra: []string{"FactsAdvertise off"}}}, // LIST
	} {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			s := pr.start(t, pr.opts)
			content := []byte(strings.Repeat("0123456789", 4))
			s.WriteFile(t, "work/target.edi", content)
			s.Mkdir(t, "work/realdir")
			s.WriteFile(t, "work/realdir/in.edi", []byte("in"))
			for link, target := range map[string]string{"flink": "target.edi", "dlink": "realdir", "dangling": "nope", "loop": "."} {
				p := filepath.Join(s.Root, "work", link)
				if err := os.Symlink(target, p); err != nil {
					t.Fatal(err)
				}
			}
			ctx := context.Background()
			c, err := Dial(ctx, configFor(s), testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if e, err := c.Stat(ctx, "flink"); err != nil || e.Type != File || e.Size != 40 {
				t.Errorf("Stat(flink) = %+v, %v; want a 40-byte file", e, err)
			}
			// ProFTPD's MLST follows links itself (type=dir), and its LIST
			// leaves out a link to ".", even with -a.
			for _, p := range []string{"dlink", "loop"} {
				e, err := c.Stat(ctx, p)
				if p == "loop" && pr.name == "proftpd/no MLSD" && errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil || e.Type != Dir || !e.Link && pr.name != "proftpd" {
					t.Errorf("Stat(%s) = %+v, %v; want a folder that is a link", p, e, err)
				}
			}
			if e, err := c.Stat(ctx, "dangling"); !errors.Is(err, fs.ErrNotExist) && (err != nil || e.Type != Link) {
				t.Errorf("Stat(dangling) = %+v, %v; want a link or fs.ErrNotExist", e, err)
			}
			if e, err := c.Stat(ctx, "target.edi"); err != nil || e.Type != File || e.Size != 40 || e.Link {
				t.Errorf("Stat(target.edi) = %+v, %v; want a 40-byte file, no link", e, err)
			}
			es, err := c.List(ctx, "/")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Entry{}
			for _, e := range es {
				got[e.Name] = e
			}
			if e := got["flink"]; e.Type != File || e.Size != 40 || !e.Link {
				t.Errorf("listed flink = %+v, want a 40-byte file that is a link", e)
			}
			for _, name := range []string{"dlink", "loop", "dangling"} {
				if e, ok := got[name]; ok && e.Type != Link {
					t.Errorf("listed %s = %+v, want a link", name, e)
				}
			}
			if e := got["realdir"]; e.Type != Dir || e.Link {
				t.Errorf("listed realdir = %+v, want a folder", e)
			}
			var buf bytes.Buffer
			if _, err := c.Retrieve(ctx, "flink", 0, &buf); err != nil || !bytes.Equal(buf.Bytes(), content) {
				t.Errorf("Retrieve(flink) = %q, %v", buf.Bytes(), err)
			}
			if es, err := c.List(ctx, "dlink"); err != nil || len(es) != 1 || es[0].Name != "in.edi" {
				t.Errorf("List(dlink) = %+v, %v", es, err)
			}
		})
	}
}
