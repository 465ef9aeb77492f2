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
// Each simulated docker run step takes the live backend's time to start a server
// (cluster.LiveStartup, TestDockerRunTimingMatchesRealRedis). Before it did, every
// simulated server started at one instant, their once-a-second random pings fell in the
// same tenth of a second, and four checks failed: the simulated joins were faster (at 6
// nodes no seed found the cluster joined at once, as 3 real runs in 20 did; at 24 nodes
// median 3 dots against 4.5, z 3.20; at 60 nodes 8 against 15, z 4.64, and one real join
// a dot longer than any seed's). Now z is -0.57, 2.35 and 2.30: the simulated joins are
// still a little faster at 24 and 60 nodes, within the bar. One check fails and is logged
// as an open divergence (KVPLACE_OPEN_DIVERGENCES=1 fails on it): at 24 nodes one real
// join took 8 dots, and no seed more than 7 (one seed in 100; 4 real runs of 20 took 7).
// The recording was made when the host mostly found a server up at the third poll (15 %
// at the second, against 52 % in the startup recording); how much of the rest that
// explains is not known.
func TestCreateJoinMatchesRealRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 240 simulated creates of 6 to 60 nodes")
	}
	open := map[string]bool{"24 nodes slowest": true}
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
