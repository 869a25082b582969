package filesync

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// refused runs e's sync (a dry run with dry) and wants the mass-delete
// guard to stop it with a message saying all of want and none of notWant.
func refused(t *testing.T, e *env, dry bool, want, notWant []string) {
	t.Helper()
	beforeL, beforeR := tree(t, e.local), tree(t, e.rem.root)
	res, err := e.run(RunOptions{DryRun: dry})
	if !errors.Is(err, ErrTooManyDeletes) || res.Run.Status != store.RunRefused {
		t.Fatalf("run (dry %v) = %v, status %q; want ErrTooManyDeletes, refused", dry, err, res.Run.Status)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("guard message (dry %v) lacks %q:\n%s", dry, w, err)
		}
	}
	for _, w := range notWant {
		if strings.Contains(err.Error(), w) {
			t.Errorf("guard message (dry %v) has %q:\n%s", dry, w, err)
		}
	}
	if d := cmp.Diff(beforeL, tree(t, e.local)); d != "" {
		t.Errorf("refused run changed local files (-before +after):\n%s", d)
	}
	if d := cmp.Diff(beforeR, tree(t, e.rem.root)); d != "" {
		t.Errorf("refused run changed remote files (-before +after):\n%s", d)
	}
}

// TestMassDeleteGuardMessage: the guard's message names the side that lost
// files and the side the run would delete them on, counts the deletes out
// of the files that side holds now, and gives the commands to look and to
// go on.
func TestMassDeleteGuardMessage(t *testing.T) {
	t.Run("local folder emptied", func(t *testing.T) {
		e := newEnv(t, store.Sync{Name: "ops", Direction: store.SyncTwoWay, RemotePath: "/inbound"})
		for _, n := range []string{"a.edi", "b.edi", "c.edi"} {
			write(t, e.local, n, n, t0)
		}
		e.mustRun()
		for _, n := range []string{"a.edi", "b.edi", "c.edi"} {
			remove(t, e.local, n)
		}
		want := []string{
			"3 files are gone from the local folder acme/send since the last sync",
			"delete them on the remote bank:/inbound too: 3 of 3 remote files (100%)",
			"--max-delete 50%", "nothing was changed",
			"`wharf sync run ops --force`",
		}
		refused(t, e, false, append(want, "`wharf sync run ops --dry-run`"), []string{"check the remote side", "local files"})
		refused(t, e, true, want, []string{"--dry-run`"})
	})
	t.Run("remote emptied", func(t *testing.T) {
		e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
		for _, n := range []string{"a.edi", "b.edi", "c.edi", "d.edi"} {
			write(t, e.local, n, n, t0)
		}
		e.mustRun()
		for _, n := range []string{"a.edi", "b.edi", "c.edi"} {
			remove(t, e.rem.root, n)
		}
		refused(t, e, false, []string{
			"3 files are gone from the remote bank:/ since the last sync",
			"delete them in the local folder acme/send too: 3 of 4 local files (75%)",
			"`wharf sync run s1 --force`", "`wharf sync run s1 --dry-run`",
		}, []string{"check the local side", "remote files"})
	})
	t.Run("counted out of the files listed", func(t *testing.T) {
		// The remote holds 3 files, 1 of them synced; the local copy of
		// that one is deleted. The run would delete 1 of the remote's 3.
		e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, MaxDelete: 30})
		write(t, e.local, "a.edi", "a", t0)
		e.mustRun()
		write(t, e.rem.root, "b.edi", "b", t0)
		write(t, e.rem.root, "c.edi", "c", t0)
		remove(t, e.local, "a.edi")
		refused(t, e, false, []string{"1 file is gone from the local folder acme/send since the last sync, so the run would delete it on the remote", "1 of 3 remote files (33%)", "--max-delete 30%"}, []string{"1 of 1"})
		// Within the default limit (50%) the same run goes ahead.
		e.sync.MaxDelete = store.DefaultMaxDelete
		if err := e.st.UpdateSync(t.Context(), &e.sync); err != nil {
			t.Fatal(err)
		}
		if res := e.mustRun(); res.Run.Deleted != 1 || res.Run.Copied != 2 {
			t.Errorf("run within the limit = %+v, want 1 deleted, 2 copied", res.Run)
		}
	})
	t.Run("the rest of a consumed side", func(t *testing.T) {
		// 10 files synced; the partner consumed 8 on the remote, and the
		// local copies of the other 2 are deleted: the run would empty
		// the remote, 2 of its 2 files, although that is 2 of 10 synced.
		e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
		names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
		for _, n := range names {
			write(t, e.local, n+".edi", n, t0)
		}
		e.mustRun()
		for _, n := range names[:8] {
			remove(t, e.rem.root, n+".edi")
			remove(t, e.local, n+".edi") // as two-way would have after a run; here by hand
		}
		e.mustRun()
		remove(t, e.local, "i.edi")
		remove(t, e.local, "j.edi")
		refused(t, e, false, []string{"2 of 2 remote files (100%)"}, nil)
	})
	t.Run("both sides", func(t *testing.T) {
		e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, MaxDelete: 10})
		for _, n := range []string{"a.edi", "b.edi", "c.edi", "d.edi"} {
			write(t, e.local, n, n, t0)
		}
		e.mustRun()
		remove(t, e.local, "a.edi")
		remove(t, e.rem.root, "b.edi")
		_, err := e.run(RunOptions{})
		if !errors.Is(err, ErrTooManyDeletes) {
			t.Fatalf("run = %v, want ErrTooManyDeletes", err)
		}
		msg := err.Error()
		for _, w := range []string{"1 of 3 local files (33%)", "1 of 3 remote files (33%)"} {
			if !strings.Contains(msg, w) {
				t.Errorf("guard message lacks %q:\n%s", w, msg)
			}
		}
		if n := strings.Count(msg, "--force`"); n != 1 {
			t.Errorf("guard message gives --force %d times, want once:\n%s", n, msg)
		}
	})
}
