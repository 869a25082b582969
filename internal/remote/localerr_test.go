package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// fullDisk is a download's writer that fails with ENOSPC once it took
// room bytes, as a file on a full disk does.
type fullDisk struct{ room int }

func (w *fullDisk) Write(p []byte) (int, error) {
	if len(p) <= w.room {
		w.room -= len(p)
		return len(p), nil
	}
	n := w.room
	w.room = 0
	return n, &os.PathError{Op: "write", Path: "/data/in/big.bin", Err: syscall.ENOSPC}
}

// fullFile is a local file on a full disk, which a plain data connection
// splices into (ReadFrom): the splice fails with ENOSPC once room bytes
// went in. (/dev/full will not do: splice into it is EINVAL.)
type fullFile struct{ fullDisk }

func (f *fullFile) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.CopyN(io.Discard, r, int64(f.room))
	f.room -= int(n)
	switch {
	case err == io.EOF:
		return n, nil // this chunk fitted
	case err != nil:
		return n, err
	}
	return n, &os.PathError{Op: "write", Path: "/data/in/big.bin", Err: os.NewSyscallError("splice", syscall.ENOSPC)}
}

// retrCutShort is RETR as vsftpd answers it when the client closes the
// data connection early: 426.
func retrCutShort(fc *fakeConn, arg string) {
	b, ok := fc.s.file(arg)
	if !ok {
		fc.reply("550 no such file")
		return
	}
	dc := fc.accept()
	if dc == nil {
		return
	}
	fc.reply("150 here it comes")
	_, err := dc.Write(b)
	dc.Close()
	if err != nil {
		fc.reply("426 Failure writing network stream.")
		return
	}
	fc.reply("226 done")
}

// TestRetrieveLocalWriteFailure: a download whose local writer fails (a
// full disk) reports the writer's error, not the server's 426 for the
// data connection closed under it, and is not retried: every try would
// fail the same way. The control connection stays in step and is kept.
func TestRetrieveLocalWriteFailure(t *testing.T) {
	cert := peertest.NewCert(t, peertest.CertOptions{})
	for _, tt := range []struct {
		name string
		tls  bool
		dst  func(t *testing.T) io.Writer
	}{
		{"plain/writer", false, func(*testing.T) io.Writer { return &fullDisk{room: 1 << 20} }},
		{"tls/writer", true, func(*testing.T) io.Writer { return &fullDisk{room: 1 << 20} }},
		// A local file: the socket is spliced into it.
		{"plain/file", false, func(*testing.T) io.Writer { return &fullFile{fullDisk{room: 1 << 20}} }},
		{"tls/file", true, func(*testing.T) io.Writer { return &fullFile{fullDisk{room: 1 << 20}} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.files["/big.bin"] = bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
			s.handlers["RETR"] = retrCutShort
			cfg := s.config()
			if tt.tls {
				s.cert = &cert.TLS
				cfg.TLS, cfg.RootCAs = TLSExplicit, cert.Roots
			}
			s.start()
			var retries atomic.Int32
			p, err := NewPool(cfg, PoolOptions{Backoff: time.Millisecond, OnRetry: func(int, error) { retries.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			_, err = p.Retrieve(context.Background(), "big.bin", 0, tt.dst(t))
			if !errors.Is(err, syscall.ENOSPC) || Transient(err) {
				t.Fatalf("Retrieve into a full disk = %v; want a permanent ENOSPC", err)
			}
			if n := retries.Load(); n != 0 {
				t.Errorf("retried %d times", n)
			}
			if st := p.Stats(); st.Dials != 1 || st.Idle != 1 {
				t.Errorf("stats %+v: want the one connection kept", st)
			}
			if err := p.NoOpCheck(context.Background()); err != nil {
				t.Errorf("NOOP after the failed download: %v", err)
			}
		})
	}
}

// TestRetrieveDataFailureStillRetried: a data connection that the server
// breaks is still the remote's failure, and retried.
func TestRetrieveDataFailureStillRetried(t *testing.T) {
	s := newFake(t)
	s.files["/f"] = bytes.Repeat([]byte("x"), 1<<20)
	var tries atomic.Int32
	s.handlers["RETR"] = func(fc *fakeConn, arg string) {
		if tries.Add(1) > 1 {
			fc.standard("RETR", arg)
			return
		}
		dc := fc.accept()
		if dc == nil {
			return
		}
		fc.reply("150 here it comes")
		dc.(*net.TCPConn).SetLinger(0) // a reset
		dc.Close()
		fc.reply("426 Connection reset")
	}
	s.start()
	p, err := NewPool(s.config(), PoolOptions{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var buf bytes.Buffer
	if _, err := p.Retrieve(context.Background(), "f", 0, &buf); err != nil || buf.Len() != 1<<20 || tries.Load() != 2 {
		t.Errorf("Retrieve = %v, %d bytes after %d tries; want the file after a retry", err, buf.Len(), tries.Load())
	}
}

// TestInteropRetrieveLocalWriteFailure: against vsftpd, a pull into a
// full disk fails with ENOSPC at once, without retries, over TLS (relay)
// and plain FTP (the socket spliced into the file).
func TestInteropRetrieveLocalWriteFailure(t *testing.T) {
	peertest.Interop(t)
	for _, mode := range []peertest.TLSMode{peertest.ExplicitTLS, peertest.NoTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			s := peertest.Vsftpd(t, peertest.Options{TLS: mode})
			s.WriteFile(t, "work/big.bin", bytes.Repeat([]byte("0123456789abcdef"), 1<<20)) // 16 MiB
			var retries atomic.Int32
			p, err := NewPool(configFor(s), PoolOptions{Backoff: 10 * time.Millisecond, OnRetry: func(int, error) { retries.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for _, tt := range []struct {
				name string
				dst  io.Writer
			}{
				{"writer", &fullDisk{room: 1 << 20}},
				{"file", &fullFile{fullDisk{room: 1 << 20}}},
			} {
				_, err := p.Retrieve(context.Background(), "big.bin", 0, tt.dst)
				if !errors.Is(err, syscall.ENOSPC) || Transient(err) {
					t.Errorf("%s: Retrieve into a full disk = %v; want a permanent ENOSPC", tt.name, err)
				}
			}
			if n := retries.Load(); n != 0 {
				t.Errorf("retried %d times", n)
			}
			if st := p.Stats(); st.Dials != 1 {
				t.Errorf("stats %+v: want the one connection kept", st)
			}
		})
	}
}
