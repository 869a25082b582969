package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

func addEvents(t *testing.T, st store.Store, evs ...store.Event) {
	t.Helper()
	for _, e := range evs {
		if _, err := st.AddEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEvents(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{{name: "no data directory", args: []string{"events"}, wantErr: "no Wharf data directory at " + dir}})
	st := openStore(t, dir)
	runSteps(t, dir, []step{{name: "empty", args: []string{"events"}, want: []string{"no events yet"}}})
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	addEvents(t, st,
		store.Event{Time: at, Kind: store.EventLogin, Account: "acme", RemoteAddr: "192.0.2.7:50000"},
		store.Event{Time: at, Kind: store.EventReceived, Account: "acme", Path: "/receive/order1.edi", Bytes: 1234, RemoteAddr: "192.0.2.7:50000"},
		store.Event{Time: at, Kind: store.EventSent, Account: "acme", Path: "/send/invoice.edi", Bytes: 99, RemoteAddr: "192.0.2.7:50000"},
		store.Event{Time: at, Kind: store.EventLoginFailed, Account: "mallory", RemoteAddr: "198.51.100.1:4000", Detail: "bad password"},
	)
	runSteps(t, dir, []step{
		{name: "all", args: []string{"events"},
			want: []string{"ID", "KIND", "login", "received", "/receive/order1.edi", "1234", "192.0.2.7:50000", "login_failed", `"bad password"`}},
		{name: "limit keeps newest", args: []string{"events", "--limit", "2"},
			want: []string{"/send/invoice.edi", "mallory"}, notWant: []string{"order1.edi"}},
		{name: "since id", args: []string{"events", "--since-id", "1", "--limit", "2"},
			want: []string{"order1.edi", "invoice.edi"}, notWant: []string{"mallory", " login "}},
		{name: "since last id", args: []string{"events", "--since-id", "4"}, want: []string{"no events after ID 4"}},
		{name: "json", args: []string{"events", "--json", "--limit", "1"},
			want: []string{`"kind":"login_failed"`, `"account":"mallory"`, `"id":4`}, notWant: []string{"KIND"}},
		{name: "bad limit", args: []string{"events", "--limit", "0"}, wantErr: "--limit 0: want 1 or more"},
		{name: "bad since", args: []string{"events", "--since-id", "-3"}, wantErr: "--since-id -3"},
		{name: "kinds", args: []string{"events", "--kind", "received,sent"},
			want: []string{"order1.edi", "invoice.edi"}, notWant: []string{"mallory", " login "}},
		{name: "account, any case", args: []string{"events", "--account", "ACME", "--limit", "1"},
			want: []string{"invoice.edi"}, notWant: []string{"mallory", "order1.edi"}},
		{name: "kind and account", args: []string{"events", "--kind", "login_failed", "--account", "acme"}, want: []string{"no matching events"}},
		{name: "unknown kind", args: []string{"events", "--kind", "upload"}, wantErr: `--kind "upload": want one of login, login_failed, received`},
	})

	r := run(t, dir, "", "events", "--json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("events --json printed %d lines, want 4:\n%s", len(lines), r.stdout)
	}
	var e store.Event
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil {
		t.Fatal(err)
	}
	if e.ID != 2 || e.Kind != store.EventReceived || e.Bytes != 1234 || !e.Time.Equal(at) {
		t.Errorf("events --json line 2 = %+v", e)
	}
}

func TestEventsFollow(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		name := "table"
		args := []string{"events", "--follow"}
		if asJSON {
			name = "json"
			args = append(args, "--json")
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			run(t, dir, "", "events") // creates the store
			st := openStore(t, dir)
			addEvents(t, st, store.Event{Kind: store.EventLogin, Account: "before"})

			out, _, cancel, wait := start(t, dir, nil, args...)
			out.waitFor(t, "before")
			addEvents(t, st, store.Event{Kind: store.EventReceived, Account: "after", Path: "/receive/x.edi"})
			out.waitFor(t, "/receive/x.edi")
			cancel()
			if err := wait(); err != nil {
				t.Errorf("events --follow ended with %v, want nil on cancel", err)
			}
			if n := strings.Count(out.String(), "before"); n != 1 {
				t.Errorf("first event printed %d times:\n%s", n, out.String())
			}
		})
	}
}

func TestEventsPrune(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	now := time.Now()
	addEvents(t, st,
		store.Event{Time: now.Add(-100 * 24 * time.Hour), Kind: store.EventLogin, Account: "ancient"},
		store.Event{Time: now.Add(-40 * 24 * time.Hour), Kind: store.EventLogin, Account: "old"},
		store.Event{Time: now, Kind: store.EventLogin, Account: "fresh"},
	)
	runSteps(t, dir, []step{
		{name: "default 90d", args: []string{"events", "prune"}, want: []string{"deleted 1 events, 0 sync runs", "(older than 90d)"}},
		{name: "after", args: []string{"events"}, want: []string{"old", "fresh"}, notWant: []string{"ancient"}},
		{name: "flag", args: []string{"events", "prune", "--older-than", "30d"}, want: []string{"deleted 1 events", "(older than 30d)"}},
		{name: "after flag", args: []string{"events"}, want: []string{"fresh"}, notWant: []string{" old "}},
		{name: "bad duration", args: []string{"events", "prune", "--older-than", "a month"}, wantErr: `--older-than "a month": want a duration such as 30s, 5m, 1h30m or 90d`},
		{name: "zero age", args: []string{"events", "prune", "--older-than", "0"}, wantErr: "--older-than 0 would delete all history: give an age such as 30d"},
		{name: "help", args: []string{"events", "prune", "--help"}, want: []string{"each sync's latest run", "Example"}},
	})
}

// 'wharf serve' prunes the history once at start (and hourly after).
func TestServePrunesHistory(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	addEvents(t, st,
		store.Event{Time: time.Now().Add(-8 * 24 * time.Hour), Kind: store.EventLogin, Account: "ancient"},
		store.Event{Time: time.Now(), Kind: store.EventLogin, Account: "fresh"},
	)
	_, errOut, cancel, wait := start(t, dir, map[string]string{"WHARF_KEEP_HISTORY": "7d"}, "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off")
	errOut.waitFor(t, "pruned history")
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("serve ended with %v\n%s", err, errOut)
	}
	for _, w := range []string{"keep_history=7d", "events=1", "sync_runs=0"} {
		if !strings.Contains(errOut.String(), w) {
			t.Errorf("serve log lacks %q:\n%s", w, errOut)
		}
	}
	evs, err := st.Events(t.Context(), 0, 10)
	if err != nil || len(evs) != 1 || evs[0].Account != "fresh" {
		t.Errorf("events after serve pruned: %+v, %v; want only the fresh one", evs, err)
	}
}

// TestEventsHelpListsKinds: the help lists every kind --kind takes.
func TestEventsHelpListsKinds(t *testing.T) {
	help := run(t, t.TempDir(), "", "events", "--help").stdout
	for _, k := range store.EventKinds {
		if !strings.Contains(strings.Join(strings.Fields(help), " "), " "+k+",") && !strings.Contains(help, " "+k+".") {
			t.Errorf("events --help does not list the kind %s", k)
		}
	}
}
