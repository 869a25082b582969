package ftpserver_test

// REST (RFC 3659 §5) and what a failed transfer shows: a bad offset is
// refused before any file is opened, an offset past the end before the
// transfer starts, a failure after the file is open discards the upload,
// and no reply names a server path.

import (
	"context"
	"io"
	"io/fs"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/localfs"
)

// noHostPath fails the test when msg, a reply, shows a server path: the
// file root, another server directory, or a hidden staging name.
func noHostPath(t *testing.T, what, msg string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if strings.Contains(msg, d) {
			t.Errorf("%s: reply %q shows the server directory %s", what, msg, d)
		}
	}
	if strings.Contains(msg, ".wharf-") {
		t.Errorf("%s: reply %q shows a staging file name", what, msg)
	}
}

// noStaging fails the test when dir still holds an upload's staging file.
func noStaging(t *testing.T, dir string) {
	t.Helper()
	for _, name := range dirNames(t, dir) {
		if strings.HasPrefix(name, ".wharf-") {
			t.Errorf("%s holds the staging file %s", dir, name)
		}
	}
}

// dataConn sends PASV and connects to the data port it names.
func (r *rawFTP) dataConn(t *testing.T) net.Conn {
	t.Helper()
	dc, err := dialFrom(t, "", r.pasv())
	if err != nil {
		t.Fatalf("data connection: %v", err)
	}
	t.Cleanup(func() { dc.Close() })
	return dc
}

// final reads the reply that ends a transfer.
func (r *rawFTP) final(t *testing.T, what string) (int, string) {
	t.Helper()
	code, msg, err := r.reply()
	if err != nil {
		t.Fatalf("%s: final reply: %v (got %q)", what, err, msg)
	}
	return code, msg
}

func overwrite(a *store.Account) {
	yes := true
	a.Policy.Overwrite = &yes
}

// TestRestBadOffset501: REST with a negative or unparsable offset is a
// syntax error in its argument, answered before any file is opened.
// Upstream kept a negative offset, and the STOR after it failed to seek
// with its upload open, which was then published.
func TestRestBadOffset501(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	r.login("acme")
	r.cmd("TYPE I")
	for _, arg := range []string{"-1", "-9223372036854775808", "abc", "12abc", "1e3", "99999999999999999999"} {
		code, msg := r.cmd("REST " + arg)
		want := `REST needs a byte offset of 0 or more, not "` + arg + `"`
		if code != 501 || msg != want {
			t.Errorf("REST %s = %d %s, want 501 %s", arg, code, msg, want)
		}
		noHostPath(t, "REST "+arg, msg, ts.root)
	}
	if code, msg := r.cmd("NOOP"); code != 200 {
		t.Errorf("NOOP after the refused RESTs = %d %s, want 200", code, msg)
	}
}

// TestRestRefusedClearsResume: a STOR after a refused REST uploads the
// whole file, neither failing with its upload open (which published an
// empty receive/new.edi, or replaced a staff's file with an empty one)
// nor resuming at an earlier REST.
func TestRestRefusedClearsResume(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	recv := filepath.Join(ts.root, "acme", "receive")

	p, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	p.login("acme")
	p.cmd("TYPE I")
	if code, msg := p.cmd("REST -1"); code != 501 {
		t.Fatalf("REST -1 = %d %s, want 501", code, msg)
	}
	if code, msg := p.stor(t, "/receive/new.edi", "NEW"); code != 226 {
		t.Errorf("STOR /receive/new.edi after REST -1 = %d %s, want 226", code, msg)
	}
	if b, _ := readIfExists(filepath.Join(recv, "new.edi")); string(b) != "NEW" {
		t.Errorf("receive/new.edi = %q, want %q", b, "NEW")
	}
	if !ts.hasEvent(t, store.EventReceived, "/receive/new.edi") {
		t.Errorf("no received event for /receive/new.edi")
	}

	writeFile(t, filepath.Join(recv, "orders.edi"), []byte("IMPORTANT-ORDERS"))
	s, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	s.login("ops")
	s.cmd("TYPE I")
	if code, msg := s.cmd("REST 4"); code != 350 {
		t.Fatalf("REST 4 = %d %s, want 350", code, msg)
	}
	if code, msg := s.cmd("REST -1"); code != 501 {
		t.Fatalf("REST -1 = %d %s, want 501", code, msg)
	}
	if code, msg := s.stor(t, "/acme/receive/orders.edi", "NEW-ORDERS"); code != 226 {
		t.Errorf("STOR /acme/receive/orders.edi after REST 4, REST -1 = %d %s, want 226", code, msg)
	}
	if b, _ := readIfExists(filepath.Join(recv, "orders.edi")); string(b) != "NEW-ORDERS" {
		t.Errorf("orders.edi = %q, want %q (the whole upload, not a resume at 4)", b, "NEW-ORDERS")
	}
	noStaging(t, recv)
}

