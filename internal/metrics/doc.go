// Package metrics exposes what a running Wharf does to Prometheus: the
// event log counted by kind and account, open sessions, the remotes'
// connection pools and each sync's last run, plus the Go runtime and
// process metrics. Everything is read when Prometheus scrapes, so
// nothing in the FTP or sync paths waits for metrics.
//
// Counters come from the store's event log, tailed at each scrape from
// where the previous one stopped: they count what every process sharing
// the store recorded (a `wharf sync run` from the command line included)
// since this one started, as Prometheus counters do.
package metrics
