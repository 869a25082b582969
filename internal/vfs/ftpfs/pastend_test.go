package ftpfs_test

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// A download opened past the end of the file (REST beyond its size) reads
// as ended, as an os.File does there, without a RETR to the remote: the
// FTP server judges the offset (554, as for a local file). vsftpd accepts
// such a REST and sends nothing, which the remote package reads as a
// transfer cut short: it was retried, and the client heard 451 (try again
// later), which never helps.
func TestDownloadPastEndNotRetrieved(t *testing.T) {
	f, s, _ := vsftpdFS(t, ftpfs.Options{})
	s.WriteFile(t, s.Dir+"/short.edi", []byte("0123456789"))
	for _, tc := range []struct {
		what string
		open func() (vfs.File, error)
	}{
		{"OpenAt(11)", func() (vfs.File, error) { return f.OpenAt("short.edi", 11) }},
		{"Seek(11)", func() (vfs.File, error) {
			r, err := f.OpenFile("short.edi", os.O_RDONLY, 0)
			if err != nil {
				return nil, err
			}
			if _, err := r.Seek(11, io.SeekStart); err != nil {
				r.Close()
				return nil, err
			}
			return r, nil
		}},
	} {
		r, err := tc.open()
		if err != nil {
			t.Errorf("%s of a 10-byte file: %v", tc.what, err)
			continue
		}
		if fi, err := r.Stat(); err != nil || fi.Size() != 10 {
			t.Errorf("%s: Stat = %v, %v; want the file's 10 bytes", tc.what, fi, err)
		}
		if b, err := io.ReadAll(r); err != nil || len(b) != 0 {
			t.Errorf("%s: read = %q, %v; want nothing and no error", tc.what, b, err)
		}
		r.Close()
	}
	if n := strings.Count(s.Log(), "REST 11"); n != 0 {
		t.Errorf("the remote was sent REST 11 %d times; want none", n)
	}
	// The end itself is a valid offset: nothing left to send.
	r, err := f.OpenAt("short.edi", 10)
	if err != nil {
		t.Fatalf("OpenAt(10) of a 10-byte file: %v", err)
	}
	defer r.Close()
	if b, err := io.ReadAll(r); err != nil || len(b) != 0 {
		t.Errorf("read from the end = %q, %v; want nothing", b, err)
	}
}
