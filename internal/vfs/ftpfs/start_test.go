package ftpfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// scripted is a Pool over a local directory whose transfers run the
// test's functions, recording the offsets downloads start at.
type scripted struct {
	dirRenameRefuser
	emptyForMissing bool // List of a missing folder is empty, as vsftpd's LIST
	retrieve        func(ctx context.Context, off int64, w io.Writer) (int64, error)
	store           func(ctx context.Context, r io.Reader) (int64, error)

	mu      sync.Mutex
	offsets []int64
}

func (p *scripted) List(ctx context.Context, dir string) ([]remote.Entry, error) {
	es, err := p.dirRenameRefuser.List(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) && p.emptyForMissing {
		return nil, nil
	}
	return es, err
}

func (p *scripted) Retrieve(ctx context.Context, _ string, off int64, w io.Writer) (int64, error) {
	p.mu.Lock()
	p.offsets = append(p.offsets, off)
	p.mu.Unlock()
	return p.retrieve(ctx, off, w)
}

func (p *scripted) Upload(ctx context.Context, _ string, r io.Reader, _ remote.UploadOptions) (remote.Uploaded, error) {
	n, err := p.store(ctx, r)
	return remote.Uploaded{Bytes: n}, err
}

func (p *scripted) started() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int64(nil), p.offsets...)
}

// sendFrom is a remote that sends data from the offset, as a TLS relay
// does (Write) or a plain data connection (ReadFrom) when splice.
func sendFrom(data []byte, splice bool) func(context.Context, int64, io.Writer) (int64, error) {
	return func(_ context.Context, off int64, w io.Writer) (int64, error) {
		if splice {
			return w.(io.ReaderFrom).ReadFrom(bytes.NewReader(data[off:]))
		}
		n, err := w.Write(data[off:])
		return int64(n), err
	}
}

