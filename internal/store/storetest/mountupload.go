package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wharf-mft/wharf/internal/store"
)

// testMountUploads: records are kept per remote in the order made, a
// release clears only the holder, and a delete (twice, too) removes one.
func testMountUploads(t *testing.T, s store.MountUploads) {
	ctx := context.Background()
	start := time.Now()
	a := &store.MountUpload{Remote: "bank", Temp: "/in/.a.edi.0123456789ab.wharf-part", Holder: "p1"}
	b := &store.MountUpload{Remote: "bank", Temp: "/in/.b.edi.0123456789ab.wharf-part", Holder: "p1"}
	other := &store.MountUpload{Remote: "acme", Temp: "/.c.edi.0123456789ab.wharf-part", Holder: "p2"}
	for _, u := range []*store.MountUpload{a, b, other} {
		if err := s.AddMountUpload(ctx, u); err != nil {
			t.Fatalf("AddMountUpload(%s): %v", u.Temp, err)
		}
		if u.ID == 0 || u.CreatedAt.Before(start.Add(-time.Second)) {
			t.Errorf("AddMountUpload(%s) set ID %d, CreatedAt %v", u.Temp, u.ID, u.CreatedAt)
		}
	}
	if err := s.ReleaseMountUpload(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.MountUploads(ctx, "bank")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.MountUpload{{ID: a.ID, Remote: "bank", Temp: a.Temp}, {ID: b.ID, Remote: "bank", Temp: b.Temp, Holder: "p1"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.MountUpload{}, "CreatedAt")); diff != "" {
		t.Errorf("MountUploads(bank) after releasing a (-want +got):\n%s", diff)
	}
	for range 2 {
		if err := s.DeleteMountUpload(ctx, a.ID); err != nil {
			t.Errorf("DeleteMountUpload: %v", err)
		}
	}
	if got, err := s.MountUploads(ctx, "bank"); err != nil || len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("MountUploads(bank) after deleting a = %+v, %v; want only b", got, err)
	}
	if got, err := s.MountUploads(ctx, "acme"); err != nil || len(got) != 1 || got[0].Holder != "p2" {
		t.Errorf("MountUploads(acme) = %+v, %v; want the other remote's record untouched", got, err)
	}
	if got, err := s.MountUploads(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Errorf("MountUploads(nobody) = %+v, %v; want none", got, err)
	}
}
