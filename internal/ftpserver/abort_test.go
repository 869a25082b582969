package ftpserver_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// tempsIn lists the upload temporaries left in dir.
func tempsIn(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".wharf-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// killedUpload starts curl uploading 16 MiB slowly to /receive/name, waits
// until the upload's temporary file exists, and kills curl (SIGKILL: no
// QUIT, no TLS close_notify, the kernel closes both connections).
func killedUpload(ctx context.Context, t *testing.T, ts *testServer, name string, curlArgs ...string) {
	t.Helper()
	local := filepath.Join(t.TempDir(), name)
	writeFile(t, local, randomData(t, 16<<20))
	args := append([]string{"-sS", "-u", "acme:" + testPass, "--limit-rate", "4M"}, curlArgs...)
	args = append(args, "-T", local, "ftp://127.0.0.1:"+strconv.Itoa(port(ts.addr))+"/receive/"+name)
	cmd := exec.CommandContext(ctx, "curl", args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ts.root, "acme", "receive")
	waitFor(ctx, t, "the upload's temporary file", func() bool { return len(tempsIn(t, dir)) > 0 })
	cmd.Process.Kill()
	cmd.Wait()
}

// TestPlainUploadOfGoneClientNotPublished: over plain FTP the data
// connection of a client that dies mid-upload ends with a FIN, as a
// complete upload does. When its control connection is gone first (as
// when the kernel closes a killed client's sockets in order), the upload
// is aborted, not published as received, and leaves no temporary.
func TestPlainUploadOfGoneClientNotPublished(t *testing.T) {
	interop(t, "curl")
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	dir := filepath.Join(ts.root, "acme", "receive")
	for i, size := range []int{0, 1000, 300 << 10} {
		name := "cut" + strconv.Itoa(i) + ".bin"
		r, _, _ := rawDial(t, "", ts.addr)
		r.login("acme")
		dc, err := dialFrom(t, "", r.pasv())
		if err != nil {
			t.Fatal(err)
		}
		if code, msg := r.cmd("STOR receive/" + name); code != 150 {
			t.Fatalf("STOR = %d %s, want 150", code, msg)
		}
		if _, err := dc.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		r.conn.Close()
		dc.Close()
		waitFor(ctx, t, "an aborted event for "+name, func() bool { return ts.hasEvent(t, store.EventAborted, "/receive/"+name) })
		if exists(filepath.Join(dir, name)) || ts.hasEvent(t, store.EventReceived, "/receive/"+name) {
			t.Errorf("%s: the cut upload was published", name)
		}
		if left := tempsIn(t, dir); len(left) > 0 {
			t.Errorf("%s: temporary files left: %v", name, left)
		}
	}
}

// TestKilledClientLeavesNoTemp: a TLS upload whose client is killed is
// aborted and its temporary file removed, however the end of the session
// and the end of the transfer interleave (the session's file system used
// to be closed first, and the temporary stayed).
func TestKilledClientLeavesNoTemp(t *testing.T) {
	interop(t, "curl")
	ts := startServer(t, ftpserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*clientTimeout)
	defer cancel()
	dir := filepath.Join(ts.root, "acme", "receive")
	for i := range 10 {
		name := "tls" + strconv.Itoa(i) + ".bin"
		killedUpload(ctx, t, ts, name, "--ssl-reqd", "-k")
		waitFor(ctx, t, "an aborted event for "+name, func() bool { return ts.hasEvent(t, store.EventAborted, "/receive/"+name) })
		// The abort removes the temporary before it records the event.
		if left := tempsIn(t, dir); len(left) > 0 {
			t.Errorf("%s: temporary files left: %v", name, left)
		}
	}
}

// TestShutdownRecordsAbortedTransfers: stopping the server mid-upload and
// mid-download with no shutdown grace (Config's zero value) cuts both,
// records both as aborted before Serve returns, and leaves no temporary
// file.
func TestShutdownRecordsAbortedTransfers(t *testing.T) {
	interop(t, "curl")
	ts := startServer(t, ftpserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	writeFile(t, filepath.Join(ts.root, "acme", "send", "big.bin"), randomData(t, 64<<20))
	// A download in progress: the Go client has read part of it.
	c := ts.dial(t, "acme", false)
	r, err := c.Retr("send/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "up.bin")
	writeFile(t, local, randomData(t, 16<<20))
	up := exec.CommandContext(ctx, "curl", "-sS", "--ssl-reqd", "-k", "-u", "acme:"+testPass, "--limit-rate", "2M",
		"-T", local, "ftp://127.0.0.1:"+strconv.Itoa(port(ts.addr))+"/receive/up.bin")
	up.Stdout, up.Stderr = io.Discard, io.Discard
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	defer up.Wait()
	dir := filepath.Join(ts.root, "acme", "receive")
	waitFor(ctx, t, "the upload's temporary file", func() bool { return len(tempsIn(t, dir)) > 0 })
	idle, _, _ := rawDial(t, "", ts.addr)
	ts.stop()
	if closed, got := idle.closed(); !closed || got != "421 server shutting down: closing control connection\r\n" {
		t.Errorf("an idle session at shutdown: closed %v with %q, want a 421", closed, got)
	}
	for _, p := range []string{"/receive/up.bin", "/send/big.bin"} {
		if !ts.hasEvent(t, store.EventAborted, p) {
			t.Errorf("no aborted event for %s when Serve returned: %s", p, eventKinds(ts.events(t)))
		}
	}
	if left := tempsIn(t, dir); len(left) > 0 {
		t.Errorf("temporary files left after shutdown: %v", left)
	}
}

func eventKinds(evs []store.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Kind + " " + e.Path + "; ")
	}
	return b.String()
}
