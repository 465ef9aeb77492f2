package cluster_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/stats"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
)

// How long after a replica wins a failover election the rest of the cluster hears of it:
// calibration/failover-news.txt holds twelve real runs (record-failover-news), 48 delays
// from the winner's "Failover election won" to each other node's "Cluster state changed:
// ok". 41 of them are 40 to 45 ms: the winner's PONG broadcast waits, by Nagle's
// algorithm, for the delayed ACK of the vote request it sent a millisecond earlier. The
// other 7 are 1 or 2 ms: one node in each of three runs, and all four in one run. The
// simulation has such nodes too, those whose own PING reached the winner just then (a PONG
// answering a PING travels on the connection the winner accepted, which is TCP_NODELAY);
// a whole run of them, as if the vote request had been acknowledged at once, it has not
// (Linux's quick-ACK heuristics are not modelled). Before the cluster bus modelled
// Nagle's algorithm, the simulation said 0 ms for every node.
//
// Held here: the simulated median within 15 % of the real one, every real delay inside
// the simulated range widened by a tick of the kernel's clock (4 ms), and the share of
// nodes that hear within 30 ms the same on both sides by Fisher's exact test (two-sided,
// p > 0.01; measured 7 of 48 real, 42 of 160 simulated over 40 seeds, p = 0.12).
func TestFailoverNewsMatchesRealRedis(t *testing.T) {
	const path = "calibration/failover-news.txt"
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	var real []float64
	for i, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		require.Len(t, f, 4, "%s:%d", path, i+1)
		for _, v := range strings.Split(f[2], ",") {
			ms, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err, "%s:%d", path, i+1)
			real = append(real, ms)
		}
	}
	require.GreaterOrEqual(t, len(real), 40, "at least ten real runs")
	seeds := 10
	if testing.Short() {
		seeds = 4
	}
	var sim []float64
	for seed := 1; seed <= seeds; seed++ {
		sim = append(sim, simulatedNews(t, uint64(seed))...)
	}
	fast := func(xs []float64) int {
		n := 0
		for _, x := range xs {
			if x < 30 {
				n++
			}
		}
		return n
	}
	lo, hi := slices.Min(sim)-4, slices.Max(sim)+4
	p := stats.FisherExact(fast(real), len(real)-fast(real), fast(sim), len(sim)-fast(sim))
	t.Logf("news of the promotion: simulated median %.1f ms (%.1f to %.1f, %d of %d within 30 ms), real %.0f ms (%.0f to %.0f, %d of %d); Fisher p = %.2f",
		cluster.Median(sim), slices.Min(sim), slices.Max(sim), fast(sim), len(sim), cluster.Median(real), slices.Min(real), slices.Max(real), fast(real), len(real), p)
	assert.InEpsilon(t, cluster.Median(real), cluster.Median(sim), 0.15)
	for _, d := range real {
		assert.True(t, d >= lo && d <= hi, "a real delay of %.0f ms is outside the simulated %.1f to %.1f ms", d, lo, hi)
	}
	assert.Greater(t, p, 0.01, "the share of nodes that hear within 30 ms differs")
}

// simulatedNews is one simulated run of record-failover-news: the delays, in ms, from the
// election won to each other surviving node's cluster_state ok.
func simulatedNews(t *testing.T, seed uint64) []float64 {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = time.Second
	c, procs, err := rediscli.Build(cluster.Options{Seed: seed, Masters: 3, Replicas: 1, Config: cfg, Link: cluster.Loopback()})
	require.NoError(t, err)
	c.Sim.RunFor(8 * time.Second)
	killed := c.Sim.Now()
	c.Kill(procs[0])
	c.Sim.RunFor(5 * time.Second)
	var won time.Duration
	winner := -1
	for i, p := range procs[1:] {
		for _, e := range p.Node().Events {
			if e.Kind == cluster.EvPromoted && e.At >= killed {
				won, winner = time.Duration(e.At), i+1
			}
		}
	}
	require.GreaterOrEqual(t, winner, 0, "seed %d: no replica won an election", seed)
	var news []float64
	for i, p := range procs[1:] {
		if i+1 == winner {
			continue
		}
		var ok time.Duration
		for _, e := range p.Node().Events {
			if e.Kind == cluster.EvState && strings.HasSuffix(e.Text, "ok") {
				ok = time.Duration(e.At)
			}
		}
		require.Greater(t, ok, won, "seed %d: %s never went back to ok after the election", seed, p.Addr())
		news = append(news, float64(ok-won)/float64(time.Millisecond))
	}
	require.Len(t, news, 4, fmt.Sprint("seed ", seed))
	return news
}
