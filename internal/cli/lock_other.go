//go:build !unix

package cli

import "github.com/wharf-mft/wharf/internal/ftpserver"

// lockServeConfig does nothing where flock(2) is missing.
func lockServeConfig(string, ftpserver.Config) (func(), error) { return func() {}, nil }

// runningServe cannot tell here.
func runningServe(string) (string, bool) { return "", false }

// runningServeSettings cannot tell here.
func runningServeSettings(string) (servedSettings, bool) { return servedSettings{}, false }
