package experiments

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/opendiv"
	"github.com/kvplace/kvplace/internal/stats"
	"github.com/kvplace/kvplace/sim/cluster"
)

// realPingCohorts reads recordings/probes/ping-cohort.txt (made by
// recordings/record-ping-cohort): per trial, each surviving master's first ping to the
// killed one, in milliseconds from the kill.
func realPingCohorts(t *testing.T, name string) (masters int, timeout time.Duration, runs []PingCohort) {
	t.Helper()
	text, err := os.ReadFile("recordings/probes/" + name)
	require.NoError(t, err)
	for line, kv := range recordingLines(string(text)) {
		var pc PingCohort
		for k, v := range kv {
			var err error
			switch k {
			case "masters":
				masters, err = strconv.Atoi(v)
			case "fail_ms":
				var ms int64
				ms, err = strconv.ParseInt(v, 10, 64)
				pc.Fail = time.Duration(ms) * time.Millisecond
			case "node_timeout_ms":
				var ms int64
				ms, err = strconv.ParseInt(v, 10, 64)
				timeout = time.Duration(ms) * time.Millisecond
			case "ping_ms", "pong_ms":
				for _, x := range strings.Split(v, ",") {
					n := NoPing
					if x != "none" {
						if n, err = strconv.ParseInt(x, 10, 64); err != nil {
							break
						}
					}
					if k == "ping_ms" {
						pc.Pings = append(pc.Pings, n)
					} else {
						pc.Pongs = append(pc.Pongs, n)
					}
				}
			}
			require.NoError(t, err, "%s:%d: %s=%s", name, line, k, v)
		}
		require.Len(t, pc.Pings, masters-1, "%s:%d: one ping per surviving master", name, line)
		runs = append(runs, pc)
	}
	return masters, timeout, runs
}

// sentPings are the first pings pc records, sorted; masters that sent none are left out.
func sentPings(pc PingCohort) []int64 {
	var sent []int64
	for _, p := range pc.Pings {
		if p != NoPing {
			sent = append(sent, p)
		}
	}
	slices.Sort(sent)
	return sent
}

// quorumPing is when the k-th surviving master sent its first ping to the victim, k being
// the masters that with the one that marks FAIL make a quorum of masters (masters/2+1):
// a node timeout after it, enough masters flag the victim PFAIL for FAIL to be possible.
// math.MaxInt64 when too few pinged before the read.
func quorumPing(masters int, pc PingCohort) int64 {
	sent := sentPings(pc)
	k := masters / 2 // the marking master's own PFAIL counts too
	if len(sent) < k {
		return math.MaxInt64
	}
	return sent[k-1]
}

// largestWave is the most masters whose first pings to the victim fall within 200 ms.
func largestWave(pc PingCohort) int {
	sent := sentPings(pc)
	most := 0
	for i, j := 0, 0; j < len(sent); j++ {
		for sent[j]-sent[i] >= 200 {
			i++
		}
		most = max(most, j-i+1)
	}
	return most
}

// largestPongGroup is the most masters that hold one and the same pong time for the victim.
func largestPongGroup(pc PingCohort) int {
	count := map[int64]int{}
	most := 0
	for _, p := range pc.Pongs {
		count[p]++
		most = max(most, count[p])
	}
	return most
}

