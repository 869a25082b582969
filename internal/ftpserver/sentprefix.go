package ftpserver

import (
	"io/fs"
	"sync"
	"time"
)

// sentPrefixes remembers, per account and file version, how far from the
// start a file was sent to the account, across that account's sessions.
// Remove-after-send needs it for resumed downloads: a complete RETR after
// REST N delivered the whole file only if bytes 0..N went out before (a
// resume); otherwise the client read only the file's tail (a range read),
// and removing the file would lose the rest for it. Kept in memory: after
// a restart a resumed download leaves its file in place, which can mean a
// second download but never a loss.
type sentPrefixes struct {
	mu sync.Mutex
	m  map[prefixKey]prefix
}

type prefixKey struct {
	account, path string
	size, mtime   int64
}

type prefix struct {
	end int64 // bytes 0..end were sent
	at  time.Time
}

// maxPrefixes bounds the memory: past it, entries older than a day go,
// then any.
const maxPrefixes = 10000

func keyFor(account, path string, fi fs.FileInfo) prefixKey {
	return prefixKey{account: account, path: path, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// sent records that bytes offset..offset+n of a file went out, and
// reports whether bytes 0..offset+n now all have.
func (p *sentPrefixes) sent(k prefixKey, offset, n int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[prefixKey]prefix{}
	}
	had := p.m[k].end
	if offset > had {
		return false // a gap: bytes had..offset were not sent
	}
	p.m[k] = prefix{end: max(had, offset+n), at: time.Now()}
	if len(p.m) > maxPrefixes {
		p.prune()
	}
	return true
}

// forget drops a file's record once it is whole at the client.
func (p *sentPrefixes) forget(k prefixKey) {
	p.mu.Lock()
	delete(p.m, k)
	p.mu.Unlock()
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
