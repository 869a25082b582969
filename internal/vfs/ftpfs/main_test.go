package ftpfs

import (
	"os"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// TestMain removes the Wharf binary that peertest builds for the tests
// that use a second Wharf as the remote.
func TestMain(m *testing.M) { os.Exit(peertest.Run(m)) }
