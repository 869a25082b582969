package ftpserver_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// backend is a remote server behind a mount, with the local directory its
// mounted folder lives in.
type backend struct {
	name string
	cfg  remote.Config
	dir  string // local directory of the mounted remote folder
	root string // remote path of that folder
	kill func()
	log  func() string // the remote's transfer log; nil when it has none
}

func vsftpdBackend(t *testing.T) backend {
	s := peertest.Vsftpd(t, peertest.Options{})
	return backend{
		name: "vsftpd",
		cfg: remote.Config{Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
			RootCAs: s.Cert.Roots, IOTimeout: 10 * time.Second},
		dir: filepath.Join(s.Root, s.Dir), root: s.Dir, kill: s.Kill, log: s.Log,
	}
}

func wharfBackend(t *testing.T) backend {
	ts := startServer(t, ftpserver.Config{})
	host, p, _ := net.SplitHostPort(ts.addr)
	n, _ := strconv.Atoi(p)
	return backend{
		name: "wharf",
		cfg: remote.Config{Host: host, Port: n, User: "ops", Password: secret.Secret(testPass),
			AllowSelfSigned: true, IOTimeout: 10 * time.Second},
		dir: filepath.Join(ts.root, "acme", "receive"), root: "/acme/receive",
	}
}

// mountServer starts a Wharf whose staff account "ops" has /bank mounted
// on b's folder, and whose partner acme has a read-only mount at
// /send/bank. maxConns sizes the remote pool.
func mountServer(t *testing.T, b backend, maxConns int, opTimeout time.Duration) *testServer {
	t.Helper()
	cfg := b.cfg
	cfg.MaxConns = maxConns
	pool, err := remote.NewPool(cfg, remote.PoolOptions{MaxAttempts: 2, Backoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	yes := true
	ts := startServerWith(t, ftpserver.Config{}, func(o *ftpserver.Options) {
		o.OpenMount = func(ctx context.Context, m store.Mount) (vfs.FS, error) {
			return ftpfs.New(ctx, ftpfs.FromPool(pool), ftpfs.Options{
				Remote: m.Remote, Root: b.root, ReadOnly: m.ReadOnly, OpTimeout: opTimeout,
			}), nil
		}
	}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
	for _, m := range []store.Mount{{Account: "ops", Path: "/bank", Remote: b.name}, {Account: "acme", Path: "/send/bank", Remote: b.name, ReadOnly: true}} {
		if err := ts.store.CreateMount(context.Background(), &m); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

func TestMountOperations(t *testing.T) {
	interop(t, "curl", "lftp")
	for _, mk := range []func(*testing.T) backend{vsftpdBackend, wharfBackend} {
		b := mk(t)
		t.Run(b.name, func(t *testing.T) {
			ts := mountServer(t, b, 4, 5*time.Second)
			url := "ftp://127.0.0.1:" + strconv.Itoa(port(ts.addr))
			ops := []string{"--ssl-reqd", "-k", "-u", "ops:" + testPass}
			data := randomData(t, 3<<20)
			local := filepath.Join(t.TempDir(), "up.bin")
			writeFile(t, local, data)

			// STOR streams to the remote, which sees only the final name.
			if r := curl(t, append(ops, "-T", local, url+"/bank/up.bin")...); r.exit != 0 {
				t.Fatalf("upload into mount: %s", r)
			}
			if got := fileSum(filepath.Join(b.dir, "up.bin")); got != sum(data) {
				t.Fatalf("remote file sum %s, want %s", got, sum(data))
			}
			if !ts.hasEvent(t, store.EventReceived, "/bank/up.bin") {
				t.Errorf("no received event for the mount upload")
			}
			// APPE.
			tail := filepath.Join(t.TempDir(), "tail")
			writeFile(t, tail, []byte("TAIL"))
			if r := curl(t, append(ops, "--append", "-T", tail, url+"/bank/up.bin")...); r.exit != 0 {
				t.Fatalf("append into mount: %s", r)
			}
			if got := fileSum(filepath.Join(b.dir, "up.bin")); got != sum(append(append([]byte(nil), data...), "TAIL"...)) {
				t.Errorf("after APPE remote sum %s", got)
			}
			// LIST, NLST, SIZE/MDTM (curl -I), RETR with REST (-C -).
			if r := curl(t, append(ops, url+"/bank/")...); r.exit != 0 || !strings.Contains(r.stdout, "up.bin") {
				t.Errorf("LIST mount: %s", r)
			}
			if r := curl(t, append(ops, "--list-only", url+"/bank/")...); r.exit != 0 || strings.TrimSpace(r.stdout) != "up.bin" {
				t.Errorf("NLST mount = %q: %s", r.stdout, r)
			}
			if r := curl(t, append(ops, "-I", url+"/bank/up.bin")...); r.exit != 0 || !strings.Contains(r.stdout, "Content-Length: "+strconv.Itoa(len(data)+4)) {
				t.Errorf("SIZE through mount: %s", r)
			}
			part := filepath.Join(t.TempDir(), "dl.bin")
			writeFile(t, part, data[:1<<20])
			if r := curl(t, append(ops, "-C", "-", "-o", part, url+"/bank/up.bin")...); r.exit != 0 {
				t.Fatalf("resumed download: %s", r)
			}
			if got := fileSum(part); got != sum(append(append([]byte(nil), data...), "TAIL"...)) {
				t.Errorf("resumed download differs")
			}
			if b.log != nil && strings.Contains(b.log(), "FAIL DOWNLOAD") {
				// The REST goes to the remote with the RETR; no download
				// from 0 started and dropped.
				t.Errorf("the remote logged an aborted download:\n%s", b.log())
			}
			// MKD, RNFR/RNTO (file and folder), MFMT, DELE, RMD.
			q := func(cmds ...string) result {
				args := append([]string(nil), ops...)
				for _, c := range cmds {
					args = append(args, "-Q", c)
				}
				return curl(t, append(args, url+"/")...)
			}
			if r := q("MKD /bank/d", "RNFR /bank/up.bin", "RNTO /bank/d/up.bin", "MFMT 20240102030405 /bank/d/up.bin"); r.exit != 0 {
				t.Fatalf("MKD/RNFR/RNTO/MFMT: %s", r)
			}
			fi, err := os.Stat(filepath.Join(b.dir, "d", "up.bin"))
			if err != nil || fi.ModTime().UTC().Format("20060102150405") != "20240102030405" {
				t.Errorf("after rename+MFMT remote stat = %v, %v", fi, err)
			}
			if r := q("RNFR /bank/d", "RNTO /bank/e"); r.exit != 0 {
				t.Fatalf("rename folder: %s", r)
			}
			if r := q("DELE /bank/e/up.bin", "RMD /bank/e"); r.exit != 0 {
				t.Fatalf("DELE/RMD: %s", r)
			}
			if _, err := os.Stat(filepath.Join(b.dir, "e")); !os.IsNotExist(err) {
				t.Errorf("folder still on the remote after RMD: %v", err)
			}
			// lftp mirrors a tree into the mount and back (MLSD through the mount).
			tree := t.TempDir()
			for i := 0; i < 5; i++ {
				writeFile(t, filepath.Join(tree, "t", "f"+strconv.Itoa(i)+".edi"), randomData(t, 10000))
			}
			lftp := func(script string) result {
				return run(t, nil, "lftp", "-c", "set ssl:verify-certificate no; set ftp:ssl-force true; set ftp:ssl-protect-data true; set net:max-retries 1; open -u ops,'"+testPass+"' "+url+"; "+script)
			}
			if r := lftp("mirror -R " + filepath.Join(tree, "t") + " /bank/t"); r.exit != 0 {
				t.Fatalf("lftp mirror -R into mount: %s", r)
			}
			back := t.TempDir()
			if r := lftp("mirror /bank/t " + filepath.Join(back, "t")); r.exit != 0 {
				t.Fatalf("lftp mirror from mount: %s", r)
			}
			for i := 0; i < 5; i++ {
				n := "f" + strconv.Itoa(i) + ".edi"
				if fileSum(filepath.Join(tree, "t", n)) != fileSum(filepath.Join(b.dir, "t", n)) || fileSum(filepath.Join(tree, "t", n)) != fileSum(filepath.Join(back, "t", n)) {
					t.Errorf("%s differs after mirroring through the mount", n)
				}
			}
			// The partner's read-only mount lists but refuses writes.
			acme := []string{"--ssl-reqd", "-k", "-u", "acme:" + testPass}
			if r := curl(t, append(acme, "--list-only", url+"/send/bank/")...); r.exit != 0 || !strings.Contains(r.stdout, "t") {
				t.Errorf("partner LIST of read-only mount: %s", r)
			}
			if r := curl(t, append(acme, "-T", tail, url+"/send/bank/x.edi")...); r.exit == 0 {
				t.Errorf("upload into read-only mount succeeded")
			}
			if _, err := os.Stat(filepath.Join(b.dir, "x.edi")); !os.IsNotExist(err) {
				t.Errorf("refused upload reached the remote")
			}
		})
	}
}

func TestMountPoolExhaustion(t *testing.T) {
	interop(t, "curl")
	b := vsftpdBackend(t)
	if err := os.WriteFile(filepath.Join(b.dir, "big.bin"), make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := mountServer(t, b, 1, time.Second)
	// A download that is not read holds the only pooled connection.
	hold := ts.dial(t, "ops", false)
	r, err := hold.Retr("/bank/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 1024)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	other := ts.dial(t, "ops", false)
	_, err = other.List("/bank")
	if err == nil || !strings.HasPrefix(err.Error(), "451") || !strings.Contains(err.Error(), "vsftpd") {
		t.Fatalf("List with the pool exhausted = %v, want a 451 naming the remote", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusal took %v; want about the 1s wait", d)
	}
	// Local folders keep working meanwhile.
	if err := other.Stor("/acme/receive/local.edi", strings.NewReader("x")); err != nil {
		t.Errorf("local upload while the pool is exhausted: %v", err)
	}
}

func TestMountRemoteKilledMidTransfer(t *testing.T) {
	interop(t, "curl")
	b := vsftpdBackend(t)
	if err := os.WriteFile(filepath.Join(b.dir, "big.bin"), make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := mountServer(t, b, 2, 2*time.Second)
	c := ts.dial(t, "ops", false)
	r, err := c.Retr("/bank/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	b.kill()
	for err == nil {
		_, err = r.Read(buf)
	}
	if cerr := r.Close(); cerr == nil {
		t.Errorf("download from a killed remote ended with success")
	}
	// The remote is down: operations in the mount get a 4xx naming it, and
	// the rest of the server keeps working.
	if _, err := c.List("/bank"); err == nil || !strings.HasPrefix(err.Error(), "451") {
		t.Errorf("List with the remote down = %v, want 451", err)
	}
	if err := c.Stor("/acme/receive/still.edi", strings.NewReader("ok")); err != nil {
		t.Errorf("local upload with the remote down: %v", err)
	}
}

// TestMountClientAbortLeavesNothing: a client killed mid-upload into a mount
// (a FIN without TLS close_notify) aborts the remote upload, and the remote
// keeps neither the file nor its temporary name.
func TestMountClientAbortLeavesNothing(t *testing.T) {
	interop(t, "curl")
	b := vsftpdBackend(t)
	ts := mountServer(t, b, 2, 5*time.Second)
	local := filepath.Join(t.TempDir(), "big.bin")
	writeFile(t, local, randomData(t, 16<<20))
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "curl", "-sS", "--ssl-reqd", "-k", "-u", "ops:"+testPass, "--limit-rate", "2M",
		"-T", local, "ftp://127.0.0.1:"+strconv.Itoa(port(ts.addr))+"/bank/big.bin")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the upload reached the remote (its temporary name shows up).
	waitFor(ctx, t, "the upload to reach the remote", func() bool {
		ents, _ := os.ReadDir(b.dir)
		return len(ents) > 0
	})
	cmd.Process.Kill()
	cmd.Wait()
	// The server records the abort once the remote upload is torn down.
	waitFor(ctx, t, "an aborted event for the killed upload", func() bool {
		return ts.hasEvent(t, store.EventAborted, "/bank/big.bin")
	})
	ents, _ := os.ReadDir(b.dir)
	for _, e := range ents {
		t.Errorf("left on the remote after the client was killed: %s", e.Name())
	}
}

// waitFor polls an outside condition (a peer's files, the event log) that
// offers no notification, until ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}
