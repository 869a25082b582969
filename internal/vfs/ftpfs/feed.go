package ftpfs

import (
	"errors"
	"io"
	"sync"
)

// feed passes an upload its input one reader at a time. give blocks until
// the upload has copied the reader to its end or failed, so a reader the
// caller owns (a data connection's chunk under its deadline) is used only
// while it is handed over; stop tells the upload how its input ends.
type feed struct {
	pieces chan io.Reader
	taken  chan taken // one answer per piece the upload took
	halt   chan struct{}
	done   chan struct{} // closed once the upload returned
	// opened is closed when the upload first asks for input: the remote
	// accepted STOR (or APPE) and its data connection is open.
	opened chan struct{}

	once     sync.Once
	openOnce sync.Once
	haltErr  error // io.EOF: the clean end; set before halt closes
	result   error // the upload's; set before done closes
}

type taken struct {
	n   int64
	err error
}

// errUploadEnded answers a piece given after the upload had returned.
var errUploadEnded = errors.New("the upload has already ended")

func newFeed() *feed {
	return &feed{pieces: make(chan io.Reader), taken: make(chan taken, 1),
		halt: make(chan struct{}), done: make(chan struct{}), opened: make(chan struct{})}
}

// give hands r to the upload and returns what it took from r.
func (f *feed) give(r io.Reader) (int64, error) {
	select {
	case f.pieces <- r:
	case <-f.done:
		return 0, f.failure()
	}
	select {
	case t := <-f.taken:
		return t.n, t.err
	case <-f.done:
		select {
		case t := <-f.taken:
			return t.n, t.err
		default:
			return 0, f.failure()
		}
	}
}

func (f *feed) failure() error {
	if f.result != nil {
		return f.result
	}
	return errUploadEnded
}

// stop ends the input: io.EOF for a complete upload, another error to
// make it fail.
func (f *feed) stop(err error) {
	f.once.Do(func() {
		f.haltErr = err
		close(f.halt)
	})
}

// ended records the upload's outcome.
func (f *feed) ended(err error) {
	f.result = err
	close(f.done)
}

// feedReader is the upload's side of a feed. An error, or the end of the
// input, sticks: a retry on another connection reads no further.
type feedReader struct {
	f   *feed
	cur io.Reader // the piece being read
	n   int64     // taken from cur so far
	err error
}

// next waits for the next piece; false once the input has ended.
func (r *feedReader) next() bool {
	r.f.openOnce.Do(func() { close(r.f.opened) })
	select {
	case p := <-r.f.pieces:
		r.cur, r.n = p, 0
		return true
	case <-r.f.halt:
		r.err = r.f.haltErr
		return false
	}
}

// finish answers the giver of the current piece.
func (r *feedReader) finish(err error) {
	r.f.taken <- taken{r.n, err}
	r.cur = nil
	if err != nil {
		r.err = err
	}
}

// WriteTo copies each piece to w with io.Copy, so a *net.TCPConn writer
// (through its ReadFrom) can splice from a socket piece.
func (r *feedReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.err == nil {
		if r.cur == nil && !r.next() {
			break
		}
		n, err := io.Copy(w, r.cur)
		total += n
		r.n += n
		r.finish(err)
	}
	if r.err == io.EOF {
		return total, nil
	}
	return total, r.err
}

func (r *feedReader) Read(p []byte) (int, error) {
	for r.err == nil {
		if r.cur == nil && !r.next() {
			break
		}
		n, err := r.cur.Read(p)
		r.n += int64(n)
		switch {
		case err == io.EOF:
			r.finish(nil)
		case err != nil:
			r.finish(err)
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, r.err
}