func newScripted(t *testing.T, opt ftpfs.Options, p *scripted) *ftpfs.FS {
	t.Helper()
	p.root = t.TempDir()
	if err := os.WriteFile(filepath.Join(p.root, "f.edi"), []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	opt.Remote = "fake"
	return ftpfs.New(context.Background(), p, opt)
}

func wantCode(t *testing.T, what string, err error, code int, text string) {
	t.Helper()
	var coded interface{ FTPCode() int }
	if !errors.As(err, &coded) || coded.FTPCode() != code || !strings.Contains(err.Error(), text) {
		t.Errorf("%s = %v; want a %d error containing %q", what, err, code, text)
	}
}

// The remote's refusal of RETR or STOR is OpenFile's error: nothing has to
// be read or written to learn it.
func TestOpenFileReturnsRefusal(t *testing.T) {
	p := &scripted{
		retrieve: func(context.Context, int64, io.Writer) (int64, error) {
			return 0, &textproto.Error{Code: 550, Msg: "Failed to open file."}
		},
		store: func(context.Context, io.Reader) (int64, error) {
			return 0, &textproto.Error{Code: 553, Msg: "Could not create file."}
		},
	}
	f := newScripted(t, ftpfs.Options{}, p)
	_, err := f.OpenFile("f.edi", os.O_RDONLY, 0)
	wantCode(t, "OpenFile(read) refused by the remote", err, 550, `remote "fake" refused: 550 Failed to open file.`)
	_, err = f.OpenFile("new.edi", os.O_WRONLY|os.O_CREATE, 0o640)
	wantCode(t, "OpenFile(write) refused by the remote", err, 550, `remote "fake" refused: 553 Could not create file.`)
}

// A download starts in OpenFile and then waits, holding the remote's data,
// until it is read; by Read or WriteTo, from a Write or a ReadFrom.
func TestDownloadStartsInOpenFile(t *testing.T) {
	data := []byte("0123456789")
	for _, splice := range []bool{false, true} {
		for _, viaRead := range []bool{false, true} {
			returned := make(chan struct{})
			send := sendFrom(data, splice)
			p := &scripted{retrieve: func(ctx context.Context, off int64, w io.Writer) (int64, error) {
				defer close(returned)
				return send(ctx, off, w)
			}}
			f := newScripted(t, ftpfs.Options{}, p)
			r, err := f.OpenFile("f.edi", os.O_RDONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-returned:
				t.Fatalf("splice %v: the download ended before anyone read it", splice)
			default:
			}
			var got []byte
			if viaRead {
				got, err = io.ReadAll(r)
			} else {
				var b bytes.Buffer
				_, err = r.(io.WriterTo).WriteTo(&b)
				got = b.Bytes()
			}
			if err != nil || string(got) != string(data) {
				t.Errorf("splice %v, read %v: got %q, %v; want %q", splice, viaRead, got, err, data)
			}
			r.Close()
		}
	}
}

// A Seek before reading starts the download again at the offset (REST);
// the first one is stopped, and its writer fails.
func TestDownloadSeekRestarts(t *testing.T) {
	data := []byte("0123456789")
	firstErr := make(chan error, 1)
	p := &scripted{}
	p.retrieve = func(ctx context.Context, off int64, w io.Writer) (int64, error) {
		n, err := sendFrom(data, false)(ctx, off, w)
		if off == 0 {
			firstErr <- err
		}
		return n, err
	}
	f := newScripted(t, ftpfs.Options{}, p)
	// Stat tells the size sent: an offset past it reads as the end.
	if err := os.WriteFile(filepath.Join(p.root, "f.edi"), data, 0o640); err != nil {
		t.Fatal(err)
	}
	r, err := f.OpenFile("f.edi", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Seek(4, io.SeekStart); err != nil || n != 4 {
		t.Fatalf("Seek(4) = %d, %v", n, err)
	}
	if err := <-firstErr; err == nil {
		t.Errorf("the download from 0 was not stopped by the Seek")
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "456789" {
		t.Errorf("after Seek(4) read %q, %v; want 456789", got, err)
	}
	if got := p.started(); len(got) != 2 || got[0] != 0 || got[1] != 4 {
		t.Errorf("downloads started at %v, want [0 4]", got)
	}
	if _, err := r.Seek(0, io.SeekStart); err == nil {
		t.Errorf("Seek after reading succeeded")
	}
	r.Close()
}

// Close without reading stops the download; an empty file needs no read
// to end.
func TestDownloadCloseAndEmpty(t *testing.T) {
	ended := make(chan error, 1)
	p := &scripted{retrieve: func(ctx context.Context, off int64, w io.Writer) (int64, error) {
		n, err := sendFrom([]byte("data"), true)(ctx, off, w)
		ended <- err
		return n, err
	}}
	f := newScripted(t, ftpfs.Options{}, p)
	r, err := f.OpenFile("f.edi", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if err := <-ended; err == nil {
		t.Errorf("a download closed before reading went on")
	}

	p.retrieve = func(context.Context, int64, io.Writer) (int64, error) { return 0, nil }
	for _, viaRead := range []bool{false, true} {
		r, err := f.OpenFile("f.edi", os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if viaRead {
			var b []byte
			b, err = io.ReadAll(r)
			n = int64(len(b))
		} else {
			n, err = r.(io.WriterTo).WriteTo(io.Discard)
		}
		if n != 0 || err != nil {
			t.Errorf("read %v of an empty file = %d, %v", viaRead, n, err)
		}
		r.Close()
	}
}

// An upload starts in OpenFile (the remote is asked for STOR, which reads
// its input) and takes what Write gives; Close publishes it.
func TestUploadStartsInOpenFile(t *testing.T) {
	asked := make(chan struct{})
	var got bytes.Buffer
	p := &scripted{store: func(_ context.Context, r io.Reader) (int64, error) {
		close(asked)
		return io.Copy(&got, r)
	}}
	f := newScripted(t, ftpfs.Options{}, p)
	w, err := f.OpenFile("new.edi", os.O_WRONLY|os.O_CREATE, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	default:
		t.Fatal("OpenFile returned before the remote was asked to store")
	}
	if _, err := w.Write([]byte("order")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil || got.String() != "order" {
		t.Errorf("Close = %v, remote got %q; want order", err, got.String())
	}
}

// A transfer that cannot start (every pooled connection busy) is refused
// after OpTimeout with 451, and its wait is cancelled.
func TestTransferStartBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}
		p := &scripted{
			retrieve: func(ctx context.Context, _ int64, _ io.Writer) (int64, error) { return 0, block(ctx) },
			store:    func(ctx context.Context, _ io.Reader) (int64, error) { return 0, block(ctx) },
		}
		f := newScripted(t, ftpfs.Options{OpTimeout: time.Second}, p)
		start := time.Now()
		_, err := f.OpenFile("f.edi", os.O_RDONLY, 0)
		wantCode(t, "OpenFile(read) that cannot start", err, 451, "the transfer did not start within 1s")
		_, err = f.OpenFile("new.edi", os.O_WRONLY|os.O_CREATE, 0o640)
		wantCode(t, "OpenFile(write) that cannot start", err, 451, "the transfer did not start within 1s")
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("two refusals took %v, want 2s", d)
		}
	})
}

// A mount of a folder that does not exist says so, with 550, at the mount
// point and below, and logs it once; a folder created later is seen.
func TestMissingRoot(t *testing.T) {
	var log bytes.Buffer
	p := &scripted{emptyForMissing: true}
	f := newScripted(t, ftpfs.Options{Root: "/nothere", Logger: slog.New(slog.NewTextHandler(&log, nil))}, p)
	const want = "remote folder /nothere does not exist on fake"
	_, err := f.Stat(".")
	wantCode(t, "Stat(.)", err, 550, want)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(.) = %v, want it to wrap fs.ErrNotExist", err)
	}
	_, err = f.ReadDir(".")
	wantCode(t, "ReadDir(.)", err, 550, want)
	_, err = f.Stat("sub/f.edi")
	wantCode(t, "Stat(sub/f.edi)", err, 550, want)
	_, err = f.ReadDir("sub")
	wantCode(t, "ReadDir(sub)", err, 550, want)
	_, err = f.OpenFile("f.edi", os.O_RDONLY, 0)
	wantCode(t, "OpenFile(f.edi)", err, 550, want)
	if n := strings.Count(log.String(), "mounted remote folder does not exist"); n != 1 || !strings.Contains(log.String(), "remote_path=/nothere") {
		t.Errorf("log has %d warnings, want 1 naming the folder:\n%s", n, log.String())
	}

	if err := os.Mkdir(filepath.Join(p.root, "nothere"), 0o750); err != nil {
		t.Fatal(err)
	}
	if fi, err := f.Stat("."); err != nil || !fi.IsDir() {
		t.Errorf("Stat(.) once the folder exists = %v, %v", fi, err)
	}
	if es, err := f.ReadDir("."); err != nil || len(es) != 0 {
		t.Errorf("ReadDir(.) of the new empty folder = %v, %v", es, err)
	}
	// Below an existing root, a missing folder is just missing.
	_, err = f.ReadDir("sub")
	var coded interface{ FTPCode() int }
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &coded) {
		t.Errorf("ReadDir(sub) under an existing root = %v, want a plain fs.ErrNotExist", err)
	}

	if err := os.WriteFile(filepath.Join(p.root, "file"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	g := ftpfs.New(context.Background(), p, ftpfs.Options{Remote: "fake", Root: "/file"})
	_, err = g.Stat(".")
	wantCode(t, "Stat(.) of a mount of a file", err, 550, "remote path /file on fake is a file, not a folder")
}

// Against vsftpd through remote.Pool: a download stopped before it was
// read (restarted by Seek, then closed) is not retried, and its control
// connection goes back to the pool and carries the next download.
func TestStoppedDownloadNotRetried(t *testing.T) {
	f, s, pool := vsftpdFS(t, ftpfs.Options{})
	data := bytes.Repeat([]byte("wharf"), 2<<20) // 10 MiB: more than socket buffers hold
	if err := os.WriteFile(filepath.Join(s.Root, s.Dir, "big.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := f.OpenFile("big.bin", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Seek(1<<20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r, err = f.OpenFile("big.bin", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.(io.WriterTo).WriteTo(io.Discard)
	r.Close()
	if err != nil || n != int64(len(data)) {
		t.Errorf("download after two stopped ones = %d, %v; want %d bytes", n, err, len(data))
	}
	if st := pool.Stats(); st.Retries != 0 || st.Dials != 1 || st.Open != 1 {
		t.Errorf("pool after stopped downloads: %+v; want no retry, one connection dialled and still open", st)
	}
}
