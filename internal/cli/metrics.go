package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wharf-mft/wharf/internal/config"
	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/metrics"
)

// serveMetrics serves Prometheus metrics and the health check on addr
// until the returned stop is called.
func serveMetrics(ctx context.Context, addr string, c *metrics.Collector, log *slog.Logger) (stop func(), err error) {
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("metrics: read the event log: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics_listen %s: %w: choose another address with --metrics-listen (WHARF_METRICS_LISTEN), or off", addr, err)
	}
	hs := &http.Server{
		Handler:           metrics.Handler(c),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String(), "paths", "/metrics /healthz")
	if w := metricsWarning(addr); w != "" {
		log.Warn("metrics on every address", "addr", addr, "fix", w)
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		<-done
	}, nil
}

// metricsWarning says what is risky about a metrics address, or "".
func metricsWarning(addr string) string {
	if config.MetricsOff(addr) || !ftpserver.IsWildcard(addr) {
		return ""
	}
	return fmt.Sprintf("metrics_listen %s answers on every address of this machine, without authentication: bind it to loopback or a private address (e.g. 127.0.0.1:9464)", addr)
}
