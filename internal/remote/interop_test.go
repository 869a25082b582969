package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/secret"
)

// peer is one server configuration the interop tests run against.
type peer struct {
	name  string
	start func(testing.TB, peertest.Options) *peertest.Server
	opts  peertest.Options
}

func interopPeers() []peer {
	var out []peer
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, m := range []peertest.TLSMode{peertest.ExplicitTLS, peertest.ImplicitTLS} {
			out = append(out, peer{"vsftpd/" + m.String() + "/" + tls.VersionName(v), peertest.Vsftpd, peertest.Options{TLS: m, TLSVersion: v}})
		}
		out = append(out,
			peer{"proftpd/explicit/" + tls.VersionName(v), peertest.ProFTPD, peertest.Options{TLSVersion: v}},
			peer{"pure-ftpd/explicit/" + tls.VersionName(v), peertest.PureFTPd, peertest.Options{TLSVersion: v}},
		)
	}
	out = append(out, peer{"proftpd/implicit/TLS 1.3", peertest.ProFTPD, peertest.Options{TLS: peertest.ImplicitTLS}})
	// Wharf's own server, as a separate process.
	out = append(out,
		peer{"wharf/explicit", peertest.Wharf, peertest.Options{}},
		peer{"wharf/implicit/TLS 1.3", peertest.Wharf, peertest.Options{TLS: peertest.ImplicitTLS, TLSVersion: tls.VersionTLS13}},
	)
	return out
}

// configFor returns a client config for s, rooted at its writable directory.
func configFor(s *peertest.Server) Config {
	cfg := Config{
		Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
		Root: s.Dir, RootCAs: s.Cert.Roots, IOTimeout: 20 * time.Second,
	}
	switch s.Opts.TLS {
	case peertest.ImplicitTLS:
		cfg.TLS = TLSImplicit
	case peertest.NoTLS:
		cfg.TLS = TLSNever
	}
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func local(s *peertest.Server, name string) string {
	return filepath.Join(s.Root, "work", filepath.FromSlash(name))
}

func names(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name+":"+e.Type.String())
	}
	sort.Strings(out)
	return out
}

// TestInteropOperations runs every operation against every peer and mode.
func TestInteropOperations(t *testing.T) {
	peertest.Interop(t)
	for _, pr := range interopPeers() {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel()
			s := pr.start(t, pr.opts)
			ctx := context.Background()
			c, err := Dial(ctx, configFor(s), testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// C-13: LIST x3, STOR, STOR (zero bytes), RETR, LIST on one control connection.
			for range 3 {
				if _, err := c.List(ctx, "/"); err != nil {
					t.Fatal(err)
				}
			}
			data := bytes.Repeat([]byte("wharf "), 100000)
			if n, err := c.Store(ctx, "a.bin", bytes.NewReader(data)); err != nil || n != int64(len(data)) {
				t.Fatalf("Store = %d, %v", n, err)
			}
			if _, err := c.Store(ctx, "empty.bin", bytes.NewReader(nil)); err != nil {
				t.Fatalf("Store empty: %v", err)
			}
			if fi, err := os.Stat(local(s, "empty.bin")); err != nil || fi.Size() != 0 {
				t.Fatalf("empty.bin on server: %v, %v", fi, err)
			}
			var buf bytes.Buffer
			if _, err := c.Retrieve(ctx, "a.bin", 0, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("Retrieve = %d bytes, %v", buf.Len(), err)
			}
			buf.Reset()
			if _, err := c.Retrieve(ctx, "a.bin", 599990, &buf); err != nil || buf.String() != "wharf wharf "[2:] {
				t.Fatalf("Retrieve from offset = %q, %v", buf.String(), err)
			}
			if err := c.MakeDir(ctx, "sub"); err != nil {
				t.Fatal(err)
			}
			if err := c.Rename(ctx, "a.bin", "sub/b.bin"); err != nil {
				t.Fatal(err)
			}
			// Store over an existing file replaces it.
			if _, err := c.Store(ctx, "sub/b.bin", bytes.NewReader([]byte("new"))); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(local(s, "sub/b.bin")); string(got) != "new" {
				t.Fatalf("sub/b.bin = %q, want %q", got, "new")
			}
			if _, err := c.Append(ctx, "sub/b.bin", bytes.NewReader([]byte("+more"))); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(local(s, "sub/b.bin")); string(got) != "new+more" {
				t.Fatalf("after Append sub/b.bin = %q", got)
			}
			mtime := time.Date(2024, 2, 29, 12, 34, 56, 0, time.UTC)
			if err := c.SetModTime(ctx, "sub/b.bin", mtime); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(local(s, "sub/b.bin")); err != nil || !fi.ModTime().Equal(mtime) {
				t.Fatalf("mtime on server = %v, %v; want %v", fi.ModTime(), err, mtime)
			}
			e, err := c.Stat(ctx, "sub/b.bin")
			if err != nil || e.Type != File || e.Size != 8 || !e.ModTime.Equal(mtime) {
				t.Fatalf("Stat = %+v, %v", e, err)
			}
			if _, err := c.Stat(ctx, "sub/nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Stat(missing) err = %v, want fs.ErrNotExist", err)
			}
			es, err := c.List(ctx, "sub")
			if err != nil || len(es) != 1 || es[0].Name != "b.bin" || es[0].Size != 8 {
				t.Fatalf("List(sub) = %+v, %v", es, err)
			}
			es, err = c.List(ctx, "/")
			if got := names(es); err != nil || len(got) != 2 || got[0] != "empty.bin:file" || got[1] != "sub:dir" {
				t.Fatalf("List(/) = %v, %v", got, err)
			}
			if err := c.Delete(ctx, "sub/b.bin"); err != nil {
				t.Fatal(err)
			}
			if err := c.RemoveDir(ctx, "sub"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(local(s, "sub")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("sub still on server: %v", err)
			}
			// No temporary upload names are left behind.
			left, _ := os.ReadDir(local(s, ""))
			if len(left) != 1 {
				t.Fatalf("files left on server: %v", left)
			}
		})
	}
}
