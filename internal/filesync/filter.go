package filesync

import (
	"fmt"
	"path"
	"strings"
)

// Filter selects the files a sync handles: comma-separated globs matched
// against the base name, ignoring case, where a leading "-" excludes
// ("*.edi,*.x12,-*.tmp"). A name passes when it matches no exclude and
// either there are no includes or it matches one; this is the same rule as
// the server's allowed-files filter. The zero Filter passes every name.
type Filter struct {
	include, exclude []string
}

// ParseFilter parses a filter; "" passes everything.
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
			return Filter{}, fmt.Errorf("filter pattern %q: want a file-name glob such as *.edi or -*.tmp", p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return Filter{}, fmt.Errorf("filter pattern %q: %w", p, err)
		}
		if neg {
			f.exclude = append(f.exclude, p)
		} else {
			f.include = append(f.include, p)
		}
	}
	return f, nil
}

// Match reports whether base name passes the filter.
func (f Filter) Match(name string) bool {
	n := strings.ToLower(name)
	for _, p := range f.exclude {
		if ok, _ := path.Match(p, n); ok {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, p := range f.include {
		if ok, _ := path.Match(p, n); ok {
			return true
		}
	}
	return false
}

// Prefixes of names that are uploads in progress and never picked up:
// the Wharf server's hidden upload names, and this package's own pull
// temporaries (which start with the same prefix, so partners never see them).
const tempPrefix = ".wharf-"

// remoteTempSuffix ends the temporary names remote.Pool.Store uploads to
// before renaming: ".<name>.<hex>.wharf-part".
const remoteTempSuffix = ".wharf-part"

// inProgress reports whether a base name is a file still being written:
// a Wharf temporary, or a name with one of the temp receive extensions
// (lower-case, with their dot).
func inProgress(name string, tempExts []string) bool {
	if strings.HasPrefix(name, tempPrefix) || strings.HasSuffix(name, remoteTempSuffix) {
		return true
	}
	n := strings.ToLower(name)
	for _, ext := range tempExts {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// ParseExtensions parses ".tmp,.part" (dots optional) into lower-case
// suffixes with their dot, as Config.TempExtensions wants them.
func ParseExtensions(s string) []string {
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
