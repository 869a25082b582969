package filesync

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/store"
)

// TestInteropPushFileChangedDuringCopy is TestPushFileChangedDuringCopy
// against vsftpd throttled to 4 MB/s, over plain FTP (where the upload
// sends the local file with sendfile) and explicit FTPS: the local file
// (16 MiB, more than the socket buffers hold) is rewritten in place once
// the server holds part of its upload, and the remote never shows a torn
// or truncated copy under its name.
func TestInteropPushFileChangedDuringCopy(t *testing.T) {
	peertest.Interop(t)
	for _, mode := range []peertest.TLSMode{peertest.NoTLS, peertest.ExplicitTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			s := peertest.Vsftpd(t, peertest.Options{TLS: mode, Extra: []string{"anon_max_rate=4194304"}})
			p := fromPeertest(t, s)
			e, _ := interopEnv(t, p, store.Sync{Direction: store.SyncPush})
			old := bytes.Repeat([]byte("o"), 16<<20)
			neu := bytes.Repeat([]byte("n"), 16<<20)
			write(t, e.local, "big.bin", string(old), t0)
			fp := filepath.Join(e.local, "big.bin")
			rewritten := make(chan struct{})
			go func() {
				defer close(rewritten)
				// Once the server's temporary holds some bytes (it takes
				// 4 MB a second of the 16 MiB), rewrite the source.
				deadline := time.Now().Add(20 * time.Second)
				for time.Now().Before(deadline) {
					ents, _ := os.ReadDir(p.dir)
					for _, de := range ents {
						if !strings.HasSuffix(de.Name(), remoteTempSuffix) {
							continue
						}
						if fi, err := de.Info(); err == nil && fi.Size() > 0 {
							if err := os.WriteFile(fp, neu, 0o644); err != nil {
								t.Error(err)
							}
							if err := os.Chtimes(fp, t0.Add(time.Minute), t0.Add(time.Minute)); err != nil {
								t.Error(err)
							}
							return
						}
					}
					time.Sleep(time.Millisecond) // polling the server's folder, not synchronizing
				}
				t.Error("the upload's temporary never showed on the server")
			}()
			res, err := e.run(RunOptions{})
			<-rewritten
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			got, rerr := os.ReadFile(filepath.Join(p.dir, "big.bin"))
			if rerr == nil && !bytes.Equal(got, old) && !bytes.Equal(got, neu) {
				t.Fatalf("remote big.bin after the run is a torn copy (%d bytes, neither version); run %+v, errors %v", len(got), res.Run, res.Errors)
			}
			if rerr == nil && bytes.Equal(got, old) {
				t.Logf("the upload finished before the rewrite; run %+v", res.Run)
			}
			e.mustRun()
			got, err = os.ReadFile(filepath.Join(p.dir, "big.bin"))
			if err != nil || !bytes.Equal(got, neu) {
				t.Fatalf("remote big.bin after the next run: %d bytes, err %v; want the new version", len(got), err)
			}
			if left := tree(t, p.dir); len(left) != 1 {
				t.Errorf("remote holds %v, want big.bin only", keys(left))
			}
		})
	}
}
