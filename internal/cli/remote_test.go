package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// canary is a remote password that must never be printed or stored in clear.
const canary = "Canary-Pa55w0rd-7f3a"

func TestRemoteCommands(t *testing.T) {
	dir := t.TempDir()
	openStore(t, dir) // an existing data directory
	runSteps(t, dir, []step{
		{name: "list empty", args: []string{"remote", "list"}, want: []string{"no remotes yet"}},
		{
			name:  "add",
			args:  []string{"remote", "add", "acme", "--url", "ftps://wharf@ftp.acme.example/outbox", "--password-stdin"},
			stdin: canary + "\n",
			want:  []string{`added remote "acme": ftps://wharf@ftp.acme.example/outbox (tls explicit)`, "wharf remote test acme"},
		},
		{
			name: "add implicit without password",
			args: []string{"remote", "add", "legacy", "--url", "ftps://u@10.0.0.5", "--tls", "implicit",
				"--allow-self-signed", "--max-conns", "3", "--source-address", "127.0.0.1", "--read-only"},
			want: []string{"ftps://u@10.0.0.5?tls=implicit", "no password: set one with `wharf remote set legacy --password-stdin`"},
		},
		{
			name: "list",
			args: []string{"remote", "list"},
			want: []string{
				"acme    ftps://wharf@ftp.acme.example/outbox  explicit  25     set",
				"legacy  ftps://u@10.0.0.5?tls=implicit        implicit  3      not set   allow-self-signed,read-only,source-address=127.0.0.1",
			},
		},
		{
			name: "show",
			args: []string{"remote", "show", "acme"},
			want: []string{"password:             set", "port:                 21", "root:                 /outbox", "mode:                 passive"},
		},
		{name: "show implicit port", args: []string{"remote", "show", "legacy"}, want: []string{"port:                 990", "password:             not set"}},
		{name: "set", args: []string{"remote", "set", "acme", "--active", "--max-conns", "4", "--tls", "if-available"},
			want: []string{`updated remote "acme": tls, active, max-conns; tls if-available (was explicit): in clear when the server offers no TLS`}},
		{name: "show after set", args: []string{"remote", "show", "acme"}, want: []string{"mode:                 active", "max connections:      4", "url:                  ftp://wharf@ftp.acme.example/outbox?tls=if-available"}},
		// A new URL decides the TLS mode as add reads it: explicit, here.
		{name: "set url resets tls", args: []string{"remote", "set", "acme", "--url", "ftps://other@ftp2.acme.example:2121"},
			want: []string{`updated remote "acme": url, tls; now ftps://other@ftp2.acme.example:2121; tls explicit (was if-available)`}},
		{name: "show new url", args: []string{"remote", "show", "acme"}, want: []string{"host:                 ftp2.acme.example", "port:                 2121", "user:                 other", "root:                 /", "tls:                  explicit", "password:             set"}},
		{name: "set off", args: []string{"remote", "set", "acme", "--active=false"}, want: []string{"active"}},
		{name: "cap tls", args: []string{"remote", "set", "acme", "--max-tls", "1.2"}, want: []string{"max-tls"}},
		{name: "show capped", args: []string{"remote", "show", "acme"}, want: []string{"max TLS version:      1.2"}},
		{name: "list capped", args: []string{"remote", "list"}, want: []string{"max-tls=1.2"}},
		{name: "uncap tls", args: []string{"remote", "set", "acme", "--max-tls", "1.3"}, want: []string{"max-tls"}},
		{name: "show uncapped", args: []string{"remote", "show", "acme"}, want: []string{"max TLS version:      1.3"}},
		{name: "clear password", args: []string{"remote", "set", "acme", "--clear-password"}, want: []string{"password"}},
		{name: "show cleared", args: []string{"remote", "show", "acme"}, want: []string{"password:             not set", "mode:                 passive"}},
		{name: "set password", args: []string{"remote", "set", "acme", "--password-stdin"}, stdin: canary + "\n", want: []string{"password"}},
		{name: "nothing to set", args: []string{"remote", "set", "acme"}, wantErr: "nothing to change"},
		{name: "set unknown", args: []string{"remote", "set", "nope", "--active"}, wantErr: `remote "nope" not found: see ` + "`wharf remote list`"},
		{name: "remove", args: []string{"remote", "remove", "legacy"}, want: []string{`removed remote "legacy"`}},
		{name: "remove again", args: []string{"remote", "rm", "legacy"}, wantErr: "not found"},
	})

	st := openStore(t, dir)
	r, err := st.Remote(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.PasswordEnc) == 0 {
		t.Error("acme has no sealed password after set --password-stdin")
	}
	want := store.RemoteSettings{Host: "ftp2.acme.example", Port: 2121, User: "other", TLS: "explicit", MaxConns: 4}
	if diff := cmp.Diff(want, r.Settings); diff != "" {
		t.Errorf("acme settings (-want +got):\n%s", diff)
	}

	var v remoteView
	res := run(t, dir, "", "remote", "show", "acme", "--json")
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil || !v.PasswordSet || v.Name != "acme" {
		t.Errorf("show --json = %+v, %v; want acme with password_set", v, err)
	}
}

