package remote

import (
	"context"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// A server that refuses RNTO onto an existing file (553): the target is
// renamed aside, the rename tried once more, and the aside copy deleted.
func TestQuirkRenameOverExisting(t *testing.T) {
	s := newFake(t)
	s.files["/old"] = []byte("old")
	s.files["/new"] = []byte("new")
	s.handlers["RNTO"] = func(fc *fakeConn, arg string) {
		if _, ok := fc.s.file(arg); ok {
			fc.reply("553 file exists")
			return
		}
		fc.standard("RNTO", arg)
	}
	s.start()
	c, err := Dial(context.Background(), s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Rename(context.Background(), "new", "old"); err != nil {
		t.Fatal(err)
	}
	got := tail(s.commands(), 8)
	aside := strings.TrimPrefix(got[4], "RNTO ")
	want := []string{"RNFR /new", "RNTO /old", "SIZE /old", "RNFR /old", "RNTO " + aside, "RNFR /new", "RNTO /old", "DELE " + aside}
	if !slices.Equal(got, want) || !IsTemp(path.Base(aside)) || !strings.HasPrefix(aside, "/.old.") {
		t.Errorf("transcript %q, want %q with a temporary name next to /old", got, want)
	}
	if b, ok := s.file("/old"); !ok || string(b) != "new" || len(s.fileNames()) != 1 {
		t.Errorf("/old = %q, %v (files %q); want the new file alone", b, ok, s.fileNames())
	}
}

// Setting a modification time falls back from MFMT to SITE UTIME to vsftpd's
// MDTM with a time, and remembers what worked.
func TestQuirkSetModTimeFallback(t *testing.T) {
	tests := []struct {
		name string
		feat []string
		ok   string // the verb that works
		want []string
	}{
		{"mfmt", []string{"MFMT"}, "MFMT", []string{"MFMT 20240229123456 /f", "MFMT 20240229123456 /f"}},
		{"site utime", nil, "SITE", []string{"SITE UTIME 20240229123456 /f", "SITE UTIME 20240229123456 /f"}},
		{"mdtm write", nil, "MDTM", []string{"SITE UTIME 20240229123456 /f", "MDTM 20240229123456 /f", "MDTM 20240229123456 /f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.feat = tt.feat
			for _, v := range []string{"MFMT", "SITE", "MDTM"} {
				s.handlers[v] = func(fc *fakeConn, _ string) {
					if v == tt.ok {
						fc.reply("213 ok")
					} else {
						fc.reply("500 unknown command")
					}
				}
			}
			s.start()
			c, err := Dial(context.Background(), s.config(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			mt := time.Date(2024, 2, 29, 12, 34, 56, 0, time.UTC)
			for range 2 {
				if err := c.SetModTime(context.Background(), "f", mt); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, cmd := range s.commands() {
				if strings.Contains(cmd, "20240229") {
					got = append(got, cmd)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("transcript %q, want %q", got, tt.want)
			}
		})
	}
}

// A failed verification deletes the temporary upload and never renames it
// (the pipelined RNFR gets no RNTO).
func TestStoreVerifyFailureCleansUp(t *testing.T) {
	s := newFake(t)
	s.handlers["SIZE"] = func(fc *fakeConn, _ string) { fc.reply("213 1") } // wrong size
	s.start()
	c, err := Dial(context.Background(), s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Store(context.Background(), "f.edi", strings.NewReader("hello")); err == nil || !Transient(err) {
		t.Fatalf("Store err = %v, want a transient verification error", err)
	}
	cmds := s.commands()
	if hasCmd(cmds, "RNTO") || !hasCmd(cmds, "DELE /.f.edi.") {
		t.Errorf("transcript %q: want the temporary file deleted and no rename", cmds)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.files) != 0 {
		t.Errorf("files left: %v", s.files)
	}
}

// Read-only remotes refuse every change before sending anything.
func TestReadOnly(t *testing.T) {
	s := newFake(t).start()
	cfg := s.config()
	cfg.ReadOnly = true
	c, err := Dial(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for name, err := range map[string]error{
		"store":  func() error { _, err := c.Store(ctx, "f", strings.NewReader("x")); return err }(),
		"append": func() error { _, err := c.Append(ctx, "f", strings.NewReader("x")); return err }(),
		"delete": c.Delete(ctx, "f"),
		"mkdir":  c.MakeDir(ctx, "d"),
		"rmdir":  c.RemoveDir(ctx, "d"),
		"rename": c.Rename(ctx, "a", "b"),
		"mtime":  c.SetModTime(ctx, "f", time.Now()),
	} {
		if !strings.Contains(err.Error(), ErrReadOnly.Error()) {
			t.Errorf("%s on a read-only remote: %v", name, err)
		}
	}
	for _, v := range []string{"STOR", "APPE", "DELE", "MKD", "RMD", "RNFR", "MFMT", "MDTM"} {
		if hasCmd(s.commands(), v) {
			t.Errorf("%s sent to a read-only remote", v)
		}
	}
}

func tail(s []string, n int) []string {
	return s[max(0, len(s)-n):]
}

// Without MLST, Stat of a file costs SIZE and MDTM; only a directory costs a
// listing of its parent.
func TestStatWithoutMLST(t *testing.T) {
	s := newFake(t)
	s.feat = []string{"SIZE", "MDTM"}
	s.files["/f"] = []byte("12345")
	s.list = "drwxr-xr-x 2 0 0 4096 Jan 01 2025 d\r\n-rw-r--r-- 1 0 0 5 Jan 01 2025 f\r\n"
	s.handlers["MDTM"] = func(fc *fakeConn, _ string) { fc.reply("213 20250101020304") }
	s.start()
	c, err := Dial(context.Background(), s.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e, err := c.Stat(context.Background(), "f")
	want := Entry{Name: "f", Type: File, Size: 5, ModTime: time.Date(2025, 1, 1, 2, 3, 4, 0, time.UTC), PreciseTime: true}
	if err != nil || e != want {
		t.Fatalf("Stat(f) = %+v, %v; want %+v", e, err, want)
	}
	if hasCmd(s.commands(), "LIST") {
		t.Errorf("Stat of a file listed its directory: %q", s.commands())
	}
	if e, err := c.Stat(context.Background(), "d"); err != nil || e.Type != Dir {
		t.Fatalf("Stat(d) = %+v, %v", e, err)
	}
}

// A rename whose source is missing (RNFR refused) leaves the target alone:
// renameOver's delete-and-retry is only for a refused RNTO.
func TestRenameMissingSourceKeepsTarget(t *testing.T) {
	s := newFake(t)
	s.files["/target.edi"] = []byte("keep me")
	s.start()
	c := s.dial(Config{})
	if err := c.Rename(context.Background(), "missing.edi", "target.edi"); !isReply(err, 550) {
		t.Fatalf("Rename from a missing file = %v, want the 550", err)
	}
	if hasCmd(s.commands(), "DELE") {
		t.Errorf("transcript %q: the target was deleted", s.commands())
	}
	if b, ok := s.file("/target.edi"); !ok || string(b) != "keep me" {
		t.Errorf("target = %q, %v; want it unchanged", b, ok)
	}
}
