package config

import (
	"fmt"
	"slices"
	"strings"
)

// envPrefix starts every environment variable that Wharf reads.
const envPrefix = "WHARF_"

// otherEnv reports whether name is a WHARF_ variable that is not a setting
// but is read directly, by wharf or by its tests and tools, so that Load
// must not report it. TestOtherEnv keeps this list complete.
func otherEnv(name string) bool {
	switch name {
	case EnvConfig, // the config file
		"WHARF_CPUPROFILE",        // wharf sync run: write a CPU profile (cli/sync.go)
		"WHARF_INTEROP",           // interop tests and benchmarks run (peertest, scripts/test.sh)
		"WHARF_PEER_DIR",          // where the interop peers are installed (peertest, scripts/test.sh)
		"WHARF_SKIP_INSTALL",      // scripts/test.sh: do not install the peers
		"WHARF_SYNCBENCH",         // bench/syncbench runs
		"WHARF_BIND_HELPER",       // ftpserver/bind_test.go's child process
		"WHARF_FILESYNC_CHILD",    // filesync/killloop_test.go's child process
		"WHARF_FTPFS_CRASH_CHILD", // ftpfs/journal_test.go's child process
		"WHARF_PEERTEST_CHILD",    // peertest/testmain_test.go's child process
		"WHARF_FTP_PASSWORD":      // the interop tests' Python FTP client
		return true
	}
	// WHARF_TEST_MAIN (cmd/wharf), WHARF_TEST_POSTGRES_DSN (storetest)
	// and whatever tests add later.
	return strings.HasPrefix(name, envPrefix+"TEST_")
}

// unknownEnv reports each WHARF_ variable in environ ("NAME=value" lines)
// that lookup finds but that is neither a setting nor in otherEnv.
func unknownEnv(environ []string, lookup func(string) (string, bool)) []error {
	settings := map[string]bool{}
	for _, k := range Keys() {
		settings[k.Env] = true
	}
	var names []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || settings[name] || otherEnv(name) {
			continue
		}
		if _, ok := lookup(name); ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		errs = append(errs, unknownEnvError(name, settings))
	}
	return errs
}

func unknownEnvError(name string, settings map[string]bool) error {
	// The server section is flat: WHARF_IDLE_TIMEOUT, not
	// WHARF_SERVER_IDLE_TIMEOUT.
	if rest, ok := strings.CutPrefix(name, envPrefix+"SERVER_"); ok && settings[envPrefix+rest] {
		return fmt.Errorf("unknown environment variable %s: did you mean %s? (server settings take no SERVER_)", name, envPrefix+rest)
	}
	known := map[string]bool{EnvConfig: true}
	for s := range settings {
		known[s] = true
	}
	if s := suggest(name, known); s != "" {
		return fmt.Errorf("unknown environment variable %s: did you mean %s?", name, s)
	}
	return fmt.Errorf("unknown environment variable %s: unset it, or see `wharf serve --help` for the settings", name)
}
