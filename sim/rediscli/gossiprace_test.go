package rediscli

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim/cluster"
)

// gossipRaceKs are the times after add-node at which record-gossip-race asks the nodes.
var gossipRaceKs = []time.Duration{time.Second, 3 * time.Second, 5 * time.Second, 10 * time.Second}

// simGossipRace is record-gossip-race's run in simulation: n nodes (n/2 masters with a
// replica each, node timeout 15 s) made a cluster by create, left until every node knows
// every other and 2 s more; one more node added with add-node; and, at each of
// gossipRaceKs after add-node returned, the count of the n nodes whose CLUSTER NODES does
// not list the new node's ID.
func simGossipRace(t *testing.T, seed uint64, n int) []int {
	t.Helper()
	cfg := cluster.DefaultConfig()
	c, procs, err := Build(cluster.Options{Seed: seed, Masters: n / 2, Replicas: 1, Config: cfg, Link: cluster.Loopback()})
	require.NoError(t, err)
	deadline := c.Sim.Now().Add(time.Minute)
	for !allKnown(t, c, procs) {
		require.True(t, c.Sim.Now() < deadline, "seed %d: the nodes did not all know each other within a minute", seed)
		c.Sim.RunFor(100 * time.Millisecond)
	}
	c.Sim.RunFor(2 * time.Second)
	added, err := c.Start("added", "127.0.0.1", 6381+n, cfg)
	require.NoError(t, err)
	require.NoError(t, New(c, io.Discard).AddNode(added.Addr(), procs[0].Addr(), AddNodeOptions{}))
	t0 := c.Sim.Now()
	id := added.ID()
	var unknown []int
	for _, k := range gossipRaceKs {
		c.Sim.RunFor(time.Duration(t0.Add(k) - c.Sim.Now()))
		count := 0
		for _, p := range procs {
			r, err := c.Client().Do(p.Addr(), "CLUSTER", "NODES")
			require.NoError(t, err)
			if !strings.Contains(r.Str, id) {
				count++
			}
		}
		unknown = append(unknown, count)
	}
	return unknown
}

// allKnown is record-gossip-race's wait: every node's CLUSTER NODES lists as many
// connected nodes as there are, none in handshake.
func allKnown(t *testing.T, c *cluster.Cluster, procs []*cluster.Process) bool {
	for _, p := range procs {
		r, err := c.Client().Do(p.Addr(), "CLUSTER", "NODES")
		require.NoError(t, err)
		if strings.Count(r.Str, " connected") < len(procs) || strings.Contains(r.Str, "handshake") {
			return false
		}
	}
	return true
}

// readGossipRace reads record-gossip-race's recording: per cluster size, each run's counts.
func readGossipRace(t *testing.T, path string) map[int][][]int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	runs := map[int][][]int{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fs := strings.Fields(sc.Text())
		require.Len(t, fs, 3+len(gossipRaceKs), "%s:%d", path, line)
		var xs []int
		for _, s := range fs[:2+len(gossipRaceKs)] {
			x, err := strconv.Atoi(s)
			require.NoError(t, err, "%s:%d", path, line)
			xs = append(xs, x)
		}
		runs[xs[0]] = append(runs[xs[0]], xs[2:])
	}
	require.NoError(t, sc.Err())
	return runs
}

// TestGossipRaceMatchesRealRedis: how many nodes have not yet learned of a node
// add-node just added, 1, 3, 5 and 10 s after it, at 8 and 30 nodes, in simulation against
// real redis-server (calibration/gossip-race.txt, made by record-gossip-race). For each
// size and time the nodes not knowing, summed over the runs, are a proportion of the
// nodes asked; the simulation's (40 seeds) and the real one's must not differ by a
// two-proportion z-test at the 1 % level (|z| < 2.58). The race is the one behind the seed
// tutorial's del-node refused with ERR Unknown node.
//
// It fails today, and so runs only with KVPLACE_OPEN_DIVERGENCES=1: an open divergence of
// issue 20, kept as its reproduction. The simulation spreads the news more slowly (at 30
// nodes, 3 s after add-node, 90 % have not heard of it against 74 % in the real runs,
// z ≈ -7.7; at 8 nodes z ≈ -2.9 at 3 s). Two leads, measured: the simulated nodes send 8 %
// fewer PINGs a second at 30 nodes (2.44 against 2.66 in steady state); and a simulated
// cluster's processes all start at one instant, so their once-a-second random PINGs come
// in step (nodes learn of the new one at whole seconds), where real ones start 45 ms
// apart. Starting them that far apart brings 8 nodes within the test's bounds and leaves
// 30 nodes outside; it also moves every seeded transcript and failover timing, so it is
// not in yet.
func TestGossipRaceMatchesRealRedis(t *testing.T) {
	if os.Getenv("KVPLACE_OPEN_DIVERGENCES") == "" {
		t.Skip("an open divergence (issue 20): the simulation spreads a new node's news more slowly than real Redis; KVPLACE_OPEN_DIVERGENCES=1 runs it")
	}
	real := readGossipRace(t, "../cluster/calibration/gossip-race.txt")
	for _, n := range []int{8, 30} {
		require.GreaterOrEqual(t, len(real[n]), 10, "the recording has at least 10 runs at %d nodes", n)
		var simRuns [][]int
		for seed := uint64(1); seed <= 40; seed++ {
			simRuns = append(simRuns, simGossipRace(t, seed, n))
		}
		for i, k := range gossipRaceKs {
			r, s := sumAt(real[n], i), sumAt(simRuns, i)
			rn, sn := n*len(real[n]), n*len(simRuns)
			z := twoProportionZ(r, rn, s, sn)
			t.Logf("%d nodes, %v after add-node: not known by %d of %d real (%.3f), %d of %d simulated (%.3f), z %.2f",
				n, k, r, rn, float64(r)/float64(rn), s, sn, float64(s)/float64(sn), z)
			assert.Less(t, math.Abs(z), 2.58, fmt.Sprintf("%d nodes, %v", n, k))
		}
	}
}

func sumAt(runs [][]int, i int) int {
	s := 0
	for _, r := range runs {
		s += r[i]
	}
	return s
}

// twoProportionZ is the z statistic of x1 of n1 against x2 of n2, with the pooled
// proportion; 0 when both are 0 or both are all.
func twoProportionZ(x1, n1, x2, n2 int) float64 {
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	p := float64(x1+x2) / float64(n1+n2)
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return 0
	}
	return (p1 - p2) / se
}
