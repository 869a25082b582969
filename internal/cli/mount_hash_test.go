package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
)

// TestMountHashNoAbortedDownload: HASH on a mounted file, asked three
// times through `wharf serve` (WHARF_INTEROP=1), tells the file's digest,
// and the remote's log shows no download it had to abort: vsftpd offers
// no hash command, so the file is read to its end each time.
func TestMountHashNoAbortedDownload(t *testing.T) {
	s := peertest.Vsftpd(t, peertest.Options{})
	data := bytes.Repeat([]byte("ISA*00*hash~"), 300<<10) // 3.6 MB: more than socket buffers hold
	s.WriteFile(t, "work/order.edi", data)
	dir := t.TempDir()
	const opsPW = "staff-pw-123456"
	mustRun(t, dir, opsPW+"\n", "staff", "add", "ops", "--password-stdin")
	mustRun(t, dir, s.Password+"\n", "remote", "add", "v", "--url", "ftps://"+s.User+"@"+s.Addr+s.Dir, "--allow-self-signed", "--password-stdin")
	mustRun(t, dir, "", "mount", "add", "ops", "/bank", "v:/")
	addr, _ := serveAddr(t, dir)

	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	c, err := remote.Dial(t.Context(), remote.Config{Host: host, Port: port, User: "ops", Password: secret.Secret(opsPW),
		AllowSelfSigned: true, IOTimeout: 20 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	for i := range 3 {
		alg, got, err := c.Hash(t.Context(), "/bank/order.edi")
		if err != nil || alg != "SHA-256" || got != want {
			t.Fatalf("HASH %d of the mounted file = %s %s, %v; want SHA-256 %s", i, alg, got, err, want)
		}
	}
	if log := s.Log(); strings.Contains(log, "FAIL DOWNLOAD") {
		t.Errorf("the remote aborted a download for HASH:\n%s", log)
	}
}
