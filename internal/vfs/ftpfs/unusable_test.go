package ftpfs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/peertest"
	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/secret"
	"github.com/wharf-mft/wharf/internal/vfs/ftpfs"
)

// A remote whose certificate the remote's policy refuses (vsftpd with a
// self-signed one, WHARF_INTEROP=1) is no use until an operator changes
// its settings: the mount answers 550 with the command that does, not 451
// "try again later".
func TestRefusedCertificateIsNotTransient(t *testing.T) {
	peertest.Interop(t)
	s := peertest.Vsftpd(t, peertest.Options{Cert: peertest.NewCert(t, peertest.CertOptions{SelfSigned: true})})
	pool, err := remote.NewPool(remote.Config{
		Name: "bank", Host: s.Host, Port: s.Port, User: s.User, Password: secret.Secret(s.Password), IOTimeout: 10 * time.Second,
	}, remote.PoolOptions{MaxAttempts: 2, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	f := ftpfs.New(context.Background(), ftpfs.FromPool(pool), ftpfs.Options{Remote: "bank", Root: s.Dir})
	_, err = f.ReadDir(".")
	wantCode(t, "ReadDir with a refused certificate", err, 550, `remote "bank" cannot be used as configured: `)
	if err == nil || !strings.Contains(err.Error(), "run `wharf remote set bank --allow-self-signed`") || strings.Contains(err.Error(), "try again") {
		t.Errorf("ReadDir with a refused certificate = %v; want the command that accepts it, and no try again", err)
	}
}
