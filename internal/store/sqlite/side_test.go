package sqlite

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wharf-mft/wharf/internal/store"
)

// decodeSide reads what json.Marshal wrote for a SyncSide exactly as
// json.Unmarshal does.
func TestDecodeSide(t *testing.T) {
	for _, v := range []store.SyncSide{
		{},
		{Exists: true},
		{Exists: true, Size: 4096, ModTime: time.Date(2026, 11, 20, 10, 30, 15, 0, time.UTC), Precise: true},
		{Exists: true, Size: 1 << 40, ModTime: time.Date(2026, 11, 20, 10, 30, 0, 123456789, time.FixedZone("", 3600))},
		{Exists: false, Size: 7, ModTime: time.Unix(1, 2)},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got store.SyncSide
		if err := decodeSide(string(b), &got); err != nil {
			t.Fatalf("decodeSide(%s): %v", b, err)
		}
		if !got.ModTime.Equal(v.ModTime) || got.Exists != v.Exists || got.Size != v.Size || got.Precise != v.Precise {
			t.Errorf("decodeSide(%s) = %+v, want %+v", b, got, v)
		}
		if _, ok := quickSide(string(b)); !ok && v != (store.SyncSide{}) {
			t.Errorf("quickSide(%s) fell back to encoding/json", b)
		}
	}
}

func FuzzDecodeSide(f *testing.F) {
	for _, s := range []string{`{"exists":true,"size":5,"mtime":"2026-11-20T10:30:15Z","precise":true}`, `{"exists":false}`, `{}`,
		`{"exists":true,"exists":false}`, `{"size":-0}`, `"precise":true}`, `{"mtime":"2026-11-20T10:30:15+01:00"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want store.SyncSide
		werr := json.Unmarshal([]byte(s), &want)
		v, ok := quickSide(s)
		if !ok {
			return
		}
		if werr != nil {
			t.Fatalf("quickSide(%q) = %+v; encoding/json refuses it: %v", s, v, werr)
		}
		if d := cmp.Diff(want, v); d != "" && !(want.ModTime.Equal(v.ModTime) && want.Exists == v.Exists && want.Size == v.Size && want.Precise == v.Precise) {
			t.Fatalf("quickSide(%q) differs from encoding/json (-json +quick):\n%s", s, d)
		}
	})
}
