package filesync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/localfs"
)

// fakeRemote is a Remote on a local directory, with faults to inject.
// Like a LIST-only server (vsftpd) it can report minute-precision times.
type fakeRemote struct {
	root    string
	precise bool // MLSD-like times; false: LIST-like minutes
	noMTime bool // SetModTime unsupported
	hashes  bool // offers SHA-256 digests (HASH)
	// readOnly refuses every change as remote.Pool does for a remote
	// set --read-only.
	readOnly bool
	// listOnly is a server without MLST whose LIST hides dot names, as
	// vsftpd's does (Features tells; Stat still sees them).
	listOnly bool

	mu         sync.Mutex
	failList   map[string]error // dir -> error
	failStore  map[string]int   // path -> failures left
	failDelete map[string]error
	stores     map[string]int // successful stores per path
	storeHook  func(name string)
	// deleteHook runs before a Delete (before any failDelete fault).
	deleteHook func(name string)
	refused    int // changes refused because of readOnly
	// unlisted holds paths List leaves out though Stat finds them.
	unlisted map[string]bool
	// afterList runs after a listing of dir was read.
	afterList func(dir string)
	failStat  map[string]error // path -> error of its Stat
	stats     int              // Stat calls
	statted   map[string]int   // Stat calls per path
}

// Features tells whether the fake lists with MLSD (see listOnly).
func (f *fakeRemote) Features(ctx context.Context) (map[string]string, error) {
	if f.listOnly {
		return map[string]string{"SIZE": "", "MDTM": ""}, nil
	}
	return map[string]string{"MLST": "type*;size*;modify*;", "SIZE": "", "MDTM": ""}, nil
}

// refuse returns the error remote.Pool gives for a change to a read-only
// remote, or nil.
func (f *fakeRemote) refuse(op, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.readOnly {
		return nil
	}
	f.refused++
	return fmt.Errorf("%s %q: %w", op, name, remote.ErrReadOnly)
}

func newFakeRemote(t testing.TB) *fakeRemote {
	return &fakeRemote{root: t.TempDir(), precise: true, failList: map[string]error{},
		failStore: map[string]int{}, failDelete: map[string]error{}, stores: map[string]int{}}
}

func (f *fakeRemote) abs(p string) string {
	return filepath.Join(f.root, filepath.FromSlash(path.Clean("/"+p)))
}

func (f *fakeRemote) entry(fi os.FileInfo) remote.Entry {
	e := remote.Entry{Name: fi.Name(), Size: fi.Size(), ModTime: fi.ModTime().UTC(), PreciseTime: f.precise}
	if fi.IsDir() {
		e.Type, e.Size = remote.Dir, 0
	}
	if f.precise {
		e.ModTime = e.ModTime.Truncate(time.Second)
	} else {
		e.ModTime = e.ModTime.Truncate(time.Minute)
	}
	return e
}

