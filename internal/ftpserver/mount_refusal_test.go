package ftpserver_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
)

// Refusals through a mount: the remote's "no" to RETR or STOR is the reply
// to the client's command, before any 150 and without using the client's
// data connection; a mount of a remote folder that does not exist says so
// instead of looking empty; a listing of a missing path is a permanent
// 550, not a 450 that clients retry forever.

// replyScript drives a server with Python's ftplib over explicit FTPS: it
// runs each [verb, path] step and prints, per step, whether it worked,
// ftplib's exception class and the reply, and the reply to a NOOP sent
// right after (the control connection must still be in step).
const replyScript = `
import ftplib, io, json, os, sys
host, port, user, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
ftp = ftplib.FTP_TLS(timeout=10)
import ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ftp.context = ctx
ftp.connect(host, port)
ftp.login(user, os.environ["WHARF_FTP_PASSWORD"])
ftp.prot_p()
out = []
for verb, arg in steps:
    st = {"step": verb + " " + arg, "ok": True, "exc": "", "reply": "", "noop": ""}
    try:
        if verb == "RETR":
            st["reply"] = ftp.retrbinary("RETR " + arg, lambda b: None)
        elif verb == "STOR":
            st["reply"] = ftp.storbinary("STOR " + arg, io.BytesIO(b"order 1\n"))
        elif verb in ("LIST", "NLST", "MLSD"):
            st["reply"] = ftp.retrlines(verb + " " + arg, lambda l: None)
        else:
            st["reply"] = ftp.sendcmd(verb + " " + arg)
    except ftplib.Error as e:
        st["ok"], st["exc"], st["reply"] = False, type(e).__name__, str(e)
    except (OSError, EOFError) as e:
        st["ok"], st["exc"] = False, type(e).__name__ + ": " + str(e)
    try:
        st["noop"] = ftp.sendcmd("NOOP")
    except Exception as e:
        st["noop"] = type(e).__name__ + ": " + str(e)
    out.append(st)
print(json.dumps(out))
ftp.quit()
`

type replyStep struct {
	Step  string `json:"step"`
	OK    bool   `json:"ok"`
	Exc   string `json:"exc"`
	Reply string `json:"reply"`
	Noop  string `json:"noop"`
}

// ftplibReplies runs replyScript with steps against addr as user.
func ftplibReplies(t *testing.T, addr, user string, steps ...[2]string) []replyStep {
	t.Helper()
	arg, _ := json.Marshal(steps)
	host, p, _ := strings.Cut(addr, ":")
	r := run(t, []string{"WHARF_FTP_PASSWORD=" + testPass}, "python3", "-c", replyScript, host, p, user, string(arg))
	if r.exit != 0 {
		t.Fatalf("python3 ftplib: %v", r)
	}
	var out []replyStep
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("ftplib output: %v\n%v", err, r)
	}
	t.Logf("ftplib: %s", r.stdout)
	return out
}

// wantRefused checks that a step failed with a permanent reply of code
// containing text, and that the session went on (NOOP answered 200).
func wantRefused(t *testing.T, s replyStep, code, text string) {
	t.Helper()
	if s.OK || s.Exc != "error_perm" || !strings.HasPrefix(s.Reply, code) || !strings.Contains(s.Reply, text) {
		t.Errorf("%s = ok %v, %s %q; want error_perm %s containing %q", s.Step, s.OK, s.Exc, s.Reply, code, text)
	}
	if !strings.HasPrefix(s.Noop, "200") {
		t.Errorf("NOOP after %s = %q, want 200: the control connection is out of step", s.Step, s.Noop)
	}
}

// lftpLoose runs lftp with its default retries (unlike lftp()), so a
// transient reply or a broken data connection makes it retry, and
// reconnect, until clientTimeout fails the test.
func lftpLoose(t *testing.T, addr, user string, cmds ...string) result {
	t.Helper()
	script := append([]string{
		"set cmd:fail-exit yes",
		"set ftp:ssl-force true",
		"set ftp:ssl-protect-data true",
		"set ssl:verify-certificate no",
		fmt.Sprintf("open -u %q ftp://%s", user+","+testPass, addr),
	}, cmds...)
	r, err := runCmd([]string{"HOME=" + t.TempDir()}, "lftp", "-d", "-c", strings.Join(script, "; "))
	if err != nil {
		t.Fatalf("lftp did not give up (it retries transient failures): %v", err)
	}
	return r
}

