package ftpserver

import (
	"context"
	"log/slog"
	"net"

	"github.com/wharf-mft/wharf/internal/store"
)

// Options are the server's collaborators.
type Options struct {
	Store    store.Store
	FileRoot string // directory holding one folder per partner
	DataDir  string // where a generated self-signed certificate is kept
	Logger   *slog.Logger
}

// Server is the FTP/FTPS server.
type Server struct{}

// New validates cfg and prepares a server; it binds nothing.
func New(cfg Config, opt Options) (*Server, error) { return &Server{}, nil }

// Listen binds the configured listeners.
func (s *Server) Listen() error { return nil }

// Addr is the plain/explicit listener's address, nil when off.
func (s *Server) Addr() net.Addr { return nil }

// ImplicitAddr is the implicit FTPS listener's address, nil when off.
func (s *Server) ImplicitAddr() net.Addr { return nil }

// Serve serves until ctx ends, then closes all sessions.
func (s *Server) Serve(ctx context.Context) error { <-ctx.Done(); return nil }

// EnsureHome creates an account's folders under fileRoot (a partner's
// send/ and receive/).
func EnsureHome(fileRoot string, a store.Account) error { return nil }
