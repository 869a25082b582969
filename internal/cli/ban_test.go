package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// saveBans stores bans in dir's store, as a running serve would.
func saveBans(t *testing.T, dir string, bans ...store.Ban) {
	t.Helper()
	st := openStore(t, dir)
	for _, b := range bans {
		if err := st.SaveBan(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBan: ban list shows the bans that have not ended, ban lift lifts one
// (an IPv4 address mapped into IPv6 names the IPv4 one) and records it,
// --all lifts the rest, and mistakes say what to do.
func TestBan(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	runSteps(t, dir, []step{
		{name: "list empty", args: []string{"ban", "list"}, want: []string{"no IPs are banned"}},
		{name: "list empty json", args: []string{"ban", "list", "--json"}, want: []string{"[]"}},
		{name: "lift not banned", args: []string{"ban", "lift", "203.0.113.7"}, wantErr: "203.0.113.7 is not banned: `wharf ban list` shows the banned IPs"},
		{name: "lift with port", args: []string{"ban", "lift", "203.0.113.7:2121"}, wantErr: `"203.0.113.7:2121" is not an IP address: want one such as 203.0.113.7 or 2001:db8::7, with no port or /prefix`},
		{name: "lift prefix", args: []string{"ban", "lift", "203.0.113.0/24"}, wantErr: "is not an IP address"},
		{name: "lift name", args: []string{"ban", "lift", "acme"}, wantErr: "is not an IP address"},
		{name: "lift nothing", args: []string{"ban", "lift"}, wantErr: "want one IP, e.g. `wharf ban lift 203.0.113.7`, or --all"},
		{name: "lift both", args: []string{"ban", "lift", "203.0.113.7", "--all"}, wantErr: "give one IP or --all, not both"},
		{name: "lift all of none", args: []string{"ban", "lift", "--all"}, want: []string{"no IPs are banned"}},
	})

	now := time.Now()
	v4 := store.Ban{IP: "203.0.113.7", Until: now.Add(12*time.Minute + 30*time.Second), Failures: 10}
	v6 := store.Ban{IP: "2001:db8::7", Until: now.Add(2*time.Hour + 30*time.Second), Failures: 3}
	ended := store.Ban{IP: "198.51.100.1", Until: now.Add(-time.Minute), Failures: 10}
	saveBans(t, dir, v4, v6, ended)
	v4Until := v4.Until.UTC().Format(time.RFC3339)
	runSteps(t, dir, []step{
		{name: "list", args: []string{"ban", "list"},
			want:    []string{"IP", "BANNED UNTIL", "FAILURES", "203.0.113.7", v4Until + " (in 12m)", "10", "2001:db8::7", "(in 2h00m)"},
			notWant: []string{"198.51.100.1"}},
		{name: "list json", args: []string{"ban", "list", "--json"}, want: []string{`"ip": "203.0.113.7"`, `"until": "` + v4Until[:len(v4Until)-1], `"failures": 10`}},
		{name: "lift ended", args: []string{"ban", "lift", "198.51.100.1"}, wantErr: "198.51.100.1 is not banned"},
		{name: "lift mapped", args: []string{"ban", "lift", "::ffff:203.0.113.7"},
			want: []string{"lifted the ban of 203.0.113.7, which would have ended " + v4Until + " (in 12m)", "a running wharf serve admits it from its next connection"}},
		{name: "lift again", args: []string{"ban", "lift", "203.0.113.7"}, wantErr: "203.0.113.7 is not banned"},
		{name: "list after lift", args: []string{"ban", "list"}, want: []string{"2001:db8::7"}, notWant: []string{"203.0.113.7"}},
		{name: "lift all", args: []string{"ban", "lift", "--all"}, want: []string{"lifted the ban of 2001:db8::7", "admits each from its next connection"}},
		{name: "list after all", args: []string{"ban", "list"}, want: []string{"no IPs are banned"}},
		{name: "events", args: []string{"events"}, want: []string{store.EventBanLifted}},
	})

	evs, err := openStore(t, dir).Events(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var lifted []string
	for _, e := range evs {
		if e.Kind != store.EventBanLifted {
			continue
		}
		lifted = append(lifted, e.RemoteAddr)
		if !strings.Contains(e.Detail, "lifted with wharf ban lift; it would have ended ") {
			t.Errorf("%s event of %s: detail %q, want it to say who lifted it and when it would have ended", e.Kind, e.RemoteAddr, e.Detail)
		}
	}
	if strings.Join(lifted, " ") != "203.0.113.7 2001:db8::7" {
		t.Errorf("%s events for %q, want 203.0.113.7 then 2001:db8::7", store.EventBanLifted, lifted)
	}
}

// TestBanHelpExamples: the examples of `ban lift --help` run as shown, in
// order, on a data directory with those IPs banned.
func TestBanHelpExamples(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "partner", "add", "acme")
	until := time.Now().Add(time.Hour)
	saveBans(t, dir, store.Ban{IP: "203.0.113.7", Until: until}, store.Ban{IP: "2001:db8::7", Until: until}, store.Ban{IP: "198.51.100.1", Until: until})
	for _, ex := range examples(t, subcommand(t, newBan(&app{}), "lift")) {
		mustRun(t, dir, ex.stdin, ex.args...)
	}
	if r := mustRun(t, dir, "", "ban", "list"); !strings.Contains(r.stdout, "no IPs are banned") {
		t.Errorf("ban list after the examples:\n%s", r.stdout)
	}
}

func TestRoughDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "1s"},
		{0, "1s"},
		{45*time.Second + 900*time.Millisecond, "45s"},
		{12*time.Minute + 59*time.Second, "12m"},
		{time.Hour + 5*time.Minute + 30*time.Second, "1h05m"},
		{47*time.Hour + 59*time.Minute, "47h59m"},
		{3*24*time.Hour + 4*time.Hour + 30*time.Minute, "3d4h"},
	}
	for _, tt := range tests {
		if got := roughDuration(tt.d); got != tt.want {
			t.Errorf("roughDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