// restMounts gives ops a mount at /mnt (published by rename, as the local
// tree is) and one at /atomic (a vfs.AtomicFS, written under the final
// name), both over dir.
func restMounts(t *testing.T, dir string, mod ...func(*store.Account)) *testServer {
	t.Helper()
	ts := startServerWith(t, ftpserver.Config{AllowPlain: true}, func(o *ftpserver.Options) {
		o.OpenMount = func(_ context.Context, m store.Mount) (vfs.FS, error) {
			l, err := localfs.Open(dir)
			if m.Remote == "atomic" {
				return atomicFS{l}, err
			}
			return plainFS{l}, err
		}
	}, mod...)
	for _, m := range []store.Mount{{Account: "ops", Path: "/mnt", Remote: "mnt"}, {Account: "ops", Path: "/atomic", Remote: "atomic"}} {
		if err := ts.store.CreateMount(context.Background(), &m); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

// plainFS is a mount with only vfs.FS's methods.
type plainFS struct{ vfs.FS }

// atomicFS claims atomic writes, so uploads to it skip the staging file.
type atomicFS struct{ vfs.FS }

func (atomicFS) AtomicWrites() bool { return true }

// TestRestPastEndStor554: REST past the end of the file, then STOR, is
// refused with 554 before the transfer starts, and the file is unchanged.
// It used to be accepted: the server copied the 4 bytes there, seeked to
// 1000 and published HEAD, 996 NULs and TAIL.
func TestRestPastEndStor554(t *testing.T) {
	ext := t.TempDir()
	ts := restMounts(t, ext, overwrite)
	recv := filepath.Join(ts.root, "acme", "receive")
	for _, c := range []struct {
		user, path, dir string
	}{
		{"ops", "/acme/receive/part.edi", recv},
		{"acme", "/receive/part.edi", recv},
		{"ops", "/mnt/part.edi", ext},
		{"ops", "/atomic/part.edi", ext},
	} {
		t.Run(c.user+c.path, func(t *testing.T) {
			file := filepath.Join(c.dir, "part.edi")
			writeFile(t, file, []byte("HEAD"))
			r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
			r.login(c.user)
			r.cmd("TYPE I")
			if code, msg := r.cmd("REST 1000"); code != 350 {
				t.Fatalf("REST 1000 = %d %s, want 350", code, msg)
			}
			dc := r.dataConn(t)
			code, msg := r.cmd("STOR " + c.path)
			want := "Could not access file: REST 1000 is past the end of " + c.path + " (4 bytes); resume from 4 at most"
			if code != 554 || msg != want {
				t.Errorf("STOR %s after REST 1000 = %d %s, want 554 %s", c.path, code, msg, want)
			}
			noHostPath(t, "STOR", msg, ts.root, ext)
			dc.Close()
			if b, _ := readIfExists(file); string(b) != "HEAD" {
				t.Errorf("%s = %q after the refused STOR, want %q", c.path, b, "HEAD")
			}
			if ts.hasEvent(t, store.EventReceived, c.path) {
				t.Errorf("the refused STOR recorded a received event")
			}
			noStaging(t, c.dir)
			if code, msg := r.cmd("NOOP"); code != 200 {
				t.Errorf("NOOP after the refused STOR = %d %s, want 200", code, msg)
			}
		})
	}
}

// TestRestPastEndRetr554: REST past the end, then RETR, is refused with
// 554; it used to send nothing and answer 226. REST at the end sends
// nothing and succeeds, REST inside the file sends the rest.
func TestRestPastEndRetr554(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true})
	file := filepath.Join(ts.root, "acme", "send", "a.edi")
	writeFile(t, file, []byte("HEAD"))
	r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	r.login("acme")
	r.cmd("TYPE I")
	r.cmd("REST 1000")
	dc := r.dataConn(t)
	code, msg := r.cmd("RETR /send/a.edi")
	want := "Could not access file: REST 1000 is past the end of /send/a.edi (4 bytes); resume from 4 at most"
	if code != 554 || msg != want {
		t.Errorf("RETR after REST 1000 = %d %s, want 554 %s", code, msg, want)
	}
	noHostPath(t, "RETR", msg, ts.root)
	dc.Close()
	if ts.hasEvent(t, store.EventSent, "/send/a.edi") || ts.hasEvent(t, store.EventAborted, "/send/a.edi") {
		t.Errorf("the refused RETR recorded a transfer")
	}
	for _, c := range []struct{ rest, want string }{{"4", ""}, {"2", "AD"}} {
		r.cmd("REST " + c.rest)
		code, msg, got := r.retr(t, "", "/send/a.edi")
		if code != 226 || got != c.want {
			t.Errorf("REST %s, RETR = %d %s with %q, want 226 with %q", c.rest, code, msg, got, c.want)
		}
	}
	if !exists(file) {
		t.Errorf("send/a.edi is gone")
	}
}