// TestPingCohortMatchesRealRedis compares when the masters of a cluster at a 15 s node
// timeout first ping a master just killed, real against simulated: by the time the
// quorum's pings were all sent (quorumPing), which sets how soon FAIL can come, and by how
// many of them go out together (largestWave); and, for the trials that recorded it, how
// long after the quorum's PFAIL (a node timeout after its pings) the first FAIL came,
// which is how fast the failure reports spread. Each by the Mann-Whitney test at the 1 %
// level. Two recordings: 30 masters (20 trials, 60 seeds) and, with KVPLACE_HEAVY, 60
// masters (10 trials, 40 seeds, 30 s here).
//
// The simulated host is as busy as in the sized trials of that cell
// (failover-size-15s.txt's kill trials: medians 0.12 and 0.18), not as the probes measured
// themselves (0.08 and 0.26). The quorum ping moves with it: at 30 masters its simulated
// median is 5.1 s at 0.12 and 6.0 s at 0.08 (z −2.21 against real); at 60 masters 6.35 s
// at 0.18 (z −0.86, 40 seeds), 6.5 s at 0.20 and 0.26 (z −1.59 and −1.85, 60 seeds).
// At the probes' own shares the simulated quorum pings come later than the real ones
// (z −2.21 and −1.85: within the 1 % bar each, −2.87 pooled), the direction of the rarer
// early FAIL at 15 s among 60 masters (TestSizedFailoverMatchesRealRedis).
//
// Why is not known. One candidate the probes rule out, held here too: how completely
// gossip spreads the victim's last pong time among the masters, measured as the largest
// group holding one and the same pong time at the read (largestPongGroup): at 60 masters
// 17 to 54 of 59 real, median 30; simulated median 38 (z −0.56).
func TestPingCohortMatchesRealRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: simulates 60 kills at 30 masters")
	}
	for _, probe := range []struct {
		file  string
		busy  float64
		seeds uint64
		heavy bool
	}{
		{"ping-cohort.txt", 0.12, 60, false},
		{"ping-cohort-60.txt", 0.18, 40, true},
	} {
		t.Run(probe.file, func(t *testing.T) {
			if probe.heavy && os.Getenv("KVPLACE_HEAVY") == "" {
				t.Skip("40 kills at 60 masters, 30 s: KVPLACE_HEAVY=1 runs it")
			}
			masters, timeout, real := realPingCohorts(t, probe.file)
			require.NotEmpty(t, real)
			cfg := cluster.DefaultConfig()
			cfg.NodeTimeout = timeout
			var rq, sq, rs, ss []int64
			var rw, sw, rg, sg []int
			// spread is the FAIL's delay after the quorum's PFAIL could first be complete.
			spread := func(pc PingCohort) int64 {
				return pc.Fail.Milliseconds() - timeout.Milliseconds() - quorumPing(masters, pc)
			}
			for _, pc := range real {
				rq = append(rq, quorumPing(masters, pc))
				rw = append(rw, largestWave(pc))
				rg = append(rg, largestPongGroup(pc))
				if pc.Fail != 0 {
					rs = append(rs, spread(pc))
				}
			}
			for seed := uint64(1); seed <= probe.seeds; seed++ {
				pc, err := SimulatePingCohort(cluster.Options{Seed: seed, Masters: masters, Replicas: 1, Config: cfg,
					Link: cluster.Loopback(), Host: cluster.HostLoad{Busy: probe.busy}})
				require.NoError(t, err)
				sq = append(sq, quorumPing(masters, pc))
				sw = append(sw, largestWave(pc))
				sg = append(sg, largestPongGroup(pc))
				require.NotZero(t, pc.Fail, "seed %d: no FAIL within three node timeouts", seed)
				ss = append(ss, spread(pc))
			}
			compareSamples(t, "quorum ping, ms after the kill", rq, sq)
			if len(rs) > 0 {
				compareSamples(t, "FAIL after the quorum's PFAIL, ms", rs, ss)
			}
			compareSamples(t, "largest wave, masters within 200 ms", rw, sw)
			compareSamples(t, "largest group of masters with one pong time", rg, sg)
		})
	}
}

// compareSamples logs a real and a simulated sample of one measure, and fails t when the
// Mann-Whitney test tells them apart at the 1 % level (|z| > 2.576, two-sided).
func compareSamples[T cmp.Ordered](t *testing.T, what string, real, sim []T) {
	t.Helper()
	slices.Sort(real)
	slices.Sort(sim)
	z := stats.MannWhitneyZ(real, sim)
	t.Logf("%s: real %v; simulated median %v, range %v to %v; z %.2f", what, real, sim[len(sim)/2], sim[0], sim[len(sim)-1], z)
	if math.Abs(z) > 2.576 {
		t.Errorf("%s: real and simulated differ at the 1 %% level (z %.2f)", what, z)
	}
}

