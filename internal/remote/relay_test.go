package remote

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

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
