package store

import (
	"path"
	"strings"
	"time"
)

// Remote is an outbound FTP/FTPS server. Its password is stored only
// encrypted (internal/secret); PasswordEnc is that ciphertext.
type Remote struct {
	ID          int64
	Name        string
	PasswordEnc []byte
	Settings    RemoteSettings
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RemoteSettings are a remote's connection settings. Zero values mean the
// documented defaults of internal/remote.
type RemoteSettings struct {
	Host              string `json:"host"`
	Port              int    `json:"port,omitempty"`
	User              string `json:"user"`
	Root              string `json:"root,omitempty"`
	TLS               string `json:"tls,omitempty"` // never, if-available, explicit, implicit
	AllowSelfSigned   bool   `json:"allow_self_signed,omitempty"`
	AllowNameMismatch bool   `json:"allow_name_mismatch,omitempty"`
	AllowExpired      bool   `json:"allow_expired,omitempty"`
	CAFile            string `json:"ca_file,omitempty"`     // PEM CAs to trust instead of the system's
	CertSHA256        string `json:"cert_sha256,omitempty"` // pinned server certificate
	MaxTLS            string `json:"max_tls,omitempty"`     // "" (1.3) or "1.2"
	MaxConns          int    `json:"max_conns,omitempty"`
	Active            bool   `json:"active,omitempty"`
	SourceAddress     string `json:"source_address,omitempty"`
	ReadOnly          bool   `json:"read_only,omitempty"`
	AllowSelf         bool   `json:"allow_self,omitempty"` // allow pointing back at this Wharf
}

// RemoteMoved reports whether b reaches other files than a: another host
// (compared as DNS does, without case or a final dot), port, user (""
// is anonymous) or root folder (compared cleaned; "" and "/" are both
// the login folder's). The synced state of each sync of the remote then
// says nothing about the files at b, and UpdateRemote drops it, as
// UpdateSync does when a sync's pair changes (PairChanged).
//
// The TLS mode, the certificate check, the password and the connection
// settings do not move the files. Nor does the port the TLS mode implies
// when each side uses its mode's standard port (0, or 21 in clear and
// explicit TLS, 990 in implicit): those are one server's two listeners.
func RemoteMoved(a, b RemoteSettings) bool {
	host := func(s RemoteSettings) string { return strings.ToLower(strings.TrimSuffix(s.Host, ".")) }
	user := func(s RemoteSettings) string {
		if s.User == "" {
			return "anonymous"
		}
		return s.User
	}
	root := func(s RemoteSettings) string { return path.Clean("/" + s.Root) }
	return host(a) != host(b) || user(a) != user(b) || root(a) != root(b) || !samePort(a, b)
}

// samePort reports whether a and b connect to the same port, taking the
// standard ports of their TLS modes for one.
func samePort(a, b RemoteSettings) bool {
	port := func(s RemoteSettings) (p int, standard bool) {
		def := 21
		if s.TLS == "implicit" {
			def = 990
		}
		if s.Port == 0 {
			return def, true
		}
		return s.Port, s.Port == def
	}
	pa, sa := port(a)
	pb, sb := port(b)
	return pa == pb || sa && sb
}
