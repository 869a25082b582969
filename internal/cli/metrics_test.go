package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// TestServeMetrics: serve --metrics-listen answers /healthz and /metrics
// with what happened since it started: a partner's upload and a failed
// login counted by kind and account, open sessions, the pool of a remote
// in use, and an on-receive sync's last successful run.
func TestServeMetrics(t *testing.T) {
	dir := t.TempDir()
	const opsPW, acmePW = "staff-pw-123456", "partner-pw-123456"
	mustRun(t, dir, opsPW+"\n", "staff", "add", "ops", "--password-stdin")
	mustRun(t, dir, acmePW+"\n", "partner", "add", "acme", "--password-stdin")
	if err := os.MkdirAll(filepath.Join(dir, "files", "outbox"), 0o750); err != nil {
		t.Fatal(err)
	}
	_, errOut, cancel, wait := start(t, dir, nil, "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off", "--metrics-listen", "127.0.0.1:0")
	t.Cleanup(func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("serve: %v\n%s", err, errOut)
		}
	})
	errOut.waitFor(t, "tls=explicit")
	ftpAddr := regexp.MustCompile(`msg=listening addr=(\S+) tls=explicit`).FindStringSubmatch(errOut.String())
	metricsAddr := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`).FindStringSubmatch(errOut.String())
	if ftpAddr == nil || metricsAddr == nil {
		t.Fatalf("no FTP or metrics address in the serve log:\n%s", errOut)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + metricsAddr[1] + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}

	mustRun(t, dir, opsPW+"\n", "remote", "add", "self", "--url", "ftps://ops@"+ftpAddr[1], "--allow-self-signed", "--allow-self", "--password-stdin")
	mustRun(t, dir, "", "sync", "add", "acme-out", "--folder", "acme/receive", "--remote", "self:/outbox", "--direction", "push", "--on-receive")
	dial := func() *ftp.ServerConn {
		c, err := ftp.Dial(ftpAddr[1], ftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}), ftp.DialWithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Quit() })
		return c
	}
	for _, user := range []string{"acme", "ACME", "admin", "root"} {
		if err := dial().Login(user, "wrong password"); err == nil {
			t.Fatalf("login as %s with a wrong password succeeded", user)
		}
	}
	c := dial()
	if err := c.Login("acme", acmePW); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("/receive/order.edi", bytes.NewReader(bytes.Repeat([]byte("ISA*00~"), 1000))); err != nil {
		t.Fatal(err)
	}

	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^wharf_events_total\{account="acme",kind="received",source="ftp"\} 1$`),
		regexp.MustCompile(`(?m)^wharf_event_bytes_total\{account="acme",kind="received",source="ftp"\} 7000$`),
		regexp.MustCompile(`(?m)^wharf_events_total\{account="acme",kind="login_failed",source="ftp"\} 2$`),
		regexp.MustCompile(`(?m)^wharf_events_total\{account="\(unknown\)",kind="login_failed",source="ftp"\} 2$`),
		regexp.MustCompile(`(?m)^wharf_events_total\{account="acme-out",kind="sync_file",source="sync"\} 1$`),
		regexp.MustCompile(`(?m)^wharf_sessions\{state="logged_in"\} [1-9]`),
		regexp.MustCompile(`(?m)^wharf_remote_dials_total\{remote="self",result="ok"\} [1-9]`),
		regexp.MustCompile(`(?m)^wharf_sync_last_run_timestamp_seconds\{status="ok",sync="acme-out"\} \d`),
		regexp.MustCompile(`(?m)^wharf_sync_last_success_timestamp_seconds\{sync="acme-out"\} \d`),
		regexp.MustCompile(`(?m)^wharf_metrics_store_errors 0$`),
		regexp.MustCompile(`(?m)^go_goroutines \d`),
		regexp.MustCompile(`(?m)^process_resident_memory_bytes \d`),
	}
	// The push runs within seconds of the upload; scrape until it shows.
	ctx, stop := context.WithTimeout(t.Context(), 20*time.Second)
	defer stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := get("/metrics")
		var missing []string
		for _, re := range want {
			if !re.MatchString(body) {
				missing = append(missing, re.String())
			}
		}
		if code == 200 && len(missing) == 0 {
			for _, bad := range []string{`account="admin"`, `account="root"`, `account="ACME"`} {
				if strings.Contains(body, bad) {
					t.Errorf("/metrics has a series with %s: names that are no account are (unknown), and names are lower case", bad)
				}
			}
			break
		}
		select {
		case <-ctx.Done():
			var wharf []string
			for _, l := range strings.Split(body, "\n") {
				if strings.HasPrefix(l, "wharf_") {
					wharf = append(wharf, l)
				}
			}
			t.Fatalf("/metrics = %d, lacks:\n%s\nwharf metrics:\n%s", code, strings.Join(missing, "\n"), strings.Join(wharf, "\n"))
		case <-tick.C:
		}
	}
}
