package remote

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a scripted plain-FTP server on loopback for the quirks and
// attacks real peers cannot stage. Each command goes to a handler in
// handlers, or to a well-behaved default. Every command line is recorded.
type fakeServer struct {
	t        testing.TB
	ln       net.Listener
	greeting string
	feat     []string
	handlers map[string]func(fc *fakeConn, arg string)

	mu    sync.Mutex
	cmds  []string
	files map[string][]byte
	list  string // LIST/MLSD data
	// With cert set, AUTH TLS works and data connections use dataCert
	// (or cert).
	cert, dataCert *tls.Certificate
	// curves, when set, are the key exchanges the server accepts; the
	// groups each ClientHello offered go to offered ("ctl" or "data").
	curves  []tls.CurveID
	offered map[string][][]tls.CurveID
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

type fakeConn struct {
	s    *fakeServer
	c    net.Conn
	r    *bufio.Reader
	data net.Listener
	rnfr string
}

func newFake(t testing.TB) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{
		t: t, ln: ln, greeting: "220 fake ready",
		handlers: map[string]func(*fakeConn, string){},
		files:    map[string][]byte{},
		conns:    map[net.Conn]bool{},
	}
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// start serves connections until the test ends.
func (s *fakeServer) start() *fakeServer {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	return s
}

func (s *fakeServer) config() Config {
	a := s.ln.Addr().(*net.TCPAddr)
	return Config{Host: "127.0.0.1", Port: a.Port, User: "u", Password: "p", TLS: TLSNever}
}

// tlsConfig is the server side of a control ("ctl") or data handshake.
func (s *fakeServer) tlsConfig(kind string, cert *tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates:     []tls.Certificate{*cert},
		CurvePreferences: s.curves,
		GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			s.mu.Lock()
			if s.offered == nil {
				s.offered = map[string][][]tls.CurveID{}
			}
			s.offered[kind] = append(s.offered[kind], hi.SupportedCurves)
			s.mu.Unlock()
			return nil, nil
		},
	}
}

// dial logs in to the started server with cfg (s.config() when zero) and
// closes the connection when the test ends.
func (s *fakeServer) dial(cfg Config) *Conn {
	s.t.Helper()
	if cfg.Host == "" {
		cfg = s.config()
	}
	c, err := Dial(context.Background(), cfg, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

func (s *fakeServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

func (s *fakeServer) file(name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	return b, ok
}

func (s *fakeServer) serve(c net.Conn) {
	defer c.Close()
	fc := &fakeConn{s: s, c: c, r: bufio.NewReader(c)}
	defer func() {
		if fc.data != nil {
			fc.data.Close()
		}
	}()
	if s.greeting != "" {
		fc.reply(s.greeting)
	}
	for {
		line, err := fc.r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.cmds = append(s.cmds, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if h, ok := s.handlers[verb]; ok {
			h(fc, arg)
			continue
		}
		if !fc.standard(verb, arg) {
			return
		}
	}
}

func (fc *fakeConn) reply(lines ...string) {
	for _, l := range lines {
		fmt.Fprintf(fc.c, "%s\r\n", l)
	}
}

// standard answers like a small, correct server. It returns false on QUIT.
func (fc *fakeConn) standard(verb, arg string) bool {
	s := fc.s
	switch verb {
	case "USER":
		fc.reply("331 password please")
	case "PASS":
		fc.reply("230 welcome")
	case "FEAT":
		lines := []string{"211-Features:"}
		for _, f := range s.feat {
			lines = append(lines, " "+f)
		}
		fc.reply(append(lines, "211 End")...)
	case "TYPE", "OPTS":
		fc.reply("200 ok")
	case "PWD":
		fc.reply(`257 "/" is current`)
	case "NOOP":
		fc.reply("200 noop")
	case "EPSV":
		fc.listen()
		fc.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", fc.data.Addr().(*net.TCPAddr).Port))
	case "PASV":
		fc.listen()
		p := fc.data.Addr().(*net.TCPAddr).Port
		fc.reply(fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)", p>>8, p&0xff))
	case "LIST", "MLSD":
		fc.sendData([]byte(s.list))
	case "SIZE":
		if b, ok := fc.s.file(arg); ok {
			fc.reply("213 " + strconv.Itoa(len(b)))
		} else {
			fc.reply("550 no such file")
		}
	case "RETR":
		b, ok := fc.s.file(arg)
		if !ok {
			fc.reply("550 no such file")
			break
		}
		fc.sendData(b)
	case "STOR":
		dc := fc.accept()
		if dc == nil {
			return true
		}
		fc.reply("150 go ahead")
		b, _ := io.ReadAll(dc)
		dc.Close()
		s.mu.Lock()
		s.files[arg] = b
		s.mu.Unlock()
		fc.reply("226 stored")
	case "DELE":
		s.mu.Lock()
		_, ok := s.files[arg]
		delete(s.files, arg)
		s.mu.Unlock()
		if ok {
			fc.reply("250 deleted")
		} else {
			fc.reply("550 no such file")
		}
	case "RNFR":
		if _, ok := fc.s.file(arg); !ok {
			fc.reply("550 no such file")
			break
		}
		fc.rnfr = arg
		fc.reply("350 ready for RNTO")
	case "RNTO":
		s.mu.Lock()
		s.files[arg] = s.files[fc.rnfr]
		delete(s.files, fc.rnfr)
		s.mu.Unlock()
		fc.reply("250 renamed")
	case "AUTH":
		if s.cert == nil {
			fc.reply("502 no TLS")
			break
		}
		fc.reply("234 go ahead")
		fc.c = tls.Server(fc.c, s.tlsConfig("ctl", s.cert))
		fc.r = bufio.NewReader(fc.c)
	case "PBSZ", "PROT":
		fc.reply("200 ok")
	case "QUIT":
		fc.reply("221 bye")
		return false
	default:
		fc.reply("502 not implemented")
	}
	return true
}

func (fc *fakeConn) listen() {
	if fc.data != nil {
		fc.data.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fc.s.t.Error(err)
		return
	}
	fc.data = ln
}

func (fc *fakeConn) accept() net.Conn {
	if fc.data == nil {
		fc.reply("425 use PASV first")
		return nil
	}
	fc.data.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	dc, err := fc.data.Accept()
	fc.data.Close()
	fc.data = nil
	if err != nil {
		fc.reply("425 no data connection")
		return nil
	}
	if cert := fc.s.dataCert; cert != nil || fc.s.cert != nil {
		if cert == nil {
			cert = fc.s.cert
		}
		return tls.Server(dc, fc.s.tlsConfig("data", cert))
	}
	return dc
}

func (fc *fakeConn) sendData(b []byte) {
	dc := fc.accept()
	if dc == nil {
		return
	}
	fc.reply("150 here it comes")
	dc.Write(b)
	dc.Close()
	fc.reply("226 done")
}
