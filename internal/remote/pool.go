package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// ErrPoolClosed reports use of a closed Pool.
var ErrPoolClosed = errors.New("remote pool closed")

// PoolOptions tunes a Pool. The zero value is the default.
type PoolOptions struct {
	Logger      *slog.Logger
	MaxAttempts int           // tries per operation; 0: 4
	Backoff     time.Duration // first wait between tries, doubled each time, with jitter; 0: 500ms
	MaxBackoff  time.Duration // 0: 15s
	// OnRetry, when set, is called before each retry (for metrics, and for
	// tests that heal a fault exactly when the client noticed it).
	OnRetry func(attempt int, err error)
	// LoginHold is how long after the remote refused the login (a
	// *LoginError) every operation that needs a new connection fails at
	// once with that error, without dialling: each dial would be one more
	// failed login on the remote, and servers lock an address out after a
	// few. It doubles with each refusal in a row, up to MaxLoginHold. A
	// successful login ends it, and a new Pool (the one a changed remote
	// gets) starts without it. 0: DefaultLoginHold.
	LoginHold    time.Duration
	MaxLoginHold time.Duration // 0: DefaultMaxLoginHold
}

// PoolStats counts what a Pool did.
type PoolStats struct {
	Open         int // connections open now, idle or in use
	Idle         int
	Dials        int // dials made, failed ones included; not those ended by the caller's ctx
	DialFailures int // dials that failed: connection, TLS, greeting or a refused login (LoginError)
	Reconnects   int // idle connections found stale and replaced
	Retries      int
}

// Pool holds at most Config.MaxConns logged-in connections to one remote and
// runs operations on them with retry. Until a login succeeds it dials one
// connection at a time, and after the remote refuses a login it dials none
// for a while (see PoolOptions.LoginHold). It is safe for concurrent use.
// Close it when done.
type Pool struct {
	cfg   Config
	opts  PoolOptions
	log   *slog.Logger
	sem   chan struct{} // one token per connection in use or being dialled; idle ones hold none
	probe chan struct{} // the one dial allowed while !loggedIn; see loginGate
	now   func() time.Time

	mu     sync.Mutex
	idle   []idleConn // most recently used last
	closed bool
	// After a failed dial, others fail fast with the same error until
	// holdUntil, so that many callers do not hammer a server that is down
	// (C-15). The hold doubles with each consecutive failure.
	dialFails int
	holdUntil time.Time
	dialErr   error
	// refusal is the last refused login, with the pool's count and the
	// end of its hold, until a login succeeds.
	refusal  *LoginError
	loggedIn bool      // a login succeeded since the pool was made and since the last refusal
	stats    PoolStats // Open counts dialled connections not yet closed
}

type idleConn struct {
	c     *Conn
	since time.Time
}

// NewPool returns a pool for cfg. It dials nothing until the first operation.
func NewPool(cfg Config, o PoolOptions) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 4
	}
	if o.Backoff == 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 15 * time.Second
	}
	if o.LoginHold == 0 {
		o.LoginHold = DefaultLoginHold
	}
	if o.MaxLoginHold == 0 {
		o.MaxLoginHold = DefaultMaxLoginHold
	}
	return &Pool{
		cfg: cfg, opts: o, log: o.Logger.With("remote", cfg.Addr()),
		sem: make(chan struct{}, cfg.MaxConns), probe: make(chan struct{}, 1), now: time.Now,
	}, nil
}

// Acquire returns a healthy connection: an idle one that answered NOOP, or a
// new one. It waits for a free slot until ctx ends. Return the connection with
// Release.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	return p.acquire(ctx, false)
}

// freshFor is how long after its release an idle connection is trusted
// without a NOOP by operations that tolerate a dead one (see acquire).
const freshFor = time.Second

// acquire is Acquire; with trustFresh, an idle connection released less
// than freshFor ago is returned without the NOOP round trip. Only
// operations that are safely retried on a fresh connection when the first
// command fails may ask: a connection the server dropped fails that command
// before anything else happens, and Do retries it.
func (p *Pool) acquire(ctx context.Context, trustFresh bool) (*Conn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a connection to %s: %w", p.cfg.Addr(), ctx.Err())
	}
	for {
		ic, ok, err := p.popIdle()
		if err != nil {
			<-p.sem
			return nil, err
		}
		if !ok {
			break
		}
		idle := p.now().Sub(ic.since)
		if idle > p.cfg.IdleTimeout {
			p.discard(ic.c)
			continue
		}
		if trustFresh && idle < freshFor {
			return ic.c, nil
		}
		if err := ic.c.NoOp(ctx); err != nil {
			p.discard(ic.c)
			if ctx.Err() != nil {
				<-p.sem
				return nil, err
			}
			p.log.Warn("stale pooled connection replaced", "err", err)
			p.count(func(s *PoolStats) { s.Reconnects++ })
			continue
		}
		return ic.c, nil
	}
	c, err := p.dial(ctx)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

