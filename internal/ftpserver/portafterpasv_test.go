package ftpserver_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestPortClosesPendingPassivePort: PORT after PASV closes the passive
// port the PASV opened, instead of leaving it listening until the session
// ends.
func TestPortClosesPendingPassivePort(t *testing.T) {
	ts := startServer(t, ftpserver.Config{AllowPlain: true, ActiveMode: true})
	r, _, _ := rawDial(t, "127.0.0.1", ts.addr)
	r.login("acme")
	pasv := r.pasv()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := ln.Addr().(*net.TCPAddr).Port
	if code, msg := r.cmd(fmt.Sprintf("PORT 127,0,0,1,%d,%d", p>>8, p&0xff)); code != 200 {
		t.Fatalf("PORT = %d %s", code, msg)
	}
	if c, err := net.Dial("tcp", pasv); err == nil {
		c.Close()
		t.Errorf("the passive port %s still accepts connections after PORT replaced it", pasv)
	}
}
