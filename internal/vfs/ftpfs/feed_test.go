package ftpfs

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// A feed's pieces reach the upload whole and in order, by WriteTo or Read;
// give returns what the upload took; stop(io.EOF) ends it cleanly.
func TestFeedPassesPiecesInOrder(t *testing.T) {
	for _, viaRead := range []bool{false, true} {
		f := newFeed()
		var got bytes.Buffer
		go func() {
			var err error
			r := &feedReader{f: f}
			if viaRead {
				_, err = io.Copy(&got, struct{ io.Reader }{r})
			} else {
				_, err = r.WriteTo(&got)
			}
			f.ended(err)
		}()
		for _, p := range []string{"first ", "", "second ", "third"} {
			if n, err := f.give(strings.NewReader(p)); err != nil || n != int64(len(p)) {
				t.Fatalf("read %v: give(%q) = %d, %v", viaRead, p, n, err)
			}
		}
		f.stop(io.EOF)
		<-f.done
		if f.result != nil || got.String() != "first second third" {
			t.Errorf("read %v: upload got %q, %v", viaRead, got.String(), f.result)
		}
	}
}

// A piece that fails fails its give and the upload, and sticks: a retry
// reading the same feed gets the error, not the rest of the input. A give
// after the upload returned gets its error instead of waiting.
func TestFeedFailureSticks(t *testing.T) {
	f := newFeed()
	r := &feedReader{f: f}
	cut := errors.New("client went away")
	uploaded := make(chan error, 1)
	go func() {
		_, err := r.WriteTo(io.Discard)
		if err != nil {
			// A retry on a fresh connection reads the same feed.
			_, err2 := r.WriteTo(io.Discard)
			if err2 != err {
				err = errors.Join(err, err2)
			}
		}
		f.ended(err)
		uploaded <- err
	}()
	src := io.MultiReader(strings.NewReader("part"), errReaderOf(cut))
	if n, err := f.give(src); !errors.Is(err, cut) || n != 4 {
		t.Fatalf("give of a failing piece = %d, %v; want 4 bytes and %v", n, err, cut)
	}
	if err := <-uploaded; err != cut {
		t.Fatalf("upload ended with %v, want %v (once)", err, cut)
	}
	if _, err := f.give(strings.NewReader("late")); !errors.Is(err, cut) {
		t.Errorf("give after the upload failed = %v, want %v", err, cut)
	}
	f.stop(io.EOF) // after the end: harmless
}

type errReader struct{ err error }

func errReaderOf(err error) io.Reader        { return errReader{err} }
func (e errReader) Read([]byte) (int, error) { return 0, e.err }
