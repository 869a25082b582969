package store

import (
	"fmt"
	"regexp"
	"time"
)

// Kind says what an account may see.
type Kind string

const (
	// Partner accounts see their own root holding send/ and receive/.
	Partner Kind = "partner"
	// Staff accounts see the whole file root.
	Staff Kind = "staff"
)

// Access is what an account may do in one folder.
type Access struct {
	Read  bool `json:"read"`  // list and download
	Write bool `json:"write"` // upload, mkdir, rename and delete
}

// Account is a login. The zero value of every optional field means "use
// the server-wide setting".
type Account struct {
	ID           int64
	Name         string
	Kind         Kind
	PasswordHash string // slow hash (internal/password); never the password
	Disabled     bool
	Policy       Policy
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Policy is an account's per-account overrides. Nil pointers inherit the
// server-wide value.
type Policy struct {
	// Send and Receive are a partner's rights in send/ and receive/.
	// Defaults: send read-only, receive write-only.
	Send    *Access `json:"send,omitempty"`
	Receive *Access `json:"receive,omitempty"`
	// Overwrite lets an upload replace an existing file (default false).
	Overwrite *bool `json:"overwrite,omitempty"`
	// AllowPlain lets this account log in and transfer without TLS.
	AllowPlain *bool `json:"allow_plain,omitempty"`
	// TLSReuse requires data connections to resume the control connection's
	// TLS session.
	TLSReuse *bool `json:"tls_reuse,omitempty"`
	// Filter is the allowed-files filter ("*.edi,-*.tmp").
	Filter *string `json:"filter,omitempty"`
	// TempExtensions are upload extensions that do not count as received.
	TempExtensions *string `json:"temp_extensions,omitempty"`
	// RemoveAfterSend deletes a file from send/ once fully downloaded.
	RemoveAfterSend *bool `json:"remove_after_send,omitempty"`
}

// String writes a as the CLI takes it: r, w, rw or none.
func (a Access) String() string {
	switch {
	case a.Read && a.Write:
		return "rw"
	case a.Read:
		return "r"
	case a.Write:
		return "w"
	}
	return "none"
}

// DefaultSend and DefaultReceive are a partner's rights when its policy
// does not say otherwise.
var (
	DefaultSend    = Access{Read: true}
	DefaultReceive = Access{Write: true}
)

// SendAccess returns the partner's rights in send/.
func (p Policy) SendAccess() Access {
	if p.Send != nil {
		return *p.Send
	}
	return DefaultSend
}

// ReceiveAccess returns the partner's rights in receive/.
func (p Policy) ReceiveAccess() Access {
	if p.Receive != nil {
		return *p.Receive
	}
	return DefaultReceive
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidateName reports whether name can be an account (and folder) name.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("invalid name %q: use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}
