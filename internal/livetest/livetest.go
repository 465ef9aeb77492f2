// Package livetest holds what tests that start real redis-server processes share: skip
// with a clear message where Redis is missing (fail where CI requires it), and start a
// cluster's servers that stop with the test.
package livetest

import (
	"flag"
	"os"
	"strconv"

	"github.com/kvplace/kvplace/sim/live"
)

// TB is what these helpers need of a test: *testing.T, *testing.B and *testing.F have it,
// and this package need not import testing.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	TempDir() string
	Cleanup(func())
}

// RequireEnv is the environment variable that turns a missing redis-server from a skip into
// a failure; CI sets it so that differential tests cannot pass by not running.
const RequireEnv = "KVPLACE_REQUIRE_REDIS"

// Need skips t with a clear message when redis-server or redis-cli is missing, or fails it
// when RequireEnv is set.
func Need(t TB) {
	t.Helper()
	if _, _, err := live.Binaries(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%v, and %s is set", err, RequireEnv)
		}
		t.Skipf("skipping the comparison with real Redis: %v", err)
	}
}

// NeedFirewall is Need, and skips t with a clear message when iptables cannot be used
// (not installed, not root, or rules without effect), whatever RequireEnv says:
// partitions need more than redis-server.
func NeedFirewall(t TB) {
	t.Helper()
	Need(t)
	f, err := live.NewFirewall()
	if err != nil {
		t.Skipf("skipping the partition comparison with real Redis: %v", err)
	}
	probe := f.Probe()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if probe != nil {
		t.Skipf("skipping the partition comparison with real Redis: %v", probe)
	}
}

// StartCluster starts n empty cluster-mode servers on free ports, in temporary
// directories, with extra configuration args, and stops them when t ends.
func StartCluster(t TB, n int, args ...string) []*live.Server {
	t.Helper()
	Need(t)
	ports, err := live.FreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var servers []*live.Server
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.Kill()
		}
	})
	for _, p := range ports {
		s := &live.Server{Port: p, Dir: dir + "/" + strconv.Itoa(p), Args: args}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	return servers
}

// NeedLong is Need for a comparison with real Redis that takes ten seconds or more (most
// of it waiting on the servers' own timers): go test -short skips it with a message, so
// that the short run stays near a minute; go test without -short, and CI, run it.
func NeedLong(t TB) {
	t.Helper()
	Need(t)
	// The testing package registers -test.short on the command line; reading it here
	// keeps this package free of testing.
	if f := flag.Lookup("test.short"); f != nil && f.Value.String() == "true" {
		t.Skipf("skipping a long comparison with real Redis in -short mode; go test without -short runs it")
	}
}
