package remote

import (
	"os"
	"testing"

	"github.com/wharf-mft/wharf/internal/peertest"
)

// TestMain removes the Wharf binary that interop tests build (peertest.Wharf).
func TestMain(m *testing.M) {
	os.Exit(peertest.Run(m))
}
