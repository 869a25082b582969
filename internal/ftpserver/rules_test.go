package ftpserver_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

func TestPlainLoginNeedsOptIn(t *testing.T) {
	yes := true
	ts := startServer(t, ftpserver.Config{})
	if c, err := ts.dialErr("acme", testPass, true); err == nil {
		c.Quit()
		t.Fatalf("plain login succeeded with TLS required")
	} else if !strings.Contains(err.Error(), "TLS") {
		t.Errorf("plain login error = %v, want it to say TLS is required", err)
	}
	// The operator sees the refusal in the event log.
	refused := false
	for _, e := range ts.events(t) {
		refused = refused || e.Kind == store.EventLoginFailed && e.Account == "acme" && strings.Contains(e.Detail, "TLS required")
	}
	if !refused {
		t.Errorf("no login_failed event for the plain login: %+v", ts.events(t))
	}
	ts2 := startServer(t, ftpserver.Config{}, func(a *store.Account) { a.Policy.AllowPlain = &yes })
	c := ts2.dial(t, "acme", true)
	if err := c.Stor("/receive/plain.edi", strings.NewReader("x")); err != nil {
		t.Errorf("plain upload for opted-in account: %v", err)
	}
	if c, err := ts2.dialErr("ops", testPass, true); err == nil {
		c.Quit()
		t.Errorf("plain login for staff (not opted in) succeeded")
	}
}

func TestImplicitTLSAndModes(t *testing.T) {
	ts := startServer(t, ftpserver.Config{TLSReuse: true})
	for _, tc := range []struct {
		name string
		opts []ftp.DialOption
		addr string
	}{
		{"explicit-epsv", []ftp.DialOption{ftp.DialWithExplicitTLS(clientTLS())}, ts.addr},
		{"explicit-pasv", []ftp.DialOption{ftp.DialWithExplicitTLS(clientTLS()), ftp.DialWithDisabledEPSV(true)}, ts.addr},
		{"implicit", []ftp.DialOption{ftp.DialWithTLS(clientTLS())}, ts.implicit},
		{"tls13", []ftp.DialOption{ftp.DialWithExplicitTLS(func() *tls.Config { c := clientTLS(); c.MinVersion = tls.VersionTLS13; return c }())}, ts.addr},
		{"tls12", []ftp.DialOption{ftp.DialWithExplicitTLS(func() *tls.Config { c := clientTLS(); c.MaxVersion = tls.VersionTLS12; return c }())}, ts.addr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ftp.Dial(tc.addr, append(tc.opts, ftp.DialWithTimeout(10*time.Second))...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Quit()
			if err := c.Login("acme", testPass); err != nil {
				t.Fatal(err)
			}
			name := "/receive/" + tc.name + ".edi"
			data := bytes.Repeat([]byte(tc.name), 10000)
			if err := c.Stor(name, bytes.NewReader(data)); err != nil {
				t.Fatalf("Stor: %v", err)
			}
			if _, err := c.List("/receive"); err != nil {
				t.Fatalf("List: %v", err)
			}
			got, _ := os.ReadFile(filepath.Join(ts.root, "acme", name))
			if !bytes.Equal(got, data) {
				t.Errorf("stored %d bytes, want %d", len(got), len(data))
			}
		})
	}
}

func TestTLSReuseRequired(t *testing.T) {
	ts := startServer(t, ftpserver.Config{TLSReuse: true})
	noCache := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}
	c, err := ftp.Dial(ts.addr, ftp.DialWithExplicitTLS(noCache), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("acme", testPass); err != nil {
		t.Fatal(err)
	}
	_, err = c.List("/receive")
	if err == nil || !strings.Contains(err.Error(), "tls_reuse") {
		t.Errorf("List without session reuse = %v, want a refusal naming tls_reuse", err)
	}
	// Another session's ticket does not count as reuse of this session's.
	other := ts.dial(t, "acme", false)
	if _, err := other.List("/receive"); err != nil {
		t.Errorf("List with session reuse: %v", err)
	}
}

