package ftpserver

import (
	"sync"
	"sync/atomic"
	"time"
)

// shutdownReply is what every session hears when Serve stops (RFC 959
// allows 421 in reply to anything when the service must close).
const shutdownReply = "server shutting down: closing control connection"

// Close stops Serve at once: the listeners close, and every session is
// cut, its transfer aborted and recorded, with no grace. Called during the
// drain (a second SIGTERM to wharf serve), it cuts the transfers still
// running. It is safe to call more than once and from any goroutine.
func (s *Server) Close() {
	s.cutOnce.Do(func() { close(s.cut) })
}

// Stopping reports whether the server has begun to stop (draining or
// cut): it takes no new connections, which a load balancer's health
// check should hear.
func (s *Server) Stopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// stop marks the server as stopping and returns the sessions open now.
// Sessions that start later are closed as they start (newSession).
func (s *Server) stop() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopping = true
	if len(s.sessions) == 0 {
		s.drainOnce.Do(func() { close(s.drained) })
	}
	open := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		open = append(open, ss)
	}
	return open
}

// drain closes idle sessions at once and the others once their command
// (a transfer) has ended and its reply was written (CloseWhenIdle, patch
// 31), and waits for them for up to grace, or until Close. With grace 0
// it only marks the server as stopping: closeSessions cuts every session.
func (s *Server) drain(grace time.Duration) {
	open := s.stop()
	if grace <= 0 {
		s.log.Info("shutting down: closing every session", "sessions", len(open), "shutdown_grace", "0")
		return
	}
	// Each in its own goroutine: the 421 to a client that reads nothing
	// waits for its write deadline, and must not hold the others up.
	var wg sync.WaitGroup
	var n atomic.Int64
	for _, ss := range open {
		wg.Go(func() {
			if ss.cc.CloseWhenIdle(421, shutdownReply) {
				n.Add(1)
			}
		})
	}
	wg.Wait()
	busy := int(n.Load())
	if busy == 0 {
		s.log.Info("shutting down: no transfer in progress", "sessions", len(open))
		return
	}
	s.log.Info("shutting down: waiting for transfers to finish; send the signal again to stop at once",
		"transfers", busy, "sessions", len(open), "shutdown_grace", grace.String())
	t := time.NewTimer(grace)
	defer t.Stop()
	end := "every transfer finished"
	select {
	case <-s.drained:
	case <-t.C:
		end = "shutdown grace over"
	case <-s.cut:
		end = "stopped at once"
	}
	s.mu.Lock()
	cut := min(len(s.sessions), busy)
	s.mu.Unlock()
	s.log.Info("shutting down: drain over", "finished", busy-cut, "cut", cut, "why", end)
}

// closeSessions closes every session's connections; each then ends as
// its client's would, its transfer aborted and recorded.
func (s *Server) closeSessions() {
	// Each in its own goroutine, as in drain.
	for _, ss := range s.stop() {
		go func() { _ = ss.cc.CloseWithReply(421, shutdownReply) }()
	}
}
