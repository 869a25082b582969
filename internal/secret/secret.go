// Package secret keeps small secrets (remote passwords) encrypted at rest and
// out of logs.
//
// A Keeper encrypts with a gocloud.dev/secrets keeper: by default a local
// 32-byte key in <data>/secret.key, created on first use with mode 0600;
// any other keeper by URL (base64key://, or a cloud KMS or Vault keeper once
// its driver is linked into the binary with a blank import).
package secret

import (
	"fmt"
	"log/slog"
)

// Secret is a string that never prints: String, every fmt verb, slog and JSON
// all give "REDACTED". Use Reveal at the one place that sends it, and a
// Keeper to store it.
type Secret string

// Redacted is what a Secret prints as, and what `wharf config show`
// prints for a password.
const Redacted = "REDACTED"

// Reveal returns the secret in clear.
func (s Secret) Reveal() string { return string(s) }

// String returns "REDACTED".
func (Secret) String() string { return Redacted }

// GoString returns "REDACTED", for %#v.
func (Secret) GoString() string { return Redacted }

// Format prints "REDACTED" for every verb, so %s, %q, %x and %v all hide it.
func (Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, Redacted) }

// LogValue returns "REDACTED", so the secret never reaches a slog handler.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON returns "REDACTED": JSON is for API output; a Keeper stores secrets.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
