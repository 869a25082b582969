package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestHealthzStopping: /healthz answers 200 "ok" while the server serves
// and 503 "stopping" once it has begun to stop, so a load balancer sends
// new clients elsewhere during the drain.
func TestHealthzStopping(t *testing.T) {
	var stopping atomic.Bool
	c := New(context.Background(), nil, Sources{Stopping: stopping.Load}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h := Handler(c)
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(); code != http.StatusOK || body != "ok\n" {
		t.Errorf("serving: /healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}
	stopping.Store(true)
	if code, body := get(); code != http.StatusServiceUnavailable || body != "stopping\n" {
		t.Errorf("stopping: /healthz = %d %q, want 503 \"stopping\\n\"", code, body)
	}
}
