package ftpserver_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// drainServer starts a server allowing plain FTP with the given shutdown
// grace, whose info log goes to the returned buffer too.
func drainServer(t *testing.T, grace time.Duration, opt func(*ftpserver.Options)) (*testServer, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	ts := startServerWith(t, ftpserver.Config{AllowPlain: true, ShutdownGrace: grace}, func(o *ftpserver.Options) {
		o.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), nil))
		if opt != nil {
			opt(o)
		}
	})
	return ts, logs
}

// stopAsync starts stopping ts and returns a channel closed once Serve
// has returned.
func (ts *testServer) stopAsync() <-chan struct{} {
	done := make(chan struct{})
	go func() { ts.stop(); close(done) }()
	return done
}

// waitLog waits until logs holds a line with every one of parts, and
// returns that line.
func waitLog(ctx context.Context, t *testing.T, logs *lockedBuffer, parts ...string) string {
	t.Helper()
	var found string
	waitFor(ctx, t, "a log line with "+strings.Join(parts, ", "), func() bool {
		for _, l := range strings.Split(logs.String(), "\n") {
			if containsAll(l, parts) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// startDownload logs in as user with a small receive buffer, starts
// downloading p and reads its first MiB, so the transfer is in progress
// and the client then reads no more until finishDownload.
func startDownload(t *testing.T, ts *testServer, user, p string) (*ftp.Response, []byte) {
	t.Helper()
	down, err := ts.dial(t, user, false, smallReceiveBuffer()).Retr(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { down.Close() })
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(down, head); err != nil {
		t.Fatal(err)
	}
	return down, head
}

// finishDownload reads the rest of a download begun during the drain,
// checks its 226 and that head plus the rest is want, and waits for Serve
// to return (stopped) now that the transfers are done.
func finishDownload(ctx context.Context, t *testing.T, what string, down io.ReadCloser, head, want []byte, stopped <-chan struct{}) {
	t.Helper()
	rest, err := io.ReadAll(down)
	if err != nil {
		t.Errorf("reading the rest of %s: %v", what, err)
	}
	if err := down.Close(); err != nil {
		t.Errorf("%s's reply: %v, want 226", what, err)
	}
	if got := append(head, rest...); !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes, want the whole %d-byte file", what, len(got), len(want))
	}
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("Serve did not return once the transfers were done")
	}
}

// smallReceiveBuffer dials with a fixed 64 KiB receive buffer (which turns
// the kernel's autotuning off), so that a download the client stops
// reading stays in progress on the server: with autotuning a receive
// buffer grows to tcp_rmem's maximum, 32 MiB here.
func smallReceiveBuffer() ftp.DialOption {
	return ftp.DialWithDialer(net.Dialer{Timeout: clientTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		}); err != nil {
			return err
		}
		return serr
	}})
}

// rawUpload logs acme in over plain FTP and starts STOR receive/name,
// writing first to the data connection. It returns the control and data
// connections.
func rawUpload(t *testing.T, ts *testServer, name string, first []byte) (*rawFTP, net.Conn) {
	t.Helper()
	r, _, _ := rawDial(t, "", ts.addr)
	r.login("acme")
	dc, err := dialFrom(t, "", r.pasv())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	if code, msg := r.cmd("STOR receive/" + name); code != 150 {
		t.Fatalf("STOR = %d %s, want 150", code, msg)
	}
	if _, err := dc.Write(first); err != nil {
		t.Fatal(err)
	}
	return r, dc
}

const wantShutdown421 = "421 server shutting down: closing control connection\r\n"

