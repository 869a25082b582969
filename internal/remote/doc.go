// Package remote is Wharf's outbound FTP/FTPS client: one control connection
// per Conn, a bounded Pool of them per remote, and Diagnose for `wharf remote
// test`.
//
// It speaks the protocol itself rather than through jlaffaye/ftp v0.2.4, which
// has no active mode (PORT/EPRT), no raw commands (HASH, XSHA256, SITE UTIME,
// FEAT access), no reply size limits and no per-operation cancellation
// (research/go-ftp-libs.md §2, §5). What the research found necessary is built
// in:
//
//   - TLS 1.2 minimum; one tls.Config with its own ClientSessionCache and an
//     explicit ServerName per control connection, so data connections resume
//     the control session (vsftpd require_ssl_reuse=YES, ProFTPD's default).
//   - Uploads on TLS data connections close gracefully (close_notify, TCP
//     half-close, drain, close), which avoids vsftpd's "426 Failure reading
//     network stream" on TLS 1.3 (jlaffaye/ftp#249).
//   - Every read and write on control and data connections has a deadline, and
//     a done ctx closes the connection.
//   - Passive first: EPSV, then PASV with the reply's IP ignored in favour of
//     the control peer's. Active mode only when Config.Active is set, and the
//     data connection must come from the control peer.
//   - No CR, LF or NUL reaches a control line; hostile names in listings are
//     dropped and logged; replies and listings are bounded.
//
// A Pool keeps up to Config.MaxConns connections per remote, checks an idle
// one with NOOP before reuse, closes those idle past Config.IdleTimeout, and
// retries transient failures (4xx, broken connections) on a fresh connection
// with backoff, never permanent ones (5xx, certificates, login), and a data
// connection that cannot be opened (a firewall) only once. Retrieve
// resumes where a failed try stopped; Store uploads to a hidden temporary
// name (IsTemp), verifies SIZE and, where offered, HASH/XSHA256/XMD5, and
// renames into place; a failed upload's temporary file is deleted, over
// another connection when its own broke or its context ended. After a
// failed dial, further dials wait a growing hold so that many callers do not
// storm a server that is down. A login the remote refuses (*LoginError) is
// never retried: until a login succeeds the pool dials one connection at a
// time, and after a refusal it fails operations that need a new connection
// at once for a hold of 30 s doubling to 5 min, so that a wrong password
// does not get Wharf's address locked out by the remote's server.
//
// Listings show dot names: without MLSD, List sends "LIST -a" (vsftpd and
// ProFTPD leave dot names out of a bare LIST) and falls back to a bare
// LIST on a server that does not know -a (quirks.go). Symbolic links are
// followed where the server lets SIZE or CWD tell their target: Stat
// resolves links to files and folders, List links to files only (a link
// to a folder stays a Link there, so walkers do not loop); a resolved
// entry has Entry.Link set, and costs round trips only for links.
// Pool.RetrieveTimed fails with ErrChangedDuringDownload, unretried, when
// a retry that would resume finds SIZE or MDTM changed since the try
// that started the download.
//
// Replies with a 4xx or 5xx code come back as *textproto.Error: callers use
// errors.As and switch on Code; Transient says whether a retry may help. So
// does a reply a server writes in clear on a control connection secured
// with TLS (vsftpd's "500 OOPS" when a session process dies), which
// crypto/tls alone reports as a bad record header. A login refused in clear
// because the server wants TLS says to turn TLS on, and is never retried.
// A Conn is not safe for concurrent use; a Pool is.
package remote
