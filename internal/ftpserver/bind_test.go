package ftpserver_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wharf-mft/wharf/internal/ftpserver"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// TestPrivilegedPortMessage binds port 21 as an unprivileged user (the
// test binary re-runs itself as nobody when run as root) and checks that
// the error says what to do.
func TestPrivilegedPortMessage(t *testing.T) {
	if os.Getenv("WHARF_BIND_HELPER") == "1" {
		bindHelper()
		return
	}
	bin := os.Args[0]
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		// The test binary sits in a directory only root can enter.
		dir, err := os.MkdirTemp("", "wharf-bind-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		bin = filepath.Join(dir, "ftpserver.test")
		data, err := os.ReadFile(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	cmd := exec.Command(bin, "-test.run=^TestPrivilegedPortMessage$")
	cmd.Env = append(os.Environ(), "WHARF_BIND_HELPER=1")
	cmd.Dir = os.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("helper: %v", err)
	}
	for _, want := range []string{"permission denied binding 127.0.0.1:21", "use a port above 1024", "CAP_NET_BIND_SERVICE"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("binding :21 unprivileged: output lacks %q:\n%s", want, out)
		}
	}
}

// bindHelper runs in the unprivileged child and prints Listen's error.
func bindHelper() {
	dir, err := os.MkdirTemp("", "wharf-bind-")
	if err != nil {
		fmt.Println("helper:", err)
		return
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "wharf.db"))
	if err != nil {
		fmt.Println("helper:", err)
		return
	}
	defer st.Close()
	srv, err := ftpserver.New(ftpserver.Config{Listen: "127.0.0.1:21"}, ftpserver.Options{Store: st, FileRoot: filepath.Join(dir, "files"), DataDir: dir})
	if err != nil {
		fmt.Println("helper:", err)
		return
	}
	fmt.Println("listen:", srv.Listen())
}
