package store

import "time"

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
