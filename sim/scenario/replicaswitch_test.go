package scenario

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/stats"
)

// drain-replica-switch.txt: when the replica of a master drained by a rebalance follows
// the new owner of its master's slots, and whether `--cluster check` the moment the
// rebalance returns finds the nodes agreeing. On real Redis the news of the last slot
// waits for TCP (Nagle's algorithm on the cluster bus's outbound links, and the peer's
// 40 ms delayed ACK); sim/cluster/calibration/replica-switch.txt holds the real runs
// (record-replica-switch).

const replicaSwitchRunbook = "../../experiments/scenario/testdata/drain-replica-switch.txt"

// switchRun is one run's facts, as record-replica-switch prints them.
type switchRun struct {
	rebalance         time.Duration // the rebalance step's wall time
	delay             time.Duration // from 7904's "Configuration change detected" to 7908's
	checkNow, checkAt string        // "agree" or "disagree"
}

func recordedSwitches(t *testing.T) []switchRun {
	t.Helper()
	const path = "../cluster/calibration/replica-switch.txt"
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	var runs []switchRun
	for i, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var run, rebalance, delay int
		var r switchRun
		var load float64
		_, err := fmt.Sscanf(line, "%d %d %d %s %s %g", &run, &rebalance, &delay, &r.checkNow, &r.checkAt, &load)
		require.NoError(t, err, "%s:%d: %q", path, i+1, line)
		r.delay = time.Duration(delay) * time.Millisecond
		r.rebalance = time.Duration(rebalance) * time.Millisecond
		runs = append(runs, r)
	}
	return runs
}

// simulatedSwitch runs the runbook on seed and returns its facts.
func simulatedSwitch(t *testing.T, rb *Runbook, seed uint64) switchRun {
	t.Helper()
	opt := Options{Seed: seed, Brief: true, Time: true}
	b, err := newSimBackend(opt)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(rb, b, &out, opt))
	var r switchRun
	check, rebalance := false, false
	var started time.Duration
	for _, l := range strings.Split(out.String(), "\n") {
		if m := timedStep.FindStringSubmatch(l); m != nil {
			at, err := time.ParseDuration(m[1] + "s")
			require.NoError(t, err, l)
			if rebalance {
				r.rebalance = at - started
			}
			check = strings.HasPrefix(m[2], "redis-cli --cluster check")
			rebalance, started = strings.HasPrefix(m[2], "redis-cli --cluster rebalance"), at
			continue
		}
		switch {
		case !check:
			continue
		case strings.Contains(l, "[OK] All nodes agree about slots configuration."):
			r.checkAt = "agree"
		case strings.Contains(l, "[ERR] Nodes don't agree about configuration!"):
			r.checkAt = "disagree"
		default:
			continue
		}
		if r.checkNow == "" {
			r.checkNow, r.checkAt = r.checkAt, ""
		}
	}
	// The drained master turns replica at redis-cli's SETSLOT. Its replica follows when it
	// learns the slots' new owner, or (rarely) when it first learns that its master is a
	// replica: then it is a sub-replica and follows the grandmaster.
	switched := func(name string) time.Duration {
		p, err := b.node(name)
		require.NoError(t, err)
		var at time.Duration
		for _, e := range p.Node().Events {
			if strings.HasPrefix(e.Text, "Configuration change detected. Reconfiguring myself as a replica of") ||
				strings.HasPrefix(e.Text, "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster") {
				at = time.Duration(e.At)
			}
		}
		require.NotZero(t, at, "seed %d: %s never reconfigured itself as a replica", seed, name)
		return at
	}
	r.delay = switched("n8") - switched("n4")
	return r
}

