package ftpserver

import (
	"errors"
	"fmt"
	"path"
	"regexp"
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

// ParseFilter parses "*.edi,*.x12,-*.tmp". Empty allows everything.
func ParseFilter(s string) (Filter, error) {
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

// errFiltered is wrapped by Check's errors.
var errFiltered = errors.New("file name not allowed")

// Check returns nil when name (a base name) is allowed, and otherwise an
// error naming the rule that refused it.
func (f Filter) Check(name string) error {
	n := strings.ToLower(name)
	for _, p := range f.exclude {
		if ok, _ := path.Match(p, n); ok {
			return fmt.Errorf("%w: %q matches the excluded pattern -%s", errFiltered, name, p)
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
	return fmt.Errorf("%w: %q matches none of the allowed patterns %s", errFiltered, name, strings.Join(f.include, ","))
}

// String returns the filter in its parsed form.
func (f Filter) String() string {
	parts := append([]string(nil), f.include...)
	for _, p := range f.exclude {
		parts = append(parts, "-"+p)
	}
	return strings.Join(parts, ",")
}

// parseExtensions parses ".tmp,.part" (the dots optional) into lower-case
// suffixes with their dot.
func parseExtensions(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if !strings.HasPrefix(e, ".") {
			e = "." + e
		}
		out = append(out, e)
	}
	return out
}

// remoteTemp matches the temporary names Wharf's own outbound client
// uploads under (".order.edi.0123456789ab.wharf-part"), so one Wharf pushing
// to another is judged by the final name and never shows half a file.
var remoteTemp = regexp.MustCompile(`^\.(.+)\.[0-9a-f]{12}\.wharf-part$`)

// tempBase returns name without a temp extension from exts (or Wharf's
// outbound temp form), and whether it had one.
func tempBase(name string, exts []string) (string, bool) {
	if m := remoteTemp.FindStringSubmatch(name); m != nil {
		return m[1], true
	}
	n := strings.ToLower(name)
	for _, e := range exts {
		if strings.HasSuffix(n, e) && len(n) > len(e) {
			return name[:len(name)-len(e)], true
		}
	}
	return name, false
}
