package ftpserver

import (
	"io/fs"
	"sync"
	"time"
)

// sentPrefixes remembers, per account and file version, which byte ranges
// of a file were sent to the account, across that account's sessions.
// Remove-after-send needs it for resumed and segmented downloads: a
// complete RETR after REST N delivered the whole file only if bytes 0..N
// went out before (a resume); otherwise the client read only the file's
// tail (a range read), and removing the file would lose the rest for it.
// A segmented download (lftp's pget -n 4: one RETR per part, each but the
// last closed at its part's end) delivered it once its parts cover it.
// Kept in memory: after a restart such a download leaves its file in
// place, which can mean a second download but never a loss.
type sentPrefixes struct {
	mu sync.Mutex
	m  map[prefixKey]prefix
}

type prefixKey struct {
	account, path string
	size, mtime   int64
}

type prefix struct {
	ranges [][2]int64 // sent, sorted and merged: [start, end)
	// tail: a transfer that reached the end of the file ended cleanly.
	// An aborted one counts what it wrote to the socket, which the client
	// may not have read: alone it never makes the file delivered.
	tail bool
	// claimed: the file was found delivered, and its removal claimed.
	claimed bool
	at      time.Time
}

// maxPrefixes bounds the memory: past it, entries older than a day go,
// then any.
const maxPrefixes = 10000

func keyFor(account, path string, fi fs.FileInfo) prefixKey {
	return prefixKey{account: account, path: path, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// sent records that bytes offset..offset+n of a file went out, by a
// transfer that reached the end cleanly or not (complete), and reports
// whether the file is now delivered: bytes 0..size all sent, the end by a
// complete transfer. It reports so once per file version, to the first
// transfer that makes it so, which removes the file.
func (p *sentPrefixes) sent(k prefixKey, offset, n int64, complete bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[prefixKey]prefix{}
	}
	e := p.m[k]
	e.ranges = merge(e.ranges, [2]int64{offset, offset + n})
	e.tail = e.tail || complete
	e.at = time.Now()
	first := e.ranges[0]
	delivered := first[0] == 0 && first[1] >= k.size && e.tail && !e.claimed
	e.claimed = e.claimed || delivered
	p.m[k] = e
	if len(p.m) > maxPrefixes {
		p.prune()
	}
	return delivered
}

// merge adds r to the sorted, merged ranges rs.
func merge(rs [][2]int64, r [2]int64) [][2]int64 {
	out := make([][2]int64, 0, len(rs)+1)
	for _, x := range rs {
		switch {
		case x[1] < r[0]:
			out = append(out, x)
		case r[1] < x[0]:
			out = append(out, r)
			r = x
		default:
			r = [2]int64{min(r[0], x[0]), max(r[1], x[1])}
		}
	}
	return append(out, r)
}

func (p *sentPrefixes) prune() {
	day := time.Now().Add(-24 * time.Hour)
	for k, v := range p.m {
		if v.at.Before(day) {
			delete(p.m, k)
		}
	}
	for k := range p.m {
		if len(p.m) <= maxPrefixes/2 {
			return
		}
		delete(p.m, k)
	}
}