// TestFirstPingMatchesRealRedis compares, at a 2 s node timeout among 30 masters, when the
// first master pinged a master just killed, by the Mann-Whitney test at the 1 % level: 30
// real kills (recordings/probes/ping-cohort-2s.txt, 10, and the sized trials of
// recordings/failover-size-pings.txt, 20, read the same way) against 60 simulated at the
// probe's median CPU share, 0.26 (the sized trials' was 0.28). The first PFAIL comes a
// node timeout after that ping (TestRealPFailFollowsFirstPing), so this is what sets it.
// Real: 0 to 703 ms, 9 of 30 within 41 ms of the kill, median 268; simulated median 331,
// z −1.16.
func TestFirstPingMatchesRealRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: simulates 60 kills at 30 masters")
	}
	masters, timeout, real := realPingCohorts(t, "ping-cohort-2s.txt")
	require.Equal(t, 2*time.Second, timeout)
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = timeout
	first := func(pc PingCohort) int64 {
		sent := sentPings(pc)
		if len(sent) == 0 {
			return math.MaxInt64
		}
		return sent[0]
	}
	var rf, sf []int64
	for _, pc := range real {
		rf = append(rf, first(pc))
	}
	sized := sizedFirstPings(t, masters, timeout)
	require.Len(t, sized, 20, "the sized trials that read their first ping")
	for _, r := range sized {
		rf = append(rf, r.FirstPing.Milliseconds())
	}
	for seed := uint64(1); seed <= 60; seed++ {
		pc, err := SimulatePingCohort(cluster.Options{Seed: seed, Masters: masters, Replicas: 1, Config: cfg,
			Link: cluster.Loopback(), Host: cluster.HostLoad{Busy: 0.26}})
		require.NoError(t, err)
		sf = append(sf, first(pc))
	}
	compareSamples(t, "first ping after the kill, ms", rf, sf)
}

// sizedFirstPings returns the recorded sized failovers among masters at node timeout
// timeout that read their first ping (about the first victim, whatever the fault).
func sizedFirstPings(t *testing.T, masters int, timeout time.Duration) []RealFailover {
	t.Helper()
	all, err := RealFailovers()
	require.NoError(t, err)
	var runs []RealFailover
	for _, r := range all {
		if r.PingRead && r.Masters == masters && r.NodeTimeout == timeout {
			runs = append(runs, r)
		}
	}
	return runs
}

// In every real sized failover that read its first ping, the first PFAIL came a node
// timeout after that ping, at the flagging master's next cron tick (100 ms at most), seen
// by a poll up to poll_ms late, and 5 ms for the kill's reaping and the log's millisecond:
// the rule the simulation's clusterCron follows (a node flags PFAIL once its oldest
// unanswered ping is a node timeout old). The early first PFAILs of the sized recordings
// at 30 masters follow early pings, and no other way to an early PFAIL shows in them.
func TestRealPFailFollowsFirstPing(t *testing.T) {
	runs := sizedFirstPings(t, 30, 2*time.Second)
	require.NotEmpty(t, runs)
	for _, r := range runs {
		after := r.PFail - r.FirstPing
		assert.True(t, after >= r.NodeTimeout && after <= r.NodeTimeout+100*time.Millisecond+r.PollEvery+5*time.Millisecond,
			"%s trial %d: PFAIL %v after the first ping (poll %v)", r.Source, r.Trial, after, r.PollEvery)
	}
}

