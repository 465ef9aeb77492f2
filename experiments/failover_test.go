package experiments

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunFailoverMatchesRealRedisAndRepeats(t *testing.T) {
	t.Parallel() // CPU-bound; the package's heaviest tests share the cores
	cfg := DefaultFailoverConfig()
	cfg.Runs = 100
	repeat := 20
	if testing.Short() {
		cfg.Runs, repeat = 20, 3 // the same seeds' first 20: medians still within 15 %
	}
	runs := cfg.Runs
	res, err := RunFailover(cfg)
	require.NoError(t, err)
	require.Len(t, res.Summary, 4)
	for _, s := range res.Summary {
		if s.Phase == "ok" {
			// The 3 + 3 recordings did not time the return to ok; every run has one.
			assert.Equal(t, cfg.Runs, s.Sim.N, "ok")
			continue
		}
		require.Greater(t, s.Real.N, 0, "%s: no real recording at 1 s", s.Phase)
		assert.InDelta(t, s.Real.Median, s.Sim.Median, 0.15*s.Real.Median, s.Phase)
		assert.Zero(t, s.Sim.Missing, s.Phase)
	}

	var first, second bytes.Buffer
	require.NoError(t, WriteFailoverCSV(&first, res))
	lines := strings.Split(strings.TrimSpace(first.String()), "\n")
	// Each run depends on its seed alone: running the first ones again, one at a time
	// instead of on every core, gives the same rows.
	cfg.Runs, cfg.Workers = repeat, 1
	again, err := RunFailover(cfg)
	require.NoError(t, err)
	require.NoError(t, WriteFailoverCSV(&second, again))
	require.Equal(t, strings.Join(lines[:repeat+1], "\n")+"\n", second.String(), "same seeds, different runs")
	require.Len(t, lines, runs+1)
	assert.True(t, strings.HasPrefix(lines[0], "seed,pfail_ms,fail_ms,promoted_ms"), lines[0])
	assert.Regexp(t, `^1,\d+,\d+,\d+,127\.0\.0\.1:638\d,,7000,\d+,\d+,\d+,0$`, lines[1], "no unserved window: it never ended")

	// Under load, a SIGKILL on loopback loses no acknowledged write, and the master's
	// slots stay unserved to the end of the observation: the clients are go-redis with its
	// defaults, which reloads its slot map on MOVED or when the map is 60 s old, not when
	// a node refuses connections (TestFailoverUnderLoadKill has them reload every second;
	// recordings/goredis has the live runs that agree).
	ls := res.LoadSummary
	require.NotNil(t, ls)
	assert.Zero(t, ls.Lost)
	assert.Positive(t, ls.Acked)
	assert.Positive(t, ls.Failed)
	for _, r := range res.Runs {
		assert.False(t, r.Load.Recovered, "seed %d", r.Seed)
	}
	assert.NotEmpty(t, res.Timeline, "the first run's requests, for the timeline figure")
}

// TestRunFailoverIsolate: a master cut off from the cluster but not from its clients
// acknowledges writes for about a node timeout that its replica never gets; at 1000
// requests/s, half writes, a third of them on its slots, that is some 170 per run.
func TestRunFailoverIsolate(t *testing.T) {
	t.Parallel() // CPU-bound; the package's heaviest tests share the cores
	cfg := DefaultFailoverConfig()
	cfg.Runs, cfg.Fault = 20, "isolate"
	res, err := RunFailover(cfg)
	require.NoError(t, err)
	ls := res.LoadSummary
	assert.Equal(t, cfg.Runs, ls.LostRuns, "every run loses writes")
	perRun := float64(ls.Lost) / float64(cfg.Runs)
	rate := cfg.Load.Rate * cfg.Load.Writes / 3 // writes/s on one master's slots
	pfail := res.Summary[0].Sim.Median / 1000   // the isolated master stops at about this time
	assert.InDelta(t, rate*pfail, perRun, 0.25*rate*pfail, "lost writes per run against rate × time to PFAIL")
	var table bytes.Buffer
	require.NoError(t, WriteFailoverTable(&table, res))
	assert.Contains(t, table.String(), "isolated from the cluster (not from its clients)")
	assert.Regexp(t, `lost acknowledged writes +\d+ +\(\d+\.\d+%; in 20 of 20 runs`, table.String())
}

func TestRunFailoverWithoutReplicas(t *testing.T) {
	cfg := DefaultFailoverConfig()
	cfg.Runs, cfg.Replicas, cfg.Load.Rate = 3, 0, 0
	res, err := RunFailover(cfg)
	require.NoError(t, err)
	promoted := res.Summary[2]
	assert.Equal(t, 0, promoted.Sim.N)
	assert.Equal(t, 3, promoted.Sim.Missing, "nothing to promote")
	assert.Equal(t, 3, res.Summary[1].Sim.N, "the crash is still detected")
	var csv bytes.Buffer
	require.NoError(t, WriteFailoverCSV(&csv, res))
	assert.Regexp(t, `(?m)^1,\d+,\d+,,$`, csv.String(), "no load, no load columns")
}

func TestRunFailoverRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*FailoverConfig)
		want string
	}{
		{func(c *FailoverConfig) { c.Runs = 0 }, "runs 0: want at least 1"},
		{func(c *FailoverConfig) { c.Masters = 2 }, "masters 2: redis-cli creates clusters of at least 3"},
		{func(c *FailoverConfig) { c.Replicas = -1 }, "replicas -1"},
		{func(c *FailoverConfig) { c.NodeTimeout = time.Millisecond }, "node timeout 1ms"},
		{func(c *FailoverConfig) { c.Fault = "reboot" }, `fault "reboot": want kill, isolate, kill2 or kill-pair`},
		{func(c *FailoverConfig) { c.Load.Writes = 2 }, "load: writes 2: want a fraction in [0, 1]"},
	} {
		cfg := DefaultFailoverConfig()
		tc.mod(&cfg)
		_, err := RunFailover(cfg)
		if assert.Error(t, err) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
}
