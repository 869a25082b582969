// Package namefilter is the allowed-files filter shared by the server
// (which names a partner may upload) and syncs (which files they move):
// comma-separated globs on the base name, "-" excluding.
package namefilter

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Filter is an allowed-files filter: comma-separated globs, where a leading
// "-" makes a pattern exclude. A name is allowed when it matches no exclude
// and either there are no include patterns or it matches one. Matching is
// on the base name and ignores case, so "*.edi" also admits "ORDER.EDI".
// The zero Filter allows every name.
type Filter struct {
	include, exclude []string
}

// Parse parses "*.edi,*.x12,-*.tmp". Empty allows everything.
func Parse(s string) (Filter, error) {
	var f Filter
	for _, p := range strings.Split(s, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		neg := strings.HasPrefix(p, "-")
		if neg {
			p = strings.TrimSpace(p[1:])
		}
		if p == "" || strings.Contains(p, "/") {
			return Filter{}, fmt.Errorf("pattern %q: want a file-name glob such as *.edi or -*.tmp", p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return Filter{}, fmt.Errorf("pattern %q: %w", p, err)
		}
		if neg {
			f.exclude = append(f.exclude, p)
		} else {
			f.include = append(f.include, p)
		}
	}
	return f, nil
}

// ErrRefused is wrapped by Check's errors.
var ErrRefused = errors.New("file name not allowed")

// Check returns nil when name (a base name) is allowed, and otherwise an
// error naming the rule that refused it.
func (f Filter) Check(name string) error {
	n := strings.ToLower(name)
	for _, p := range f.exclude {
		if ok, _ := path.Match(p, n); ok {
			return fmt.Errorf("%w: %q matches the excluded pattern -%s", ErrRefused, name, p)
		}
	}
	if len(f.include) == 0 {
		return nil
	}
	for _, p := range f.include {
		if ok, _ := path.Match(p, n); ok {
			return nil
		}
	}
	return fmt.Errorf("%w: %q matches none of the allowed patterns %s", ErrRefused, name, strings.Join(f.include, ","))
}

// Match reports whether name (a base name) passes the filter.
func (f Filter) Match(name string) bool { return f.Check(name) == nil }

// String returns the filter in its parsed form.
func (f Filter) String() string {
	parts := append([]string(nil), f.include...)
	for _, p := range f.exclude {
		parts = append(parts, "-"+p)
	}
	return strings.Join(parts, ",")
}
