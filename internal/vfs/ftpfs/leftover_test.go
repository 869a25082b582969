package ftpfs_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// stallProxy relays TCP connections on loopback to a plain-FTP server. On
// the first control connection that sends STOR it withholds every reply
// from then on, as a remote that is slow to answer does: the server has
// the command (and creates the file) but the client never hears back.
// With refuseAfter, it accepts no new connection once it withheld a reply.
type stallProxy struct {
	ln          net.Listener
	target      string
	refuseAfter bool
	held        chan struct{} // closed once a reply to STOR was withheld

	mu      sync.Mutex
	stalled bool // a connection has sent STOR
	conns   []net.Conn
	wg      sync.WaitGroup
}

func newStallProxy(t *testing.T, target string, refuseAfter bool) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target, refuseAfter: refuseAfter, held: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *stallProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *stallProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var stor sync.Once
		mine := make(chan struct{}) // closed when this connection sent STOR first
		p.wg.Add(2)
		go func() { // client to server, line by line
			defer p.wg.Done()
			defer s.Close()
			br := bufio.NewReader(c)
			for {
				line, err := br.ReadString('\n')
				if strings.HasPrefix(line, "STOR ") {
					p.mu.Lock()
					first := !p.stalled
					p.stalled = true
					p.mu.Unlock()
					if first {
						stor.Do(func() { close(mine) })
					}
				}
				if _, werr := io.WriteString(s, line); werr != nil || err != nil {
					return
				}
			}
		}()
		go func() { // server to client, until this one sent the first STOR
			defer p.wg.Done()
			defer c.Close()
			buf := make([]byte, 4096)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					select {
					case <-mine:
						p.hold()
						continue
					default:
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// hold records a withheld reply; with refuseAfter, new connections are
// refused from now on.
func (p *stallProxy) hold() {
	select {
	case <-p.held:
		return
	default:
	}
	close(p.held)
	if p.refuseAfter {
		p.ln.Close()
	}
}

// lockedBuffer is a log destination safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// temps lists the upload temporary files in dir.
func temps(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if remote.IsTemp(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// An upload whose start times out after STOR reached the remote, which
// created the temporary file but whose reply never came, leaves nothing:
// the temporary file is deleted over another connection (vsftpd,
// WHARF_INTEROP=1). When that delete cannot be made, it is logged, and
// the journal's record goes to the next sweep, which deletes the file
// once the remote can be reached again.
func TestStartTimeoutLeavesNoTemp(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		name := map[bool]string{false: "deleted", true: "logged"}[refuse]
		t.Run(name, func(t *testing.T) {
			peertest.Interop(t)
			s := peertest.Vsftpd(t, peertest.Options{TLS: peertest.NoTLS})
			px := newStallProxy(t, s.Addr, refuse)
			var log lockedBuffer
			pool, err := remote.NewPool(remote.Config{
				Host: "127.0.0.1", Port: px.port(), User: s.User, Password: secret.Secret(s.Password),
				TLS: remote.TLSNever, IOTimeout: 20 * time.Second, MaxConns: 2,
			}, remote.PoolOptions{Logger: slog.New(slog.NewTextHandler(&log, nil)), MaxAttempts: 2, Backoff: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "wharf.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			j := ftpfs.NewJournal(st, nil)
			f := ftpfs.New(context.Background(), ftpfs.FromPool(pool), ftpfs.Options{Remote: "slow", Root: s.Dir, OpTimeout: 2 * time.Second, Journal: j})
			_, err = f.OpenFile("order.edi", os.O_WRONLY|os.O_CREATE, 0o640)
			wantCode(t, "OpenFile of an upload the remote never answered", err, 451, "the transfer did not start within 2s")
			select {
			case <-px.held:
			default:
				t.Fatal("the remote's reply to STOR came after the timeout: this machine is too slow for the test's 2s")
			}
			left := temps(t, filepath.Join(s.Root, s.Dir))
			recs, err := st.MountUploads(t.Context(), "slow")
			if err != nil {
				t.Fatal(err)
			}
			if !refuse {
				for _, n := range left {
					t.Errorf("left on the remote: %s", n)
				}
				if len(recs) != 0 {
					t.Errorf("journal after the deleted upload = %+v; want it empty", recs)
				}
				return
			}
			if len(recs) != 1 || recs[0].Holder != "" {
				t.Errorf("journal after the failed delete = %+v; want one record, released", recs)
			}
			if len(left) != 1 {
				t.Fatalf("temporary files on the remote = %v; want the one whose delete was refused", left)
			}
			if l := log.String(); !strings.Contains(l, "remote temporary file left behind") || !strings.Contains(l, left[0]) {
				t.Errorf("log does not say that %s was left behind:\n%s", left[0], l)
			}
			// The same process, through a pool that reaches the remote.
			direct, err := remote.NewPool(remote.Config{Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password),
				TLS: remote.TLSNever, IOTimeout: 20 * time.Second}, remote.PoolOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer direct.Close()
			g := ftpfs.New(context.Background(), ftpfs.FromPool(direct), ftpfs.Options{Remote: "slow", Root: s.Dir, Journal: j})
			if _, err := g.ReadDir("."); err != nil {
				t.Fatal(err)
			}
			if got := temps(t, filepath.Join(s.Root, s.Dir)); len(got) != 0 {
				t.Errorf("left on the remote after the next sweep: %v", got)
			}
		})
	}
}
