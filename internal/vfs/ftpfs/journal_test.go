package ftpfs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// crashEnv carries the crash test's setup to its child process.
const crashEnv = "WHARF_FTPFS_CRASH_CHILD"

// TestCrashedUploadSwept: a process killed (SIGKILL) in the middle of an
// upload through a mount leaves its temporary file on the remote (vsftpd,
// WHARF_INTEROP=1); the next process deletes it the first time its mount
// lists the folder, from the journal's record, and leaves alone a file
// of the same form that Wharf did not record.
func TestCrashedUploadSwept(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		crashChild(t)
		return
	}
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{})
	const lookalike = ".mine.edi.0123456789ab.wharf-part"
	s.WriteFile(t, "work/"+lookalike, []byte("a user's file"))
	db := filepath.Join(t.TempDir(), "wharf.db")
	st, err := sqlite.Open(t.Context(), db) // made before the child opens it
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestCrashedUploadSwept$", "-test.count=1")
	child.Env = append(os.Environ(), crashEnv+"="+strings.Join([]string{db, s.Addr, s.User, s.Password, s.Dir}, "\n"))
	stdin, err := child.StdinPipe() // open until the child is killed: it waits on it
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			child.Process.Kill()
			child.Wait()
		}
	}()
	if out, ok := waitLine(stdout, "uploading"); !ok {
		child.Process.Kill()
		child.Wait()
		killed = true
		t.Fatalf("the child never started its upload:\n%s%s", out, stderr.String())
	}
	dir := filepath.Join(s.Root, s.Dir)
	if got := temps(t, dir); len(got) != 2 {
		t.Fatalf("temporary files on the remote mid-upload = %v; want the upload's and the look-alike", got)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed = true
	if recs, err := st.MountUploads(t.Context(), "v"); err != nil || len(recs) != 1 {
		t.Fatalf("journal after the crash = %+v, %v; want the upload's record", recs, err)
	}

	var log lockedBuffer
	j := ftpfs.NewJournal(st, slog.New(slog.NewTextHandler(&log, nil)))
	f := ftpfs.New(t.Context(), ftpfs.FromPool(crashPool(t, s.Addr, s.User, s.Password)), ftpfs.Options{Remote: "v", Root: s.Dir, Journal: j})
	if _, err := f.ReadDir("."); err != nil {
		t.Fatal(err)
	}
	if got := temps(t, dir); len(got) != 1 || got[0] != lookalike {
		t.Errorf("temporary files on the remote after the next process listed the mount = %v; want only the unrecorded %s", got, lookalike)
	}
	if recs, err := st.MountUploads(t.Context(), "v"); err != nil || len(recs) != 0 {
		t.Errorf("journal after the sweep = %+v, %v; want it empty", recs, err)
	}
	if !strings.Contains(log.String(), "temporary file of an interrupted mount upload deleted") {
		t.Errorf("the sweep logged no deletion:\n%s", log.String())
	}
}

// crashChild uploads through a journaled mount, says "uploading" once the
// remote has the temporary file, and waits to be killed.
func crashChild(t *testing.T) {
	arg := strings.Split(os.Getenv(crashEnv), "\n")
	db, addr, user, pw, dir := arg[0], arg[1], arg[2], arg[3], arg[4]
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	j := ftpfs.NewJournal(st, nil)
	f := ftpfs.New(context.Background(), ftpfs.FromPool(crashPool(t, addr, user, pw)), ftpfs.Options{Remote: "v", Root: dir, Journal: j})
	w, err := f.OpenFile("order.edi", os.O_WRONLY|os.O_CREATE, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("ISA*00~"), 150<<10)); err != nil {
		t.Fatal(err)
	}
	fmt.Println("uploading")
	io.Copy(io.Discard, os.Stdin) // until killed
	t.Fatal("the parent closed stdin instead of killing the child")
}

func crashPool(t *testing.T, addr, user, pw string) *remote.Pool {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	n, _ := strconv.Atoi(port)
	pool, err := remote.NewPool(remote.Config{Host: host, Port: n, User: user, Password: secret.Secret(pw),
		AllowSelfSigned: true, IOTimeout: 20 * time.Second}, remote.PoolOptions{MaxAttempts: 2, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// waitLine reads r until a line equals want, and returns the lines
// before it; false when r ends first. The child writes nothing after it.
func waitLine(r io.Reader, want string) (string, bool) {
	var b strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == want {
			return b.String(), true
		}
		b.WriteString(sc.Text() + "\n")
	}
	return b.String(), false
}
