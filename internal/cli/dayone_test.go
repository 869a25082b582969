package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddOfRecordsRefusesMissingDataDir checks that mount add and sync add,
// which name an account or a remote that must already exist, refuse a data
// directory that is not there (a mistyped --data) instead of creating an
// empty one and then failing on a missing account or remote.
func TestAddOfRecordsRefusesMissingDataDir(t *testing.T) {
	for _, args := range [][]string{
		{"mount", "add", "acme", "/send/out", "bank:/out", "--no-check"},
		{"sync", "add", "out", "--folder", "acme/send", "--remote", "bank:/in", "--direction", "push"},
	} {
		t.Run(args[0], func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "typo")
			r := run(t, dir, "", args...)
			if r.err == nil || !strings.Contains(r.err.Error(), "no Wharf data directory at "+dir) {
				t.Fatalf("wharf %s = %v, want the missing data directory refused", strings.Join(args, " "), r.err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("wharf %s left %s behind (stat: %v)", strings.Join(args, " "), dir, err)
			}
		})
	}
}

// TestBadLogSettingsRefused checks that a command that logs refuses a log
// level or format it does not know instead of logging at info as text.
func TestBadLogSettingsRefused(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "remote", "add", "bank", "--url", "ftp://u@127.0.0.1:1/?tls=never")
	for _, tc := range []struct{ flag, value, want string }{
		{"--log-level", "verbose", `log.level "verbose": want debug, info, warn or error`},
		{"--log-format", "xml", `log.format "xml": want text or json`},
	} {
		for _, args := range [][]string{
			{"remote", "ls", "bank:/"},
			{"sync", "run", "nosuch"},
			{"mount", "add", "acme", "/send/x", "bank:/"},
		} {
			r := run(t, dir, "", append(args, tc.flag, tc.value)...)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Errorf("wharf %s %s %s = %v, want error containing %q", strings.Join(args, " "), tc.flag, tc.value, r.err, tc.want)
			}
		}
	}
}

// TestSyncEveryOutOfRange checks that a negative or sub-second --every is
// refused naming the flag, as the user typed it, and what it takes.
func TestSyncEveryOutOfRange(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	mustRun(t, dir, "", "remote", "add", "bank", "--url", "ftp://u@127.0.0.1:1/?tls=never")
	mustRun(t, dir, "", "sync", "add", "out", "--folder", "acme/send", "--remote", "bank:/in", "--direction", "push")
	want := "want 0 (no timer) or at least 1s, e.g. 5m"
	runSteps(t, dir, []step{
		{name: "add negative", args: []string{"sync", "add", "x", "--folder", "acme/send", "--remote", "bank:/x", "--direction", "push", "--every", "-5m"},
			wantErr: "--every -5m: " + want},
		{name: "add sub-second", args: []string{"sync", "add", "x", "--folder", "acme/send", "--remote", "bank:/x", "--direction", "push", "--every", "500ms"},
			wantErr: "--every 500ms: " + want},
		{name: "set negative", args: []string{"sync", "set", "out", "--every", "-1h"}, wantErr: "--every -1h: " + want},
		{name: "set 0 takes the timer off", args: []string{"sync", "set", "out", "--every", "0"}, want: []string{"manual"}},
	})
}

// TestPartnerAddOverFile checks that partner add refuses a name whose
// folder, DATA/files/NAME, is a file (one staff uploaded to the file root),
// saying so, with --adopt-files too, and leaves the file alone.
func TestPartnerAddOverFile(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "staff", "add", "ops")
	p := filepath.Join(dir, "files", "report.txt")
	if err := os.WriteFile(p, []byte("staff's"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := p + " is a file, not a folder: move it away, or choose another name"
	runSteps(t, dir, []step{
		{name: "add", args: []string{"partner", "add", "report.txt"}, wantErr: want},
		{name: "adopt", args: []string{"partner", "add", "report.txt", "--adopt-files"}, wantErr: want},
	})
	if b, err := os.ReadFile(p); err != nil || string(b) != "staff's" {
		t.Errorf("%s = %q, %v after the refused adds, want it unchanged", p, b, err)
	}
}

// TestRemoteURLFragmentRefused checks that a '#' in --url, which url.Parse
// takes as the start of a fragment and drops with everything after it, is
// refused instead of silently cutting the folder name; %23 gives a '#'.
func TestRemoteURLFragmentRefused(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "add with #", args: []string{"remote", "add", "x", "--url", "ftps://u@ftp.example/in#1"},
			wantErr: `--url "ftps://u@ftp.example/in#1": a '#' starts a URL fragment, which would be dropped: write a '#' in a folder name as %23`},
		{name: "add with %23", args: []string{"remote", "add", "x", "--url", "ftps://u@ftp.example/in%231"},
			want: []string{`added remote "x": ftps://u@ftp.example/in%231`}},
		{name: "set with #", args: []string{"remote", "set", "x", "--url", "ftps://u@ftp.example/out#2"},
			wantErr: "a '#' starts a URL fragment"},
		{name: "show", args: []string{"remote", "show", "x"}, want: []string{"root:                 /in#1"}},
	})
}

// TestEventsFilterTypos checks that --kind takes "received, sent" as a
// shell user types it, and that an --account that matches nothing because
// there is no such account says so.
func TestEventsFilterTypos(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	runSteps(t, dir, []step{
		{name: "kinds with spaces", args: []string{"events", "--kind", "received, sent"}, want: []string{"no matching events"}},
		{name: "known account", args: []string{"events", "--account", "acme"}, want: []string{"no matching events\n"}},
		{name: "unknown account", args: []string{"events", "--account", "acmee"},
			want: []string{`no matching events: there is no account "acmee" (see ` + "`wharf partner list`"}},
		{name: "a sync's", args: []string{"events", "--account", "sync:out"}, want: []string{"no matching events\n"}},
	})
}

// TestUnknownFlagSuggestion checks that a mistyped flag is answered with
// the flag it is closest to, as cobra does for a mistyped command.
func TestUnknownFlagSuggestion(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "--sinceid", "3"}, "unknown flag: --sinceid: did you mean --since-id? see `wharf events --help`"},
		{[]string{"remote", "add", "x", "--url", "ftps://u@h", "--pasword-stdin"}, "unknown flag: --pasword-stdin: did you mean --password-stdin? see `wharf remote add --help`"},
		{[]string{"partner", "list", "--dta", dir}, "unknown flag: --dta: did you mean --data?"},
		{[]string{"events", "--zzz"}, "unknown flag: --zzz: see `wharf events --help`"},
	} {
		r := run(t, dir, "", tc.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("wharf %s = %v, want error containing %q", strings.Join(tc.args, " "), r.err, tc.want)
		}
	}
}

// TestSyncStatusNoSyncs checks that sync status without syncs says so, as
// sync list does, instead of printing a bare table header.
func TestSyncStatusNoSyncs(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	runSteps(t, dir, []step{
		{name: "status", args: []string{"sync", "status"}, want: []string{"no syncs yet: add one with `wharf sync add`"}, notWant: []string{"NAME"}},
		{name: "json", args: []string{"sync", "status", "--json"}, want: []string{"[]"}},
	})
}
