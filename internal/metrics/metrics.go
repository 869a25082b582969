package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// Sources are what a scrape reads besides the store. Nil fields are left
// out.
type Sources struct {
	// Sessions returns the FTP connections open now, and how many of
	// them are logged in.
	Sessions func() (open, loggedIn int)
	// Pools returns the connection pools of the remotes in use, by name.
	Pools func() map[string]remote.PoolStats
	// Stopping reports whether the server has begun to stop; /healthz
	// then answers 503.
	Stopping func() bool
}

// Collector is a prometheus.Collector of Wharf's metrics. It is safe for
// concurrent use (scrapes are serialised).
type Collector struct {
	st  store.Store
	src Sources
	log *slog.Logger
	// ctx bounds the store reads of scrapes; Collect takes none.
	ctx context.Context

	mu      sync.Mutex
	started bool
	after   int64 // last event ID counted
	events  map[eventKey]*tally
	// The account names and the access stamp they were read at, when the
	// store has stamps: a scrape reloads them only after a change.
	known      map[string]bool
	knownStamp string
}

type eventKey struct{ kind, account, source string }

type tally struct{ n, bytes float64 }

var (
	descEvents = prometheus.NewDesc("wharf_events_total",
		"Events recorded since this process started, by kind (received, sent, login_failed, ...), account (\"(unknown)\" for a name that is no account) and source (ftp: the FTP server; sync: a sync, whose name is the account).",
		[]string{"kind", "account", "source"}, nil)
	descEventBytes = prometheus.NewDesc("wharf_event_bytes_total",
		"Bytes of the files in those events (received, sent, aborted transfers).",
		[]string{"kind", "account", "source"}, nil)
	descSessions = prometheus.NewDesc("wharf_sessions",
		"FTP control connections open now, by state (connected: not logged in yet).",
		[]string{"state"}, nil)
	descPoolConns = prometheus.NewDesc("wharf_remote_connections",
		"Connections open to a remote now, by state (idle or busy).",
		[]string{"remote", "state"}, nil)
	descPoolDials = prometheus.NewDesc("wharf_remote_dials_total",
		"Connections dialled to a remote since its pool was made, by result.",
		[]string{"remote", "result"}, nil)
	descPoolRetries = prometheus.NewDesc("wharf_remote_retries_total",
		"Operations on a remote retried after a transient failure, since its pool was made.",
		[]string{"remote"}, nil)
	descSyncLastRun = prometheus.NewDesc("wharf_sync_last_run_timestamp_seconds",
		"When a sync's latest run ended (started, while it runs), with its status as a label.",
		[]string{"sync", "status"}, nil)
	descSyncLastOK = prometheus.NewDesc("wharf_sync_last_success_timestamp_seconds",
		"When a sync's latest run with status ok ended.",
		[]string{"sync"}, nil)
	descSyncLastFailed = prometheus.NewDesc("wharf_sync_last_run_failed_files",
		"Files that failed in a sync's latest run.",
		[]string{"sync"}, nil)
	descScrapeErrors = prometheus.NewDesc("wharf_metrics_store_errors",
		"1 when this scrape could not read part of the store (the log says which), else 0.",
		nil, nil)
)

// New returns a collector reading st and src under ctx.
func New(ctx context.Context, st store.Store, src Sources, log *slog.Logger) *Collector {
	return &Collector{st: st, src: src, log: log, ctx: ctx, events: map[eventKey]*tally{}}
}

// Describe sends the descriptions of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEvents, descEventBytes, descSessions, descPoolConns,
		descPoolDials, descPoolRetries, descSyncLastRun, descSyncLastOK, descSyncLastFailed, descScrapeErrors} {
		ch <- d
	}
}

// Collect reads the metrics now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	failed := 0.0
	if err := c.collectEvents(ctx, ch); err != nil {
		c.log.Warn("metrics: read events", "err", err)
		failed = 1
	}
	if err := c.collectSyncs(ctx, ch); err != nil {
		c.log.Warn("metrics: read sync runs", "err", err)
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(descScrapeErrors, prometheus.GaugeValue, failed)
	if c.src.Sessions != nil {
		open, in := c.src.Sessions()
		ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(in), "logged_in")
		ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(open-in), "connected")
	}
	if c.src.Pools != nil {
		for name, p := range c.src.Pools() {
			ch <- prometheus.MustNewConstMetric(descPoolConns, prometheus.GaugeValue, float64(p.Idle), name, "idle")
			ch <- prometheus.MustNewConstMetric(descPoolConns, prometheus.GaugeValue, float64(p.Open-p.Idle), name, "busy")
			ch <- prometheus.MustNewConstMetric(descPoolDials, prometheus.CounterValue, float64(p.Dials-p.DialFailures), name, "ok")
			ch <- prometheus.MustNewConstMetric(descPoolDials, prometheus.CounterValue, float64(p.DialFailures), name, "failed")
			ch <- prometheus.MustNewConstMetric(descPoolRetries, prometheus.CounterValue, float64(p.Retries), name)
		}
	}
}

