package cluster_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBusyHost: on a busy host the nodes' crons run late (their stalls show it), the
// cluster still comes up and fails over, the run is the same twice with a seed, and an
// idle host's run is not touched by the model.
func TestBusyHost(t *testing.T) {
	run := func(busy float64) (hash uint64, stalls int, promoted bool) {
		cfg := cluster.DefaultConfig()
		cfg.NodeTimeout = time.Second
		c, procs, err := cluster.BuildRestored(cluster.Options{Seed: 7, Masters: 3, Replicas: 1, Config: cfg, Link: cluster.Loopback(), Host: cluster.HostLoad{Busy: busy}})
		require.NoError(t, err)
		c.Sim.RunFor(8 * time.Second)
		for _, p := range procs {
			require.Equal(t, "ok", p.Node().State(), "%s at host busy %v", p.Addr(), busy)
			stalls += len(p.Node().Stalls())
		}
		c.Kill(procs[0])
		c.Sim.RunFor(10 * time.Second)
		for _, p := range procs[1:] {
			promoted = promoted || slices.ContainsFunc(p.Node().Events, func(e cluster.Event) bool { return e.Kind == cluster.EvPromoted })
		}
		return c.Sim.Trace().Hash(), stalls, promoted
	}
	idle, idleStalls, idlePromoted := run(0)
	busy, busyStalls, busyPromoted := run(0.8)
	again, _, _ := run(0.8)
	t.Logf("stalls: %d on an idle host, %d on a busy one", idleStalls, busyStalls)
	assert.Equal(t, busy, again, "same seed, same busy host: the same run")
	assert.NotEqual(t, idle, busy)
	assert.Zero(t, idleStalls, "an idle host's crons keep their period")
	// At 80 % of 2 cores a waking process waits 71 % of the time, 7.5 ms on average: many
	// of the 80 crons a node runs in 8 s are 10 ms or more late.
	assert.Greater(t, busyStalls, 6*8, "crons late on a busy host")
	assert.True(t, idlePromoted)
	assert.True(t, busyPromoted, "a busy host still fails over")
}
