package filesync

import (
	"fmt"
	"testing"

	"github.com/wharf-mft/wharf/internal/store"
)

// BenchmarkPushLocal measures the engine's own cost per file (journal,
// state, local reads) with a remote on the local disk.
func BenchmarkPushLocal(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, store.Sync{Direction: store.SyncPush})
		for i := range 2000 {
			write(b, e.local, fmt.Sprintf("d%02d/f%04d", i%20, i), "0123456789abcdef", t0)
		}
		b.StartTimer()
		res, err := e.run(RunOptions{})
		if err != nil || res.Run.Copied != 2000 {
			b.Fatal(res.Run, err)
		}
	}
}

// BenchmarkPullLocal is BenchmarkPushLocal the other way.
func BenchmarkPullLocal(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, store.Sync{Direction: store.SyncPull})
		for i := range 2000 {
			write(b, e.rem.root, fmt.Sprintf("d%02d/f%04d", i%20, i), "0123456789abcdef", t0)
		}
		b.StartTimer()
		res, err := e.run(RunOptions{})
		if err != nil || res.Run.Copied != 2000 {
			b.Fatal(res.Run, err)
		}
	}
}

// BenchmarkPushUnchanged measures a push of 2,000 files that are all as
// last synced: the no-op run, planned from the journal.
func BenchmarkPushUnchanged(b *testing.B) {
	e := newEnv(b, store.Sync{Direction: store.SyncPush})
	for i := range 2000 {
		write(b, e.local, fmt.Sprintf("d%02d/f%04d", i%20, i), "0123456789abcdef", t0)
	}
	if _, err := e.run(RunOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := e.run(RunOptions{})
		if err != nil || res.Run.Skipped != 2000 || !res.Plan.FromJournal {
			b.Fatal(res.Run, err)
		}
	}
}