// dial opens a new connection, unless dials or logins are on hold.
func (p *Pool) dial(ctx context.Context) (*Conn, error) {
	done, err := p.loginGate(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := p.held(); err != nil {
		return nil, err
	}
	c, err := Dial(ctx, p.cfg, p.opts.Logger)
	if err := p.dialed(ctx, err); err != nil {
		return nil, err
	}
	return c, nil
}

// held returns the refused login, or the last dial error, while logins or
// dials are on hold.
func (p *Pool) held() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.loginHeldLocked(); err != nil {
		return err
	}
	if p.dialErr != nil && p.now().Before(p.holdUntil) {
		return fmt.Errorf("not dialling %s again yet: %w", p.cfg.Addr(), p.dialErr)
	}
	return nil
}

// dialed counts a dial and records its outcome for the holds. It returns
// the error for the caller: err, or for a refused login the pool's
// LoginError, which says how often and until when.
func (p *Pool) dialed(ctx context.Context, err error) error {
	var le *LoginError
	refused := errors.As(err, &le)
	if err != nil && !refused && ctx.Err() != nil {
		return err // the caller gave up, which says nothing about the remote
	}
	p.mu.Lock()
	p.stats.Dials++
	switch {
	case err == nil:
		p.stats.Open++
		p.refusal, p.loggedIn = nil, true
	case refused:
		le = p.refusedLocked(le)
		err = le
	}
	if err != nil {
		p.stats.DialFailures++
	}
	if Transient(err) {
		p.holdLocked(err)
	} else {
		p.dialFails, p.dialErr = 0, nil
	}
	p.mu.Unlock()
	if refused {
		p.logRefusal(le)
	}
	return err
}

// doubled is base doubled for each n after the first, at most limit: the
// backoff of retries, dial holds and login holds.
func doubled(base, limit time.Duration, n int) time.Duration {
	d := base << min(n-1, 20)
	if d > limit || d <= 0 {
		return limit
	}
	return d
}

// holdLocked puts dials on hold after a transient failure, under p.mu.
func (p *Pool) holdLocked(err error) {
	p.dialFails++
	// Half of Do's backoff: a lone caller's retry never meets the hold.
	p.dialErr, p.holdUntil = err, p.now().Add(doubled(p.opts.Backoff/2, p.opts.MaxBackoff, p.dialFails))
}

// discard closes a connection the pool owned.
func (p *Pool) discard(c *Conn) {
	c.Close()
	p.count(func(s *PoolStats) { s.Open-- })
}

// popIdle takes the most recently used idle connection, closing those that
// sat idle too long.
func (p *Pool) popIdle() (idleConn, bool, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return idleConn{}, false, ErrPoolClosed
	}
	old := p.expireLocked()
	var ic idleConn
	ok := len(p.idle) > 0
	if ok {
		ic = p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
	}
	p.mu.Unlock()
	closeAll(old)
	return ic, ok, nil
}

// expireLocked removes idle connections past IdleTimeout from the pool and
// returns them for the caller to close after unlocking (QUIT takes a round
// trip).
func (p *Pool) expireLocked() []*Conn {
	var old []*Conn
	keep := p.idle[:0]
	for _, ic := range p.idle {
		if p.now().Sub(ic.since) > p.cfg.IdleTimeout {
			old = append(old, ic.c)
			p.stats.Open--
			continue
		}
		keep = append(keep, ic)
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	return old
}

func closeAll(cs []*Conn) {
	for _, c := range cs {
		c.Close()
	}
}

// Release returns c to the pool, or closes it when it broke.
func (p *Pool) Release(c *Conn) {
	defer func() { <-p.sem }()
	p.mu.Lock()
	if c.broken || p.closed {
		p.mu.Unlock()
		p.discard(c)
		return
	}
	p.idle = append(p.idle, idleConn{c: c, since: p.now()})
	old := p.expireLocked()
	p.mu.Unlock()
	closeAll(old)
}

// Close closes idle connections and makes further Acquires fail. Connections
// in use are closed when released.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	var old []*Conn
	for _, ic := range p.idle {
		old = append(old, ic.c)
		p.stats.Open--
	}
	p.idle = nil
	p.mu.Unlock()
	closeAll(old)
	return nil
}

