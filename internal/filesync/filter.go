package filesync

import (
	"strings"

	"github.com/wharf-mft/wharf/internal/namefilter"
)

// Filter selects the files a sync handles; it is the server's
// allowed-files filter (see namefilter).
type Filter = namefilter.Filter

// ParseFilter parses a filter; "" passes everything.
func ParseFilter(s string) (Filter, error) { return namefilter.Parse(s) }

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