// The rebalance itself takes as long on both sides (medians within 20 %; the runbook of
// issue 21 once took half the real time in simulation). The replica follows its drained
// master 34 to 44 ms later on real Redis (twelve runs), and `--cluster check` the moment
// the rebalance returns finds the nodes disagreeing in every run, agreeing a second later.
// Before the cluster bus modelled Nagle's algorithm the simulated replica followed at once
// and the check agreed.
//
// Held here: the simulated median delay within 15 % of the real one, and every real delay
// inside the simulated range widened by one tick of the kernel's clock (4 ms): the
// simulated rebalance moves slots at an even pace, so the last slot falls at nearly the
// same place among the batches the link sends, where the real host's scheduling spreads
// it. On some seeds the replica follows at once, the last news finding nothing in flight
// on the link (seed 11 of 1 to 20; 4 of 20 while each docker run took the live backend's
// time drawn without a run's own streak, and on one of them the check agreed at once).
// No real run did, which twelve runs cannot tell from a rate of one in five: the rates of
// both are held to the real ones by Fisher's exact test at the 1 % level, and every real
// outcome must be one a seed reaches.
func TestDrainedReplicaSwitch(t *testing.T) {
	real := recordedSwitches(t)
	require.GreaterOrEqual(t, len(real), 10, "at least ten real runs")
	seeds := uint64(20)
	if testing.Short() {
		seeds = 6
	}
	rb := parseFile(t, replicaSwitchRunbook)
	var sim []switchRun
	for seed := uint64(1); seed <= seeds; seed++ {
		sim = append(sim, simulatedSwitch(t, rb, seed))
	}
	ms := func(runs []switchRun) []float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, float64(r.delay)/float64(time.Millisecond))
		}
		return xs
	}
	simMs, realMs := ms(sim), ms(real)
	took := func(runs []switchRun) []float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, r.rebalance.Seconds())
		}
		return xs
	}
	t.Logf("the rebalance: simulated median %.2f s, real %.2f s", median(took(sim)), median(took(real)))
	assert.InEpsilon(t, median(took(real)), median(took(sim)), 0.2, "the rebalance's median duration")
	// A delay under 5 ms is no delay: the news went out at once.
	held := func(ms []float64) []float64 {
		var xs []float64
		for _, d := range ms {
			if d >= 5 {
				xs = append(xs, d)
			}
		}
		return xs
	}
	heldSim, heldReal := held(simMs), len(held(realMs))
	require.NotEmpty(t, heldSim, "no seed held the news back")
	lo, hi := slices.Min(simMs)-4, slices.Max(simMs)+4
	t.Logf("replica follows: simulated median %.1f ms when held back (%.1f to %.1f), held back on %d of %d seeds; real %.1f ms (%.0f to %.0f)",
		median(heldSim), slices.Min(heldSim), slices.Max(heldSim), len(heldSim), len(simMs), median(realMs), slices.Min(realMs), slices.Max(realMs))
	assert.InEpsilon(t, median(realMs), median(heldSim), 0.15, "median delay")
	for i, d := range realMs {
		assert.True(t, d >= lo && d <= hi, "real run %d: the replica followed %.0f ms later, outside the simulated %.1f to %.1f ms", i+1, d, lo, hi)
	}
	p := stats.FisherExact(heldReal, len(realMs)-heldReal, len(heldSim), len(simMs)-len(heldSim))
	assert.GreaterOrEqual(t, p, 0.01, "held back in %d of %d real runs, %d of %d seeds", heldReal, len(realMs), len(heldSim), len(simMs))
	count := func(runs []switchRun) map[string]int {
		n := map[string]int{}
		for _, r := range runs {
			n[r.checkNow+" "+r.checkAt]++
		}
		return n
	}
	simOut, realOut := count(sim), count(real)
	t.Logf("checks: simulated %v, real %v", simOut, realOut)
	for o := range realOut {
		assert.Positive(t, simOut[o], "real runs check %q, which no seed gives (%v)", o, simOut)
	}
	const usual = "disagree agree"
	p = stats.FisherExact(realOut[usual], len(real)-realOut[usual], simOut[usual], len(sim)-simOut[usual])
	assert.GreaterOrEqual(t, p, 0.01, "%q in %d of %d real runs, %d of %d seeds", usual, realOut[usual], len(real), simOut[usual], len(sim))
}