// Stats returns the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Idle = len(p.idle)
	return s
}

func (p *Pool) count(f func(*PoolStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// Do runs fn on a pooled connection, retrying on a fresh one with backoff
// while the error is transient (a 4xx reply, a broken connection) and never
// after a permanent one (a 5xx reply, a certificate or login refusal). A
// data connection that could not be opened while the control connection
// works (a firewall in front of the remote's passive ports, or of ours in
// active mode) is retried once, not up to MaxAttempts times: each try
// waits out the dial timeout, and the error says what to do. While the
// remote's refusal of the login is held (see PoolOptions.LoginHold), an
// operation that needs a new connection fails at once with a *LoginError.
func (p *Pool) Do(ctx context.Context, fn func(ctx context.Context, c *Conn) error) error {
	return p.do(ctx, false, fn)
}

// maxDataRetries is how often Do retries an operation after its data
// connection could not be opened (dataError.unopened). One retry, on a
// new passive port, gets past a one-off loss; a port range that a
// firewall blocks fails every try alike, and each try costs
// the dial timeout (15s by default), plus up to pipelinedReplyWait for the
// reply to a command sent with EPSV: four tries kept a sync or a mount
// waiting about 70s for an error that the first one already explained.
const maxDataRetries = 1

// do is Do; trustFresh is acquire's.
func (p *Pool) do(ctx context.Context, trustFresh bool, fn func(ctx context.Context, c *Conn) error) error {
	var err error
	dataFails := 0
	for attempt := 1; ; attempt++ {
		var c *Conn
		c, err = p.acquire(ctx, trustFresh)
		if err == nil {
			err = fn(ctx, c)
			p.Release(c)
		}
		if dataUnopened(err) {
			dataFails++
		}
		if err == nil || !Transient(err) || attempt >= p.opts.MaxAttempts || dataFails > maxDataRetries || ctx.Err() != nil {
			return err
		}
		p.count(func(s *PoolStats) { s.Retries++ })
		p.log.Warn("remote operation failed, retrying", "attempt", attempt, "err", err)
		if p.opts.OnRetry != nil {
			p.opts.OnRetry(attempt, err)
		}
		if werr := p.wait(ctx, attempt); werr != nil {
			return err
		}
	}
}

// wait sleeps the backoff for attempt, with ±50% jitter, or until ctx ends.
func (p *Pool) wait(ctx context.Context, attempt int) error {
	d := doubled(p.opts.Backoff, p.opts.MaxBackoff, attempt)
	d = d/2 + jitter(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// List lists dir; see Conn.List.
func (p *Pool) List(ctx context.Context, dir string) (out []Entry, err error) {
	err = p.Do(ctx, func(ctx context.Context, c *Conn) error {
		out, err = c.List(ctx, dir)
		return err
	})
	return out, err
}

// Stat returns p's entry; see Conn.Stat.
func (p *Pool) Stat(ctx context.Context, name string) (e Entry, err error) {
	err = p.Do(ctx, func(ctx context.Context, c *Conn) error {
		e, err = c.Stat(ctx, name)
		return err
	})
	return e, err
}

// Retrieve copies name from offset to w. A retry resumes where the failed
// try stopped (REST), so w sees every byte once.
func (p *Pool) Retrieve(ctx context.Context, name string, offset int64, w io.Writer) (int64, error) {
	r, err := p.RetrieveTimed(ctx, name, offset, w, false)
	return r.Bytes, err
}

// RetrieveTimed is Retrieve that can also ask for the file's exact
// modification time, in the same round trip; see Conn.RetrieveTimed.
//
// Each try asks SIZE (and, with wantTime, MDTM) before RETR. A retry
// that resumes compares them with what the try that started w's data
// was told, and when they differ fails with an error wrapping
// ErrChangedDuringDownload, not retried: resuming would append the new
// file's tail to the old one's head, a file that never was.
func (p *Pool) RetrieveTimed(ctx context.Context, name string, offset int64, w io.Writer, wantTime bool) (Retrieved, error) {
	var total Retrieved
	var first *version // what the try that started w's data was told
	check := func(size int64, mt time.Time) error {
		v := version{size, mt}
		if first == nil || total.Bytes == 0 {
			first = &v // nothing written yet: this try starts the file as it is now
			return nil
		}
		return first.same(v)
	}
	err := p.Do(ctx, func(ctx context.Context, c *Conn) error {
		r, err := c.retrieve(ctx, name, offset+total.Bytes, w, wantTime, check)
		total.Bytes += r.Bytes
		if !r.ModTime.IsZero() {
			total.ModTime = r.ModTime
		}
		return err
	})
	return total, err
}

// ErrChangedDuringDownload reports a file replaced on the remote between a
// failed try of its download and the retry that would have resumed it.
// Downloading it again from the start gets it whole.
var ErrChangedDuringDownload = errors.New("the file changed on the remote during its download")

// version is what SIZE (-1: not told) and MDTM (zero: not asked or not
// told) said about a file at one try of its download.
type version struct {
	size int64
	mt   time.Time
}

// same returns an error wrapping ErrChangedDuringDownload when now, a
// retry's answers, differs from v where both tell.
func (v version) same(now version) error {
	switch {
	case v.size >= 0 && now.size >= 0 && v.size != now.size:
		return fmt.Errorf("%w (its size went from %d to %d bytes); download it again from the start", ErrChangedDuringDownload, v.size, now.size)
	case !v.mt.IsZero() && !now.mt.IsZero() && !v.mt.Equal(now.mt):
		return fmt.Errorf("%w (its modification time went from %s to %s); download it again from the start", ErrChangedDuringDownload,
			v.mt.Format(time.RFC3339), now.mt.Format(time.RFC3339))
	}
	return nil
}

// Store uploads r to name; see Conn.Store. A retry starts over, so it happens
// only when r is an io.Seeker or nothing was read from it yet. A temporary
// file that a broken connection (or a failed delete) left is deleted over the
// next one: the retry's, or for a failed upload another pooled connection,
// even when ctx has ended (a transfer whose start timed out after STOR was
// sent). A delete that fails there too is logged.
func (p *Pool) Store(ctx context.Context, name string, r io.Reader) (int64, error) {
	u, err := p.upload(ctx, name, r, UploadOptions{}, false)
	return u.Bytes, err
}

// Upload is Store with options (see Conn.Upload): a caller-chosen
// temporary name, which every try reuses and a failed one deletes, and the
// modification time, set before the rename on the same connection. It
// reuses a connection released within the last second without a NOOP: a
// dead one fails before anything is read from r, and the upload is retried
// on a fresh one.
func (p *Pool) Upload(ctx context.Context, name string, r io.Reader, o UploadOptions) (Uploaded, error) {
	return p.upload(ctx, name, r, o, true)
}

func (p *Pool) upload(ctx context.Context, name string, r io.Reader, o UploadOptions, trustFresh bool) (Uploaded, error) {
	var u Uploaded
	seeker, canSeek := r.(io.Seeker)
	var start int64
	if canSeek {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			canSeek = false
		}
	}
	if o.Temp == "" {
		o.Temp = TempName(name) // one name for every try, to report in TempLeft
	}
	cr := &CountReader{R: r}
	var leftover string
	err := p.do(ctx, trustFresh, func(ctx context.Context, c *Conn) error {
		if leftover != "" {
			if err := c.deleteTemp(ctx, leftover); err != nil {
				p.log.Warn("remote temporary file left behind", "path", leftover, "err", err)
			}
			leftover = ""
		}
		if cr.N > 0 {
			if _, err := seeker.Seek(start, io.SeekStart); err != nil {
				return err
			}
			cr.N = 0
		}
		var err error
		u, err = c.Upload(ctx, name, cr, o)
		leftover, c.leftover = c.leftover, ""
		if err != nil && cr.N > 0 && !canSeek {
			return noRetry{err} // the source cannot rewind
		}
		return err
	})
	if leftover != "" && !p.deleteTemp(ctx, leftover) {
		u.TempLeft = o.Temp
	}
	return u, err
}

// tempTimeout bounds deleteTemp, which runs after the upload's ctx may
// have ended.
const tempTimeout = 15 * time.Second

// deleteTemp deletes tmp (absolute), the temporary file of a failed
// upload, on a pooled connection, with retry, under its own deadline: the
// upload's ctx may be what made it fail. It reports whether the file is
// gone, and logs when it may not be: it is hidden, and costs only space.
func (p *Pool) deleteTemp(ctx context.Context, tmp string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tempTimeout)
	defer cancel()
	err := p.Do(ctx, func(ctx context.Context, c *Conn) error { return c.deleteTemp(ctx, tmp) })
	if err != nil {
		p.log.Warn("remote temporary file left behind", "path", tmp, "err", err)
		return false
	}
	return true
}

// noRetry makes an error permanent for Do.
type noRetry struct{ error }

func (e noRetry) Unwrap() error { return e.error }

// CountReader counts what is read from R, so that an upload knows whether
// it consumed part of a source it cannot read again. It keeps R's WriteTo
// (a mount's upload feed, whose socket chunks a plain TCP data connection
// splices), and an upload sees the local file behind one (sendfile).
type CountReader struct {
	R io.Reader
	N int64
}

func (r *CountReader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	r.N += int64(n)
	return n, err
}

// WriteTo lets R's own WriteTo do the copy, counting what it wrote.
func (r *CountReader) WriteTo(w io.Writer) (int64, error) {
	wt, ok := r.R.(io.WriterTo)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{r})
	}
	n, err := wt.WriteTo(w)
	r.N += n
	return n, err
}

