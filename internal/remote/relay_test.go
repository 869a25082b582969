package remote

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

func TestRelayCopiesEverything(t *testing.T) {
	a, b := net.Pipe()
	data := make([]byte, 5<<20+123)
	rand.Read(data)
	go func() {
		for p := data; len(p) > 0; {
			n := min(len(p), 7000) // not aligned with relay's buffers
			b.Write(p[:n])
			p = p[n:]
		}
		b.Close()
	}()
	var got bytes.Buffer
	n, err := relay(&got, a)
	if err != nil || n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("relay = %d, %v; got %d bytes, equal %v", n, err, got.Len(), bytes.Equal(got.Bytes(), data))
	}
}

// A small download takes one or two of relay's buffers, from the pool,
// instead of allocating all relayBufs: 256 KiB per file was the largest
// allocation of a small-file pull over TLS.
func TestRelaySmallDownloadAllocatesLittle(t *testing.T) {
	data := make([]byte, 4<<10)
	run := func() {
		a, b := net.Pipe()
		defer a.Close()
		go func() {
			b.Write(data)
			b.Close()
		}()
		if n, err := relay(io.Discard, a); err != nil || n != int64(len(data)) {
			t.Fatalf("relay = %d, %v; want %d, nil", n, err, len(data))
		}
	}
	run() // fills the pool
	const runs = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		run()
	}
	runtime.ReadMemStats(&after)
	// Under -race the pool drops a quarter of what it is given back, so
	// some runs allocate a buffer again; all relayBufs would be 256 KiB.
	const limit = relayBufs * relayBufSize / 4
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > limit {
		t.Errorf("relay of a 4 KiB download allocated %d bytes, want at most %d", per, limit)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// A writer that fails ends the relay at once, even though the remote
// keeps the connection open and sends nothing more.
func TestRelayStopsOnWriteError(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	go b.Write([]byte("first chunk, then silence"))
	boom := errors.New("client went away")
	_, err := relay(failWriter{boom}, a)
	if !errors.Is(err, boom) {
		t.Fatalf("relay = %v, want the writer's error", err)
	}
	var ne *netError
	if errors.As(err, &ne) {
		t.Errorf("a local write error was marked as a network error: %v", err)
	}
}

func TestRelayMarksReadErrors(t *testing.T) {
	a, b := net.Pipe()
	go func() {
		b.Write([]byte("some"))
		a.Close() // the data connection breaks under the reader
	}()
	var got bytes.Buffer
	_, err := relay(&got, a)
	var ne *netError
	if !errors.As(err, &ne) {
		t.Fatalf("relay = %v, want a netError", err)
	}
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-acc
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// deadlineConn.ReadFrom relays a socket's chunks (an *io.LimitedReader of
// a *net.TCPConn, as the FTP server hands a mount upload over) to plain
// TCP: every byte arrives in order, each call takes exactly its chunk, and
// the end of the source ends it short without an error.
func TestReadFromRelaysSocketChunks(t *testing.T) {
	clientOut, clientIn := tcpPair(t) // the partner's data connection
	remoteIn, remoteOut := tcpPair(t) // the remote's data connection
	data := make([]byte, 3<<20+12345)
	rand.Read(data)
	go func() {
		clientOut.Write(data)
		clientOut.Close()
	}()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(remoteOut)
		got <- b
	}()
	dc := &deadlineConn{Conn: remoteIn, timeout: 10 * time.Second}
	var total int64
	for {
		lr := &io.LimitedReader{R: clientIn, N: 256 << 10}
		n, err := dc.ReadFrom(lr)
		total += n
		if err != nil {
			t.Fatalf("ReadFrom after %d bytes: %v", total, err)
		}
		if lr.N != 256<<10-n {
			t.Fatalf("ReadFrom took %d bytes but left N at %d", n, lr.N)
		}
		if n < 256<<10 {
			break
		}
	}
	remoteIn.CloseWrite()
	if b := <-got; total != int64(len(data)) || !bytes.Equal(b, data) {
		t.Fatalf("relayed %d bytes, remote got %d; want %d identical", total, len(b), len(data))
	}
}
