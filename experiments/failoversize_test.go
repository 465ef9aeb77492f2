package experiments

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/opendiv"
)

// TestSizedFailoverMatchesRealRedis holds the simulation to real failovers on clusters of
// 30 masters and more (recordings/failover-size*.txt, made by
// recordings/record-failover-size; issue 18). For every recorded cell (masters, node
// timeout, fault, and CPU load added beside the servers), `experiments/failover -masters M
// -replicas 1 -node-timeout T -host-busy B` without client load, over 100 seeds (200 with
// KVPLACE_HEAVY=1), where B is the median of the real trials' measured CPU share (the
// servers keep the host busy by themselves at these sizes), must have
//   - its median within 15 % of the real median, for the first PFAIL, the first FAIL,
//     the promotion and the last node's return to cluster_state:ok;
//   - every real run inside its range, give or take how late the recorder could see
//     PFAIL (its poll_ms), 5 ms early for the log's millisecond and the kill's reaping,
//     and by default 3 % (below).
//
// These are issue 18's bars. Some checks fail today and are logged as open divergences
// (openDivergence, by size, node timeout, fault, phase and check, or by less;
// KVPLACE_OPEN_DIVERGENCES=1 makes them fail): the slowest return to ok; at 30 masters on
// an idle host the slowest promotion; the elections two masters killed at once lose in
// real runs; the first PFAIL of the 10 real kill-pair runs at 30 masters, early
// against the kills of one master; and at a 15 s node timeout the rare early real FAIL.
//
// Cells of one master killed among 30 at a 2 s node timeout run by default (about 40 s
// on 2 cores); larger clusters, double failures and the 15 s node timeout with
// KVPLACE_HEAVY=1, as CI runs: a cell's cost grows with the square of the size and with
// the node timeout.
func TestSizedFailoverMatchesRealRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: simulates 40 failovers of 60 nodes and more")
	}
	all, err := RealFailovers()
	require.NoError(t, err)
	type cell struct {
		masters int
		timeout time.Duration
		fault   string
		extra   float64 // the share of the host kept busy beside the servers
	}
	cells := map[cell][]RealFailover{}
	for _, r := range all {
		if r.Masters > 3 {
			c := cell{r.Masters, r.NodeTimeout, r.Fault, r.ExtraLoad}
			cells[c] = append(cells[c], r)
		}
	}
	keys := make([]cell, 0, len(cells))
	for c := range cells {
		keys = append(keys, c)
	}
	require.NotEmpty(t, keys, "no recording of a cluster larger than 3 masters")
	slices.SortFunc(keys, func(a, b cell) int {
		return cmp.Or(cmp.Compare(a.fault, b.fault), cmp.Compare(a.extra, b.extra), a.masters-b.masters, cmp.Compare(a.timeout, b.timeout))
	})
	heavy := os.Getenv("KVPLACE_HEAVY") != ""
	// At a 15 s node timeout the first FAIL usually follows the first PFAIL by 5 to 8 s: after
	// the kill each master pings the victim only once its pong, refreshed by gossip, is half
	// a node timeout old. A FAIL within 1 to 5 s of the first PFAIL needs a quorum of masters
	// to have pinged the victim in the first seconds after the kill.
	const earlyFail = "at a 15 s node timeout the first FAIL came before 20 s in 11 of 90 real runs (16204 to 19953 ms: " +
		"3 of 30 at 30 masters, 4 of 30 at 60, 4 of 30 at 100). Simulated, counted again once the teardown was modelled " +
		"(2026-12-07, at each cell's host share and seeds 1..N): 38 of 600 at 30 masters (16, 7 and 15 of 200 for kill, " +
		"kill2 and kill-pair; Fisher's exact test against real p = 0.44) and 5 of 300 at 60 (0, 4 and 1 of 100; p = 0.005, " +
		"and 0.013 with the 10 ping-cohort probes at 60 masters, none early). So at 60 masters such runs are rarer in " +
		"simulation, and the earliest real one can fall before every simulated run of a cell. What decides it is when " +
		"a quorum of masters first pings the victim after the kill, which agrees with real Redis within the 1 % bar at " +
		"30 and 60 masters (TestPingCohortMatchesRealRedis) but comes later in simulation at the probes' own host shares"
	// What the simulation is known not to do yet (issue 18's note), by phase and check, or
	// by fault, phase and check for what only one fault shows, or by node timeout too, or
	// by cluster size too.
	openDivergence := map[string]string{
		"promoted slowest": "on an idle host at 30 masters one real promotion in twenty (4988 ms) came 69 ms after the slowest " +
			"of 200 simulated ones; it is the run whose last node also came back to ok a second late",
		"ok slowest": "one real node in ten comes back to ok about a second after the promotion; every simulated " +
			"node is back within about 60 ms of it",
		"kill2 promoted slowest": "three real kill2 runs in seventy promoted after 13 to 14 s, a failed election retried " +
			"twice the failover timeout later: the logs of one show both replicas starting their elections in the same " +
			"epoch 4 ms apart, the second before it had heard of the first's; at 30 masters no simulated run of 200 failed an " +
			"election, and none of 200 started two elections within 4.8 ms (at 60 masters one of 200 did, as real Redis does: " +
			"on seed 189 the two elections started 1.5 ms apart in epoch 121, every master denied the later one with " +
			"\"already voted for epoch 121\", and it won its retry 13.1 s after the kill)",
		"kill2 ok slowest": "the same three runs, back to ok after the retried election, and three in seventy where one " +
			"node came back 1 to 2.4 s after the promotion",
		"kill2 pfail slowest": "one real kill2 run in seventy flagged PFAIL 2924 to 2970 ms after the kill (polled every 46 ms), " +
			"past the slowest of 800 simulated runs (2914) at the cell's median CPU share, 0.26; that run's host was the " +
			"busiest of the seventy, 0.36, and at 0.36 the slowest of 300 simulated runs is 2926",
		"15s kill2 fail fastest":     earlyFail,
		"15s kill-pair fail fastest": earlyFail,
		"15s kill fail fastest":      earlyFail,
		"15s kill promoted fastest":  "the real kill run whose FAIL came early (see 15s kill fail fastest), promoted early",
		"15s kill ok fastest":        "the real kill run whose FAIL came early (see 15s kill fail fastest), back to ok early",
		"15s kill2 promoted fastest": "the real kill2 runs whose FAIL came early (see 15s kill2 fail fastest), promoted early",
		"15s kill2 ok fastest":       "the real kill2 runs whose FAIL came early (see 15s kill2 fail fastest), back to ok early",
		"30 masters 2s kill-pair pfail median": "the 10 real kill-pair runs at 30 masters and 2 s have first-PFAIL median " +
			"2024 ms, the 40 real kills of one master at the same size 2191, though the first PFAIL is about the same " +
			"victim, killed the same way; simulated, 2329 and 2265 (+15.1 % and +3.4 %). Before the teardown was " +
			"modelled the kill-pair median was +17 %",
	}
	// The extremes of a distribution need many draws: at 40 seeds the slowest simulated
	// FAIL at 30 masters fell 48 ms short of the slowest of 30 real ones (a first recording,
	// whose PFAIL polling was wrong), at 100 seeds 7 ms.
	// By default 100 seeds, and the range may fall short of a real extreme by 3 %, as in
	// TestFailoverTimingMatchesRealRedis. KVPLACE_HEAVY=1 runs 200 and allows no shortfall,
	// except where a cell costs more per seed (a cell's cost grows with the square of the
	// size and with the node timeout) and CI's 30 minutes cannot hold it at 200: 60 masters
	// at 2 s and 30 at 15 s run 100 seeds, and 100 masters, or 60 at 15 s, run 40, each
	// with the 3 %. Each passed at 200 seeds and no slack before the kernel's teardown was
	// modelled (cluster.TeardownPerPeer); with it, the reduced cells were run as here.
	seeds, slack := 100, 0.03
	if heavy {
		seeds, slack = 200, 0
	}
	for _, c := range keys {
		t.Run(fmt.Sprintf("%s/masters=%d/node-timeout=%v/extra-load=%.2f", c.fault, c.masters, c.timeout, c.extra), func(t *testing.T) {
			if (c.masters > 30 || c.fault != "kill" || c.timeout != 2*time.Second) && !heavy {
				t.Skip("beyond one master killed at 30 masters and a 2 s node timeout: KVPLACE_HEAVY=1 runs it")
			}
			seeds, slack := seeds, slack
			switch {
			case c.masters >= 100 || (c.masters >= 60 && c.timeout >= 15*time.Second):
				// 200 servers for 40 virtual seconds each: 200 seeds take 7 minutes here; 120
				// servers at 15 s, 90 to 110 s a cell at 60 seeds.
				seeds, slack = min(seeds, 40), 0.03
			case c.timeout >= 15*time.Second || c.masters >= 60:
				// 30 masters at 15 s: 25 to 30 s a cell at 200 seeds, 12 to 15 s at 100,
				// where each passes. 60 at 2 s: 160 to 200 s a cell at 200, half at 100.
				seeds, slack = min(seeds, 100), 0.03
			}
			real := cells[c]
			// The simulated host is as busy as the real one was: the median of the
			// trials' measured CPU share, to the hundredth as recorded.
			var busy []float64
			for _, r := range real {
				busy = append(busy, r.CPUBusy)
			}
			slices.Sort(busy)
			cfg := DefaultFailoverConfig()
			cfg.Masters, cfg.NodeTimeout, cfg.Fault, cfg.Runs, cfg.Load.Rate = c.masters, c.timeout, c.fault, seeds, 0
			cfg.HostBusy = math.Round(median(busy)*100) / 100
			t.Logf("host busy %.2f (real trials %.2f to %.2f)", cfg.HostBusy, busy[0], busy[len(busy)-1])
			res, err := RunFailover(cfg)
			require.NoError(t, err)
			for _, ph := range failoverPhases {
				var s, rs []float64
				for _, r := range real {
					if ph.Real(r) != 0 {
						rs = append(rs, millis(ph.Real(r)))
					}
				}
				for _, run := range res.Runs {
					if len(rs) == 0 {
						// Never seen for real (a master killed with its replica is never
						// replaced): never in simulation either.
						require.Zero(t, ph.Sim(run), "seed %d: %s, which no real run reached", run.Seed, ph.Name)
						continue
					}
					require.NotZero(t, ph.Sim(run), "seed %d: no %s within the observation", run.Seed, ph.Name)
					s = append(s, millis(ph.Sim(run)))
				}
				if len(rs) == 0 {
					continue
				}
				slices.Sort(s)
				slices.Sort(rs)
				t.Logf("%-8s real n=%2d [%5.0f %5.0f] median %6.0f | sim n=%d [%5.0f %5.0f] median %6.0f",
					ph.Name, len(rs), rs[0], rs[len(rs)-1], median(rs), len(s), s[0], s[len(s)-1], median(s))
				// check fails the test when ok is false, unless what failed is an open
				// divergence (openDivergence, by phase and check) and
				// KVPLACE_OPEN_DIVERGENCES is unset: then it logs it.
				check := func(ok bool, what string, format string, args ...any) {
					if ok {
						return
					}
					msg := fmt.Sprintf(ph.Name+": "+format, args...)
					// The most particular key first: by size, node timeout, fault, or none.
					var why string
					open := false
					for _, key := range []string{
						fmt.Sprintf("%d masters %v %s %s %s", c.masters, c.timeout, c.fault, ph.Name, what),
						fmt.Sprintf("%v %s %s %s", c.timeout, c.fault, ph.Name, what),
						c.fault + " " + ph.Name + " " + what,
						ph.Name + " " + what,
					} {
						if why, open = openDivergence[key]; open {
							break
						}
					}
					if open {
						opendiv.Report(t, msg+"; "+why)
						return
					}
					t.Error(msg)
				}
				check(math.Abs(median(s)-median(rs)) <= 0.15*median(rs), "median",
					"simulated median %.0f ms is more than 15 %% from the real %.0f ms", median(s), median(rs))
				for _, r := range real {
					if ph.Real(r) == 0 {
						continue
					}
					lo, hi := millis(ph.Real(r))*(1-slack)-5, millis(ph.Real(r))*(1+slack)+5
					if ph.Name == "pfail" {
						lo -= millis(r.PollEvery) // the recorder polls for PFAIL
					}
					check(s[0] <= hi, "fastest", "real trial %d (%.0f ms) is faster than every simulated run", r.Trial, millis(ph.Real(r)))
					check(s[len(s)-1] >= lo, "slowest", "real trial %d (%.0f ms; promoted at %.0f ms) is slower than every simulated run",
						r.Trial, millis(ph.Real(r)), millis(r.Promoted))
				}
			}
		})
	}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
