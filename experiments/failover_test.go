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
	cfg := DefaultFailoverConfig()
	cfg.Runs = 100
	res, err := RunFailover(cfg)
	require.NoError(t, err)
	require.Len(t, res.Summary, 3)
	for _, s := range res.Summary {
		require.Greater(t, s.Real.N, 0, "%s: no real recording at 1 s", s.Phase)
		assert.InDelta(t, s.Real.Median, s.Sim.Median, 0.15*s.Real.Median, s.Phase)
		assert.Zero(t, s.Sim.Missing, s.Phase)
	}

	var first, second bytes.Buffer
	require.NoError(t, WriteFailoverCSV(&first, res))
	again, err := RunFailover(cfg)
	require.NoError(t, err)
	require.NoError(t, WriteFailoverCSV(&second, again))
	require.Equal(t, first.String(), second.String(), "same seeds, different runs")
	lines := strings.Split(strings.TrimSpace(first.String()), "\n")
	require.Len(t, lines, 101)
	assert.True(t, strings.HasPrefix(lines[0], "seed,pfail_ms,fail_ms,promoted_ms"), lines[0])
	assert.Regexp(t, `^1,\d+,\d+,\d+,127\.0\.0\.1:638\d$`, lines[1])
}

func TestRunFailoverWithoutReplicas(t *testing.T) {
	cfg := DefaultFailoverConfig()
	cfg.Runs, cfg.Replicas = 3, 0
	res, err := RunFailover(cfg)
	require.NoError(t, err)
	promoted := res.Summary[2]
	assert.Equal(t, 0, promoted.Sim.N)
	assert.Equal(t, 3, promoted.Sim.Missing, "nothing to promote")
	assert.Equal(t, 3, res.Summary[1].Sim.N, "the crash is still detected")
	var csv bytes.Buffer
	require.NoError(t, WriteFailoverCSV(&csv, res))
	assert.Regexp(t, `(?m)^1,\d+,\d+,,$`, csv.String())
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
	} {
		cfg := DefaultFailoverConfig()
		tc.mod(&cfg)
		_, err := RunFailover(cfg)
		if assert.Error(t, err) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
}
