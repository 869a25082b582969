package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// implicitProbeAfter is how long a greeting may take before greet checks,
// on a second connection, whether the port speaks TLS from the first
// byte. Servers greet at once; one that is silent this long is most often
// an implicit FTPS port waiting for a ClientHello.
const implicitProbeAfter = 2 * time.Second

// errImplicitPort reports a port that waits for a TLS handshake while the
// remote's mode expects a greeting in clear.
var errImplicitPort = errors.New("this port speaks implicit FTPS (TLS from the first byte), so it sends no greeting in clear")

// probeImplicit watches for a greeting that is slow to come: after
// implicitProbeAfter (or half the dial timeout, if less) it opens a
// second connection to the same address and tries a TLS handshake there.
// When the server completes it, the port is an implicit FTPS port, which
// is why it does not greet: the probe closes the control connection, so
// that greet's read ends at once rather than at the dial timeout. greet
// calls stop once its read returned; stop ends the probe, waits for it
// and reports whether the port proved to speak TLS.
func (c *Conn) probeImplicit(ctx context.Context) (stop func() bool) {
	ctx, cancel := context.WithCancel(ctx)
	var implicit atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(min(implicitProbeAfter, c.cfg.DialTimeout/2))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		if c.speaksTLS(ctx) {
			implicit.Store(true)
			c.mu.Lock()
			c.raw.Close()
			c.mu.Unlock()
		}
	}()
	return func() bool {
		cancel()
		<-done
		return implicit.Load()
	}
}

// speaksTLS reports whether a TLS handshake with the remote's address
// completes. Nothing but the handshake is sent, so the certificate is not
// checked here; the connection that logs in checks it.
func (c *Conn) speaksTLS(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	d := net.Dialer{}
	if c.cfg.SourceAddress != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(c.cfg.SourceAddress)}
	}
	raw, err := d.DialContext(ctx, "tcp", c.cfg.Addr())
	if err != nil {
		return false
	}
	defer raw.Close()
	tc := tls.Client(raw, &tls.Config{ServerName: c.cfg.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}) // #nosec G402 -- only probes whether the port speaks TLS; sends no data
	return tc.HandshakeContext(ctx) == nil
}
