package remote

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
)

// A server that refuses every rename (553: ftpserverlib with delete but
// no rename rights, ProFTPD's <Limit RNTO>) fails the upload and keeps
// the file the upload would have replaced: the refusal is not taken for
// "the target exists", so the target is never deleted.
func TestRenameRefusedKeepsTarget(t *testing.T) {
	s := newFake(t)
	s.files["/x.edi"] = []byte("yesterday's order")
	s.handlers["RNTO"] = func(fc *fakeConn, arg string) { fc.reply("553 Renaming is not permitted here") }
	s.start()
	c := s.dial(Config{})
	_, err := c.Store(context.Background(), "x.edi", bytes.NewReader([]byte("today's order")))
	if !isReply(err, 553) {
		t.Fatalf("Store = %v, want the server's 553", err)
	}
	if b, ok := s.file("/x.edi"); !ok || string(b) != "yesterday's order" {
		t.Errorf("x.edi = %q, %v after a refused upload; want yesterday's order", b, ok)
	}
	if got := s.fileNames(); !slices.Equal(got, []string{"/x.edi"}) {
		t.Errorf("files %q, want /x.edi alone", got)
	}
	if hasCmd(s.commands(), "DELE /x.edi") {
		t.Errorf("transcript %q: the target was deleted", s.commands())
	}
}

// A server that lets the old file be moved aside but refuses the new one
// its name (a rule on the name, say) gets the old file back under its
// name, and the upload fails with the first refusal.
func TestRenameRefusedAfterMovingAsideRestores(t *testing.T) {
	s := newFake(t)
	s.files["/x.edi"] = []byte("yesterday's order")
	s.handlers["RNTO"] = func(fc *fakeConn, arg string) {
		if b, _ := fc.s.file(fc.rnfr); arg == "/x.edi" && string(b) == "today's order" {
			fc.reply("553 Not allowed to replace this file")
			return
		}
		fc.standard("RNTO", arg)
	}
	s.start()
	c := s.dial(Config{})
	_, err := c.Store(context.Background(), "x.edi", strings.NewReader("today's order"))
	if !isReply(err, 553) {
		t.Fatalf("Store = %v, want the server's 553", err)
	}
	if b, ok := s.file("/x.edi"); !ok || string(b) != "yesterday's order" {
		t.Errorf("x.edi = %q, %v; want yesterday's order back", b, ok)
	}
	if got := s.fileNames(); !slices.Equal(got, []string{"/x.edi"}) {
		t.Errorf("files %q, want /x.edi alone (no aside copy, no temporary upload)", got)
	}
	var aside []string
	for _, cmd := range s.commands() {
		if a, ok := strings.CutPrefix(cmd, "RNTO /.x.edi."); ok && strings.HasSuffix(a, TempSuffix) {
			aside = append(aside, cmd)
		}
	}
	if len(aside) != 1 || !hasCmd(s.commands(), "RNFR "+strings.TrimPrefix(aside[0], "RNTO ")) {
		t.Errorf("transcript %q: want the old file moved aside and back", s.commands())
	}
	// The connection is still in step and usable.
	if err := c.NoOp(context.Background()); err != nil {
		t.Errorf("NoOp after the refused rename: %v", err)
	}
}

// Replacing over a server that refuses RNTO onto an existing file leaves
// the new file alone under the name: the old one is moved aside, then
// deleted once the new one is in place.
func TestStoreReplacesOverRefusingServer(t *testing.T) {
	s := newFake(t)
	s.files["/x.edi"] = []byte("yesterday's order")
	s.handlers["RNTO"] = func(fc *fakeConn, arg string) {
		if _, ok := fc.s.file(arg); ok {
			fc.reply("553 File exists")
			return
		}
		fc.standard("RNTO", arg)
	}
	s.start()
	c := s.dial(Config{})
	if _, err := c.Store(context.Background(), "x.edi", strings.NewReader("today's order")); err != nil {
		t.Fatalf("Store = %v", err)
	}
	if b, _ := s.file("/x.edi"); string(b) != "today's order" {
		t.Errorf("x.edi = %q, want today's order", b)
	}
	if got := s.fileNames(); !slices.Equal(got, []string{"/x.edi"}) {
		t.Errorf("files %q, want /x.edi alone", got)
	}
	if hasCmd(s.commands(), "DELE /x.edi") {
		t.Errorf("transcript %q: the old file was deleted before the new one was in place", s.commands())
	}
}

// A server that renames onto an existing file costs RNFR and RNTO, no
// more: nothing is checked or moved aside first.
func TestRenameOverCommonCaseCost(t *testing.T) {
	s := newFake(t)
	s.files["/x.edi"] = []byte("old")
	s.files["/y.edi"] = []byte("new")
	s.start()
	c := s.dial(Config{})
	before := len(s.commands())
	if err := c.Rename(context.Background(), "y.edi", "x.edi"); err != nil {
		t.Fatal(err)
	}
	want := []string{"RNFR /y.edi", "RNTO /x.edi"}
	if got := s.commands()[before:]; !slices.Equal(got, want) {
		t.Errorf("transcript %q, want %q", got, want)
	}
}

func (s *fakeServer) fileNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name := range s.files {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
