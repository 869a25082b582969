package sendfile_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/sendfile"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (send, recv *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dialed := make(chan net.Conn, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Error(err)
		}
		dialed <- c
	}()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	b := <-dialed
	if b == nil {
		t.FailNow()
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

func tempFile(t *testing.T, data []byte) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// bigFile is a sparse file larger than any socket buffer on loopback.
func bigFile(t *testing.T) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(256 << 20); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCopy: Copy sends from the file's offset, n bytes or to the end, and
// moves the offset past what it sent, for more than a socket buffer holds
// and for less; the connection then works as usual,
// deadlines included.
func TestCopy(t *testing.T) {
	data := make([]byte, 3<<20+17)
	rand.Read(data)
	for _, tc := range []struct {
		name      string
		off, n    int64
		want      []byte
		offsetEnd int64
	}{
		{"all", 0, -1, data, int64(len(data))},
		{"from an offset", 1000, -1, data[1000:], int64(len(data))},
		{"n bytes", 5, 70000, data[5:70005], 70005},
		{"n past the end", 0, int64(len(data)) + 10, data, int64(len(data))},
		{"nothing", 0, 0, nil, 0},
		// Fits in the send buffer: goes without the switch to blocking.
		{"the last 4 KiB", int64(len(data)) - 4096, -1, data[len(data)-4096:], int64(len(data))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send, recv := pair(t)
			f := tempFile(t, data)
			if _, err := f.Seek(tc.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(recv)
				got <- b
			}()
			n, err := sendfile.Copy(send, f, tc.n, time.Minute)
			if err != nil || n != int64(len(tc.want)) {
				t.Fatalf("Copy = %d, %v; want %d, nil", n, err, len(tc.want))
			}
			if off, _ := f.Seek(0, io.SeekCurrent); off != tc.offsetEnd {
				t.Errorf("file offset %d after Copy; want %d", off, tc.offsetEnd)
			}
			// Still non-blocking: Write honours its deadline and goes out.
			send.SetWriteDeadline(time.Now().Add(time.Minute))
			if _, err := send.Write([]byte("tail")); err != nil {
				t.Fatal(err)
			}
			send.CloseWrite()
			if b := <-got; !bytes.Equal(b, append(append([]byte{}, tc.want...), "tail"...)) {
				t.Errorf("received %d bytes, not the %d sent and the tail", len(b), len(tc.want))
			}
		})
	}
}

// TestCopyStalled: a peer that stops reading ends Copy after idle without
// progress, with os.ErrDeadlineExceeded; the connection is non-blocking
// again, so a Write under a past deadline fails at once.
func TestCopyStalled(t *testing.T) {
	send, _ := pair(t)
	f := bigFile(t)
	start := time.Now()
	n, err := sendfile.Copy(send, f, -1, 300*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Copy to a peer that does not read = %d, %v; want os.ErrDeadlineExceeded", n, err)
	}
	if n <= 0 || n >= 256<<20 {
		t.Errorf("sent %d bytes before the stall; want some, not all", n)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stall noticed after %v; want about 300ms", d)
	}
	send.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := send.Write(make([]byte, 1<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write after Copy under a past deadline: %v; want os.ErrDeadlineExceeded (socket left blocking?)", err)
	}
}

// TestInterrupt: Interrupt from another goroutine ends a Copy blocked on a
// peer that stopped reading, long before its idle timeout, and Close then
// returns.
func TestInterrupt(t *testing.T) {
	send, recv := pair(t)
	f := bigFile(t)
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := sendfile.Copy(send, f, -1, time.Hour)
		done <- result{n, err}
	}()
	// The first bytes show Copy has started; then recv stops reading.
	if _, err := io.ReadFull(recv, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	sendfile.Interrupt(send)
	closed := make(chan error, 1)
	go func() { closed <- send.Close() }()
	select {
	case r := <-done:
		if r.err == nil || r.n >= 256<<20 {
			t.Errorf("interrupted Copy = %d, %v; want an error before the end", r.n, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Copy still blocked 30s after Interrupt")
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close still waiting 30s after Interrupt")
	}
}

// TestCopyFromPipe: a file sendfile(2) may refuse as its source (a pipe
// here; some FUSE file systems too) still goes, through Go's own copy.
func TestCopyFromPipe(t *testing.T) {
	send, recv := pair(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	data := make([]byte, 300<<10)
	rand.Read(data)
	go func() {
		pw.Write(data)
		pw.Close()
	}()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(recv)
		got <- b
	}()
	n, err := sendfile.Copy(send, pr, -1, time.Minute)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Copy from a pipe = %d, %v; want %d, nil", n, err, len(data))
	}
	send.CloseWrite()
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("received %d bytes, not the %d written to the pipe", len(b), len(data))
	}
}

// TestChunked: Chunked sends n bytes (or all) of any reader, and a fast
// transfer grows the caller's chunk size from MinChunk for the next call.
func TestChunked(t *testing.T) {
	data := make([]byte, 1<<20)
	rand.Read(data)
	send, recv := pair(t)
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(recv)
		got <- b
	}()
	var chunk int64
	n, err := sendfile.Chunked(send, bytes.NewReader(data), 300000, time.Minute, &chunk)
	if err != nil || n != 300000 {
		t.Fatalf("Chunked with n = 300000: %d, %v", n, err)
	}
	if chunk <= sendfile.MinChunk {
		t.Errorf("chunk after a fast transfer: %d, want more than MinChunk (%d)", chunk, sendfile.MinChunk)
	}
	m, err := sendfile.Chunked(send, bytes.NewReader(data[300000:]), -1, time.Minute, &chunk)
	if err != nil || m != int64(len(data))-300000 {
		t.Fatalf("Chunked of the rest: %d, %v", m, err)
	}
	send.CloseWrite()
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("received %d bytes, not the %d sent", len(b), len(data))
	}
}
