package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// ftpClient is a minimal plain-FTP and explicit-FTPS client for timing
// listings without curl: curl waits about 200ms inside each transfer's
// set-up on both paths (see README.md), which would hide what the listing
// itself costs.
type ftpClient struct {
	conn net.Conn
	r    *bufio.Reader
	cfg  *tls.Config // nil in plain mode
	host string
}

// dialFTP connects to e and logs in; in explicit mode it first upgrades to
// TLS (certificate not checked, like curl -k) and then sets PROT P.
func dialFTP(ctx context.Context, e endpoint) (*ftpClient, error) {
	u := e.url("/")
	addr := strings.TrimSuffix(strings.TrimPrefix(u, "ftp://"), "/")
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Now().Add(time.Minute))
	host, _, _ := net.SplitHostPort(addr)
	c := &ftpClient{conn: raw, r: bufio.NewReader(raw), host: host}
	if _, _, err := c.reply(220); err != nil {
		raw.Close()
		return nil, err
	}
	type step struct {
		cmd  string
		want int
	}
	steps := []step{{"USER " + e.user, 331}, {"PASS " + e.password, 230}}
	if e.mode.tls() {
		fmt.Fprintf(raw, "AUTH TLS\r\n")
		if _, _, err := c.reply(234); err != nil {
			raw.Close()
			return nil, err
		}
		// One session cache for control and data: servers that require TLS
		// session reuse (vsftpd's require_ssl_reuse) check that the data
		// connection resumes the control connection's session.
		c.cfg = &tls.Config{InsecureSkipVerify: true, ServerName: host, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		c.conn = tls.Client(raw, c.cfg)
		c.r = bufio.NewReader(c.conn)
		steps = append(steps, step{"PBSZ 0", 200}, step{"PROT P", 200})
	}
	for _, st := range steps {
		if _, err := c.cmd(st.want, st.cmd); err != nil {
			c.conn.Close()
			return nil, err
		}
	}
	return c, nil
}

func (c *ftpClient) close() {
	fmt.Fprintf(c.conn, "QUIT\r\n")
	c.conn.Close()
}

// cmd sends line and wants a reply with code want.
func (c *ftpClient) cmd(want int, line string) (string, error) {
	if _, err := fmt.Fprintf(c.conn, "%s\r\n", line); err != nil {
		return "", err
	}
	_, msg, err := c.reply(want)
	if err != nil {
		verb, _, _ := strings.Cut(line, " ")
		return "", fmt.Errorf("%s: %w", verb, err)
	}
	return msg, nil
}

// reply reads one reply, multi-line ones included (RFC 959 §4.2), and
// wants code want.
func (c *ftpClient) reply(want int) (int, string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return 0, "", err
	}
	if len(line) < 4 {
		return 0, "", fmt.Errorf("short reply %q", line)
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil {
		return 0, "", fmt.Errorf("bad reply %q", line)
	}
	msg := line
	if line[3] == '-' {
		for end := line[:3] + " "; !strings.HasPrefix(line, end); {
			if line, err = c.r.ReadString('\n'); err != nil {
				return 0, "", err
			}
			msg += line
		}
	}
	if code != want {
		return code, msg, fmt.Errorf("reply %q, want %d", strings.TrimSpace(msg), want)
	}
	return code, msg, nil
}

// list runs verb (LIST or NLST) in the current folder the way curl does
// (EPSV, TYPE A, verb; the data connection is opened after EPSV and, in
// explicit mode, its TLS handshake done after the 150), and returns the
// listing.
func (c *ftpClient) list(ctx context.Context, verb string) ([]byte, error) {
	msg, err := c.cmd(229, "EPSV")
	if err != nil {
		return nil, err
	}
	i, j := strings.IndexByte(msg, '('), strings.LastIndexByte(msg, ')')
	if i < 0 || j < i+5 {
		return nil, fmt.Errorf("EPSV reply %q", msg)
	}
	port, err := strconv.Atoi(strings.Trim(msg[i+1:j], "|"))
	if err != nil {
		return nil, fmt.Errorf("EPSV reply %q", msg)
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(c.host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.cmd(200, "TYPE A"); err != nil {
		return nil, err
	}
	if _, err := c.cmd(150, verb); err != nil {
		return nil, err
	}
	dc := raw
	if c.cfg != nil {
		dc = tls.Client(raw, c.cfg)
	}
	data, err := io.ReadAll(dc)
	if err != nil {
		return nil, fmt.Errorf("%s data: %w", verb, err)
	}
	dc.Close()
	if _, _, err := c.reply(226); err != nil {
		return nil, fmt.Errorf("%s: %w", verb, err)
	}
	return data, nil
}