// TestShutdownDrainsTransfers: with a shutdown grace, stopping the server
// closes an idle session at once with 421 and refuses new connections on
// both listeners, while an upload and a download in progress go on; each
// ends with its 226 and only then gets the 421 and the close, a command
// sent meanwhile is never run, the upload is published whole, both are
// recorded, and Serve returns once they are done.
func TestShutdownDrainsTransfers(t *testing.T) {
	ts, logs := drainServer(t, time.Minute, nil)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	// A download in progress: the Go client (explicit TLS) has read part
	// of a file larger than the socket buffers.
	big := randomData(t, 16<<20)
	writeFile(t, filepath.Join(ts.root, "acme", "send", "big.bin"), big)
	down, head := startDownload(t, ts, "acme", "send/big.bin")
	// An upload in progress, over plain FTP so the replies can be read
	// exactly, with a command sent behind it.
	data := randomData(t, 1<<20)
	up, dc := rawUpload(t, ts, "drain.bin", data[:300<<10])
	up.send("MKD receive/later\r\n")
	idle, _, _ := rawDial(t, "", ts.addr)
	idle.login("acme")

	stopped := ts.stopAsync()
	// The idle session counts too when its PASS, whose 230 is out, has
	// not yet ended as the drain starts; it is closed right after.
	line := waitLog(ctx, t, logs, "shutting down: waiting for transfers to finish")
	if m := regexp.MustCompile(`transfers=(\d+)`).FindStringSubmatch(line); m == nil || m[1] != "2" && m[1] != "3" {
		t.Errorf("the drain's first line: %s; want transfers=2", line)
	}
	if closed, got := idle.closed(); !closed || got != wantShutdown421 {
		t.Errorf("an idle session at shutdown: closed %v with %q, want %q", closed, got, wantShutdown421)
	}
	for _, addr := range []string{ts.addr, ts.implicit} {
		if c, err := net.DialTimeout("tcp", addr, clientTimeout); err == nil {
			c.Close()
			t.Errorf("a new connection to %s during the drain was accepted, want it refused", addr)
		}
	}
	select {
	case <-stopped:
		t.Fatal("Serve returned with two transfers in progress")
	default:
	}

	if _, err := dc.Write(data[300<<10:]); err != nil {
		t.Fatal(err)
	}
	dc.Close()
	if code, msg, err := up.reply(); code != 226 || err != nil {
		t.Errorf("the upload's reply = %d %s (%v), want 226", code, msg, err)
	}
	if closed, got := up.closed(); !closed || got != wantShutdown421 {
		t.Errorf("after the upload's 226: closed %v with %q, want only %q (the MKD sent during the upload must not run)", closed, got, wantShutdown421)
	}
	finishDownload(ctx, t, "the download", down, head, big, stopped)

	dir := filepath.Join(ts.root, "acme", "receive")
	if got := fileSum(filepath.Join(dir, "drain.bin")); got != sum(data) {
		t.Errorf("the drained upload: %s, want it published whole", got)
	}
	if exists(filepath.Join(dir, "later")) {
		t.Error("MKD sent during the drain ran")
	}
	if left := tempsIn(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if !ts.hasEvent(t, store.EventReceived, "/receive/drain.bin") || !ts.hasEvent(t, store.EventSent, "/send/big.bin") {
		t.Errorf("events after the drain: %s; want drain.bin received and big.bin sent", eventKinds(ts.events(t)))
	}
	if !strings.Contains(logs.String(), "cut=0 why=\"every transfer finished\"") {
		t.Errorf("log lacks cut=0 why=\"every transfer finished\":\n%s", logs)
	}
}

// TestShutdownCutsWhatOutlastsTheGrace: an upload still running when the
// drain ends is cut (421), recorded as aborted and not published: at once
// with no grace (as before shutdown_grace), at the end of the grace, or at
// Close (a second signal) within it. Serve returns soon after.
func TestShutdownCutsWhatOutlastsTheGrace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grace time.Duration
		close bool // call Close once the drain has started
		log   string
	}{
		{name: "no grace", grace: 0, log: "shutting down: closing every session"},
		{name: "grace over", grace: 300 * time.Millisecond, log: "finished=0 cut=1 why=\"shutdown grace over\""},
		{name: "Close during the drain", grace: time.Minute, close: true, log: "finished=0 cut=1 why=\"stopped at once\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, logs := drainServer(t, tc.grace, nil)
			ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
			defer cancel()
			up, _ := rawUpload(t, ts, "cut.bin", make([]byte, 100<<10))
			dir := filepath.Join(ts.root, "acme", "receive")
			waitFor(ctx, t, "the upload's first bytes on disk", func() bool { return tempSize(t, dir) == 100<<10 })
			start := time.Now()
			stopped := ts.stopAsync()
			if tc.close {
				waitLog(ctx, t, logs, "shutting down: waiting for transfers to finish", "transfers=1")
				ts.srv.Close()
			}
			select {
			case <-stopped:
			case <-ctx.Done():
				t.Fatal("Serve did not return with the upload left hanging")
			}
			// Close cuts the one-minute grace short: Serve returned
			// within ctx's 20 seconds.
			if took := time.Since(start); !tc.close && (took < tc.grace || took > tc.grace+5*time.Second) {
				t.Errorf("Serve returned %v after the shutdown began, want between %v and %v", took, tc.grace, tc.grace+5*time.Second)
			}
			if closed, got := up.closed(); !closed || got != wantShutdown421 {
				t.Errorf("the cut session: closed %v with %q, want %q", closed, got, wantShutdown421)
			}
			if exists(filepath.Join(dir, "cut.bin")) || ts.hasEvent(t, store.EventReceived, "/receive/cut.bin") {
				t.Error("the cut upload was published")
			}
			if !ts.hasEvent(t, store.EventAborted, "/receive/cut.bin") {
				t.Errorf("no aborted event for the cut upload: %s", eventKinds(ts.events(t)))
			}
			if left := tempsIn(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log lacks %s:\n%s", tc.log, logs)
			}
		})
	}
}

