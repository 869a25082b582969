// Package remoteset turns the remotes recorded in the store into live
// connection pools, one per remote, shared by everything in the process
// (mounts, syncs, the CLI), and seals remote passwords for the store.
package remoteset

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path"
	"sync"
	"time"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/vfs"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// Set holds one pool per remote. It is safe for concurrent use; Close
// closes every pool.
type Set struct {
	store     store.Store
	keeper    *secret.Keeper
	log       *slog.Logger
	selfNonce string

	// journal records mount uploads, so the temporary files of a crash
	// are deleted later (nil: the store cannot).
	journal *ftpfs.Journal

	mu      sync.Mutex
	pools   map[string]pooled
	closing sync.WaitGroup // replaced pools draining
}

type pooled struct {
	pool    *remote.Pool
	updated time.Time // the record's UpdatedAt the pool was made from
}

// New returns an empty set. selfNonce is this instance's nonce (see
// remote.Config.SelfNonce).
func New(st store.Store, keeper *secret.Keeper, log *slog.Logger, selfNonce string) *Set {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Set{store: st, keeper: keeper, log: log, selfNonce: selfNonce, pools: make(map[string]pooled)}
	if mu, ok := st.(store.MountUploads); ok {
		s.journal = ftpfs.NewJournal(mu, log)
	}
	return s
}

// Bind is the name a remote's sealed password is bound to, so a
// ciphertext copied onto another remote does not decrypt.
func Bind(name string) string { return "remote/" + name }

// Seal encrypts a remote's password for its record.
func Seal(ctx context.Context, k *secret.Keeper, name string, pw secret.Secret) ([]byte, error) {
	if pw == "" {
		return nil, nil
	}
	return k.Encrypt(ctx, pw, Bind(name))
}

// Config returns the client configuration of a stored remote, with its
// password decrypted.
func (s *Set) Config(ctx context.Context, r store.Remote) (remote.Config, error) {
	var pw secret.Secret
	if len(r.PasswordEnc) > 0 {
		var err error
		if pw, err = s.keeper.Decrypt(ctx, r.PasswordEnc, Bind(r.Name)); err != nil {
			return remote.Config{}, fmt.Errorf("remote %q password: %w (set it again with wharf remote set %s --password-stdin)", r.Name, err, r.Name)
		}
	}
	st := r.Settings
	mode, err := remote.ParseTLSMode(st.TLS)
	if err != nil {
		return remote.Config{}, fmt.Errorf("remote %q: %w", r.Name, err)
	}
	maxTLS, err := remote.ParseMaxTLS(st.MaxTLS)
	if err != nil {
		return remote.Config{}, fmt.Errorf("remote %q: %w", r.Name, err)
	}
	var roots *x509.CertPool
	if st.CAFile != "" {
		pemData, err := os.ReadFile(st.CAFile)
		if err != nil {
			return remote.Config{}, fmt.Errorf("remote %q CA file: %w", r.Name, err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemData) {
			return remote.Config{}, fmt.Errorf("remote %q CA file %s holds no PEM certificate", r.Name, st.CAFile)
		}
	}
	return remote.Config{
		Name: r.Name, Host: st.Host, Port: st.Port, User: st.User, Password: pw, Root: st.Root,
		TLS: mode, AllowSelfSigned: st.AllowSelfSigned, AllowNameMismatch: st.AllowNameMismatch,
		AllowExpired: st.AllowExpired, RootCAs: roots, CertSHA256: st.CertSHA256, MaxTLSVersion: maxTLS,
		MaxConns: st.MaxConns, Active: st.Active, SourceAddress: st.SourceAddress, ReadOnly: st.ReadOnly,
		SelfNonce: s.selfNonce, AllowSelf: st.AllowSelf,
	}, nil
}

// Pool returns the shared pool of the named remote, making it on first
// use and again after the record changed.
func (s *Set) Pool(ctx context.Context, name string) (*remote.Pool, store.Remote, error) {
	r, err := s.store.Remote(ctx, name)
	if err != nil {
		return nil, r, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pools[name]; ok && p.updated.Equal(r.UpdatedAt) {
		return p.pool, r, nil
	}
	cfg, err := s.Config(ctx, r)
	if err != nil {
		return nil, r, err
	}
	pool, err := remote.NewPool(cfg, remote.PoolOptions{Logger: s.log.With("remote_name", name)})
	if err != nil {
		return nil, r, fmt.Errorf("remote %q: %w", name, err)
	}
	if old, ok := s.pools[name]; ok {
		// Connections in use finish first; Close waits for that.
		s.closing.Go(func() { old.pool.Close() })
	}
	s.pools[name] = pooled{pool: pool, updated: r.UpdatedAt}
	return pool, r, nil
}

// OpenMount returns the file system of mount m for one session (see
// ftpserver.Options.OpenMount). It does not dial.
func (s *Set) OpenMount(ctx context.Context, m store.Mount) (vfs.FS, error) {
	pool, r, err := s.Pool(ctx, m.Remote)
	if err != nil {
		return nil, err
	}
	return ftpfs.New(ctx, &livePool{set: s, name: m.Remote, cur: ftpfs.FromPool(pool)}, ftpfs.Options{
		Remote:   m.Remote,
		Root:     path.Clean("/" + m.RemotePath),
		ReadOnly: m.ReadOnly || r.Settings.ReadOnly,
		Journal:  s.journal,
		Logger:   s.log.With("account", m.Account, "mount", m.Path),
	}), nil
}

// PoolStats returns the counters of the pools in use, by remote name.
func (s *Set) PoolStats() map[string]remote.PoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]remote.PoolStats, len(s.pools))
	for name, p := range s.pools {
		out[name] = p.pool.Stats()
	}
	return out
}

// Close closes every pool.
func (s *Set) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, p := range s.pools {
		p.pool.Close()
		delete(s.pools, name)
	}
	s.closing.Wait()
	return nil
}
