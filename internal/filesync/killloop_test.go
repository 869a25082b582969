package filesync

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// childEnv names the environment variable that turns the test binary into
// a sync process for the kill loop; its value is a JSON childConfig.
const childEnv = "WHARF_FILESYNC_CHILD"

type childConfig struct {
	DB, Files, Sync string
	Remote          remote.Config
	Password        string
}

func TestMain(m *testing.M) {
	if c := os.Getenv(childEnv); c != "" {
		os.Exit(childMain(c))
	}
	os.Exit(m.Run())
}

// childMain runs one sync to the end, printing a line per finished action,
// until it is killed.
func childMain(c string) int {
	var cfg childConfig
	if err := json.Unmarshal([]byte(c), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer st.Close()
	cfg.Remote.Password = secret.Secret(cfg.Password)
	pool, err := remote.NewPool(cfg.Remote, remote.PoolOptions{Backoff: 20 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer pool.Close()
	e := New(st, endpoints{files: cfg.Files, rem: pool}, Config{RetryWait: 10 * time.Millisecond})
	out := bufio.NewWriter(os.Stdout)
	res, err := e.Run(ctx, cfg.Sync, RunOptions{OnItem: func(r ItemResult) {
		fmt.Fprintf(os.Stdout, "%s %s %v\n", r.Item.Action, r.Item.Path, r.Err)
	}})
	out.Flush()
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		return 1
	}
	if len(res.Errors) > 0 {
		fmt.Fprintln(os.Stderr, "failed files:", res.Errors)
		return 1
	}
	fmt.Fprintln(os.Stdout, "finished", res.Recovered)
	return 0
}

// TestKillLoop kills a sync process with SIGKILL at random points, 20
// times, restarting it each time, then lets it finish. Every file must end
// up delivered exactly once with the right content, no source deleted
// without its copy, no partial file under a final name, and no temporary
// left on either side.
func TestKillLoop(t *testing.T) {
	peertest.Interop(t)
	pure := func(t *testing.T) peer { return fromPeertest(t, peertest.PureFTPd(t, peertest.Options{})) }
	vsftpd := func(t *testing.T) peer { return fromPeertest(t, peertest.Vsftpd(t, peertest.Options{})) }
	for _, tc := range []struct {
		dir  string
		peer func(t *testing.T) peer
		name string
	}{
		{store.SyncPush, pure, "pure-ftpd"},
		{store.SyncPull, pure, "pure-ftpd"},
		{store.SyncTwoWay, pure, "pure-ftpd"},
		{store.SyncPush, vsftpd, "vsftpd"},
		{store.SyncPush, wharfPeer, "wharf"},
		{store.SyncPull, wharfPeer, "wharf"},
	} {
		t.Run(tc.dir+"/"+tc.name, func(t *testing.T) {
			killLoop(t, tc.peer(t), tc.dir, 20)
		})
	}
}

func killLoop(t *testing.T, p peer, dir string, kills int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	t.Logf("seed-free random kill points; %d kills", kills)
	work := t.TempDir()
	files := filepath.Join(work, "files")
	local := filepath.Join(files, "out")
	if err := os.MkdirAll(local, 0o755); err != nil {
		t.Fatal(err)
	}
	// 200 files: mostly small, some of a few MiB, so kills land both
	// between and inside transfers.
	want := map[string]string{}
	for i := range 200 {
		name := fmt.Sprintf("d%d/f%03d.edi", i%7, i)
		size := 1 + rng.IntN(8<<10)
		if i%25 == 0 {
			size = 1<<20 + rng.IntN(3<<20)
		}
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		want[name] = hashOf(b)
		mt := t0.Add(time.Duration(i) * time.Second)
		if dir == store.SyncPush || dir == store.SyncTwoWay && i%2 == 0 {
			write(t, local, name, string(b), mt)
		} else {
			p.seed(t, name, string(b), mt)
		}
	}
	db := filepath.Join(work, "wharf.db")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sy := store.Sync{Name: "k", Folder: "out", Remote: "peer", Direction: dir, AfterCopy: store.AfterCopyDelete}
	if dir == store.SyncTwoWay {
		sy.AfterCopy = store.AfterCopyKeep
	}
	if err := st.CreateSync(ctx, &sy); err != nil {
		t.Fatal(err)
	}
	rc := p.cfg
	rc.RootCAs, rc.AllowSelfSigned, rc.MaxConns = nil, true, 10
	pw := rc.Password.Reveal()
	rc.Password = ""
	cfgJSON, _ := json.Marshal(childConfig{DB: db, Files: files, Sync: "k", Remote: rc, Password: pw})

	start := func() (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(cfgJSON))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, bufio.NewScanner(out)
	}
	killed := 0
	for killed < kills {
		cmd, sc := start()
		// Kill after a random number of finished actions (0: during
		// recovery or listing), right away: other workers are mid-copy.
		n, seen := rng.IntN(12), 0
		finished := false
		for seen < n && sc.Scan() {
			if strings.HasPrefix(sc.Text(), "finished") {
				finished = true
				break
			}
			seen++
		}
		if !finished {
			cmd.Process.Signal(syscall.SIGKILL)
			killed++
		}
		for sc.Scan() {
		}
		cmd.Wait()
		if finished {
			break // everything was done before the kills ran out
		}
	}
	t.Logf("killed %d times", killed)
	// Restart and let it finish; a second run has nothing to do.
	for i := range 2 {
		cmd, sc := start()
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("final run %d: %v; output:\n%s", i, err, strings.Join(lines, "\n"))
		}
		if i == 1 && len(lines) != 1 {
			t.Errorf("run after completion did something:\n%s", strings.Join(lines, "\n"))
		}
	}
	dst, src := p.dir, local
	if dir == store.SyncPull {
		dst, src = local, p.dir
	}
	if d := cmp.Diff(want, hashes(t, dst)); d != "" {
		t.Errorf("delivered files (-want +got):\n%s", d)
	}
	if dir == store.SyncTwoWay {
		if d := cmp.Diff(want, hashes(t, src)); d != "" {
			t.Errorf("two-way: the other side (-want +got):\n%s", d)
		}
	} else if left := hashes(t, src); len(left) != 0 {
		t.Errorf("sources left after copy-and-delete: %v", left)
	}
	if leftovers := temps(t, local); len(leftovers) != 0 {
		t.Errorf("local temporaries left: %v", leftovers)
	}
	// Each push journals its remote temporary name before the upload
	// starts, so recovery deletes what a kill left, hidden or not.
	var ours, server []string
	for _, p := range temps(t, p.dir) {
		if remote.IsTemp(filepath.Base(p)) {
			ours = append(ours, p)
		} else {
			server = append(server, p)
		}
	}
	if len(ours) != 0 {
		t.Errorf("remote upload temporaries left: %v", ours)
	}
	if len(server) != 0 {
		// A Wharf peer's own temporaries of uploads cut by the kill:
		// the server's to clean up (it does at start), not the client's.
		t.Logf("the server's own upload temporaries left: %v", server)
	}
	ops, err := st.SyncOps(ctx, sy.ID, 0, store.OpDone)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, op := range ops {
		if op.Action == string(Push) || op.Action == string(Pull) {
			count[op.Path]++
		}
	}
	for name := range want {
		if count[name] != 1 {
			t.Errorf("%s delivered %d times in the journal, want 1", name, count[name])
		}
	}
	runs, _ := st.SyncRuns(ctx, sy.ID, 100)
	interrupted, copied, deleted, removed := 0, 0, 0, 0
	for _, r := range runs {
		if r.Status == store.RunInterrupted {
			interrupted++
		}
		copied += r.Copied
		deleted += r.Deleted
		n, err := SourcesRemoved(ctx, st, r)
		if err != nil {
			t.Fatal(err)
		}
		removed += n
	}
	// The history's runs, interrupted ones included, count each
	// delivery once, and each source removed after its copy once.
	if copied != len(want) {
		t.Errorf("the runs' rows count %d copies, want %d (one per file)", copied, len(want))
	}
	wantRemoved := len(want)
	if dir == store.SyncTwoWay {
		wantRemoved = 0
	}
	if deleted != wantRemoved || removed != wantRemoved {
		t.Errorf("the runs' rows count %d deleted, %d of them sources removed after copy; want %d, all of them", deleted, removed, wantRemoved)
	}
	t.Logf("%d runs, %d interrupted and recovered", len(runs), interrupted)
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// hashes returns path -> sha256 of the visible files under dir.
func hashes(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for p, c := range tree(t, dir) {
		if strings.Contains(p, ".wharf-") || strings.HasPrefix(filepath.Base(p), ".") {
			continue
		}
		out[p] = hashOf([]byte(c))
	}
	return out
}

func temps(t *testing.T, dir string) []string {
	var out []string
	for p := range tree(t, dir) {
		if strings.Contains(p, ".wharf-") {
			out = append(out, p)
		}
	}
	return out
}
