package scenario

import (
	"flag"
	"os"
	"testing"

	"github.com/kvplace/kvplace/internal/livetest"
)

// TestMain, in -short mode, runs up to six of the package's parallel tests at once: the
// comparisons with real Redis left in it are short and spend their seconds waiting on
// servers. Without -short, go test's default stands, for the long ones with time bounds.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		livetest.RaiseParallel(6)
	}
	os.Exit(m.Run())
}
