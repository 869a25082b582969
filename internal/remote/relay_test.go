package remote

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net"
	"testing"
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