// tempSize is the size of the one upload temporary in dir, or -1.
func tempSize(t *testing.T, dir string) int64 {
	t.Helper()
	names := tempsIn(t, dir)
	if len(names) != 1 {
		return -1
	}
	fi, err := os.Stat(filepath.Join(dir, names[0]))
	if err != nil {
		return -1
	}
	return fi.Size()
}

// TestShutdownDrainsMountTransfers: an upload and a download through a
// mount go on during the drain (the session's context outlives Serve's)
// and both end whole.
func TestShutdownDrainsMountTransfers(t *testing.T) {
	b := wharfBackend(t)
	pool, err := remote.NewPool(b.cfg, remote.PoolOptions{MaxAttempts: 2, Backoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	ts, logs := drainServer(t, time.Minute, func(o *ftpserver.Options) {
		o.OpenMount = func(ctx context.Context, m store.Mount) (vfs.FS, error) {
			return ftpfs.New(ctx, ftpfs.FromPool(pool), ftpfs.Options{Remote: m.Remote, Root: b.root}), nil
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	if err := ts.store.CreateMount(ctx, &store.Mount{Account: "ops", Path: "/bank", Remote: b.name}); err != nil {
		t.Fatal(err)
	}
	big := randomData(t, 16<<20)
	writeFile(t, filepath.Join(b.dir, "big.bin"), big)
	down, head := startDownload(t, ts, "ops", "/bank/big.bin")
	c := ts.dial(t, "ops", false)
	data := randomData(t, 1<<20)
	pr, pw := io.Pipe()
	stored := make(chan error, 1)
	go func() {
		err := c.Stor("/bank/m.bin", pr)
		pr.CloseWithError(io.ErrClosedPipe) // a Stor that failed no longer reads: unblock the writes
		stored <- err
	}()
	if _, err := pw.Write(data[:300<<10]); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the upload's temporary on the remote", func() bool { return len(tempsIn(t, b.dir)) > 0 })

	stopped := ts.stopAsync()
	waitLog(ctx, t, logs, "shutting down: waiting for transfers to finish", "transfers=2")
	if _, err := pw.Write(data[300<<10:]); err != nil {
		t.Fatalf("the mount upload during the drain: %v (writing the rest: %v)", <-stored, err)
	}
	pw.Close()
	if err := <-stored; err != nil {
		t.Errorf("the mount upload during the drain: %v, want 226", err)
	}
	finishDownload(ctx, t, "the mount download", down, head, big, stopped)
	if got := fileSum(filepath.Join(b.dir, "m.bin")); got != sum(data) {
		t.Errorf("the remote's file: %s, want the whole upload", got)
	}
	if !ts.hasEvent(t, store.EventReceived, "/bank/m.bin") || !ts.hasEvent(t, store.EventSent, "/bank/big.bin") {
		t.Errorf("events after the drain: %s; want m.bin received and big.bin sent", eventKinds(ts.events(t)))
	}
}

// TestInteropCurlShutdownDrain: curl uploading from a pipe when the
// shutdown starts finishes its upload, hears 226 and exits 0, and the file
// is published whole.
func TestInteropCurlShutdownDrain(t *testing.T) {
	interop(t, "curl")
	ts, logs := drainServer(t, time.Minute, nil)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "curl", curlArgs([]string{"--ssl-reqd", "-k", "-u", curlUser("acme"),
		"-T", "-", ftpURL("ftp", ts.addr, "/receive/curl.bin")})...)
	cmd.Env = clientEnv()
	var trace bytes.Buffer
	cmd.Stderr = &trace
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	data := randomData(t, 1<<20)
	if _, err := stdin.Write(data[:300<<10]); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ts.root, "acme", "receive")
	waitFor(ctx, t, "the upload's temporary file", func() bool { return len(tempsIn(t, dir)) > 0 })
	stopped := ts.stopAsync()
	waitLog(ctx, t, logs, "shutting down: waiting for transfers to finish", "transfers=1")
	if _, err := stdin.Write(data[300<<10:]); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	err = cmd.Wait()
	r := result{stderr: trace.String()}
	t.Logf("curl: %v", r)
	if err != nil || !hasReply(r.curlReplies(), "226", "") {
		t.Errorf("curl uploading during the drain: %v, want exit 0 after a 226\n%v", err, r)
	}
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("Serve did not return once the upload was done")
	}
	if got := fileSum(filepath.Join(dir, "curl.bin")); got != sum(data) {
		t.Errorf("curl's upload: %s, want it published whole", got)
	}
}
