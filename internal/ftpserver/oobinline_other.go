//go:build !unix

package ftpserver

import "net"

// oobInline does nothing where SO_OOBINLINE is not set this way.
func oobInline(*net.TCPConn) {}
