//go:build !unix

package ftpserver

// PeerClosed cannot peek here and reports false (Wharf patch).
func (c *clientHandler) PeerClosed() bool { return false }
