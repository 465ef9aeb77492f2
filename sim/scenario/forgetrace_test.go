package scenario

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/opendiv"
	"github.com/kvplace/kvplace/internal/stats"
)

// How often del-node meets the gossip race (issue 20: "real Redis hits it in about half the
// runs" of the seed runbook). 5 s after 6388 joins through 6387, del-node sends CLUSTER
// FORGET to every node, and one that gossip has not told about 6388 yet answers ERR
// Unknown node. Real runs are recorded by record-forget-race.sh: of forget-race.txt, the
// seed runbook's scale-out and del-node alone, in testdata/forget-race-live.txt, and of
// the whole seed runbook in testdata/forget-race-seed-live.txt.

const forgetRaceRunbook = "../../experiments/scenario/testdata/forget-race.txt"

// forgetRun is one run's facts, as record-forget-race.sh prints them: whether the reshard
// 5 s after 6387's add-node went through ("ok") or was refused, and the port of the node
// that answered CLUSTER FORGET with ERR Unknown node ("none": every node forgot 6388).
type forgetRun struct {
	reshard, forgetError string
}

func recordedForgetRuns(t *testing.T, path string) []forgetRun {
	t.Helper()
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	var runs []forgetRun
	for i, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var run int
		var load float64
		var r forgetRun
		_, err := fmt.Sscanf(line, "run=%d reshard=%s forget_error=%s load1=%g", &run, &r.reshard, &r.forgetError, &load)
		require.NoError(t, err, "%s:%d: %q", path, i+1, line)
		runs = append(runs, r)
	}
	return runs
}

var forgetRefusal = regexp.MustCompile(`^Node 127\.0\.0\.1:(\d+) replied with error:$`)

// forgetFacts reads a transcript as record-forget-race.sh does: its first reshard and its
// first del-node.
func forgetFacts(t *testing.T, transcript string) forgetRun {
	t.Helper()
	r := forgetRun{reshard: "ok", forgetError: "none"}
	resharded, deleted := false, false
	for _, s := range splitTranscript(transcript) {
		switch {
		case strings.HasPrefix(s.cmd, "redis-cli --cluster reshard ") && !resharded:
			resharded = true
			for _, l := range s.lines {
				if strings.Contains(l, "ERR") {
					r.reshard = "refused"
				}
			}
		case strings.HasPrefix(s.cmd, "redis-cli --cluster del-node ") && !deleted:
			deleted = true
			for i, l := range s.lines {
				if m := forgetRefusal.FindStringSubmatch(l); m != nil {
					require.Less(t, i+1, len(s.lines), "del-node's refusal without its error")
					require.True(t, strings.HasPrefix(s.lines[i+1], "ERR Unknown node "), "CLUSTER FORGET refused with %q", s.lines[i+1])
					r.forgetError = m[1]
				}
			}
		}
	}
	require.True(t, deleted, "the runbook stopped before del-node")
	return r
}

// For each runbook, the share of runs in which some node refuses CLUSTER FORGET must agree
// between real and simulated runs by Fisher's exact test at the 1 % level (two-sided), and
// so must the share of runs whose reshard right after add-node is refused. Which node
// refuses is not compared: redis-cli asks the nodes in its node list's order, a hash
// table's (see the README's fidelity section), and stops at the first refusal.
//
// Open divergence: real Redis meets the race more often in the whole seed runbook than in
// its scale-out alone (4 of 10 runs against 0 of 20, p = 0.008), and the simulation does
// not (13 of 40 against 8 of 40); what in the runbook's first 70 s (a master stopped for
// 40 s and restarted, a manual failover) makes the difference is not known.
// KVPLACE_OPEN_DIVERGENCES=1 fails on it.
func TestForgetRaceMatchesRealRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 80 simulated runs of a scale-out")
	}
	races := map[string][2][2]int{} // per runbook: real and simulated, races and runs
	for _, c := range []struct{ name, runbook, recording string }{
		{"forget-race", forgetRaceRunbook, "testdata/forget-race-live.txt"},
		{"seed", seedRunbook, "testdata/forget-race-seed-live.txt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			real := recordedForgetRuns(t, c.recording)
			require.GreaterOrEqual(t, len(real), 10, "at least ten real runs")
			rb := parseFile(t, c.runbook)
			var sim []forgetRun
			for seed := uint64(1); seed <= 40; seed++ {
				sim = append(sim, forgetFacts(t, runSim(t, rb, seed)))
			}
			compareForgetRuns(t, real, sim)
			races[c.name] = [2][2]int{{countRuns(real, raced), len(real)}, {countRuns(sim, raced), len(sim)}}
		})
	}
	alone, whole := races["forget-race"], races["seed"]
	if alone[0][1] == 0 || whole[0][1] == 0 {
		return // a subtest failed before counting
	}
	between := func(side int) float64 {
		a, b := alone[side], whole[side]
		return stats.FisherExact(a[0], a[1]-a[0], b[0], b[1]-b[0])
	}
	real, sim := between(0), between(1)
	t.Logf("the scale-out alone against the whole seed runbook: real %d of %d against %d of %d (p = %.3f), simulated %d of %d against %d of %d (p = %.3f)",
		alone[0][0], alone[0][1], whole[0][0], whole[0][1], real, alone[1][0], alone[1][1], whole[1][0], whole[1][1], sim)
	if (real < 0.01) != (sim < 0.01) {
		opendiv.Report(t, "real and simulated runs disagree on whether the seed runbook's first 70 s change how often del-node meets the race")
	}
}

// raced reports whether some node refused CLUSTER FORGET in the run.
func raced(r forgetRun) bool { return r.forgetError != "none" }

// countRuns counts the runs for which hit is true.
func countRuns(runs []forgetRun, hit func(forgetRun) bool) int {
	n := 0
	for _, r := range runs {
		if hit(r) {
			n++
		}
	}
	return n
}

func compareForgetRuns(t *testing.T, real, sim []forgetRun) {
	t.Helper()
	for _, c := range []struct {
		what string
		hit  func(forgetRun) bool
	}{
		{"a node refuses CLUSTER FORGET", raced},
		{"the reshard is refused", func(r forgetRun) bool { return r.reshard != "ok" }},
	} {
		rh, sh := countRuns(real, c.hit), countRuns(sim, c.hit)
		p := stats.FisherExact(rh, len(real)-rh, sh, len(sim)-sh)
		t.Logf("%s: real %d of %d, simulated %d of %d (Fisher's exact p = %.3f)", c.what, rh, len(real), sh, len(sim), p)
		assert.Greater(t, p, 0.01, "%s: real %d of %d, simulated %d of %d", c.what, rh, len(real), sh, len(sim))
	}
}