// TestRestResume: a resume as curl -C - does it (SIZE, then REST at that
// size and STOR, or APPE), and a REST inside the file, still work, and
// leave no staging file.
func TestRestResume(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true}, overwrite)
	recv := filepath.Join(ts.root, "acme", "receive")
	for _, c := range []struct{ user, path string }{{"ops", "/acme/receive/part.edi"}, {"acme", "/receive/part.edi"}} {
		t.Run(c.user, func(t *testing.T) {
			file := filepath.Join(recv, "part.edi")
			writeFile(t, file, []byte("HEAD"))
			r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
			r.login(c.user)
			r.cmd("TYPE I")
			if code, msg := r.cmd("SIZE " + c.path); code != 213 || msg != "4" {
				t.Fatalf("SIZE = %d %s, want 213 4", code, msg)
			}
			steps := []struct{ rest, cmd, data, want string }{
				{"4", "STOR", "TAIL", "HEADTAIL"},
				{"", "APPE", "MORE", "HEADTAILMORE"},
				{"2", "STOR", "XY", "HEXY"},
			}
			for _, s := range steps {
				if s.rest != "" {
					if code, msg := r.cmd("REST " + s.rest); code != 350 {
						t.Fatalf("REST %s = %d %s, want 350", s.rest, code, msg)
					}
				}
				dc := r.dataConn(t)
				if code, msg := r.cmd(s.cmd + " " + c.path); code != 150 {
					t.Fatalf("REST %q, %s = %d %s, want 150", s.rest, s.cmd, code, msg)
				}
				if _, err := io.WriteString(dc, s.data); err != nil {
					t.Fatal(err)
				}
				dc.Close()
				if code, msg := r.final(t, s.cmd); code != 226 {
					t.Errorf("REST %q, %s %q = %d %s, want 226", s.rest, s.cmd, s.data, code, msg)
				}
				if b, _ := readIfExists(file); string(b) != s.want {
					t.Errorf("after REST %q, %s %q: file = %q, want %q", s.rest, s.cmd, s.data, b, s.want)
				}
			}
			if !ts.hasEvent(t, store.EventReceived, c.path) {
				t.Errorf("no received event for %s", c.path)
			}
			noStaging(t, recv)
		})
	}
}

// faultFS is a mount whose files fail one operation as a local disk
// does, with an *fs.PathError naming the host path.
type faultFS struct {
	vfs.FS
	dir   string
	op    string // "write", "read" or "seek"
	errno syscall.Errno
}

func (f faultFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	fl, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return faultFile{File: fl, fs: f, path: filepath.Join(f.dir, name)}, nil
}

// faultFile hides *os.File's ReadFrom and WriteTo, as a mount's file
// might.
type faultFile struct {
	vfs.File
	fs   faultFS
	path string
}

func (f faultFile) fail(op string) error {
	if op != f.fs.op {
		return nil
	}
	return &fs.PathError{Op: op, Path: f.path, Err: f.fs.errno}
}

func (f faultFile) Write(p []byte) (int, error) {
	if err := f.fail("write"); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f faultFile) Read(p []byte) (int, error) {
	if err := f.fail("read"); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f faultFile) Seek(off int64, whence int) (int64, error) {
	if err := f.fail("seek"); err != nil {
		return 0, err
	}
	return f.File.Seek(off, whence)
}

