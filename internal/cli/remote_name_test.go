package cli

import (
	"strings"
	"testing"
)

// TestRemoteURLGivenAsName: a URL where a remote's name belongs is
// refused saying to give a name and how to add one, and its password is
// never echoed: not in the error, not on stdout or stderr.
func TestRemoteURLGivenAsName(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "", "staff", "add", "ops") // an existing data directory
	const pw = "Sup3rS3cret"
	const u = "ftps://u:" + pw + "@host.example/"
	const want = "give a remote NAME; add one with `wharf remote add NAME --url URL --password-stdin`"
	for _, args := range [][]string{
		{"remote", "test", u},
		{"remote", "show", u},
		{"remote", "set", u, "--max-conns", "2"},
		{"remote", "remove", u},
		{"remote", "add", u, "--url", "ftps://u@host.example"},
		{"remote", "ls", u + "outbox"},
		{"remote", "get", u + "outbox/x.edi", t.TempDir()},
		{"remote", "put", "x.edi", u + "inbox/"},
		{"sync", "add", "s1", "--folder", "acme/send", "--remote", u + "out", "--direction", "push"},
	} {
		r := run(t, dir, "", args...)
		cmd := strings.Join(args[:2], " ")
		if r.err == nil {
			t.Errorf("wharf %s URL succeeded", cmd)
			continue
		}
		if !strings.Contains(r.err.Error(), want) || !strings.Contains(r.err.Error(), "is a URL, not a remote name") {
			t.Errorf("wharf %s URL: error %q, want it to say %q", cmd, r.err, want)
		}
		for what, s := range map[string]string{"error": r.err.Error(), "stdout": r.stdout, "stderr": r.stderr} {
			if strings.Contains(s, pw) {
				t.Errorf("wharf %s URL: the password is in its %s: %q", cmd, what, s)
			}
		}
		if strings.Contains(r.err.Error(), "wharf remote add ftps://") {
			t.Errorf("wharf %s URL: suggests a URL as the name to add: %q", cmd, r.err)
		}
	}
	// A URL without a password is named as it is.
	r := run(t, dir, "", "remote", "test", "ftps://u@host.example/")
	if r.err == nil || !strings.Contains(r.err.Error(), "ftps://u@host.example/ is a URL, not a remote name: "+want) {
		t.Errorf("wharf remote test URL without password: error %v", r.err)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ftps://u:Sup3rS3cret@host/", "ftps://u:xxxxx@host/"},
		{"ftps://u:p@ss:w@rd@host:21/x?tls=never", "ftps://u:xxxxx@host:21/x?tls=never"},
		{"ftp://u:pw@host", "ftp://u:xxxxx@host"},
		{"ftp://u:pw@[::1]:21/a@b", "ftp://u:xxxxx@[::1]:21/a@b"},
		{"ftps://u@host/a:b", "ftps://u@host/a:b"},
		{"ftps://host", "ftps://host"},
		{"ftps://u:%zz@host", "ftps://u:xxxxx@host"}, // does not parse as a URL
		{"acme", "acme"},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
