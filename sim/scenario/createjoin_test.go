package scenario

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/opendiv"
	"github.com/kvplace/kvplace/internal/stats"
)

// How long redis-cli --cluster create waits for the cluster to join: a second after its
// CLUSTER MEETs it checks every node's CLUSTER NODES and prints a dot a second until they
// agree on every master and its slots. Every node must have met every master directly
// (gossip only starts the handshake; a master's slots come in its own packets), so this
// is how fast gossip spreads a new cluster, and on real Redis it varies from run to run:
// at 24 nodes 2 to 8 dots. Real runs are recorded by record-create-join.sh, per runbook
// (experiments/scenario/testdata/join-N.txt) in testdata/create-join-N-live.txt.

// joinDots returns the dots a transcript's create printed while it waited for the join.
func joinDots(t *testing.T, transcript string) int {
	t.Helper()
	_, after, ok := strings.Cut(transcript, "\nWaiting for the cluster to join\n")
	require.True(t, ok, "no join in the transcript")
	line, _, _ := strings.Cut(after, "\n")
	return strings.Count(line, ".")
}

// recordedJoinDots reads record-create-join.sh's lines.
func recordedJoinDots(t *testing.T, path string) []int {
	t.Helper()
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	var dots []int
	for i, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var run, d int
		var load float64
		_, err := fmt.Sscanf(line, "run=%d dots=%d load1=%g", &run, &d, &load)
		require.NoError(t, err, "%s:%d: %q", path, i+1, line)
		dots = append(dots, d)
	}
	return dots
}

// The simulated join, over 100 seeds (40 at 60 nodes, 6 s), must wait as long as the real
// one: the two samples of dots agree by the Mann-Whitney test at the 1 % level (two-sided),
// and every real run's count lies within the seeds' range.
//
// Four checks fail today and are logged as open divergences (KVPLACE_OPEN_DIVERGENCES=1
// fails on them): the simulated joins are faster. At 6 nodes 3 real runs in 20 found the
// cluster joined at the first check (no dot), as no seed does, yet most seeds print one
// dot; at 24 nodes the real median is 4.5 dots, the simulated 3 (z 3.20); at 60 nodes 15
// against 8 (z 4.64), and one real join took a dot longer than any seed's. The likely
// cause: every simulated server of a runbook starts at one instant (docker run takes no
// virtual time), so their once-a-second random pings, which carry the news of the
// cluster's nodes, fall in the same tenth of a second, where the live backend starts a
// server and polls it every 20 ms until it answers, 28 to 52 ms a step (144 steps of
// join-24.txt: 15 % at 28 to 36 ms, the rest 43 to 52). Letting each docker run step
// take that long brought all three cells within the bars (z 0.11, 2.51 and 1.74; 0 to 6
// dots at 6 nodes), but it moves every runbook's timing, and with it the seeds other
// tests pick and how often a replica follows its drained master at once (issue 20's
// note); not done yet. The same cause was found for the gossip race at 8 nodes
// (rediscli.TestGossipRaceMatchesRealRedis), with the same kind of fix.
func TestCreateJoinMatchesRealRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 240 simulated creates of 6 to 60 nodes")
	}
	open := map[string]bool{"6 nodes fastest": true, "24 nodes median": true, "60 nodes median": true, "60 nodes slowest": true}
	for _, c := range []struct{ nodes, seeds int }{{6, 100}, {24, 100}, {60, 40}} {
		nodes := c.nodes
		t.Run(fmt.Sprint(nodes, " nodes"), func(t *testing.T) {
			t.Parallel()
			real := recordedJoinDots(t, fmt.Sprintf("testdata/create-join-%d-live.txt", nodes))
			require.GreaterOrEqual(t, len(real), 10, "at least ten real runs")
			rb := parseFile(t, fmt.Sprintf("../../experiments/scenario/testdata/join-%d.txt", nodes))
			var sim []int
			for seed := uint64(1); seed <= uint64(c.seeds); seed++ {
				sim = append(sim, joinDots(t, runSim(t, rb, seed)))
			}
			slices.Sort(real)
			slices.Sort(sim)
			z := stats.MannWhitneyZ(real, sim)
			t.Logf("dots: real %v; simulated %v; z %.2f", real, sim, z)
			check := func(ok bool, what, format string, args ...any) {
				if ok {
					return
				}
				msg := fmt.Sprintf(format, args...)
				if open[fmt.Sprint(nodes, " nodes ", what)] {
					opendiv.Report(t, msg)
					return
				}
				t.Error(msg)
			}
			check(math.Abs(z) <= 2.576, "median", "real and simulated joins differ at the 1 %% level (z %.2f)", z)
			check(real[0] >= sim[0], "fastest", "a real join (%d dots) faster than every seed's (%d)", real[0], sim[0])
			check(real[len(real)-1] <= sim[len(sim)-1], "slowest", "a real join (%d dots) slower than every seed's (%d)", real[len(real)-1], sim[len(sim)-1])
		})
	}
}
