package remote

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Upload writes the caller's temporary name, sets the time on it once it
// is verified, and only then renames it into place: the file never shows
// under its name without its content and time.
func TestUploadTempAndTime(t *testing.T) {
	s := newFake(t)
	s.feat = []string{"MFMT"}
	s.handlers["MFMT"] = func(fc *fakeConn, arg string) { fc.reply("213 Modify=" + arg) }
	s.start()
	p, err := NewPool(s.config(), PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	tmp := TempName("in/a.edi")
	if !IsTemp(tmp[len("in/"):]) || !strings.HasPrefix(tmp, "in/.a.edi.") {
		t.Fatalf("TempName(in/a.edi) = %q", tmp)
	}
	mt := time.Date(2026, 11, 20, 10, 30, 15, 0, time.UTC)
	u, err := p.Upload(ctx, "in/a.edi", strings.NewReader("alpha"), UploadOptions{Temp: tmp, ModTime: mt})
	if err != nil || u.Bytes != 5 || !u.ModTimeSet {
		t.Fatalf("Upload = %+v, %v; want 5 bytes, time set", u, err)
	}
	var got []string
	for _, c := range s.commands() {
		verb, _, _ := strings.Cut(c, " ")
		if verb != "USER" && verb != "PASS" && verb != "FEAT" && verb != "TYPE" && verb != "PWD" && verb != "OPTS" {
			got = append(got, c)
		}
	}
	want := []string{"EPSV", "STOR /" + tmp, "SIZE /" + tmp, "MFMT 20261120103015 /" + tmp, "RNFR /" + tmp, "RNTO /in/a.edi"}
	if !slices.Equal(got, want) {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b, _ := s.file("/in/a.edi"); string(b) != "alpha" {
		t.Errorf("file = %q, want alpha", b)
	}
	// A temporary name of another form or folder is refused.
	for _, bad := range []string{"in/a.edi.part", "other/" + tmp[len("in/"):], ".a.edi.0123456789ab.wharf-part"} {
		if _, err := p.Upload(ctx, "in/a.edi", strings.NewReader("x"), UploadOptions{Temp: bad}); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("Upload with temporary %q = %v, want ErrInvalidArg", bad, err)
		}
	}
}

// A server that cannot set times does not fail the upload; it says so.
func TestUploadWithoutSetTime(t *testing.T) {
	s := newFake(t).start()
	p, err := NewPool(s.config(), PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	u, err := p.Upload(context.Background(), "a", strings.NewReader("alpha"), UploadOptions{ModTime: time.Now()})
	if err != nil || u.ModTimeSet || u.Bytes != 5 {
		t.Fatalf("Upload = %+v, %v; want 5 bytes, no time", u, err)
	}
	if b, ok := s.file("/a"); !ok || string(b) != "alpha" {
		t.Errorf("file = %q (%v), want alpha", b, ok)
	}
}

// Upload reuses a connection released a moment ago without a NOOP; one
// the server dropped meanwhile fails the first command and the upload is
// retried on a fresh connection. Store keeps checking with NOOP.
func TestUploadTrustsFreshConnection(t *testing.T) {
	s := newFake(t).start()
	p, err := NewPool(s.config(), PoolOptions{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	now := time.Now() // every release is "a moment ago"
	p.now = func() time.Time { return now }
	ctx := context.Background()
	noops := func() int {
		n := 0
		for _, c := range s.commands() {
			if c == "NOOP" {
				n++
			}
		}
		return n
	}
	for i := range 3 {
		if _, err := p.Upload(ctx, "a", strings.NewReader("alpha"), UploadOptions{}); err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
	}
	if n := noops(); n != 0 {
		t.Errorf("%d NOOPs for uploads on a fresh connection, want 0", n)
	}
	if _, err := p.Store(ctx, "a", strings.NewReader("alpha")); err != nil {
		t.Fatal(err)
	}
	if n := noops(); n != 1 {
		t.Errorf("%d NOOPs after a Store, want 1", n)
	}
	// The server drops the idle connection.
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if _, err := p.Upload(ctx, "b", strings.NewReader("bravo"), UploadOptions{}); err != nil {
		t.Fatalf("upload after the server dropped the connection: %v", err)
	}
	if b, _ := s.file("/b"); string(b) != "bravo" {
		t.Errorf("file b = %q, want bravo", b)
	}
	if st := p.Stats(); st.Dials != 2 || st.Retries != 1 {
		t.Errorf("stats %+v, want 2 dials and 1 retry", st)
	}
}

// Once a connection knows how the server sets times, SIZE, the time and
// RNFR go in one write; a size that does not match still deletes the
// temporary file and renames nothing (no RNTO follows the RNFR).
func TestUploadPipelinedVerify(t *testing.T) {
	s := newFake(t)
	s.feat = []string{"MFMT"}
	s.handlers["MFMT"] = func(fc *fakeConn, arg string) { fc.reply("213 Modify=" + arg) }
	var wrongSize bool
	s.handlers["SIZE"] = func(fc *fakeConn, arg string) {
		b, ok := fc.s.file(arg)
		switch {
		case !ok:
			fc.reply("550 no such file")
		case wrongSize:
			fc.reply("213 1")
		default:
			fc.reply("213 " + strconv.Itoa(len(b)))
		}
	}
	s.start()
	c, err := Dial(context.Background(), s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	mt := time.Date(2026, 11, 20, 10, 30, 15, 0, time.UTC)
	for _, name := range []string{"a", "b"} {
		if u, err := c.Upload(ctx, name, strings.NewReader("alpha"), UploadOptions{ModTime: mt}); err != nil || !u.ModTimeSet {
			t.Fatalf("Upload(%s) = %+v, %v", name, u, err)
		}
	}
	if b, _ := s.file("/b"); string(b) != "alpha" {
		t.Errorf("b = %q, want alpha", b)
	}
	wrongSize = true
	before := len(s.commands())
	if _, err := c.Upload(ctx, "c", strings.NewReader("alpha"), UploadOptions{ModTime: mt}); !errors.Is(err, ErrVerify) {
		t.Fatalf("Upload with a wrong SIZE = %v, want ErrVerify", err)
	}
	cmds := s.commands()[before:]
	if hasCmd(cmds, "RNTO") || !hasCmd(cmds, "DELE /.c.") {
		t.Errorf("transcript %q: want the temporary file deleted and no rename", cmds)
	}
	if _, ok := s.file("/c"); ok {
		t.Errorf("c published despite the wrong size")
	}
}

// A local file goes to a plain data connection by sendfile, in chunks that
// grow; what arrives is the file.
func TestUploadFromFile(t *testing.T) {
	s := newFake(t).start()
	p, err := NewPool(s.config(), PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	name := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, err := p.Upload(context.Background(), "big", f, UploadOptions{})
	if err != nil || u.Bytes != int64(len(data)) {
		t.Fatalf("Upload = %+v, %v; want %d bytes", u, err, len(data))
	}
	if b, _ := s.file("/big"); !bytes.Equal(b, data) {
		t.Errorf("server has %d bytes, not the file's %d", len(b), len(data))
	}
}