// TestRemotePasswordNeverShows checks every output, error and file of the
// data directory for the password.
func TestRemotePasswordNeverShows(t *testing.T) {
	dir := t.TempDir()
	var seen bytes.Buffer
	for _, args := range [][]string{
		{"remote", "add", "acme", "--url", "ftps://wharf@127.0.0.1:1/outbox", "--password-stdin"},
		{"remote", "set", "acme", "--password-stdin"},
		{"remote", "list"}, {"remote", "list", "--json"},
		{"remote", "show", "acme"}, {"remote", "show", "acme", "--json"},
		{"--log-level", "debug", "remote", "test", "acme"},
		{"remote", "add", "acme", "--url", "ftps://wharf:" + canary + "@127.0.0.1/outbox"},
		{"remote", "add", "acme2", "--url", "ftps://wharf:" + canary + "@127.0.0.1:99999999/outbox"},
		{"remote", "set", "acme", "--url", "ftp://wharf:" + canary + "@[::1"},
	} {
		r := run(t, dir, canary+"\n", args...)
		seen.WriteString(r.stdout + r.stderr)
		if r.err != nil {
			seen.WriteString(r.err.Error())
		}
	}
	if bytes.Contains(seen.Bytes(), []byte(canary)) {
		t.Errorf("the password shows in the output:\n%s", seen.String())
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		if bytes.Contains(data, []byte(canary)) {
			t.Errorf("%s holds the password in clear", filepath.Base(f))
		}
	}
	// The password is stored: it decrypts back for the client.
	e := openEnv(t, dir)
	rec, err := e.st.Remote(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := e.set.Config(t.Context(), rec)
	if err != nil || cfg.Password.Reveal() != canary {
		t.Errorf("sealed password opens to %q, %v; want the canary", cfg.Password.Reveal(), err)
	}
}

// openEnv opens dir as the remote commands do.
func openEnv(t *testing.T, dir string) *remoteEnv {
	t.Helper()
	a := &app{opt: Options{Stderr: &bytes.Buffer{}, LookupEnv: func(string) (string, bool) { return "", false }}}
	cmd := newRoot(a)
	if err := cmd.ParseFlags([]string{"--data", dir}); err != nil {
		t.Fatal(err)
	}
	e, err := remotes{a: a}.openRemotes(t.Context(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestRemoteAddRefusals(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, dir, "", "remote", "add", "taken", "--url", "ftps://u@h.example"); r.err != nil {
		t.Fatal(r.err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"password in url", []string{"bad", "--url", "ftps://u:" + canary + "@h.example"}, "", "--password-stdin"},
		{"no url", []string{"bad"}, "", "--url is required"},
		{"scheme", []string{"bad", "--url", "sftp://u@h.example"}, "", "scheme must be ftp or ftps"},
		{"no host", []string{"bad", "--url", "ftps://u@"}, "", "no host"},
		{"port", []string{"bad", "--url", "ftps://u@h.example:70000"}, "", "bad port"},
		{"tls", []string{"bad", "--url", "ftps://u@h.example", "--tls", "sometimes"}, "", "--tls: tls mode \"sometimes\": want never, if-available, explicit or implicit"},
		{"max conns", []string{"bad", "--url", "ftps://u@h.example", "--max-conns", "-1"}, "", "--max-conns -1"},
		{"max tls", []string{"bad", "--url", "ftps://u@h.example", "--max-tls", "1.1"}, "", "--max-tls: max tls \"1.1\": want 1.2 or 1.3"},
		{"source address", []string{"bad", "--url", "ftps://u@h.example", "--source-address", "eth0"}, "", "not an IP address"},
		{"name", []string{"Bad:Name", "--url", "ftps://u@h.example"}, "", "invalid name"},
		{"taken", []string{"taken", "--url", "ftps://u@h.example"}, "", `remote "taken" already exists`},
		{"empty stdin", []string{"bad", "--url", "ftps://u@h.example", "--password-stdin"}, "", "stdin held no password"},
		{"password with CR", []string{"bad", "--url", "ftps://u@h.example", "--password-stdin"}, "a\rb\n", "password"},
		{"user with CR", []string{"bad", "--url", "ftps://u%0D%0AQUIT@h.example"}, "", "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, dir, tt.stdin, append([]string{"remote", "add"}, tt.args...)...)
			if r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
				t.Fatalf("remote add %s: err = %v, want it to contain %q", strings.Join(tt.args, " "), r.err, tt.want)
			}
			if strings.Contains(r.err.Error(), canary) {
				t.Errorf("the error shows the password: %v", r.err)
			}
		})
	}
	st := openStore(t, dir)
	if list, err := st.Remotes(t.Context()); err != nil || len(list) != 1 {
		t.Errorf("remotes after refusals: %d, %v; want only taken", len(list), err)
	}
}

func TestRemoteURL(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"ftps://u@h.example", "ftps://u@h.example"},
		{"ftp://u@h.example", "ftps://u@h.example"}, // explicit TLS either way
		{"ftps://u@h.example:2121/a/b?tls=implicit", "ftps://u@h.example:2121/a/b?tls=implicit"},
		{"ftp://u@h.example?tls=never", "ftp://u@h.example?tls=never"},
		{"ftp://u@h.example?tls=if-available", "ftp://u@h.example?tls=if-available"},
		{"ftps://u@[::1]:21/x", "ftps://u@[::1]:21/x"},
		{"ftps://u@[::1]/x", "ftps://u@[::1]/x"},
		{"ftps://h.example/", "ftps://h.example"},
		{"ftps://us%40er@h.example", "ftps://us%40er@h.example"},
	}
	for _, tt := range tests {
		cfg, err := parseRemoteURL(tt.in)
		if err != nil {
			t.Errorf("parseRemoteURL(%q): %v", tt.in, err)
			continue
		}
		s := store.RemoteSettings{Host: cfg.Host, Port: cfg.Port, User: cfg.User, Root: cfg.Root, TLS: cfg.TLS.String()}
		got := remoteURL(s)
		if got != tt.want {
			t.Errorf("remoteURL(parse(%q)) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := remote.ParseURL(got)
		if err != nil || back.Host != cfg.Host || back.Port != cfg.Port || back.User != cfg.User || back.Root != cfg.Root || back.TLS != cfg.TLS {
			t.Errorf("ParseURL(%q) = %+v, %v; want it to round-trip %+v", got, back, err, cfg)
		}
	}
}

func TestURLHasPassword(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ftps://u@h", false},
		{"ftps://u:p@h", true},
		{"ftps://u:@h", true},
		{"ftps://u@h:21", false},
		{"ftps://h:21/a:b@c", false},
		{"ftps://u:p@h:99999", true},
		{"u:p@h", true},
		{"ftps://u@h/x?y=a:b@c", false},
		{"ftps://a:b@c@h", true},
	}
	for _, tt := range tests {
		if got := urlHasPassword(tt.in); got != tt.want {
			t.Errorf("urlHasPassword(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRemoteTestFailure(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, dir, "", "remote", "add", "down", "--url", "ftps://u@127.0.0.1:1"); r.err != nil {
		t.Fatal(r.err)
	}
	r := run(t, dir, "", "remote", "test", "down")
	if r.err == nil || !strings.Contains(r.err.Error(), `remote "down" failed at the tcp step`) {
		t.Fatalf("remote test down: err = %v, want a failed tcp step", r.err)
	}
	if !strings.Contains(r.stdout, "FAIL tcp") || !strings.Contains(r.stdout, "nothing listens there") {
		t.Errorf("remote test output lacks the failed step and its fix:\n%s", r.stdout)
	}
	if r := run(t, dir, "", "remote", "test", "nope"); r.err == nil || !strings.Contains(r.err.Error(), "wharf remote list") {
		t.Errorf("remote test nope: err = %v, want not found naming `wharf remote list`", r.err)
	}
}

func TestRemoteRemoveInUse(t *testing.T) {
	dir := t.TempDir()
	runSteps(t, dir, []step{
		{name: "partner", args: []string{"partner", "add", "acme"}},
		{name: "remote", args: []string{"remote", "add", "r", "--url", "ftps://u@h.example"}},
		{name: "mount", args: []string{"mount", "add", "acme", "/send/out", "r:/out", "--no-check"}},
		{name: "remove refused", args: []string{"remote", "remove", "r"}, wantErr: "`wharf mount remove acme /send/out`"},
		{name: "unmount", args: []string{"mount", "remove", "acme", "/send/out"}},
		{name: "remove", args: []string{"remote", "remove", "r"}, want: []string{`removed remote "r"`}},
	})
}

func TestRemotePathArgs(t *testing.T) {
	dir := t.TempDir()
	openStore(t, dir) // an existing data directory
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"remote", "get", "acme", "x"}, "write NAME:PATH"},
		{[]string{"remote", "get", "acme:/", "x"}, "the remote's root folder"},
		{[]string{"remote", "put", "x"}, "want LOCAL and NAME:PATH"},
		{[]string{"remote", "put", filepath.Join(dir, "missing"), "acme:/"}, "no such file"},
		{[]string{"remote", "put", dir, "acme:/"}, "not a regular file"},
		{[]string{"remote", "ls", "Acme:/"}, "invalid name"},
		{[]string{"remote", "ls", "nope:/"}, `remote "nope" not found`},
		{[]string{"remote", "ls", "nope", "--depth", "-1"}, "--depth -1"},
	}
	for _, tt := range tests {
		r := run(t, dir, "", tt.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
			t.Errorf("wharf %s: err = %v, want it to contain %q", strings.Join(tt.args, " "), r.err, tt.want)
		}
	}
}

