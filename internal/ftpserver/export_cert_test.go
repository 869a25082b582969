package ftpserver

import "time"

// SetCertCheck sets how often TLS handshakes look at the certificate files
// for a change (0: at every handshake), so tests need not wait a minute.
func (s *Server) SetCertCheck(d time.Duration) {
	s.tls.certs.every.Store(int64(d))
	s.tls.certs.next.Store(0)
}
