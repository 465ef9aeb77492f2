package cluster_test

import (
	"flag"
	"os"
	"testing"

	"github.com/kvplace/kvplace/internal/livetest"
)

// TestMain runs up to eight of the package's parallel tests at once: the comparisons with
// real Redis spend their seconds waiting on three servers each, not computing.
func TestMain(m *testing.M) {
	flag.Parse()
	livetest.RaiseParallel(8)
	os.Exit(m.Run())
}
