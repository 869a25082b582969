package ftpserver_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

func TestPartnerRoundTrip(t *testing.T) {
	ts := startServer(t, ftpserver.Config{})
	c := ts.dial(t, "acme", false)
	data := bytes.Repeat([]byte("ISA*00*~"), 4096)
	if err := c.Stor("/receive/order.edi", bytes.NewReader(data)); err != nil {
		t.Fatalf("Stor: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(ts.root, "acme", "receive", "order.edi"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("received file = %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
	if !ts.hasEvent(t, store.EventReceived, "/receive/order.edi") {
		t.Errorf("no received event for /receive/order.edi")
	}
	if err := os.WriteFile(filepath.Join(ts.root, "acme", "send", "invoice.edi"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := c.Retr("/send/invoice.edi")
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	dl, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(dl, data) {
		t.Fatalf("downloaded %d bytes, %v; want %d", len(dl), err, len(data))
	}
	if !ts.hasEvent(t, store.EventSent, "/send/invoice.edi") {
		t.Errorf("no sent event for /send/invoice.edi")
	}
	ents, err := c.List("/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "receive,send" {
		t.Errorf("List(/) = %v, want [receive send]", names)
	}
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"upload to send", func() error { return c.Stor("/send/x.edi", strings.NewReader("x")) }},
		{"upload to root", func() error { return c.Stor("/x.edi", strings.NewReader("x")) }},
		{"download from receive", func() error { _, err := c.Retr("/receive/order.edi"); return err }},
		{"delete in send", func() error { return c.Delete("/send/invoice.edi") }},
		{"overwrite in receive", func() error { return c.Stor("/receive/order.edi", strings.NewReader("x")) }},
		{"mkdir at root", func() error { return c.MakeDir("/other") }},
		{"escape", func() error { _, err := c.Retr("/../ops/x"); return err }},
	} {
		if err := tc.op(); err == nil {
			t.Errorf("%s succeeded; want a refusal", tc.name)
		}
	}
	_ = ftp.EntryTypeFile
}