func TestBytesIEC(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := bytesIEC(n); got != want {
			t.Errorf("bytesIEC(%d) = %q, want %q", n, got, want)
		}
	}
}

// serveAddr starts `wharf serve` on dir with a plain+explicit TLS listener
// on loopback and returns its address once it listens.
func serveAddr(t *testing.T, dir string) (addr string, log *syncBuffer) {
	t.Helper()
	_, errOut, cancel, wait := start(t, dir, nil, "serve", "--listen", "127.0.0.1:0", "--listen-implicit", "off")
	t.Cleanup(func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("serve: %v\n%s", err, errOut)
		}
	})
	errOut.waitFor(t, "tls=explicit") // Serve logs it once the listener accepts
	m := regexp.MustCompile(`msg=listening addr=(\S+) tls=explicit`).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("no listening address in the serve log:\n%s", errOut)
	}
	return m[1], errOut
}

// mustRun runs wharf and fails the test on an error.
func mustRun(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	r := run(t, dir, stdin, args...)
	if r.err != nil {
		t.Fatalf("wharf %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r
}

// TestRemoteSelf points remotes at this instance's own server, started
// in-process on loopback: a self-connection is refused naming --allow-self;
// allowed, test, put, ls and get work, and so does a partner's mount that
// passes through to the server's staff tree.
func TestRemoteSelf(t *testing.T) {
	dir := t.TempDir()
	const opsPW, acmePW = "staff-" + canary, "partner-" + canary
	mustRun(t, dir, opsPW+"\n", "staff", "add", "ops", "--password-stdin")
	mustRun(t, dir, acmePW+"\n", "partner", "add", "acme", "--password-stdin")
	addr, serveLog := serveAddr(t, dir)

	// serve keeps its generated certificate and instance ID in the data dir.
	for _, f := range []string{"tls/cert.pem", "tls/key.pem", "instance-id"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("serve did not create %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tls", "tls")); err == nil {
		t.Error("serve made DATA/tls/tls: it must pass the data directory itself as ftpserver's DataDir")
	}
	if fi, err := os.Stat(filepath.Join(dir, "instance-id")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("instance-id mode = %04o, want 0600", fi.Mode().Perm())
	}

	var out bytes.Buffer // everything the commands print, checked for passwords
	record := func(r result) result { out.WriteString(r.stdout + r.stderr); return r }

	record(mustRun(t, dir, opsPW+"\n", "remote", "add", "self", "--url", "ftps://ops@"+addr, "--allow-self-signed", "--password-stdin"))
	r := record(run(t, dir, "", "remote", "test", "self"))
	if r.err == nil || !strings.Contains(r.err.Error(), "--allow-self") || !strings.Contains(r.err.Error(), "greeting") {
		t.Fatalf("remote test of this instance: err = %v, want a refused greeting naming --allow-self\n%s", r.err, r.stdout)
	}
	if !strings.Contains(r.stdout, "FAIL greeting") {
		t.Errorf("remote test output lacks the failed greeting:\n%s", r.stdout)
	}

	record(mustRun(t, dir, "", "remote", "set", "self", "--allow-self"))
	r = record(mustRun(t, dir, "", "remote", "test", "self"))
	for _, w := range []string{"ok   tcp", "ok   greeting", "ok   tls", "ok   login", "ok   list", "ok   upload", "ok   download", "ok   delete", `remote "self" works`} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("remote test lacks %q:\n%s", w, r.stdout)
		}
	}
	record(mustRun(t, dir, "", "remote", "set", "self", "--read-only"))
	if r := record(run(t, dir, "", "remote", "put", os.Args[0], "self:/")); r.err == nil || !strings.Contains(r.err.Error(), "--read-only=false") {
		t.Errorf("put to a read-only remote: err = %v, want a refusal naming --read-only=false", r.err)
	}
	record(mustRun(t, dir, "", "remote", "set", "self", "--read-only=false"))

	// put, ls and get through the staff account.
	data := bytes.Repeat([]byte("0123456789abcdef"), 40<<10) // 640 KiB
	src := filepath.Join(t.TempDir(), "order.edi")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "files", "mnt", "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	r = record(mustRun(t, dir, "", "remote", "put", src, "self:/mnt/"))
	if !strings.Contains(r.stdout, "uploaded "+src+" to self:/mnt/order.edi: 640.0 KiB in") {
		t.Errorf("put summary: %q", r.stdout)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "files", "mnt", "order.edi")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("uploaded file: %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
	record(mustRun(t, dir, "", "remote", "put", src, "self:/mnt/sub/renamed.edi"))

	r = record(mustRun(t, dir, "", "--log-level", "debug", "remote", "ls", "self:/mnt", "--depth", "0"))
	for _, w := range []string{"order.edi", "sub/", "sub/renamed.edi", "655360"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("remote ls lacks %q:\n%s", w, r.stdout)
		}
	}
	r = record(mustRun(t, dir, "", "remote", "ls", "self:/mnt", "--json"))
	var entries []lsEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("remote ls --depth 1 = %+v, want order.edi and sub", entries)
	}

	r = record(mustRun(t, dir, "", "remote", "ls", "self:/mnt/order.edi"))
	if !strings.Contains(r.stdout, "file  655360") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("remote ls of a file = %q, want its one line", r.stdout)
	}
	if r := record(run(t, dir, "", "remote", "ls", "self:/nope")); r.err == nil || !strings.Contains(r.err.Error(), "not exist") {
		t.Errorf("remote ls of a missing folder: err = %v, want does not exist", r.err)
	}

	dst := t.TempDir()
	r = record(mustRun(t, dir, "", "remote", "get", "self:/mnt/order.edi", dst))
	if got, err := os.ReadFile(filepath.Join(dst, "order.edi")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file: %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
	if !strings.Contains(r.stdout, "downloaded self:/mnt/order.edi to "+filepath.Join(dst, "order.edi")) {
		t.Errorf("get summary: %q", r.stdout)
	}
	if r := record(run(t, dir, "", "remote", "get", "self:/mnt/nope.edi", dst)); r.err == nil || !strings.Contains(r.err.Error(), "does not exist") {
		t.Errorf("get of a missing file: err = %v, want does not exist", r.err)
	}
	if r := record(run(t, dir, "", "remote", "get", "self:/mnt/sub", dst)); r.err == nil || !strings.Contains(r.err.Error(), "not a file") {
		t.Errorf("get of a folder: err = %v, want not a file", r.err)
	}
	if names, _ := filepath.Glob(filepath.Join(dst, ".*")); len(names) != 0 {
		t.Errorf("get left temporary files: %v", names)
	}

	// A partner's mount passes through the server's own pool to the staff tree.
	record(mustRun(t, dir, "", "mount", "add", "acme", "/send/outbox", "self:/mnt"))
	record(mustRun(t, dir, acmePW+"\n", "remote", "add", "as-acme", "--url", "ftps://acme@"+addr, "--allow-self-signed", "--allow-self", "--password-stdin"))
	r = record(mustRun(t, dir, "", "remote", "ls", "as-acme:/send/outbox"))
	if !strings.Contains(r.stdout, "order.edi") {
		t.Errorf("ls through the mount lacks order.edi:\n%s", r.stdout)
	}
	record(mustRun(t, dir, "", "remote", "get", "as-acme:/send/outbox/sub/renamed.edi", filepath.Join(dst, "via-mount.edi")))
	if got, err := os.ReadFile(filepath.Join(dst, "via-mount.edi")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file downloaded through the mount: %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
	record(mustRun(t, dir, "", "mount", "add", "acme", "/receive/inbox", "self:/mnt/sub", "--read-only"))
	if r := record(run(t, dir, "", "remote", "put", src, "as-acme:/receive/inbox/")); r.err == nil {
		t.Error("put into a read-only mount succeeded")
	}

	if s := out.String() + serveLog.String(); strings.Contains(s, canary) {
		t.Errorf("a password shows in the output or the serve log:\n%s", s)
	}
}

func TestRemoteSecretsURL(t *testing.T) {
	dir := t.TempDir()
	key := "base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4="
	env := func(k string) (string, bool) {
		if k == "WHARF_SECRETS_URL" {
			return key, true
		}
		return "", false
	}
	var out bytes.Buffer
	// A closed loopback port: remote test fails at connect, after the password.
	err := Execute(t.Context(), []string{"--data", dir, "remote", "add", "acme", "--url", "ftps://u@127.0.0.1:1", "--password-stdin"},
		Options{Stdin: strings.NewReader(canary + "\n"), Stdout: &out, Stderr: &out, LookupEnv: env})
	if err != nil {
		t.Fatalf("remote add with WHARF_SECRETS_URL: %v\n%s", err, &out)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); err == nil {
		t.Error("remote add made DATA/secret.key although WHARF_SECRETS_URL names a keeper")
	}
	// The flag names the same keeper; the local key opens nothing.
	if r := run(t, dir, "", "--secrets-url", key, "remote", "set", "acme", "--active"); r.err != nil {
		t.Errorf("remote set with --secrets-url: %v", r.err)
	}
	// So does the config file, and config show does not print the key.
	file := filepath.Join(t.TempDir(), "wharf.yaml")
	if err := os.WriteFile(file, []byte("secrets_url: "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, dir, "", "--config", file, "remote", "test", "acme"); r.err == nil || strings.Contains(r.err.Error(), "--password-stdin") {
		t.Errorf("remote test with secrets_url in the config file: err = %v, want it to open the password and fail to connect", r.err)
	} else if !strings.Contains(r.err.Error(), "connect") {
		t.Errorf("remote test with secrets_url in the config file: err = %v, want the connect step to fail", r.err)
	}
	if r := run(t, dir, "", "--config", file, "config", "show"); r.err != nil || !strings.Contains(r.stdout, "secrets_url: base64key://...") || strings.Contains(r.stdout, "smGbjm71") {
		t.Errorf("config show with a base64key secrets_url: %v\n%s", r.err, r.stdout)
	}
	r := run(t, dir, "", "remote", "test", "acme")
	if r.err == nil || !strings.Contains(r.err.Error(), "wharf remote set acme --password-stdin") {
		t.Errorf("remote test with another keeper: err = %v, want advice to set the password again", r.err)
	}
}

func TestInstanceID(t *testing.T) {
	d := dataDir{root: t.TempDir()}
	id, err := instanceID(d)
	if err != nil || len(id) != 32 {
		t.Fatalf("instanceID = %q, %v; want 32 hex digits", id, err)
	}
	if again, err := instanceID(d); again != id || err != nil {
		t.Errorf("instanceID again = %q, %v; want %q", again, err, id)
	}
	if err := os.WriteFile(filepath.Join(d.root, instanceFile), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := instanceID(d); err == nil || !strings.Contains(err.Error(), "delete the file") {
		t.Errorf("instanceID of a bad file: err = %v, want advice to delete it", err)
	}
}
