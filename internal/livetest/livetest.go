// Package livetest holds what tests that start real redis-server processes share: skip
// with a clear message where Redis is missing (fail where CI requires it), and start a
// cluster's servers that stop with the test.
package livetest

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"time"

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

// RaiseParallel lets go test run up to n parallel tests at once, unless -test.parallel was
// given on the command line. Call it from TestMain, after flag.Parse, in a package whose
// parallel tests mostly sleep while real servers' timers run: go test's default,
// GOMAXPROCS, suits tests that compute, and on two cores runs two sleeping tests at a time.
func RaiseParallel(n int) {
	f := flag.Lookup("test.parallel")
	if f == nil {
		return
	}
	given := false
	flag.Visit(func(v *flag.Flag) { given = given || v.Name == "test.parallel" })
	if cur, err := strconv.Atoi(f.Value.String()); !given && err == nil && cur < n {
		_ = f.Value.Set(strconv.Itoa(n))
	}
}

// WaitClusterOK waits until every server reports cluster_state:ok, polling CLUSTER INFO
// every 50 ms, and fails t after limit. A master made by
// redis-cli --cluster create turns ok only once two seconds have passed since it started
// (CLUSTER_WRITABLE_DELAY): waiting for the state rather than sleeping costs no more
// than that.
func WaitClusterOK(t TB, servers []*live.Server, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for _, s := range servers {
		for {
			info, err := live.String(s.Do("CLUSTER", "INFO"))
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no cluster_state:ok after %v (last reply %q, %v)", s.Addr(), limit, info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// CreateCluster starts n servers (StartCluster) and makes them a cluster with
// redis-cli --cluster create, replicas per master; it returns the servers and their
// addresses, in create's order.
func CreateCluster(t TB, n, replicas int, args ...string) ([]*live.Server, []string) {
	t.Helper()
	servers := StartCluster(t, n, args...)
	var addrs []string
	for _, s := range servers {
		addrs = append(addrs, s.Addr())
	}
	out, err := live.CLI(append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")...)
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	return servers, addrs
}