// TestTransferErrorHidesHostPath: a file that fails under a transfer (a
// full disk, an I/O error, a failed seek) fails it with a reply that
// names no server path or staging file, leaves the file there as it was,
// and records no completed transfer. The replies used to carry the
// *os.PathError's text ("Could not seek file: seek /srv/.../.wharf-....part:
// invalid argument"), and a failed seek published the upload.
func TestTransferErrorHidesHostPath(t *testing.T) {
	dir := t.TempDir()
	faults := map[string]faultFS{
		"enospc":   {op: "write", errno: syscall.ENOSPC},
		"eio":      {op: "write", errno: syscall.EIO},
		"readio":   {op: "read", errno: syscall.EIO},
		"seekstor": {op: "seek", errno: syscall.EINVAL},
		"seekretr": {op: "seek", errno: syscall.EINVAL},
	}
	ts := startServerWith(t, ftpserver.Config{AllowPlain: true}, func(o *ftpserver.Options) {
		o.OpenMount = func(_ context.Context, m store.Mount) (vfs.FS, error) {
			l, err := localfs.Open(filepath.Join(dir, m.Remote))
			f := faults[m.Remote]
			f.FS, f.dir = l, filepath.Join(dir, m.Remote)
			return f, err
		}
	})
	for name := range faults {
		writeFile(t, filepath.Join(dir, name, "orders.edi"), []byte("IMPORTANT-ORDERS"))
		if err := ts.store.CreateMount(context.Background(), &store.Mount{Account: "ops", Path: "/" + name, Remote: name}); err != nil {
			t.Fatal(err)
		}
	}
	const local = "local error; the administrator can find details in the server log"
	for _, c := range []struct {
		name, mount, rest, cmd string
		wantStart              int // 150, or 0 when the command fails before
		wantCode               int
		wantText               string
	}{
		{"full disk", "enospc", "", "STOR", 150, 452, "insufficient storage space on the server; the administrator can find details in the server log"},
		{"write error", "eio", "", "STOR", 150, 451, local},
		{"read error", "readio", "", "RETR", 150, 451, local},
		{"seek error on STOR", "seekstor", "4", "STOR", 0, 451, "Could not seek file: " + local},
		{"seek error on RETR", "seekretr", "4", "RETR", 0, 451, "Could not seek file: " + local},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := "/" + c.mount + "/orders.edi"
			file := filepath.Join(dir, c.mount, "orders.edi")
			r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
			r.login("ops")
			r.cmd("TYPE I")
			if c.rest != "" {
				r.cmd("REST " + c.rest)
			}
			dc := r.dataConn(t)
			code, msg := r.cmd(c.cmd + " " + p)
			if c.wantStart != 0 {
				if code != c.wantStart {
					t.Fatalf("%s %s = %d %s, want %d", c.cmd, p, code, msg, c.wantStart)
				}
				_ = dc.SetDeadline(time.Now().Add(clientTimeout))
				if c.cmd == "STOR" {
					_, _ = io.WriteString(dc, "NEW")
				} else {
					_, _ = io.Copy(io.Discard, dc)
				}
				dc.Close()
				code, msg = r.final(t, c.cmd)
			}
			if code != c.wantCode || !strings.HasSuffix(msg, c.wantText) {
				t.Errorf("%s %s = %d %s, want %d ending %q", c.cmd, p, code, msg, c.wantCode, c.wantText)
			}
			noHostPath(t, c.cmd, msg, dir, ts.root)
			if b, _ := readIfExists(file); string(b) != "IMPORTANT-ORDERS" {
				t.Errorf("after the failed %s, orders.edi = %q, want it unchanged", c.cmd, b)
			}
			noStaging(t, filepath.Join(dir, c.mount))
			if ts.hasEvent(t, store.EventReceived, p) || ts.hasEvent(t, store.EventSent, p) {
				t.Errorf("the failed %s recorded a completed transfer", c.cmd)
			}
			if !ts.hasEvent(t, store.EventAborted, p) {
				t.Errorf("the failed %s recorded no aborted transfer", c.cmd)
			}
			if code, msg := r.cmd("NOOP"); code != 200 {
				t.Errorf("NOOP after the failed %s = %d %s, want 200", c.cmd, code, msg)
			}
		})
	}
}