// Delete removes a file; see Conn.Delete.
func (p *Pool) Delete(ctx context.Context, name string) error {
	return p.Do(ctx, func(ctx context.Context, c *Conn) error { return c.Delete(ctx, name) })
}

// MakeDir creates a directory; see Conn.MakeDir.
func (p *Pool) MakeDir(ctx context.Context, name string) error {
	return p.Do(ctx, func(ctx context.Context, c *Conn) error { return c.MakeDir(ctx, name) })
}

// RemoveDir removes an empty directory; see Conn.RemoveDir.
func (p *Pool) RemoveDir(ctx context.Context, name string) error {
	return p.Do(ctx, func(ctx context.Context, c *Conn) error { return c.RemoveDir(ctx, name) })
}

// Rename moves from to to; see Conn.Rename.
func (p *Pool) Rename(ctx context.Context, from, to string) error {
	return p.Do(ctx, func(ctx context.Context, c *Conn) error { return c.Rename(ctx, from, to) })
}

// SetModTime sets a modification time; see Conn.SetModTime.
func (p *Pool) SetModTime(ctx context.Context, name string, t time.Time) error {
	return p.Do(ctx, func(ctx context.Context, c *Conn) error { return c.SetModTime(ctx, name, t) })
}

// Features returns the server's FEAT keywords.
func (p *Pool) Features(ctx context.Context) (m map[string]string, err error) {
	err = p.Do(ctx, func(ctx context.Context, c *Conn) error {
		m = c.Features()
		return nil
	})
	return m, err
}

