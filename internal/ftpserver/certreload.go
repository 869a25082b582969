package ftpserver

import (
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// certCheck is how often, at most, a TLS handshake looks at the
// certificate files for a change (two stat calls).
const certCheck = time.Minute

// certHolder holds the certificate the server presents, behind
// tls.Config.GetCertificate, and loads it again from where it came from:
// cert_file and key_file, pkcs12_file (with the pkcs12_password serve
// started with), or the certificate generated into the data directory.
// Connections in TLS already keep the certificate they got. It is safe
// for concurrent use.
type certHolder struct {
	cfg Config
	dir string
	log *slog.Logger

	cur   atomic.Pointer[tls.Certificate]
	every atomic.Int64 // ns between looks at the files (certCheck); 0: every handshake
	next  atomic.Int64 // when (Unix ns) a handshake next looks at the files

	mu sync.Mutex // serialises loads; guards tried and seen
	// tried is the files' stamp at the last load, good or bad, so that a
	// bad pair is reported once, not at every look.
	tried certStamp
	// seen is their stamp at the last look: files reload once they are
	// changed and then unchanged over two looks, so a pair being copied
	// one file after the other is not loaded half-replaced.
	seen certStamp
}

// certStamp is the modification time and size of up to two files.
type certStamp [2]struct{ mod, size int64 }

// newCertHolder loads the certificate (generating one into dir/tls when
// none is configured) and logs it.
func newCertHolder(c Config, dir string, log *slog.Logger) (*certHolder, error) {
	h := &certHolder{cfg: c, dir: dir, log: log}
	h.every.Store(int64(certCheck))
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.load("tls certificate"); err != nil {
		return nil, err
	}
	return h, nil
}

// get is tls.Config.GetCertificate: the current certificate, reloaded
// first when its files changed (see look).
func (h *certHolder) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	h.look()
	return h.cur.Load(), nil
}

// reload loads the certificate again. On error the current one stays.
func (h *certHolder) reload() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.load("tls certificate reloaded")
}

// load loads the certificate and, when it is good, presents it from the
// next handshake on and logs msg with it. h.mu is held.
func (h *certHolder) load(msg string, args ...any) error {
	st, ok := h.stamp()
	cert, err := loadCertificate(h.cfg, h.dir)
	if !ok {
		st, _ = h.stamp() // generated just now
	}
	h.tried, h.seen = st, st
	if err != nil {
		return err
	}
	h.cur.Store(&cert)
	logCertificate(h.log, msg, h.cfg, h.dir, cert, args...)
	return nil
}

// look reloads the certificate when its files changed since the last
// load and stayed so since the previous look, at most once every h.every
// (so a handshake a minute pays two stat calls).
// A missing file is no change: it may be being replaced.
func (h *certHolder) look() {
	now := time.Now().UnixNano()
	next := h.next.Load()
	if now < next || !h.next.CompareAndSwap(next, now+h.every.Load()) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.stamp()
	switch {
	case !ok || st == h.tried:
		return
	case st != h.seen:
		h.seen = st
		return
	}
	if err := h.load("tls certificate reloaded", "trigger", "files changed"); err != nil {
		h.log.Error("tls certificate not reloaded: still serving the previous one", "err", err, "trigger", "files changed")
	}
}

// files are the files the certificate comes from.
func (h *certHolder) files() []string {
	switch {
	case h.cfg.CertFile != "":
		return []string{h.cfg.CertFile, h.cfg.KeyFile}
	case h.cfg.PKCS12File != "":
		return []string{h.cfg.PKCS12File}
	}
	return []string{filepath.Join(h.dir, "tls", "cert.pem"), filepath.Join(h.dir, "tls", "key.pem")}
}

// stamp returns the stamp of h's files, and false when one cannot be
// read.
func (h *certHolder) stamp() (certStamp, bool) {
	var st certStamp
	for i, name := range h.files() {
		fi, err := os.Stat(name)
		if err != nil {
			return certStamp{}, false
		}
		st[i].mod, st[i].size = fi.ModTime().UnixNano(), fi.Size()
	}
	return st, true
}

// ReloadCertificate loads the TLS certificate again from the files the
// configuration names (cert_file and key_file, or pkcs12_file with the
// password the server was made with) or from the one generated into the
// data directory (generated anew if deleted), and presents it from the
// next TLS handshake on: control connections (AUTH TLS and implicit) and
// data connections alike. Connections in TLS already keep theirs, and the
// data connections of their sessions still resume them. It logs the new
// certificate. On error (a file missing, a key that is not the
// certificate's, a wrong password) the server keeps presenting the
// certificate it had. Other settings are not reloaded. It is safe to call
// at any time, Serve running or not.
//
// The server also reloads the certificate by itself when its files change:
// a TLS handshake looks at them once a minute at most.
func (s *Server) ReloadCertificate() error { return s.tls.certs.reload() }
