package ftpserver

import "github.com/wharf-mft/wharf/internal/store"

// Effective is what an account may do on a server with this Config: its
// own settings where it has them, the server's otherwise. Sessions apply
// it (policyFor), and `wharf partner show` prints it.
type Effective struct {
	Send            store.Access `json:"send"`
	Receive         store.Access `json:"receive"`
	Overwrite       bool         `json:"overwrite"`
	AllowPlain      bool         `json:"allow_plain"`
	TLSReuse        bool         `json:"tls_reuse"`
	Filter          string       `json:"filter"`
	TempExtensions  string       `json:"temp_extensions"`
	RemoveAfterSend bool         `json:"remove_after_send"`
}

// Effective returns a's effective settings under c. Staff may read and
// write everywhere and overwrite unless their account says otherwise.
// Plain FTP is an opt-in: allowed when the server or the account allows it.
func (c Config) Effective(a store.Account) Effective {
	e := Effective{
		Send: a.Policy.SendAccess(), Receive: a.Policy.ReceiveAccess(),
		AllowPlain: c.AllowPlain, TLSReuse: c.TLSReuse, Filter: c.Filter,
		TempExtensions: c.TempExtensions, RemoveAfterSend: c.RemoveAfterSend,
	}
	if a.Kind == store.Staff {
		rw := store.Access{Read: true, Write: true}
		e.Send, e.Receive, e.Overwrite = rw, rw, true
	}
	pol := a.Policy
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&e.Overwrite, pol.Overwrite)
	if pol.AllowPlain != nil && *pol.AllowPlain {
		e.AllowPlain = true // an opt-in: the server's allow_plain lets every account
	}
	set(&e.TLSReuse, pol.TLSReuse)
	set(&e.RemoveAfterSend, pol.RemoveAfterSend)
	if pol.Filter != nil {
		e.Filter = *pol.Filter
	}
	if pol.TempExtensions != nil {
		e.TempExtensions = *pol.TempExtensions
	}
	return e
}