// Append appends r to name; see Conn.Append. It is not retried once any byte
// was sent, since a failed append may have left part of r behind.
func (p *Pool) Append(ctx context.Context, name string, r io.Reader) (int64, error) {
	cr := &CountReader{R: r}
	var n int64
	err := p.Do(ctx, func(ctx context.Context, c *Conn) error {
		var err error
		n, err = c.Append(ctx, name, cr)
		if err != nil && cr.N > 0 {
			return noRetry{err} // part of r may be on the server already
		}
		return err
	})
	return n, err
}

// Hash returns the server's digest of name and its algorithm, or "" when the
// server offers no hash command; see Conn.Hash.
func (p *Pool) Hash(ctx context.Context, name string) (alg, sum string, err error) {
	err = p.Do(ctx, func(ctx context.Context, c *Conn) error {
		alg, sum, err = c.Hash(ctx, name)
		return err
	})
	return alg, sum, err
}

// HashAlg returns the server's digest of name by alg; see Conn.HashAlg.
func (p *Pool) HashAlg(ctx context.Context, name, alg string) (sum string, err error) {
	err = p.Do(ctx, func(ctx context.Context, c *Conn) error {
		sum, err = c.HashAlg(ctx, name, alg)
		return err
	})
	return sum, err
}

// NoOpCheck runs NOOP on a pooled connection, dialling one if needed.
func (p *Pool) NoOpCheck(ctx context.Context) error {
	return p.Do(ctx, func(ctx context.Context, c *Conn) error { return c.NoOp(ctx) })
}

// ListsDotNames reports whether the remote's listings show dot names; see
// Conn.ListsDotNames.
func (p *Pool) ListsDotNames(ctx context.Context) (ok bool, err error) {
	err = p.Do(ctx, func(ctx context.Context, c *Conn) error {
		ok, err = c.ListsDotNames(ctx)
		return err
	})
	return ok, err
}
