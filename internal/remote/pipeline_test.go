package remote

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
)

// pipelineFake is a fake server that records, for every EPSV, whether the
// next command had already arrived with it (in the same write).
func pipelineFake(t *testing.T) (*fakeServer, func() []bool) {
	s := newFake(t)
	var mu sync.Mutex
	var together []bool
	s.handlers["EPSV"] = func(fc *fakeConn, arg string) {
		mu.Lock()
		together = append(together, fc.r.Buffered() > 0)
		mu.Unlock()
		fc.standard("EPSV", arg)
	}
	return s, func() []bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(together)
	}
}

// TestDataCommandWithEPSV: the first transfer on a connection sends EPSV
// alone; once it worked, EPSV and the data command go in one write, and
// the transfers still move the right bytes.
func TestDataCommandWithEPSV(t *testing.T) {
	s, together := pipelineFake(t)
	s.start()
	c := s.dial(Config{})
	ctx := context.Background()
	for _, name := range []string{"/a", "/b", "/c"} {
		if _, err := c.Store(ctx, name, strings.NewReader("data of "+name)); err != nil {
			t.Fatalf("Store %s: %v", name, err)
		}
	}
	var got strings.Builder
	if _, err := c.Retrieve(ctx, "/b", 0, &got); err != nil || got.String() != "data of /b" {
		t.Fatalf("Retrieve = %q, %v", got.String(), err)
	}
	if want := []bool{false, true, true, true}; !slices.Equal(together(), want) {
		t.Errorf("data command in EPSV's write, per EPSV: %v; want %v", together(), want)
	}
}

// TestPipelinedCommandRefused: a data command refused when it arrives with
// EPSV, by a server that closes its passive port as it refuses (the dial
// fails), fails with the server's reply, not the dial error, and the
// connection stays in step.
func TestPipelinedCommandRefused(t *testing.T) {
	s, _ := pipelineFake(t)
	next := s.handlers["EPSV"]
	s.handlers["EPSV"] = func(fc *fakeConn, arg string) {
		if b, _ := fc.r.Peek(fc.r.Buffered()); !strings.Contains(string(b), "denied") {
			next(fc, arg)
			return
		}
		fc.listen()
		port := fc.data.Addr().(*net.TCPAddr).Port
		fc.data.Close()
		fc.data = nil
		fc.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
	}
	s.handlers["STOR"] = func(fc *fakeConn, arg string) {
		if strings.Contains(arg, "denied") {
			fc.reply("550 Permission denied")
			return
		}
		fc.standard("STOR", arg)
	}
	s.start()
	c := s.dial(Config{})
	ctx := context.Background()
	if _, err := c.Store(ctx, "/ok", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Store(ctx, "/denied", strings.NewReader("2"))
	if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "Permission denied") || strings.Contains(err.Error(), "passive") {
		t.Fatalf("Store /denied = %v; want the server's 550", err)
	}
	if _, err := c.Store(ctx, "/after", strings.NewReader("3")); err != nil {
		t.Fatalf("Store after the refusal: %v", err)
	}
	if b, ok := s.file("/after"); !ok || string(b) != "3" {
		t.Errorf("/after = %q (%v); want 3", b, ok)
	}
}

// TestPipelinedEPSVFails: when EPSV fails after having worked, the data
// command sent with it is answered too (425: no passive port); both
// replies are read, so the next command gets its own.
func TestPipelinedEPSVFails(t *testing.T) {
	s, _ := pipelineFake(t)
	var mu sync.Mutex
	n := 0
	next := s.handlers["EPSV"]
	s.handlers["EPSV"] = func(fc *fakeConn, arg string) {
		mu.Lock()
		n++
		second := n == 2
		mu.Unlock()
		if second {
			fc.reply("425 No passive port free")
			return
		}
		next(fc, arg)
	}
	s.start()
	c := s.dial(Config{})
	ctx := context.Background()
	if _, err := c.Store(ctx, "/one", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Store(ctx, "/two", strings.NewReader("2"))
	if err == nil || !strings.Contains(err.Error(), "425") || !strings.Contains(err.Error(), "No passive port free") {
		t.Fatalf("Store /two = %v; want EPSV's 425", err)
	}
	if err := c.NoOp(ctx); err != nil {
		t.Fatalf("NOOP after the failed EPSV: %v (connection out of step)", err)
	}
	if _, err := c.Store(ctx, "/three", strings.NewReader("3")); err != nil {
		t.Fatalf("Store /three: %v", err)
	}
}
