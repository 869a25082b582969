package config

import (
	"fmt"
	"reflect"

	"github.com/wharf-mft/wharf/internal/secret"
)

// positive lists, by Key.Path, the settings whose 0 means nothing that a
// user could want (a ban for no time, sessions that time out at once), and
// which ftpserver.Config.Defaults would silently replace by the default.
// A 0 given for one is refused, so that what is written is what runs. The
// value says what turns the setting off, or "" when nothing does: an
// unbounded idle or login timeout would let connections hold their slots
// for ever. TestPositiveComplete keeps the list complete.
//
// Settings whose 0 means something are not listed, and a 0 given for them
// is kept: keep_history (0 keeps everything) and server.shutdown_grace (0
// cuts transfers at once).
var positive = map[string]string{
	"server.idle_timeout":     "",
	"server.login_timeout":    "",
	"server.max_conns":        "-1 for no cap",
	"server.max_conns_per_ip": "-1 for no cap",
	"server.login_fail_delay": "-1 for no delay",
	"server.password_cache":   "-1 to turn it off",
	"server.ban_after":        "-1 to turn it off",
	"server.ban_for":          "server.ban_after -1 to turn banning off",
}

// Limits says what k takes besides an ordinary value, for the settings
// table of `wharf serve --help`: "more than 0, or -1 for no cap", "0 cuts
// transfers at once", or "" when there is nothing to say.
func (k Key) Limits() string {
	if off, ok := positive[k.Path]; ok {
		if off == "" {
			return "more than 0"
		}
		return "more than 0, or " + off
	}
	switch k.Path {
	case "keep_history":
		return "0 keeps everything"
	case "server.shutdown_grace":
		return "0 cuts transfers at once"
	case "secrets_url":
		return "base64key://KEY, KEY URL-safe base64; not `config show`'s base64key://..."
	case "server.pkcs12_password":
		return "not `config show`'s REDACTED"
	}
	return ""
}

// refuse reports a value of k that set parsed but that Load does not take:
// a 0 for a setting listed in positive, and the placeholder `wharf config
// show` prints for a secret (a file written by show holds it). Like set's
// other errors, it describes only the value (as typed, s).
func (k Key) refuse(c *Config, s string) error {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	if off, ok := positive[k.Path]; ok && v.Int() == 0 {
		if off != "" {
			off = " (or " + off + ")"
		}
		return fmt.Errorf("%q: want more than 0%s, or leave it out for the default (%s)", s, off, k.format(Default()))
	}
	redacted := false
	switch k.Path {
	case "secrets_url":
		redacted = secret.IsRedactedURL(v.String())
	case "server.pkcs12_password":
		redacted = v.String() == secret.Redacted
	}
	if redacted {
		return fmt.Errorf("%q: this is the redacted value `config show` prints: put the real value (or leave the key out)", s)
	}
	return nil
}
