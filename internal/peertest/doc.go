// Package peertest starts real FTP servers (vsftpd, ProFTPD, pure-ftpd) on
// 127.0.0.1 for interop tests of any package and for bench/.
//
// Each server runs in the foreground as a child of the test, on ports that were
// free when it started, from a config written into t.TempDir(), and is killed
// with its whole process group by t.Cleanup. Nothing is installed or started as
// a system service.
//
// Interop tests run only when WHARF_INTEROP=1. A missing peer binary skips the
// test with a message, or fails it when CI=true. The packages the peers need are
// listed in PACKAGES (apt-get install) and EXTRACT (apt-get download and dpkg -x
// into PeerDir, because pure-ftpd and proftpd-core conflict with vsftpd);
// install-peers.sh does both.
//
// Wharf builds this repository's server once per test binary; a package
// that starts it calls Run from its TestMain, which removes the binary
// when the tests are done.
package peertest
