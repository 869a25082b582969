// Package sendfile copies a local file to a TCP connection the way vsftpd
// does: one blocking sendfile(2) after another, the thread asleep in the
// kernel until the socket has room.
//
// Go's own (*net.TCPConn).ReadFrom sendfiles on a non-blocking socket: a
// full socket buffer returns EAGAIN and the goroutine waits in the
// netpoller, whose wake-up runs through epoll and the scheduler before the
// next sendfile refills the buffer. On loopback, where the receiver drains
// a buffer in microseconds, that gap leaves it idle: a 1 GiB download to
// curl took 8-10 % longer than vsftpd's (median of 16 runs, 2 cores), and
// the same loop with a blocking socket matched vsftpd. The kernel wakes a
// blocked sender directly from the receiver's ACK.
//
// A blocked sendfile does not see Go's deadlines, and (*net.TCPConn).Close
// waits for it to return. So Copy bounds each wait with SO_SNDTIMEO, and a
// goroutine that must end a Copy early calls CloseWrite on the connection
// first (Interrupt), which wakes the sender with EPIPE. Copy switches the
// socket to blocking mode only once its buffer is full: a small file goes
// in one non-blocking call, without the switch's four syscalls.
//
// Chunked sends any other source (a socket a mount relays: the kernel
// splices it) through Go's own ReadFrom, under deadlines, and is Copy's
// fallback where blocking sendfile cannot be used.
package sendfile