// eventPage is how many events one store read takes.
const eventPage = 1000

// collectEvents counts the events recorded since the previous scrape. The
// first scrape's starting point is the newest event when the collector
// was made (Start), so counters begin at zero.
func (c *Collector) collectEvents(ctx context.Context, ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if !c.started {
		err = c.start(ctx)
	}
	var known map[string]bool
	if err == nil {
		known, err = c.accountNames(ctx)
	}
	for err == nil && c.started {
		var evs []store.Event
		if evs, err = c.st.Events(ctx, c.after, eventPage); err != nil {
			break
		}
		for _, e := range evs {
			k := eventKey{kind: e.Kind, account: accountLabel(e.Account, known), source: "ftp"}
			if name, ok := strings.CutPrefix(e.Account, "sync:"); ok {
				k.account, k.source = name, "sync"
			}
			t := c.events[k]
			if t == nil {
				t = &tally{}
				c.events[k] = t
			}
			t.n++
			t.bytes += float64(e.Bytes)
			c.after = e.ID
		}
		if len(evs) < eventPage {
			break
		}
	}
	for k, t := range c.events {
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, t.n, k.kind, k.account, k.source)
		ch <- prometheus.MustNewConstMetric(descEventBytes, prometheus.CounterValue, t.bytes, k.kind, k.account, k.source)
	}
	return err
}

// unknownAccount labels the events of names that are no account (a
// failed login as "admin"): a scanner trying names must not add a series
// per name.
const unknownAccount = "(unknown)"

// accountLabel is an event's account as a label: the account, in the case
// it has (a login as "ACME" is acme's), or unknownAccount.
func accountLabel(name string, known map[string]bool) string {
	if l := strings.ToLower(name); known[l] {
		return l
	}
	if name == "" || strings.HasPrefix(name, "sync:") {
		return name
	}
	return unknownAccount
}

// accountNames returns the accounts' names; c.mu is held.
func (c *Collector) accountNames(ctx context.Context) (map[string]bool, error) {
	stamper, ok := c.st.(store.AccessStamper)
	var stamp string
	if ok {
		var err error
		if stamp, err = stamper.AccessStamp(ctx); err != nil {
			return nil, err
		}
		if c.known != nil && stamp == c.knownStamp {
			return c.known, nil
		}
	}
	accts, err := c.st.Accounts(ctx, "")
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(accts))
	for _, a := range accts {
		known[a.Name] = true
	}
	if ok {
		c.known, c.knownStamp = known, stamp
	}
	return known, nil
}

// Start takes the newest event as the point counting starts from. Serve
// calls it at start; otherwise the first scrape does.
func (c *Collector) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start(ctx)
}

func (c *Collector) start(ctx context.Context) error {
	last, err := c.st.LastEvents(ctx, 1)
	if err != nil {
		return err
	}
	if len(last) == 1 {
		c.after = last[0].ID
	}
	c.started = true
	return nil
}

func (c *Collector) collectSyncs(ctx context.Context, ch chan<- prometheus.Metric) error {
	syncs, err := c.st.Syncs(ctx)
	if err != nil {
		return err
	}
	for _, sy := range syncs {
		last, err := c.st.LastSyncRun(ctx, sy.ID, "")
		if errors.Is(err, store.ErrNotFound) {
			continue // never run
		}
		if err != nil {
			return err
		}
		at := last.Finished
		if at.IsZero() {
			at = last.Started
		}
		ch <- prometheus.MustNewConstMetric(descSyncLastRun, prometheus.GaugeValue, seconds(at), sy.Name, last.Status)
		ch <- prometheus.MustNewConstMetric(descSyncLastFailed, prometheus.GaugeValue, float64(last.Failed), sy.Name)
		ok := last
		if ok.Status != store.RunOK {
			// However long the sync has been failing: an alert on
			// time() - this must keep its series.
			ok, err = c.st.LastSyncRun(ctx, sy.ID, store.RunOK)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
		}
		ch <- prometheus.MustNewConstMetric(descSyncLastOK, prometheus.GaugeValue, seconds(ok.Finished), sy.Name)
	}
	return nil
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Handler serves /metrics (this collector, the Go runtime and the
// process) and /healthz: 200 "ok" while the server serves, 503
// "stopping" once it has begun to stop (a drain takes no new connections,
// so a load balancer should send clients elsewhere).
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogAdapter{c.log}}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if c.src.Stopping != nil && c.src.Stopping() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("stopping\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// slogAdapter lets promhttp log its encoding errors through slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Println(v ...any) {
	a.log.Error("metrics: serve scrape", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
