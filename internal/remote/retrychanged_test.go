package remote

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A download whose first try breaks is resumed (REST) by the retry only
// while the file's SIZE and MDTM are what the first try was told: a file
// replaced in between fails the download, unretried, and w keeps only the
// old file's head rather than getting the new one's tail after it.
func TestPoolRetrieveChangedBetweenTries(t *testing.T) {
	old := []byte(strings.Repeat("o", 100))
	tests := []struct {
		name     string
		replace  []byte // the file after the first try; nil: unchanged
		touch    bool   // MDTM changes after the first try
		wantTime bool
		changed  bool
	}{
		{"unchanged resumes", nil, false, true, false},
		{"size changed", []byte(strings.Repeat("n", 120)), false, false, true},
		{"same size, new time", []byte(strings.Repeat("n", 100)), true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			s.feat = []string{"SIZE", "MDTM", "REST STREAM"}
			s.files["/f"] = old
			var mu sync.Mutex
			retrs, rest, touched := 0, 0, false
			s.handlers["REST"] = func(fc *fakeConn, arg string) {
				mu.Lock()
				rest, _ = strconv.Atoi(arg)
				mu.Unlock()
				fc.reply("350 restarting")
			}
			s.handlers["MDTM"] = func(fc *fakeConn, arg string) {
				mu.Lock()
				defer mu.Unlock()
				if touched {
					fc.reply("213 20260102030405")
				} else {
					fc.reply("213 20250102030405")
				}
			}
			s.handlers["RETR"] = func(fc *fakeConn, arg string) {
				mu.Lock()
				retrs++
				n, from := retrs, rest
				rest = 0
				mu.Unlock()
				b, _ := fc.s.file(arg)
				dc := fc.accept()
				if dc == nil {
					return
				}
				fc.reply("150 here it comes")
				if n == 1 {
					dc.Write(b[:40]) // then the connection breaks
					dc.Close()
					s.mu.Lock()
					if tt.replace != nil {
						s.files[arg] = tt.replace
					}
					s.mu.Unlock()
					mu.Lock()
					touched = tt.touch
					mu.Unlock()
					fc.reply("426 connection closed; transfer aborted")
					return
				}
				dc.Write(b[from:])
				dc.Close()
				fc.reply("226 done")
			}
			s.start()
			p, err := NewPool(s.config(), PoolOptions{Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var w bytes.Buffer
			r, err := p.RetrieveTimed(context.Background(), "f", 0, &w, tt.wantTime)
			mu.Lock()
			n := retrs
			mu.Unlock()
			if !tt.changed {
				if err != nil || !bytes.Equal(w.Bytes(), old) || r.Bytes != int64(len(old)) {
					t.Fatalf("RetrieveTimed = %+v, %v, wrote %q; want the whole file", r, err, w.String())
				}
				return
			}
			if !errors.Is(err, ErrChangedDuringDownload) || Transient(err) {
				t.Errorf("RetrieveTimed err = %v, want ErrChangedDuringDownload, not transient", err)
			}
			if !bytes.Equal(w.Bytes(), old[:40]) || r.Bytes != 40 {
				t.Errorf("wrote %d bytes %q, want the old file's first 40 bytes only", r.Bytes, w.String())
			}
			if n != 2 {
				t.Errorf("%d RETRs, want 2 (the changed file is not tried again)", n)
			}
		})
	}
}
