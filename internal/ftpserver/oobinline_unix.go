//go:build unix

package ftpserver

import (
	"net"
	"syscall"
)

// oobInline keeps TCP urgent data in a control connection's stream
// (SO_OOBINLINE), as vsftpd does. RFC 959 clients send ABOR "urgently":
// Python's ftplib sends its final LF with MSG_OOB, which without the
// option the kernel takes out of the stream, and the server then waits
// for the end of the line while the client waits for the reply.
func oobInline(tc *net.TCPConn) {
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_OOBINLINE, 1)
	})
}
