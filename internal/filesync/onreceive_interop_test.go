package filesync

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/password"
	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropOnReceive drives an --on-receive push the way `wharf serve`
// does: a partner uploads to this Wharf's FTP server, whose events the
// scheduler watches, and the sync pushes to vsftpd. A burst of uploads
// is pushed in a few runs, not one per file; a file uploaded under a
// temp extension goes once it is renamed to its final name, never under
// the temp name; and a file the partner renames in its folder is pushed
// under the new name without waiting for another upload. (An aborted
// upload records no received event: ftpserver's abort tests, and
// TestSchedulerRenameTriggers for the scheduler's side.)
func TestInteropOnReceive(t *testing.T) {
	peertest.Interop(t)
	p := sub(t, fromPeertest(t, peertest.Vsftpd(t, peertest.Options{})), "onreceive")
	e, _ := interopEnv(t, p, store.Sync{Folder: "acme/receive", Direction: store.SyncPush, OnReceive: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const pw = "partner-pw-123456"
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	acme := store.Account{Name: "acme", Kind: store.Partner, PasswordHash: hash}
	if err := e.st.CreateAccount(ctx, &acme); err != nil {
		t.Fatal(err)
	}
	if err := ftpserver.EnsureHome(e.files, acme); err != nil {
		t.Fatal(err)
	}
	srv, err := ftpserver.New(ftpserver.Config{Listen: "127.0.0.1:0", LoginFailDelay: time.Millisecond, TempExtensions: ".part"},
		ftpserver.Options{Store: e.st, FileRoot: e.files, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	runs := &countingRunner{r: e.engine}
	sch := NewScheduler(runs, e.st, SchedulerConfig{Events: e.st, PollEvents: 20 * time.Millisecond})
	scheduled := make(chan error, 1)
	go func() { scheduled <- sch.Run(ctx) }()
	defer func() {
		cancel()
		<-scheduled
		<-served
	}()

	login := func() *ftp.ServerConn {
		t.Helper()
		c, err := ftp.Dial(srv.Addr().String(), ftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "localhost",
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}), ftp.DialWithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Login("acme", pw); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := login()
	defer c.Quit()
	// waitRemote waits until the remote holds exactly want (visible files).
	waitRemote := func(what string, want map[string]string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := visibleNow(p.dir)
			if fmt.Sprint(got) == fmt.Sprint(want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: remote holds %d files %v, want %d", what, len(got), keysOf(got), len(want))
			}
			time.Sleep(20 * time.Millisecond) // polling the remote's folder
		}
	}
	want := map[string]string{}
	// A burst.
	before := runs.n()
	for i := range 50 {
		name := fmt.Sprintf("burst-%02d.edi", i)
		if err := c.Stor("/receive/"+name, bytes.NewReader([]byte(name))); err != nil {
			t.Fatal(err)
		}
		want[name] = name
	}
	waitRemote("after a burst of 50 uploads", want)
	if n := runs.n() - before; n > 25 {
		t.Errorf("%d runs for a burst of 50 uploads, want a few", n)
	}
	// Under a temp extension, then renamed.
	if err := c.Stor("/receive/slow.edi.part", bytes.NewReader([]byte("slow"))); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/receive/slow.edi.part", "/receive/slow.edi"); err != nil {
		t.Fatal(err)
	}
	want["slow.edi"] = "slow"
	waitRemote("after an upload renamed from its temp extension", want)
	// Renamed in the folder after it was pushed: the new name is a new
	// file to send.
	if err := c.Rename("/receive/slow.edi", "/receive/renamed.edi"); err != nil {
		t.Fatal(err)
	}
	want["renamed.edi"] = "slow"
	waitRemote("after a rename in the folder", want)
	// A last upload to know the scheduler saw everything before it.
	if err := c.Stor("/receive/last.edi", bytes.NewReader([]byte("last"))); err != nil {
		t.Fatal(err)
	}
	want["last.edi"] = "last"
	waitRemote("after the last upload", want)
	for f, n := range e.delivered() {
		if n != 1 {
			t.Errorf("%s delivered %d times", f, n)
		}
	}
}

// countingRunner counts the runs it passes on.
type countingRunner struct {
	r    syncRunner
	runs atomic.Int64
}

func (c *countingRunner) Run(ctx context.Context, name string, o RunOptions) (Result, error) {
	c.runs.Add(1)
	return c.r.Run(ctx, name, o)
}

func (c *countingRunner) n() int64 { return c.runs.Load() }

// visibleNow returns the names and contents of dir's files that are not
// upload temporaries, tolerating files that go while it reads.
func visibleNow(dir string) map[string]string {
	out := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, de := range ents {
		if !de.Type().IsRegular() || strings.HasSuffix(de.Name(), remoteTempSuffix) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, de.Name())); err == nil {
			out[de.Name()] = string(b)
		}
	}
	return out
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
