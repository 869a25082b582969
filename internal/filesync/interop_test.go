package filesync

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// peer is a real FTP server a sync talks to: dir is the local directory
// behind the sync's remote folder, so tests can seed and check files, and
// seed writes a file there as the server's own user would own it.
type peer struct {
	name string
	cfg  remote.Config
	dir  string
	seed func(t *testing.T, p, content string, mt time.Time)
	// refusing returns a new folder called name on the peer whose files
	// its login may read but not delete (the server answers DELE with
	// 550), and seeds it.
	refusing func(t *testing.T, name string) peer
}

func interopPeers(t *testing.T) []func(t *testing.T) peer {
	return []func(t *testing.T) peer{
		func(t *testing.T) peer { return fromPeertest(t, peertest.Vsftpd(t, peertest.Options{})) },
		func(t *testing.T) peer { return fromPeertest(t, peertest.PureFTPd(t, peertest.Options{})) },
		wharfPeer,
	}
}

func fromPeertest(t *testing.T, s *peertest.Server) peer {
	cfg := remote.Config{Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
		Root: s.Dir, RootCAs: s.Cert.Roots, IOTimeout: 20 * time.Second, MaxConns: 8}
	switch s.Opts.TLS {
	case peertest.ImplicitTLS:
		cfg.TLS = remote.TLSImplicit
	case peertest.NoTLS:
		cfg.TLS = remote.TLSNever
	}
	dir := filepath.Join(s.Root, filepath.FromSlash(strings.TrimPrefix(s.Dir, "/")))
	var pr peer
	pr = peer{name: s.Kind, cfg: cfg, dir: dir, refusing: func(t *testing.T, name string) peer {
		// A folder owned by root (this test's user) and not writable by
		// the server's user: vsftpd answers "550 Delete operation failed.".
		q := sub(t, pr, name)
		if err := os.Chown(q.dir, 0, 0); err != nil {
			t.Fatal(err)
		}
		q.seed = func(t *testing.T, f, content string, mt time.Time) { write(t, q.dir, f, content, mt) }
		return q
	}, seed: func(t *testing.T, p, content string, mt time.Time) {
		rel := strings.TrimPrefix(s.Dir, "/")
		parts := strings.Split(p, "/")
		for i := range parts[:len(parts)-1] {
			d := rel + "/" + strings.Join(parts[:i+1], "/")
			if _, err := os.Stat(filepath.Join(s.Root, d)); err != nil {
				s.Mkdir(t, d)
			}
		}
		s.WriteFile(t, rel+"/"+p, []byte(content))
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(p)), mt, mt); err != nil {
			t.Fatal(err)
		}
	}}
	return pr
}

