package ftpserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// The server logs the certificate it presents with its SHA-256, which
// partners pinning a self-signed certificate need, and says when it
// generated one.
func TestServerLogsCertificate(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs bytes.Buffer
	_, err = ftpserver.New(ftpserver.Config{Listen: "127.0.0.1:0"}, ftpserver.Options{
		Store: st, FileRoot: filepath.Join(dir, "files"), DataDir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls", "cert.pem"), filepath.Join(dir, "tls", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	var pairs []string
	for _, b := range sum {
		pairs = append(pairs, fmt.Sprintf("%02x", b))
	}
	// The generated certificate names localhost and the loopback
	// addresses; the log line lists its IP names too.
	for _, want := range []string{`msg="tls certificate"`, "sha256=" + strings.Join(pairs, ":"), "self-signed, generated into " + filepath.Join(dir, "tls"), "names=localhost,127.0.0.1,::1"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
