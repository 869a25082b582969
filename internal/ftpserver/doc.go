// Package ftpserver is Wharf's inbound FTP/FTPS server: an ftpserverlib
// driver that authenticates accounts from the store, confines each session
// to its own tree (partners: send/ and receive/; staff: the whole file
// root), applies permissions and file filters, makes uploads atomic, and
// records every transfer as an event.
//
// Lifecycle follows net/http: New, then Listen (binds, so addresses are
// known and privileged-port errors surface early), then Serve(ctx), which
// blocks until ctx ends and then closes every session.
package ftpserver