// wharfPeer starts a second Wharf instance and logs in as a staff user.
func wharfPeer(t *testing.T) peer {
	peertest.Interop(t)
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	hash, err := password.Hash("peer-pass")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccount(ctx, &store.Account{Name: "ops", Kind: store.Staff, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	// A partner, whose send/ is read-only for it.
	hub := store.Account{Name: "hub", Kind: store.Partner, PasswordHash: hash}
	if err := st.CreateAccount(ctx, &hub); err != nil {
		t.Fatal(err)
	}
	files := filepath.Join(dir, "files")
	if err := ftpserver.EnsureHome(files, hub); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(files, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := ftpserver.New(ftpserver.Config{Listen: "127.0.0.1:0", LoginFailDelay: time.Millisecond},
		ftpserver.Options{Store: st, FileRoot: files, DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	host, port := splitAddr(t, srv.Addr().String())
	cfg := remote.Config{Host: host, Port: port, User: "ops", Password: "peer-pass", Root: "/work",
		AllowSelfSigned: true, AllowNameMismatch: true, IOTimeout: 20 * time.Second, MaxConns: 8}
	return peer{name: "wharf", cfg: cfg, dir: work, seed: func(t *testing.T, p, content string, mt time.Time) {
		write(t, work, p, content, mt)
	}, refusing: func(t *testing.T, name string) peer {
		// The partner's send/, where it may download but not delete.
		q := peer{name: "wharf", cfg: cfg, dir: filepath.Join(files, "hub", "send", name)}
		q.cfg.User, q.cfg.Root = "hub", "/send/"+name
		if err := os.MkdirAll(q.dir, 0o750); err != nil {
			t.Fatal(err)
		}
		q.seed = func(t *testing.T, f, content string, mt time.Time) { write(t, q.dir, f, content, mt) }
		return q
	}}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	i := strings.LastIndex(addr, ":")
	var port int
	for _, c := range addr[i+1:] {
		port = port*10 + int(c-'0')
	}
	return addr[:i], port
}

// interopEnv is env with a real remote.Pool in place of the fake.
func interopEnv(t *testing.T, p peer, sy store.Sync) (*env, *remote.Pool) {
	t.Helper()
	pool, err := remote.NewPool(p.cfg, remote.PoolOptions{Backoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	e := newEnv(t, sy)
	e.rem.root = p.dir // for tree(); the engine uses the pool
	e.engine = New(e.st, endpoints{files: e.files, rem: pool}, Config{RetryWait: 10 * time.Millisecond})
	return e, pool
}

// visible drops the upload temporaries a hidden-file server may keep.
func visible(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.HasSuffix(k, remoteTempSuffix) {
			out[k] = v
		}
	}
	return out
}

func TestInterop(t *testing.T) {
	peertest.Interop(t)
	for _, start := range interopPeers(t) {
		p := start(t)
		t.Run(p.name, func(t *testing.T) { interopSuite(t, p) })
	}
}

// sub gives each case its own remote folder on the shared peer.
func sub(t *testing.T, p peer, name string) peer {
	q := p
	q.cfg.Root = strings.TrimSuffix(p.cfg.Root, "/") + "/" + name
	q.dir = filepath.Join(p.dir, name)
	seed := p.seed
	q.seed = func(t *testing.T, f, content string, mt time.Time) { seed(t, name+"/"+f, content, mt) }
	// Create the folder as the server's user.
	p.seed(t, name+"/.keep", "", t0)
	os.Remove(filepath.Join(q.dir, ".keep"))
	return q
}

func interopSuite(t *testing.T, p peer) {
	t.Run("push", func(t *testing.T) {
		for _, after := range []string{store.AfterCopyKeep, store.AfterCopyDelete} {
			t.Run(after, func(t *testing.T) {
				q := sub(t, p, "push-"+after)
				e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPush, AfterCopy: after})
				write(t, e.local, "a.edi", "alpha", t0)
				write(t, e.local, "in/deep/b.edi", strings.Repeat("b", 100000), t0.Add(time.Hour))
				want := tree(t, e.local)
				if res := e.mustRun(); res.Run.Copied != 2 {
					t.Fatalf("run = %+v, want 2 copied", res.Run)
				}
				if d := cmp.Diff(want, visible(tree(t, q.dir))); d != "" {
					t.Errorf("remote (-want +got):\n%s", d)
				}
				if after == store.AfterCopyDelete {
					if left := tree(t, e.local); len(left) != 0 {
						t.Errorf("sources left after push with delete: %v", keys(left))
					}
				}
				// No-op, then exactly-once after the partner consumes a file.
				if res := e.mustRun(); res.Run.Copied != 0 {
					t.Errorf("second run copied %d, want 0", res.Run.Copied)
				}
				remove(t, q.dir, "a.edi")
				if res := e.mustRun(); res.Run.Copied != 0 {
					t.Errorf("run after consumption copied %d, want 0", res.Run.Copied)
				}
				if d := cmp.Diff(map[string]int{"a.edi": 1, "in/deep/b.edi": 1}, e.delivered()); d != "" {
					t.Errorf("deliveries (-want +got):\n%s", d)
				}
			})
		}
	})
	t.Run("pull", func(t *testing.T) {
		for _, after := range []string{store.AfterCopyKeep, store.AfterCopyDelete} {
			t.Run(after, func(t *testing.T) {
				q := sub(t, p, "pull-"+after)
				q.seed(t, "x.edi", "xray", t0)
				q.seed(t, "d/y.edi", "yankee", t0)
				e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPull, AfterCopy: after})
				if res := e.mustRun(); res.Run.Copied != 2 {
					t.Fatalf("run = %+v, want 2 copied", res.Run)
				}
				want := map[string]string{"x.edi": "xray", "d/y.edi": "yankee"}
				if d := cmp.Diff(want, tree(t, e.local)); d != "" {
					t.Errorf("local (-want +got):\n%s", d)
				}
				// LIST-only servers (vsftpd) give minutes; see modTimer.
				if got := mtime(t, e.local, "x.edi"); !got.Equal(t0) && !(p.name == "vsftpd" && got.Equal(t0.Truncate(time.Minute))) {
					t.Errorf("local mtime %v, want %v", got, t0)
				}
				if after == store.AfterCopyDelete {
					want = map[string]string{}
				}
				if d := cmp.Diff(want, visible(tree(t, q.dir))); d != "" {
					t.Errorf("remote (-want +got):\n%s", d)
				}
				remove(t, e.local, "x.edi")
				if res := e.mustRun(); res.Run.Copied != 0 {
					t.Errorf("run after local consumption copied %d, want 0", res.Run.Copied)
				}
			})
		}
	})
	t.Run("two-way", func(t *testing.T) {
		q := sub(t, p, "two-way")
		e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay, MaxDelete: 100})
		for _, n := range []string{"1", "2", "3"} {
			write(t, e.local, "l"+n+".edi", "local "+n, t0)
			q.seed(t, "r/r"+n+".edi", "remote "+n, t0)
		}
		e.mustRun()
		if d := cmp.Diff(tree(t, e.local), visible(tree(t, q.dir))); d != "" {
			t.Fatalf("trees differ (-local +remote):\n%s", d)
		}
		if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
			t.Errorf("no-op run did %+v", res.Run)
		}
		remove(t, e.local, "l1.edi")
		remove(t, q.dir, "r/r1.edi")
		write(t, e.local, "l2.edi", "local 2 changed", t0.Add(time.Hour))
		if res := e.mustRun(); res.Run.Deleted != 2 || res.Run.Copied != 1 {
			t.Errorf("run = %+v, want 2 deleted, 1 copied", res.Run)
		}
		if d := cmp.Diff(tree(t, e.local), visible(tree(t, q.dir))); d != "" {
			t.Errorf("trees differ (-local +remote):\n%s", d)
		}
	})
	t.Run("conflicts", func(t *testing.T) {
		for _, pol := range []string{store.ConflictNewer, store.ConflictKeepBoth, store.ConflictLocal, store.ConflictRemote} {
			t.Run(pol, func(t *testing.T) {
				q := sub(t, p, "conflict-"+pol)
				e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay, Conflict: pol})
				write(t, e.local, "f.edi", "base", t0)
				write(t, e.local, "g.edi", "other", t0)
				e.mustRun()
				write(t, e.local, "f.edi", "local edit", t0.Add(time.Hour))
				q.seed(t, "f.edi", "remote edit, newer", t0.Add(2*time.Hour))
				res, err := runAt(e, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
				if err != nil || len(res.Errors) > 0 || res.Run.Conflicts != 1 {
					t.Fatalf("run = %+v, %v, %v; want 1 conflict", res.Run, err, res.Errors)
				}
				loc := tree(t, e.local)
				if d := cmp.Diff(loc, visible(tree(t, q.dir))); d != "" {
					t.Errorf("trees differ (-local +remote):\n%s", d)
				}
				cl, cr := "f.conflict-local-20261120T120000Z.edi", "f.conflict-remote-20261120T120000Z.edi"
				want := map[string]map[string]string{
					store.ConflictNewer:    {"f.edi": "remote edit, newer", cl: "local edit"},
					store.ConflictRemote:   {"f.edi": "remote edit, newer", cl: "local edit"},
					store.ConflictLocal:    {"f.edi": "local edit", cr: "remote edit, newer"},
					store.ConflictKeepBoth: {cl: "local edit", cr: "remote edit, newer"},
				}[pol]
				want["g.edi"] = "other"
				if d := cmp.Diff(want, loc); d != "" {
					t.Errorf("tree (-want +got):\n%s", d)
				}
				if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
					t.Errorf("run after settling did %+v", res.Run)
				}
			})
		}
	})
	t.Run("conflict-newer-by-a-second", func(t *testing.T) {
		// vsftpd's LIST gives minutes; MDTM tells the remote edit is a
		// second newer.
		q := sub(t, p, "conflict-seconds")
		e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay, Conflict: store.ConflictNewer})
		write(t, e.local, "f.edi", "base", t0)
		e.mustRun()
		edit := t0.Add(time.Hour)
		write(t, e.local, "f.edi", "local edit", edit)
		q.seed(t, "f.edi", "remote edit", edit.Add(time.Second))
		res, err := runAt(e, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
		if err != nil || len(res.Errors) > 0 || res.Run.Conflicts != 1 {
			t.Fatalf("run = %+v, %v, %v; want 1 conflict", res.Run, err, res.Errors)
		}
		want := map[string]string{"f.edi": "remote edit", "f.conflict-local-20261120T120000Z.edi": "local edit"}
		if d := cmp.Diff(want, tree(t, e.local)); d != "" {
			t.Errorf("local (-want +got):\n%s", d)
		}
		if d := cmp.Diff(want, visible(tree(t, q.dir))); d != "" {
			t.Errorf("remote (-want +got):\n%s", d)
		}
		if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
			t.Errorf("run after settling did %+v", res.Run)
		}
	})
	t.Run("redelivery", func(t *testing.T) {
		// The partner uploads daily.edi twice with the same MFMT time
		// (a date-only LIST line on vsftpd): the second upload, after the
		// first one's source was removed, is a new delivery.
		for _, dir := range []string{store.SyncPush, store.SyncPull} {
			t.Run(dir, func(t *testing.T) {
				q := sub(t, p, "redelivery-"+dir)
				e, _ := interopEnv(t, q, store.Sync{Direction: dir, AfterCopy: store.AfterCopyDelete})
				src, dst := e.local, q.dir
				put := func(content string) { write(t, e.local, "daily.edi", content, mfmt) }
				if dir == store.SyncPull {
					src, dst = dst, src
					put = func(content string) { q.seed(t, "daily.edi", content, mfmt) }
				}
				for _, content := range []string{"AAAA", "BBBB"} {
					put(content)
					if res := e.mustRun(); res.Run.Copied != 1 {
						t.Fatalf("run after %s arrived = %+v, want 1 copied", content, res.Run)
					}
					if got := visible(tree(t, dst))["daily.edi"]; got != content {
						t.Errorf("target daily.edi = %q, want %q", got, content)
					}
					if left := visible(tree(t, src)); len(left) != 0 {
						t.Errorf("sources left: %v", left)
					}
				}
				if d := cmp.Diff(map[string]int{"daily.edi": 2}, e.delivered()); d != "" {
					t.Errorf("deliveries (-want +got):\n%s", d)
				}
			})
		}
	})
	t.Run("delete-refused", func(t *testing.T) {
		// A pull deleting its sources from a folder where the server
		// refuses DELE with 550: the copy is made once, each run fails
		// the delete with the server's reply, and the source stays.
		q := p.refusing(t, "refused")
		q.seed(t, "r.edi", "romeo", t0)
		e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
		for i, wantCopied := range []int{1, 0} {
			res, err := e.run(RunOptions{})
			if err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
			if res.Run.Status != store.RunPartial || res.Run.Copied != wantCopied || res.Run.Deleted != 0 || len(res.Errors) != 1 {
				t.Fatalf("run %d = %+v, errors %v; want partial, %d copied, the delete failed", i+1, res.Run, res.Errors, wantCopied)
			}
			if msg := res.Errors[0].Error(); !strings.Contains(msg, "refused to delete") || !strings.Contains(msg, "550") {
				t.Errorf("run %d: error %q does not give the refusal and the reply", i+1, msg)
			}
			t.Logf("run %d: %v", i+1, res.Errors[0])
		}
		if got := visible(tree(t, q.dir)); got["r.edi"] != "romeo" {
			t.Errorf("remote after refused deletes = %v, want r.edi kept", got)
		}
		if got := tree(t, e.local)["r.edi"]; got != "romeo" {
			t.Errorf("local r.edi = %q, want the copy", got)
		}
		if d := cmp.Diff(map[string]int{"r.edi": 1}, e.delivered()); d != "" {
			t.Errorf("deliveries (-want +got):\n%s", d)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		// A remote set read-only: the pool refuses every change, so a
		// pull deleting its sources copies once and fails each delete
		// without wedging later runs; a push fails without retrying.
		q := sub(t, p, "read-only")
		q.seed(t, "s.edi", "sierra", t0)
		q.cfg.ReadOnly = true
		e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPull, AfterCopy: store.AfterCopyDelete})
		for i, wantCopied := range []int{1, 0} {
			res, err := e.run(RunOptions{})
			if err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
			if res.Run.Status != store.RunPartial || res.Run.Copied != wantCopied || len(res.Errors) != 1 ||
				!strings.Contains(res.Errors[0].Error(), "read-only") {
				t.Fatalf("run %d = %+v, errors %v; want partial, %d copied, the delete refused as read-only", i+1, res.Run, res.Errors, wantCopied)
			}
		}
		if got := visible(tree(t, q.dir)); got["s.edi"] != "sierra" {
			t.Errorf("read-only remote changed: %v", got)
		}
		e.sync.AfterCopy = store.AfterCopyKeep
		if err := e.st.UpdateSync(context.Background(), &e.sync); err != nil {
			t.Fatal(err)
		}
		if res := e.mustRun(); res.Run.Copied != 0 {
			t.Errorf("run with --after-copy keep copied %d, want 0", res.Run.Copied)
		}
	})
	t.Run("filter-and-dry-run", func(t *testing.T) {
		q := sub(t, p, "filter")
		e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncPush, Filter: "*.edi"})
		write(t, e.local, "a.edi", "a", t0)
		write(t, e.local, "b.txt", "b", t0)
		write(t, e.local, "c.edi.tmp", "c", t0)
		e.engine.cfg.TempExtensions = []string{".tmp"}
		res, err := e.run(RunOptions{DryRun: true})
		if err != nil || res.Plan.Count(Push) != 1 {
			t.Fatalf("dry run = %+v, %v; want 1 push", res.Plan, err)
		}
		if got := visible(tree(t, q.dir)); len(got) != 0 {
			t.Errorf("dry run copied %v", keys(got))
		}
		e.mustRun()
		if d := cmp.Diff(map[string]string{"a.edi": "a"}, visible(tree(t, q.dir))); d != "" {
			t.Errorf("remote (-want +got):\n%s", d)
		}
	})
	t.Run("guard-and-cut-listing", func(t *testing.T) {
		q := sub(t, p, "guard")
		e, _ := interopEnv(t, q, store.Sync{Direction: store.SyncTwoWay})
		for _, n := range []string{"a", "b", "c", "d"} {
			write(t, e.local, "s/"+n+".edi", n, t0)
		}
		write(t, e.local, "top.edi", "t", t0)
		e.mustRun()
		for _, n := range []string{"a", "b", "c"} {
			remove(t, q.dir, "s/"+n+".edi")
		}
		if _, err := e.run(RunOptions{}); !errors.Is(err, ErrTooManyDeletes) {
			t.Errorf("run deleting 3 of 5 = %v, want ErrTooManyDeletes", err)
		}
		if got := len(tree(t, e.local)); got != 5 {
			t.Errorf("refused run left %d local files, want 5", got)
		}
		// A directory the server cannot list: the run stops, nothing is
		// deleted even when forced.
		sdir := filepath.Join(q.dir, "s")
		if err := os.Chmod(sdir, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(sdir, 0o755)
		_, err := e.run(RunOptions{Force: true})
		switch p.name {
		case "wharf":
			// Wharf runs as this test's user (root here), which can read
			// a mode 000 directory: nothing to cut short.
			t.Logf("wharf peer: listing of a mode-0 directory as root = %v", err)
		default:
			if err == nil {
				t.Errorf("run with an unreadable remote directory succeeded")
			}
			if got := len(tree(t, e.local)); got != 5 {
				t.Errorf("failed listing left %d local files, want 5", got)
			}
		}
	})
}