// realTeardownPings reads recordings/probes/teardown.txt (made by record-teardown): for
// each kill among masters masters, how many masters pinged the victim within 60 ms of it,
// sorted. Such early pings are the teardown's (cluster.TeardownPerPeer); the periodic
// ones of clusterCron seldom fall that early.
func realTeardownPings(t *testing.T, masters int) []int {
	t.Helper()
	const name = "recordings/probes/teardown.txt"
	text, err := os.ReadFile(name)
	require.NoError(t, err)
	var counts []int
	for line, kv := range recordingLines(string(text)) {
		m, err := strconv.Atoi(kv["masters"])
		require.NoError(t, err, "%s:%d: masters=%s", name, line, kv["masters"])
		pings, ok := kv["pings"]
		require.True(t, ok, "%s:%d: no pings=", name, line)
		if m != masters {
			continue
		}
		n := 0
		for _, p := range strings.Split(pings, ",") {
			if p == "" {
				continue
			}
			ms, _, ok := strings.Cut(p, ":")
			v, err := strconv.Atoi(ms)
			require.True(t, ok && err == nil, "%s:%d: ping %q: want ping_ms:pong_ms", name, line, p)
			if v < 60 {
				n++
			}
		}
		counts = append(counts, n)
	}
	require.NotEmpty(t, counts, "%s: no kill among %d masters", name, masters)
	slices.Sort(counts)
	return counts
}

// TestFirstPingAt100Masters compares the first ping after a kill among 100 masters at the
// default 15 s node timeout: 20 real runs (recordings/failover-size-100.txt, kill2 and
// kill-pair, read a second before the node timeout; about the first victim) against 20
// simulated kills of one master on a host as busy as theirs (0.55), by Mann-Whitney at
// the 1 % level; and how many masters pinged within 60 ms of each kill, against the six
// kills of recordings/probes/teardown.txt. In 19 of the 20 real runs a master had pinged
// the victim within 44 ms of the kill: the kernel tears a dead process's sockets down one
// peer after another, the listening socket last, and a master whose links closed first connects again, is
// accepted, and pings (recordings/probes/teardown.txt; cluster.TeardownPerPeer). Before
// the simulation modelled that, 1 of 20 simulated kills had a ping within 58 ms (median
// 586 ms, z −4.90); the same teardown closed the 60-master first-PFAIL gap (+13 to 16 %).
// Now the counts agree, and the simulated first pings are all within 23 ms but come a few
// milliseconds early (median 14.5 ms against 20, z 2.59): logged as an open divergence,
// which KVPLACE_OPEN_DIVERGENCES=1 fails on. Only with KVPLACE_HEAVY=1 (about 50 s).
func TestFirstPingAt100Masters(t *testing.T) {
	if os.Getenv("KVPLACE_HEAVY") == "" {
		t.Skip("20 simulated kills among 100 masters: KVPLACE_HEAVY=1 runs it")
	}
	var real []int64
	for _, r := range sizedFirstPings(t, 100, 15*time.Second) {
		real = append(real, r.FirstPing.Milliseconds())
	}
	require.Len(t, real, 20, "the 100-master runs that read their first ping")
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = 15 * time.Second
	var sim []int64
	var early []int
	for seed := uint64(1); seed <= 20; seed++ {
		pc, err := SimulatePingCohort(cluster.Options{Seed: seed, Masters: 100, Replicas: 1, Config: cfg,
			Link: cluster.Loopback(), Host: cluster.HostLoad{Busy: 0.55}})
		require.NoError(t, err)
		sent := sentPings(pc)
		require.NotEmpty(t, sent, "seed %d: no master had pinged the victim", seed)
		sim = append(sim, sent[0])
		within := 0
		for _, p := range sent {
			if p < 60 {
				within++
			}
		}
		early = append(early, within)
	}
	compareSamples(t, "masters that pinged within 60 ms of the kill", realTeardownPings(t, 100), early)
	slices.Sort(real)
	slices.Sort(sim)
	z := stats.MannWhitneyZ(real, sim)
	t.Logf("first ping after the kill, ms: real %v; simulated %v; z %.2f", real, sim, z)
	if math.Abs(z) > 2.576 {
		opendiv.Report(t, fmt.Sprintf("real and simulated first pings differ at the 1 %% level (z %.2f)", z)+
			"; the simulated teardown starts a few milliseconds early at this size (first pings median 14.5 ms against 20)")
	}
}
