package ftpserver

import "context"

// Refresh runs one pass of the account check now (see refresh), so tests
// need not wait for the ticker.
func (s *Server) Refresh(ctx context.Context) { s.refresh(ctx) }