func TestStaffSeesWholeRoot(t *testing.T) {
	ts := startServer(t, ftpserver.Config{})
	c := ts.dial(t, "ops", false)
	if err := c.Stor("/acme/send/for-acme.edi", strings.NewReader("hello")); err != nil {
		t.Fatalf("staff upload into acme/send: %v", err)
	}
	p := ts.dial(t, "acme", false)
	r, err := p.Retr("/send/for-acme.edi")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "hello" {
		t.Errorf("partner downloaded %q, want hello", b)
	}
	ents, err := c.NameList("/")
	if err != nil || len(ents) != 1 || !strings.HasSuffix(ents[0], "acme") {
		t.Errorf("staff NLST / = %v, %v; want [acme]", ents, err)
	}
}

func TestUploadRules(t *testing.T) {
	yes := true
	ts := startServer(t, ftpserver.Config{Filter: "*.edi,-*.tmp", TempExtensions: ".part"}, func(a *store.Account) {
		a.Policy.Overwrite = &yes
	})
	c := ts.dial(t, "acme", false)
	err := c.Stor("/receive/a.csv", strings.NewReader("x"))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 553 || !strings.Contains(err.Error(), "*.edi") {
		t.Errorf("Stor a.csv = %v, want 553 (file name not allowed) naming *.edi", err)
	}
	if exists(filepath.Join(ts.root, "acme", "receive", "a.csv")) {
		t.Errorf("refused upload left a file")
	}
	if err := c.Stor("/receive/y.part", strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "is judged without its temp extension") {
		t.Errorf("Stor y.part = %v, want a refusal that explains the temp extension", err)
	}
	if err := c.Stor("/receive/b.edi.part", strings.NewReader("part")); err != nil {
		t.Fatalf("Stor temp-extension upload: %v", err)
	}
	if ts.hasEvent(t, store.EventReceived, "/receive/b.edi.part") {
		t.Errorf("temp-extension upload recorded as received")
	}
	if err := c.Rename("/receive/b.edi.part", "/receive/b.edi"); err != nil {
		t.Fatal(err)
	}
	if !ts.hasEvent(t, store.EventReceived, "/receive/b.edi") {
		t.Errorf("rename from temp extension not recorded as received")
	}
	// Overwrite allowed for this account: a second upload replaces the first.
	if err := c.Stor("/receive/b.edi", strings.NewReader("v2")); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(ts.root, "acme", "receive", "b.edi")); string(b) != "v2" {
		t.Errorf("after overwrite file = %q, want v2", b)
	}
	// Append resumes onto a copy: the result is old+new.
	if err := c.Append("/receive/b.edi", strings.NewReader("+more")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(ts.root, "acme", "receive", "b.edi")); string(b) != "v2+more" {
		t.Errorf("after append file = %q, want v2+more", b)
	}
	ents, _ := os.ReadDir(filepath.Join(ts.root, "acme", "receive"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".wharf-") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

func TestRemoveAfterSend(t *testing.T) {
	ts := startServer(t, ftpserver.Config{RemoveAfterSend: true})
	p := filepath.Join(ts.root, "acme", "send", "out.edi")
	if err := os.WriteFile(p, bytes.Repeat([]byte("z"), 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(t, "acme", false)
	// A partial read (REST near the end still sends the rest) is complete;
	// reading only part of the stream and closing is not.
	r, err := c.Retr("/send/out.edi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if exists(p) {
		t.Errorf("file still in send/ after a complete download")
	}
	if !ts.hasEvent(t, store.EventDeleted, "/send/out.edi") {
		t.Errorf("no deleted event after remove-after-send")
	}
}

// TestReservedUploadName: an upload under the server's hidden temp prefix
// is refused saying why; the name is reserved, not missing.
func TestReservedUploadName(t *testing.T) {
	ts := startServer(t, ftpserver.Config{})
	c := ts.dial(t, "acme", false)
	err := c.Stor("/receive/.wharf-evil", strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), "names starting with .wharf- are reserved") {
		t.Errorf("STOR of a .wharf- name = %v, want a refusal saying the name is reserved", err)
	}
	if _, err := c.Retr("/receive/.wharf-evil"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("RETR of a .wharf- name = %v, want no such file (uploads in progress stay hidden)", err)
	}
}
