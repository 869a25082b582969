package ftpserver

import (
	"regexp"
	"strings"

	"github.com/wharf-mft/wharf/internal/namefilter"
)

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

// ParseFilter parses an allowed-files filter (see namefilter.Parse).
func ParseFilter(s string) (Filter, error) { return namefilter.Parse(s) }

// Filter is the allowed-files filter.
type Filter = namefilter.Filter
