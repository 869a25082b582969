package cli

import (
	"fmt"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// Where the server settings of `partner show` and `list --json` come
// from (accountView.ServerSettings).
const (
	fromRunningServe  = "running_serve" // the lock file of the serve running on the data directory
	fromConfiguration = "configuration" // this command's own file, environment and defaults
)

// serverSettings are the server-wide settings an account inherits where
// it sets none, and where they come from.
type serverSettings struct {
	cfg    ftpserver.Config
	source string // fromRunningServe or fromConfiguration
	note   string // show's "server settings" row
}

// serverSettingsFor returns the settings of the 'wharf serve' running on
// the data directory root, as its lock file records them, or else those
// of own, this command's configuration: a server started with other flags
// or environment than this command sees runs with its own, which only it
// can tell.
func serverSettingsFor(root string, own ftpserver.Config) serverSettings {
	s, running := runningServeSettings(root)
	switch {
	case running && s.Defaults:
		return serverSettings{cfg: s.Server, source: fromRunningServe,
			note: fmt.Sprintf("those of the wharf serve running on this data directory (pid %d)", s.PID)}
	case running:
		return serverSettings{cfg: own, source: fromConfiguration,
			note: fmt.Sprintf("this command's configuration: the wharf serve running on this data directory (pid %d) does not record its own (a version before that); restart it to see them here", s.PID)}
	}
	return serverSettings{cfg: own, source: fromConfiguration,
		note: "this command's configuration (no wharf serve runs on this data directory)"}
}
