//go:build unix

package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// TestPartnerShowRunningServeSettings: with a `wharf serve` running on
// the data directory with other settings than `partner show` sees,
// show and list --json report the running server's; once it stopped,
// this command's configuration's, labelled so.
func TestPartnerShowRunningServeSettings(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "p1")
	mustRun(t, dir, "", "partner", "add", "p2", "--filter", "*.x12", "--remove-after-send=false")
	_, errOut, cancel, wait := start(t, dir, nil, "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off",
		"--remove-after-send", "--filter", "*.edi", "--temp-extensions", ".part", "--tls-reuse")
	errOut.waitFor(t, "tls=explicit")
	running := fmt.Sprintf("server settings:    those of the wharf serve running on this data directory (pid %d)", os.Getpid())
	runSteps(t, dir, []step{
		{name: "show while serving", args: []string{"partner", "show", "p1"}, want: []string{
			"filter:             *.edi (server setting)",
			"temp extensions:    .part (server setting)",
			"remove after send:  yes (server setting)",
			"tls reuse:          yes (server setting)",
			"allow plain:        no (server setting)",
			running,
		}},
		{name: "own settings still win", args: []string{"partner", "show", "p2"}, want: []string{
			"filter:             *.x12\n", "remove after send:  no\n", running,
		}},
	})
	type view struct {
		Name           string              `json:"name"`
		Effective      ftpserver.Effective `json:"effective"`
		ServerSettings string              `json:"server_settings"`
	}
	list := func(t *testing.T) []view {
		t.Helper()
		var got []view
		if err := json.Unmarshal([]byte(mustRun(t, dir, "", "partner", "list", "--json").stdout), &got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i].Effective.Send, got[i].Effective.Receive = ftpserver.Effective{}.Send, ftpserver.Effective{}.Receive
		}
		return got
	}
	want := []view{
		{"p1", ftpserver.Effective{TLSReuse: true, Filter: "*.edi", TempExtensions: ".part", RemoveAfterSend: true}, "running_serve"},
		{"p2", ftpserver.Effective{TLSReuse: true, Filter: "*.x12", TempExtensions: ".part"}, "running_serve"},
	}
	if diff := cmp.Diff(want, list(t)); diff != "" {
		t.Errorf("list --json while serving (-want +got):\n%s", diff)
	}

	cancel()
	if err := wait(); err != nil {
		t.Fatalf("serve: %v\n%s", err, errOut)
	}
	runSteps(t, dir, []step{
		{name: "show after serve stopped", args: []string{"partner", "show", "p1"}, want: []string{
			"filter:             none (server setting)",
			"remove after send:  no (server setting)",
			"server settings:    this command's configuration (no wharf serve runs on this data directory)",
		}, notWant: []string{"running on this data directory"}},
	})
	want = []view{
		{"p1", ftpserver.Effective{}, "configuration"},
		{"p2", ftpserver.Effective{Filter: "*.x12"}, "configuration"},
	}
	if diff := cmp.Diff(want, list(t)); diff != "" {
		t.Errorf("list --json after serve stopped (-want +got):\n%s", diff)
	}
}

// TestPartnerShowOlderServeLock: the lock of a running serve that
// records its temp extensions alone (a serve of an earlier version) is
// no source of account defaults: show says they are this command's.
func TestPartnerShowOlderServeLock(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "p1")
	// The form a serve of an older version leaves: temp extensions alone.
	unlock, err := lockWith(dir, lockTempExtensions+"=.part\n")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if got, ok := runningServe(dir); !ok || got != ".part" {
		t.Errorf("runningServe with an older lock = %q, %v; want .part, true", got, ok)
	}
	r := mustRun(t, dir, "", "partner", "show", "p1")
	want := fmt.Sprintf("server settings:    this command's configuration: the wharf serve running on this data directory (pid %d) does not record its own", os.Getpid())
	if !strings.Contains(r.stdout, want) {
		t.Errorf("partner show lacks %q:\n%s", want, r.stdout)
	}
	if r := mustRun(t, dir, "", "partner", "show", "p1", "--json"); !strings.Contains(r.stdout, `"server_settings": "configuration"`) {
		t.Errorf("partner show --json with an older lock:\n%s", r.stdout)
	}
}

// TestServeLockSettings: the lock records the account defaults and the
// temp extensions, which runningServe (what sync runs read) still finds;
// a filter survives the line format whatever it holds.
func TestServeLockSettings(t *testing.T) {
	dir := t.TempDir()
	srv := ftpserver.Config{Filter: "*.edi,\"odd\"\nname=x", TempExtensions: ".part,.tmp", RemoveAfterSend: true, AllowPlain: true, TLSReuse: true}
	unlock, err := lockServeConfig(dir, srv)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := runningServe(dir); !ok || got != ".part,.tmp" {
		t.Errorf("runningServe = %q, %v; want .part,.tmp, true", got, ok)
	}
	got, ok := runningServeSettings(dir)
	want := servedSettings{PID: os.Getpid(), Server: srv, Defaults: true}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("runningServeSettings = %v (-want +got):\n%s", ok, diff)
	}
	unlock()
	if _, ok := runningServeSettings(dir); ok {
		t.Error("runningServeSettings after unlock: true")
	}
}