// noMark reports an error when curl saw a 150 (or 125) reply: the
// refusal must come instead of it.
func noMark(t *testing.T, r result) {
	t.Helper()
	for _, l := range r.curlReplies() {
		if strings.HasPrefix(l, "150") || strings.HasPrefix(l, "125") {
			t.Errorf("curl got %q before the refusal; want the refusal as the reply to the command\n%s", l, r)
		}
	}
}

// TestMountRefusedRetr: vsftpd answers RETR of a file it may not read with
// "550 Failed to open file."; the client of the mount gets that 550 as the
// reply to its RETR (no 150, no reset data connection), and the session
// and the pool's connection go on working.
func TestMountRefusedRetr(t *testing.T) {
	interop(t, "curl", "python3")
	b := vsftpdBackend(t)
	mustWrite(t, filepath.Join(b.dir, "unread.edi"), []byte("secret\n"))
	if err := os.Chmod(filepath.Join(b.dir, "unread.edi"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(b.dir, "ok.edi"), []byte("fine\n"))
	ts := mountServer(t, b, 1, 2*time.Second) // one connection: a refusal must give it back
	url := "ftp://127.0.0.1:" + strconv.Itoa(port(ts.addr))
	ops := []string{"--ssl-reqd", "-k", "-u", "ops:" + testPass}

	r := curl(t, append(ops, "-o", filepath.Join(t.TempDir(), "x"), url+"/bank/unread.edi")...)
	if r.exit != 78 { // CURLE_REMOTE_FILE_NOT_FOUND: "RETR response: 550"
		t.Errorf("curl RETR of a file the remote refuses: exit %d, want 78 (a 550 to RETR)\n%s", r.exit, r)
	}
	if !hasReply(r.curlReplies(), "550", `remote "vsftpd" refused: 550 Failed to open file.`) {
		t.Errorf("curl replies lack the remote's refusal as a 550: %q", r.curlReplies())
	}
	noMark(t, r)
	// Resuming (REST, then RETR) is refused the same way.
	r = curl(t, append(ops, "-C", "3", "-o", filepath.Join(t.TempDir(), "y"), url+"/bank/unread.edi")...)
	if r.exit != 78 || !hasReply(r.curlReplies(), "550", "Failed to open file") {
		t.Errorf("curl resumed RETR of a refused file: exit %d, want 78 with the remote's 550\n%s", r.exit, r)
	}
	noMark(t, r)

	steps := ftplibReplies(t, ts.addr, "ops",
		[2]string{"RETR", "/bank/unread.edi"},
		[2]string{"RETR", "/bank/unread.edi"},
		[2]string{"RETR", "/bank/ok.edi"},
	)
	wantRefused(t, steps[0], "550", "Failed to open file")
	wantRefused(t, steps[1], "550", "Failed to open file")
	if s := steps[2]; !s.OK || !strings.HasPrefix(s.Reply, "226") {
		t.Errorf("RETR after two refusals on the one pooled connection = %q %s, want 226", s.Reply, s.Exc)
	}
	if ts.hasEvent(t, store.EventAborted, "/bank/unread.edi") || ts.hasEvent(t, store.EventSent, "/bank/unread.edi") {
		t.Errorf("a refused RETR was recorded as a transfer: %v", ts.events(t))
	}
}

// TestMountRefusedStor: an upload into a remote folder the remote does not
// let Wharf write (vsftpd: "553 Could not create file.") is refused with
// 550 as the reply to STOR; lftp gives up at once instead of reconnecting
// in a loop, and nothing is left on the remote.
func TestMountRefusedStor(t *testing.T) {
	interop(t, "curl", "lftp", "python3")
	b := vsftpdBackend(t)
	ro := filepath.Join(b.dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	ts := mountServer(t, b, 1, 2*time.Second)
	url := "ftp://127.0.0.1:" + strconv.Itoa(port(ts.addr))
	local := filepath.Join(t.TempDir(), "A.edi")
	writeFile(t, local, randomData(t, 200_000))

	r := curl(t, "--ssl-reqd", "-k", "-u", "ops:"+testPass, "-T", local, url+"/bank/ro/A.edi")
	if r.exit != 25 { // CURLE_UPLOAD_FAILED: the STOR was refused
		t.Errorf("curl STOR into a folder the remote refuses: exit %d, want 25\n%s", r.exit, r)
	}
	if !hasReply(r.curlReplies(), "550", `remote "vsftpd" refused: 553 Could not create file.`) {
		t.Errorf("curl replies lack the remote's refusal as a 550: %q", r.curlReplies())
	}
	noMark(t, r)

	r = lftpLoose(t, ts.addr, "ops", "put "+local+" -o /bank/ro/A.edi")
	if r.exit == 0 || !strings.Contains(r.stderr, "550") || strings.Contains(r.stderr, "non-properly terminated") {
		t.Errorf("lftp put into a refused folder: exit %d, want a failure naming the 550 without TLS errors\n%s", r.exit, r)
	}

	steps := ftplibReplies(t, ts.addr, "ops",
		[2]string{"STOR", "/bank/ro/B.edi"},
		[2]string{"STOR", "/bank/C.edi"},
	)
	wantRefused(t, steps[0], "550", "Could not create file")
	if s := steps[1]; !s.OK || !strings.HasPrefix(s.Reply, "226") {
		t.Errorf("STOR after a refusal on the one pooled connection = %q %s, want 226", s.Reply, s.Exc)
	}
	if names := dirNames(t, ro); len(names) != 0 {
		t.Errorf("left in the refused remote folder: %v", names)
	}
	if got := fileSum(filepath.Join(b.dir, "C.edi")); got != sum([]byte("order 1\n")) {
		t.Errorf("C.edi on the remote: %s", got)
	}
}

// TestMountMissingRemoteFolder: a mount of a remote folder that does not
// exist answers 550 naming the folder, for CWD, listings, downloads and
// uploads at the mount point and below, on a server that lists a missing
// folder as empty (vsftpd) and on one with MLST (Wharf).
func TestMountMissingRemoteFolder(t *testing.T) {
	interop(t, "curl", "lftp", "python3")
	for _, mk := range []func(*testing.T) backend{vsftpdBackend, wharfBackend} {
		b := mk(t)
		t.Run(b.name, func(t *testing.T) {
			b.root = path.Join(b.root, "doesnotexist")
			ts := mountServer(t, b, 2, 5*time.Second)
			want := "remote folder " + b.root + " does not exist on " + b.name
			steps := ftplibReplies(t, ts.addr, "ops",
				[2]string{"CWD", "/bank"},
				[2]string{"CWD", "/bank/sub"},
				[2]string{"LIST", "/bank"},
				[2]string{"NLST", "/bank"},
				[2]string{"MLSD", "/bank"},
				[2]string{"LIST", "/bank/sub"},
				[2]string{"RETR", "/bank/x.edi"},
				[2]string{"STOR", "/bank/x.edi"},
				[2]string{"SIZE", "/bank/x.edi"},
			)
			for _, s := range steps {
				wantRefused(t, s, "550", want)
			}
			// The partner's read-only mount of the same folder: a 550
			// too, without the remote's name or path, which are the
			// company's (the log has them).
			r := curl(t, "--ssl-reqd", "-k", "-u", "acme:"+testPass, "ftp://127.0.0.1:"+strconv.Itoa(port(ts.addr))+"/send/bank/")
			if r.exit == 0 || !hasReply(r.curlReplies(), "550", "not possible in this folder now") || hasReply(r.curlReplies(), "550", "doesnotexist") {
				t.Errorf("curl LIST of the partner's mount of a missing folder: exit %d, want a 550 that does not name the remote folder\n%s", r.exit, r)
			}
			r = lftpLoose(t, ts.addr, "ops", "cd /bank")
			if r.exit == 0 || !strings.Contains(r.stderr, want) {
				t.Errorf("lftp cd into the mount of a missing folder: exit %d, want it refused naming the folder\n%s", r.exit, r)
			}
			// Once the folder exists, the mount works: nothing negative
			// was kept.
			if err := os.Mkdir(filepath.Join(b.dir, "doesnotexist"), 0o777); err != nil {
				t.Fatal(err)
			}
			steps = ftplibReplies(t, ts.addr, "ops", [2]string{"CWD", "/bank"}, [2]string{"LIST", "/bank"})
			for _, s := range steps {
				if !s.OK {
					t.Errorf("%s once the remote folder exists: %s %q", s.Step, s.Exc, s.Reply)
				}
			}
		})
	}
}

// TestListMissingPath550: LIST and NLST of a path that does not exist
// answer 550, local folders and mounts alike (ftpserverlib's default for
// a failed listing is 450, which lftp retries without end), and so does a
// listing the account may not make. An empty folder still lists as empty.
func TestListMissingPath550(t *testing.T) {
	interop(t, "lftp", "python3")
	b := vsftpdBackend(t)
	if err := os.Mkdir(filepath.Join(b.dir, "empty"), 0o777); err != nil {
		t.Fatal(err)
	}
	ts := mountServer(t, b, 2, 5*time.Second)
	if err := os.MkdirAll(filepath.Join(ts.root, "acme", "receive", "empty"), 0o750); err != nil {
		t.Fatal(err)
	}
	steps := ftplibReplies(t, ts.addr, "ops",
		[2]string{"LIST", "/acme/receive/nothere"},
		[2]string{"NLST", "/acme/receive/nothere"},
		[2]string{"LIST", "/bank/nothere"},
		[2]string{"NLST", "/bank/nothere"},
		[2]string{"MLSD", "/bank/nothere"},
		[2]string{"LIST", "/bank/empty"},
		[2]string{"LIST", "/acme/receive/empty"},
	)
	for _, s := range steps[:5] {
		wantRefused(t, s, "550", "no such file or directory")
	}
	for _, s := range steps[5:] {
		if !s.OK || !strings.HasPrefix(s.Reply, "226") {
			t.Errorf("%s of an empty folder = %s %q, want 226", s.Step, s.Exc, s.Reply)
		}
	}
	steps = ftplibReplies(t, ts.addr, "acme", [2]string{"LIST", "/other"}, [2]string{"NLST", "/send/nothere"})
	wantRefused(t, steps[0], "550", "no such file or directory")
	wantRefused(t, steps[1], "550", "no such file or directory")

	for _, p := range []string{"/acme/receive/nothere", "/bank/nothere"} {
		r := lftpLoose(t, ts.addr, "ops", "ls "+p)
		if r.exit == 0 || !strings.Contains(r.stderr, "550") {
			t.Errorf("lftp ls %s: exit %d, want it to give up on a 550\n%s", p, r.exit, r)
		}
	}
}

// TestMountTransferWaitsBounded: with the remote's one connection held by
// a download, another transfer waits for it at most the operation
// timeout, then is refused with a 451 (try again) as the reply to RETR or
// STOR; once the connection is free, transfers go through.
func TestMountTransferWaitsBounded(t *testing.T) {
	interop(t, "python3")
	b := vsftpdBackend(t)
	mustWrite(t, filepath.Join(b.dir, "big.bin"), make([]byte, 64<<20))
	mustWrite(t, filepath.Join(b.dir, "small.edi"), []byte("small\n"))
	ts := mountServer(t, b, 1, time.Second)
	hold := ts.dial(t, "ops", false)
	rd, err := hold.Retr("/bank/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Read(make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	steps := ftplibReplies(t, ts.addr, "ops", [2]string{"RETR", "/bank/small.edi"}, [2]string{"STOR", "/bank/new.edi"})
	for _, s := range steps {
		if s.OK || s.Exc != "error_temp" || !strings.HasPrefix(s.Reply, "451") || !strings.Contains(s.Reply, `remote "vsftpd" is unavailable`) {
			t.Errorf("%s with the pool busy = %s %q, want error_temp 451 naming the remote", s.Step, s.Exc, s.Reply)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the refusals took %v; want about two 1s waits", d)
	}
	rd.Close() // ABOR: the held connection goes back to the pool
	steps = ftplibReplies(t, ts.addr, "ops", [2]string{"RETR", "/bank/small.edi"}, [2]string{"STOR", "/bank/new.edi"})
	for _, s := range steps {
		if !s.OK || !strings.HasPrefix(s.Reply, "226") {
			t.Errorf("%s once the connection is free = %s %q, want 226", s.Step, s.Exc, s.Reply)
		}
	}
	if names := dirNames(t, b.dir); strings.Join(names, " ") != "big.bin new.edi small.edi" {
		t.Errorf("remote folder holds %v, want big.bin new.edi small.edi (no temporary files)", names)
	}
}

// mustWrite writes a world-readable file, as vsftpd serves anonymous
// downloads only of those.
func mustWrite(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
