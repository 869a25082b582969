package filesync

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// coarseStat is a LIST-only remote whose Stat tells no more than a LIST
// line: a server without MLST and MDTM.
type coarseStat struct{ *fakeRemote }

func (r coarseStat) Stat(ctx context.Context, name string) (remote.Entry, error) {
	fi, err := os.Stat(r.abs(name))
	if err != nil {
		return remote.Entry{}, err
	}
	return r.entry(fi), nil
}

// mdtmOnly is a LIST-only remote that tells a file's exact time by MDTM
// (modTimer), and no other way.
type mdtmOnly struct {
	coarseStat
	calls *atomic.Int32
}

func (r mdtmOnly) ModTime(ctx context.Context, name string) (time.Time, error) {
	r.calls.Add(1)
	fi, err := os.Stat(r.abs(name))
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime().UTC().Truncate(time.Second), nil
}

// TestConflictNewerExactTime: with --conflict newer, a remote whose LIST
// gives minutes is asked for the exact time of a conflicting file, so an
// edit a second later wins; edits the remote cannot tell apart (the same
// second, or the same minute when it has no MDTM) keep both versions.
func TestConflictNewerExactTime(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cl, cr := "f.conflict-local-20261120T120000Z.edi", "f.conflict-remote-20261120T120000Z.edi"
	edit := t0.Add(time.Hour) // 11:30:15
	for _, tc := range []struct {
		name              string
		remote            func(f *fakeRemote, calls *atomic.Int32) Remote
		localMT, remoteMT time.Time
		want              map[string]string
		asked             bool // mdtmOnly answered MDTM for the conflict
	}{
		{"stat/remote-second-later", func(f *fakeRemote, _ *atomic.Int32) Remote { return f },
			edit, edit.Add(time.Second), map[string]string{"f.edi": "remote", cl: "local"}, false},
		{"stat/local-second-later", func(f *fakeRemote, _ *atomic.Int32) Remote { return f },
			edit.Add(time.Second), edit, map[string]string{"f.edi": "local", cr: "remote"}, false},
		{"stat/same-second", func(f *fakeRemote, _ *atomic.Int32) Remote { return f },
			edit, edit.Add(400 * time.Millisecond), map[string]string{cl: "local", cr: "remote"}, false},
		{"mdtm/remote-second-later", func(f *fakeRemote, c *atomic.Int32) Remote { return mdtmOnly{coarseStat{f}, c} },
			edit, edit.Add(time.Second), map[string]string{"f.edi": "remote", cl: "local"}, true},
		{"mdtm/local-second-later", func(f *fakeRemote, c *atomic.Int32) Remote { return mdtmOnly{coarseStat{f}, c} },
			edit.Add(time.Second), edit, map[string]string{"f.edi": "local", cr: "remote"}, true},
		{"no-mdtm/same-minute", func(f *fakeRemote, _ *atomic.Int32) Remote { return coarseStat{f} },
			edit, edit.Add(time.Second), map[string]string{cl: "local", cr: "remote"}, false},
		{"no-mdtm/minutes-apart", func(f *fakeRemote, _ *atomic.Int32) Remote { return coarseStat{f} },
			edit, edit.Add(time.Minute), map[string]string{"f.edi": "remote", cl: "local"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, store.Sync{Direction: store.SyncTwoWay, Conflict: store.ConflictNewer})
			e.rem.precise = false
			var calls atomic.Int32
			e.engine.ep = endpoints{files: e.files, rem: tc.remote(e.rem, &calls)}
			write(t, e.local, "f.edi", "base", t0)
			write(t, e.local, "other.edi", "o", t0)
			e.mustRun()
			write(t, e.local, "f.edi", "local", tc.localMT)
			write(t, e.rem.root, "f.edi", "remote", tc.remoteMT)
			calls.Store(0)
			dry, err := e.run(RunOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if asked := calls.Load() > 0; asked != tc.asked {
				t.Errorf("dry run asked MDTM: %v, want %v", asked, tc.asked)
			}
			res, err := runAt(e, at)
			if err != nil || len(res.Errors) > 0 || res.Run.Conflicts != 1 {
				t.Fatalf("run = %+v, %v, %v; want 1 conflict", res.Run, err, res.Errors)
			}
			if dry.Plan.Items[0].Winner != res.Plan.Items[0].Winner {
				t.Errorf("dry run's winner %q, the run's %q", dry.Plan.Items[0].Winner, res.Plan.Items[0].Winner)
			}
			tc.want["other.edi"] = "o"
			if d := cmp.Diff(tc.want, tree(t, e.local)); d != "" {
				t.Errorf("local (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.want, tree(t, e.rem.root)); d != "" {
				t.Errorf("remote (-want +got):\n%s", d)
			}
			if res := e.mustRun(); res.Run.Copied+res.Run.Deleted+res.Run.Conflicts != 0 {
				t.Errorf("run after settling did %+v", res.Run)
			}
		})
	}
}

// TestTwoWaySameSizeEditsWithinListedMinute: two different edits of the
// same size, made on each side within the minute a LIST line shows, are a
// conflict, not "the same change on both sides": the exact remote time
// tells them apart.
func TestTwoWaySameSizeEditsWithinListedMinute(t *testing.T) {
	e := newEnv(t, store.Sync{Direction: store.SyncTwoWay})
	e.rem.precise = false
	write(t, e.local, "f.edi", "AAAA", t0)
	e.mustRun()
	edit := t0.Add(time.Hour)
	write(t, e.local, "f.edi", "BBBB", edit)
	write(t, e.rem.root, "f.edi", "CCCC", edit.Add(20*time.Second))
	res, err := runAt(e, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	if err != nil || len(res.Errors) > 0 || res.Run.Conflicts != 1 {
		t.Fatalf("run = %+v, %v, %v; want 1 conflict; plan %+v", res.Run, err, res.Errors, res.Plan.Items)
	}
	want := map[string]string{"f.edi": "CCCC", "f.conflict-local-20261120T120000Z.edi": "BBBB"}
	if d := cmp.Diff(want, tree(t, e.local)); d != "" {
		t.Errorf("local (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, tree(t, e.rem.root)); d != "" {
		t.Errorf("remote (-want +got):\n%s", d)
	}
}
