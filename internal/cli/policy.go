package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store"
)

// policyFlags are an account's per-account overrides as flags. Only flags
// the user gave change anything; --reset returns a field to its default.
type policyFlags struct {
	kind                                             store.Kind
	send, receive, filter, tempExtensions            string
	overwrite, allowPlain, tlsReuse, removeAfterSend bool
	reset                                            []string
}

// fields are the overridable fields, named as their flags.
func (p *policyFlags) fields() []string {
	common := []string{"overwrite", "allow-plain", "tls-reuse", "filter", "temp-extensions"}
	if p.kind == store.Partner {
		return append([]string{"send", "receive"}, append(common, "remove-after-send")...)
	}
	return common
}

func (p *policyFlags) register(fs *pflag.FlagSet, withReset bool) {
	if p.kind == store.Partner {
		fs.StringVar(&p.send, "send", "", "rights in send/: r, w, rw or none (default r: the partner downloads)")
		fs.StringVar(&p.receive, "receive", "", "rights in receive/: r, w, rw or none (default w: the partner uploads)")
	}
	if p.kind == store.Partner {
		fs.BoolVar(&p.overwrite, "overwrite", false, "let uploads and renames replace existing files (default no)")
	} else {
		fs.BoolVar(&p.overwrite, "overwrite", false, "let uploads and renames replace existing files (default yes for staff; --overwrite=false refuses)")
	}
	fs.BoolVar(&p.allowPlain, "allow-plain", false, "let this account log in and transfer without TLS (default: server setting)")
	fs.BoolVar(&p.tlsReuse, "tls-reuse", false, "require TLS session reuse on data connections (default: server setting)")
	fs.StringVar(&p.filter, "filter", "", `allowed file names, e.g. "*.edi,*.x12,-*.tmp"; "" allows all (default: server setting)`)
	fs.StringVar(&p.tempExtensions, "temp-extensions", "", `upload extensions that are not yet received, e.g. ".tmp,.part" (default: server setting)`)
	if p.kind == store.Partner {
		fs.BoolVar(&p.removeAfterSend, "remove-after-send", false, "delete a file from send/ once downloaded completely (default: server setting)")
	}
	if withReset {
		fs.StringSliceVar(&p.reset, "reset", nil, "return fields to their defaults: "+strings.Join(p.fields(), ", ")+" or all")
	}
}

// apply sets the overrides the user gave in fs on pol and returns the
// names of the fields it changed.
func (p *policyFlags) apply(fs *pflag.FlagSet, pol *store.Policy) ([]string, error) {
	var changed []string
	var errs []error
	resets, err := p.resets()
	if err != nil {
		errs = append(errs, err)
	}
	for _, name := range p.fields() {
		given := fs.Changed(name)
		if given && slices.Contains(resets, name) {
			errs = append(errs, fmt.Errorf("--%s and --reset %s contradict each other: give one", name, name))
			continue
		}
		if slices.Contains(resets, name) {
			resetField(pol, name)
			changed = append(changed, name)
			continue
		}
		if !given {
			continue
		}
		if err := p.setField(pol, name); err != nil {
			errs = append(errs, err)
			continue
		}
		changed = append(changed, name)
	}
	if len(errs) > 0 {
		return nil, config.Problems(errs)
	}
	return changed, nil
}

func (p *policyFlags) resets() ([]string, error) {
	var out []string
	for _, r := range p.reset {
		r = strings.TrimSpace(r)
		switch {
		case r == "all":
			out = append(out, p.fields()...)
		case slices.Contains(p.fields(), r):
			out = append(out, r)
		default:
			return nil, fmt.Errorf("--reset %q: want one of %s, or all", r, strings.Join(p.fields(), ", "))
		}
	}
	return out, nil
}

func (p *policyFlags) setField(pol *store.Policy, name string) error {
	switch name {
	case "send", "receive":
		v := p.send
		if name == "receive" {
			v = p.receive
		}
		acc, err := parseAccess(v)
		if err != nil {
			return fmt.Errorf("--%s %w", name, err)
		}
		if name == "send" {
			pol.Send = &acc
		} else {
			pol.Receive = &acc
		}
	case "overwrite":
		pol.Overwrite = ptr(p.overwrite)
	case "allow-plain":
		pol.AllowPlain = ptr(p.allowPlain)
	case "tls-reuse":
		pol.TLSReuse = ptr(p.tlsReuse)
	case "remove-after-send":
		pol.RemoveAfterSend = ptr(p.removeAfterSend)
	case "filter":
		if _, err := ftpserver.ParseFilter(p.filter); err != nil {
			return fmt.Errorf("--filter %q: %w", p.filter, err)
		}
		pol.Filter = ptr(p.filter)
	case "temp-extensions":
		exts, err := cleanExtensions(p.tempExtensions)
		if err != nil {
			return err
		}
		pol.TempExtensions = &exts
	}
	return nil
}

func resetField(pol *store.Policy, name string) {
	switch name {
	case "send":
		pol.Send = nil
	case "receive":
		pol.Receive = nil
	case "overwrite":
		pol.Overwrite = nil
	case "allow-plain":
		pol.AllowPlain = nil
	case "tls-reuse":
		pol.TLSReuse = nil
	case "remove-after-send":
		pol.RemoveAfterSend = nil
	case "filter":
		pol.Filter = nil
	case "temp-extensions":
		pol.TempExtensions = nil
	}
}

func ptr[T any](v T) *T { return &v }

// parseAccess reads r, w, rw or none.
func parseAccess(s string) (store.Access, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "r":
		return store.Access{Read: true}, nil
	case "w":
		return store.Access{Write: true}, nil
	case "rw", "wr":
		return store.Access{Read: true, Write: true}, nil
	case "none", "-":
		return store.Access{}, nil
	}
	return store.Access{}, fmt.Errorf("%q: want r (list, download), w (upload, rename, delete), rw or none", s)
}

// cleanExtensions checks a comma-separated list of extensions such as
// ".tmp,.part" as the server's setting is checked.
func cleanExtensions(s string) (string, error) {
	out, err := ftpserver.CleanExtensions(s)
	if err != nil {
		return "", fmt.Errorf("--temp-extensions: %w", err)
	}
	return out, nil
}

// overrides lists pol's overrides other than send/receive, for tables.
func overrides(pol store.Policy) string {
	var out []string
	b := func(name string, v *bool) {
		if v != nil {
			out = append(out, fmt.Sprintf("%s=%s", name, yesNo(*v)))
		}
	}
	s := func(name string, v *string) {
		if v != nil {
			out = append(out, fmt.Sprintf("%s=%q", name, *v))
		}
	}
	b("overwrite", pol.Overwrite)
	b("allow-plain", pol.AllowPlain)
	b("tls-reuse", pol.TLSReuse)
	s("filter", pol.Filter)
	s("temp-extensions", pol.TempExtensions)
	b("remove-after-send", pol.RemoveAfterSend)
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