func (f *fakeRemote) List(ctx context.Context, dir string) ([]remote.Entry, error) {
	f.mu.Lock()
	err := f.failList[path.Clean(dir)]
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(f.abs(dir))
	if err != nil {
		return nil, err
	}
	var out []remote.Entry
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			continue
		}
		f.mu.Lock()
		hide := f.unlisted[path.Join(path.Clean(dir), de.Name())] || f.listOnly && de.Name()[0] == '.'
		f.mu.Unlock()
		if hide || strings.Contains(de.Name(), `\`) { // remote.Conn.List drops these
			continue
		}
		out = append(out, f.entry(fi))
	}
	if f.afterList != nil {
		f.afterList(path.Clean(dir))
	}
	return out, nil
}

func (f *fakeRemote) Stat(ctx context.Context, name string) (remote.Entry, error) {
	f.mu.Lock()
	f.stats++
	if f.statted == nil {
		f.statted = map[string]int{}
	}
	f.statted[path.Clean(name)]++
	err := f.failStat[path.Clean(name)]
	f.mu.Unlock()
	if err != nil {
		return remote.Entry{}, err
	}
	fi, err := os.Stat(f.abs(name))
	if err != nil {
		return remote.Entry{}, err
	}
	e := f.entry(fi)
	e.ModTime, e.PreciseTime = fi.ModTime().UTC().Truncate(time.Second), true // MDTM
	return e, nil
}

func (f *fakeRemote) Retrieve(ctx context.Context, name string, off int64, w io.Writer) (int64, error) {
	fh, err := os.Open(f.abs(name))
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	if _, err := fh.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, fh)
}

var errInjected = fmt.Errorf("injected failure: %w", os.ErrDeadlineExceeded)

func (f *fakeRemote) Store(ctx context.Context, name string, r io.Reader) (int64, error) {
	if err := f.refuse("store", name); err != nil {
		return 0, err
	}
	if f.storeHook != nil {
		f.storeHook(name)
	}
	f.mu.Lock()
	if f.failStore[name] > 0 {
		f.failStore[name]--
		f.mu.Unlock()
		return 0, errInjected
	}
	f.mu.Unlock()
	var b [6]byte
	rand.Read(b[:])
	dst := f.abs(name)
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+"."+hex.EncodeToString(b[:])+".wharf-part")
	fh, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(fh, r)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return n, err
	}
	f.mu.Lock()
	f.stores[name]++
	f.mu.Unlock()
	return n, nil
}

func (f *fakeRemote) Delete(ctx context.Context, name string) error {
	if err := f.refuse("delete", name); err != nil {
		return err
	}
	if f.deleteHook != nil {
		f.deleteHook(name)
	}
	f.mu.Lock()
	err := f.failDelete[name]
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return os.Remove(f.abs(name))
}

func (f *fakeRemote) MakeDir(ctx context.Context, name string) error {
	if err := f.refuse("mkdir", name); err != nil {
		return err
	}
	return os.Mkdir(f.abs(name), 0o755)
}
func (f *fakeRemote) Rename(ctx context.Context, from, to string) error {
	if err := f.refuse("rename", from); err != nil {
		return err
	}
	return os.Rename(f.abs(from), f.abs(to))
}

func (f *fakeRemote) SetModTime(ctx context.Context, name string, t time.Time) error {
	if err := f.refuse("set mtime", name); err != nil {
		return err
	}
	if f.noMTime {
		return fmt.Errorf("set mtime %q: %w", name, fs.ErrPermission)
	}
	return os.Chtimes(f.abs(name), t, t)
}

// env is a store, a local folder and a fake remote wired to an Engine.
type env struct {
	t      testing.TB
	st     *sqlite.Store
	files  string // DATA/files
	local  string // the sync's folder
	rem    *fakeRemote
	engine *Engine
	sync   store.Sync
}

type endpoints struct {
	files string
	rem   Remote
}

func (e endpoints) Local(folder string) (vfs.FS, error) {
	return localfs.Open(filepath.Join(e.files, filepath.FromSlash(folder)))
}
func (e endpoints) Remote(ctx context.Context, name string) (Remote, error) { return e.rem, nil }

func newEnv(t testing.TB, sy store.Sync) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, files: t.TempDir(), rem: newFakeRemote(t)}
	if sy.Name == "" {
		sy.Name = "s1"
	}
	if sy.Folder == "" {
		sy.Folder = "acme/send"
	}
	if sy.Remote == "" {
		sy.Remote = "bank"
	}
	if sy.Direction == "" {
		sy.Direction = store.SyncPush
	}
	if sy.MaxDelete == 0 {
		// As `wharf sync add` sets it; a test of 0 sets it after.
		sy.MaxDelete = store.DefaultMaxDelete
	}
	e.local = filepath.Join(e.files, filepath.FromSlash(sy.Folder))
	if err := os.MkdirAll(e.local, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSync(ctx, &sy); err != nil {
		t.Fatal(err)
	}
	e.sync = sy
	e.engine = New(st, endpoints{files: e.files, rem: e.rem}, Config{RetryWait: time.Millisecond, TempExtensions: []string{".tmp", ".part"}})
	return e
}

var t0 = time.Date(2026, 11, 20, 10, 30, 15, 0, time.UTC)

// write creates a file under dir with content and mtime.
func write(t testing.TB, dir, p, content string, mt time.Time) {
	t.Helper()
	fp := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(fp, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, dir, p string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
		t.Fatal(err)
	}
}

// tree returns path -> content of the regular files under dir, hidden
// temporaries included, so leftovers show.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mtime(t *testing.T, dir, p string) time.Time {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

func (e *env) run(o RunOptions) (Result, error) {
	return e.engine.Run(context.Background(), e.sync.Name, o)
}

// mustRun runs the sync and fails on a run error or a failed file.
func (e *env) mustRun() Result {
	e.t.Helper()
	res, err := e.run(RunOptions{})
	if err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	if len(res.Errors) > 0 {
		e.t.Fatalf("Run: failed files: %v", res.Errors)
	}
	return res
}

// delivered counts the done copy ops per path across all runs.
func (e *env) delivered() map[string]int {
	e.t.Helper()
	ops, err := e.st.SyncOps(context.Background(), e.sync.ID, 0, store.OpDone)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, op := range ops {
		if op.Action == string(Push) || op.Action == string(Pull) {
			out[op.Path]++
		}
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (f *fakeRemote) Hash(ctx context.Context, name string) (string, string, error) {
	if !f.hashes {
		return "", "", nil
	}
	b, err := os.ReadFile(f.abs(name))
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(b)
	return "SHA-256", hex.EncodeToString(sum[:]), nil
}
