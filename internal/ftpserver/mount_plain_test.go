package ftpserver_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
)

// Plain FTP on both legs: a mount download is spliced from the remote's
// data connection to the client's in the kernel. The bytes, resumed
// downloads, a client that leaves mid-transfer and a remote killed
// mid-transfer must all behave as with TLS.
func TestMountPlainRelay(t *testing.T) {
	interop(t, "curl")
	s := peertest.Vsftpd(t, peertest.Options{TLS: peertest.NoTLS})
	b := backend{
		name: "vsftpd",
		cfg: remote.Config{Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
			TLS: remote.TLSNever, IOTimeout: 10 * time.Second},
		dir: filepath.Join(s.Root, s.Dir), root: s.Dir, kill: s.Kill,
	}
	data := randomData(t, 40<<20) // past several chunk doublings
	if err := os.WriteFile(filepath.Join(b.dir, "big.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	ts := mountServer(t, b, 4, 5*time.Second)
	ctx := context.Background()
	a, err := ts.store.Account(ctx, "ops")
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	a.Policy.AllowPlain = &yes
	if err := ts.store.UpdateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	url := "ftp://127.0.0.1:" + strconv.Itoa(port(ts.addr)) + "/bank/big.bin"
	ops := []string{"-u", "ops:" + testPass}

	got := filepath.Join(t.TempDir(), "got.bin")
	if r := curl(t, append(ops, "-o", got, url)...); r.exit != 0 {
		t.Fatalf("plain download through the mount: %s", r)
	}
	if fileSum(got) != sum(data) {
		t.Fatalf("downloaded file differs from the remote's")
	}
	part := filepath.Join(t.TempDir(), "part.bin")
	writeFile(t, part, data[:12345678])
	if r := curl(t, append(ops, "-C", "-", "-o", part, url)...); r.exit != 0 {
		t.Fatalf("resumed plain download: %s", r)
	}
	if fileSum(part) != sum(data) {
		t.Fatalf("resumed download differs from the remote's")
	}

	// A client that reads a little and leaves: the session and the pool
	// keep working.
	c := ts.dial(t, "ops", true)
	r, err := c.Retr("/bank/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	r.Close() // ABOR mid-transfer; the reply may say 426
	for range 3 {
		rr, err := c.Retr("/bank/big.bin")
		if err != nil {
			t.Fatalf("download after an aborted one: %v", err)
		}
		n, err := io.Copy(io.Discard, rr)
		if cerr := rr.Close(); err != nil || cerr != nil || n != int64(len(data)) {
			t.Fatalf("download after an aborted one: %d bytes, %v, %v", n, err, cerr)
		}
	}

	// The remote dies mid-transfer: the client must not see a success.
	rr, err := c.Retr("/bank/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rr, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	b.kill()
	n, _ := io.Copy(io.Discard, rr)
	if cerr := rr.Close(); cerr == nil && n+1<<20 == int64(len(data)) {
		t.Skip("the whole file was already in socket buffers when the remote died")
	} else if cerr == nil {
		t.Errorf("download cut at %d bytes by a killed remote ended with success", n+1<<20)
	}
}
