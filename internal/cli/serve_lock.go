package cli

import (
	"strconv"
	"strings"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// servedSettings is what the lock file of a running 'wharf serve' says
// about it (see serveLock).
type servedSettings struct {
	PID int
	// Server holds the server-wide settings that accounts inherit unless
	// they set their own (ftpserver.Config.Effective): AllowPlain,
	// TLSReuse, Filter, TempExtensions and RemoveAfterSend. Nothing else
	// is recorded.
	Server ftpserver.Config
	// Defaults is false when the lock records the temp extensions alone,
	// as serve did before it recorded the account defaults: then only
	// Server.TempExtensions is the running server's.
	Defaults bool
}

// The keys of the lock file's lines after the PID, one key=value a line.
// temp_extensions is written as it is (older readers take it so); the
// filter is quoted (strconv.Quote), and the rest are true or false.
const (
	lockTempExtensions  = "temp_extensions"
	lockFilter          = "filter"
	lockAllowPlain      = "allow_plain"
	lockTLSReuse        = "tls_reuse"
	lockRemoveAfterSend = "remove_after_send"
)

// serveLockBody is what the lock file says after the PID for a server
// with configuration c.
func serveLockBody(c ftpserver.Config) string {
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k + "=" + v + "\n") }
	line(lockTempExtensions, c.TempExtensions)
	line(lockFilter, strconv.Quote(c.Filter))
	line(lockAllowPlain, strconv.FormatBool(c.AllowPlain))
	line(lockTLSReuse, strconv.FormatBool(c.TLSReuse))
	line(lockRemoveAfterSend, strconv.FormatBool(c.RemoveAfterSend))
	return b.String()
}

// parseServeLock reads the lines after the PID. Defaults is set only when
// every account default is there and reads well; a line it does not know
// is skipped, for a newer serve's.
func parseServeLock(lines []string) servedSettings {
	var s servedSettings
	seen := 0
	boolean := func(dst *bool, v string) {
		if b, err := strconv.ParseBool(v); err == nil {
			*dst = b
			seen++
		}
	}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		switch k {
		case lockTempExtensions:
			s.Server.TempExtensions = v
		case lockFilter:
			if f, err := strconv.Unquote(v); err == nil {
				s.Server.Filter = f
				seen++
			}
		case lockAllowPlain:
			boolean(&s.Server.AllowPlain, v)
		case lockTLSReuse:
			boolean(&s.Server.TLSReuse, v)
		case lockRemoveAfterSend:
			boolean(&s.Server.RemoveAfterSend, v)
		}
	}
	s.Defaults = seen == 4
	return s
}
