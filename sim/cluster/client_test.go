package cluster_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
)

func TestLedger(t *testing.T) {
	l := client.NewLedger()
	v1, v2, v3 := l.Value("a"), l.Value("a"), l.Value("a")
	require.NoError(t, l.Ack("a", v1))
	require.NoError(t, l.Ack("a", v2))
	// v3 timed out: it may or may not have been applied.
	for _, tc := range []struct {
		read  string
		found bool
		lost  int
	}{{v3, true, 0}, {v2, true, 0}, {v1, true, 1}, {"", false, 2}} {
		n, err := l.Lost("a", tc.read, tc.found)
		require.NoError(t, err)
		assert.Equal(t, tc.lost, n, "read %q", tc.read)
	}
	assert.Equal(t, 2, l.Acked())
	assert.Equal(t, []string{"a"}, l.Keys())
	_, err := l.Lost("a", "hello", true)
	assert.ErrorContains(t, err, `value "hello" was not written through the ledger`)
	assert.Error(t, l.Ack("a", "x1"))
}

// A killed process still reports the node ID it had, and keeps it when restarted.
func TestKilledProcessKeepsItsID(t *testing.T) {
	c, procs, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Link: cluster.Loopback()})
	require.NoError(t, err)
	id := procs[0].ID()
	require.Len(t, id, 40)
	c.Kill(procs[0])
	assert.Equal(t, id, procs[0].ID())
	require.NoError(t, c.Restart(procs[0]))
	c.Sim.RunFor(time.Second)
	assert.Equal(t, id, procs[0].ID())
}

// A zero Config means Redis's defaults (node timeout 15 s), not a node timeout of 0; and
// WaitReady returns once every replica has synchronised, so that a master killed then is
// replaced.
func TestBuildDefaultsAndWaitReady(t *testing.T) {
	c, procs, err := rediscli.Build(cluster.Options{Seed: 2, Masters: 3, Replicas: 1, Link: cluster.Loopback()})
	require.NoError(t, err)
	assert.Equal(t, 15*time.Second, procs[0].Config.NodeTimeout)
	require.NoError(t, c.WaitReady(time.Minute))
	c.Kill(procs[0])
	c.Sim.RunFor(10 * time.Second)
	assert.Equal(t, "ok", procs[1].Node().State(), "no FAIL within the 15 s node timeout")
	c.Sim.RunFor(time.Minute)
	assert.NotEqual(t, procs[0].Addr(), procs[1].Node().Owner(0), "a replica took slot 0 over")
	assert.Equal(t, "ok", procs[1].Node().State())
}

// A nil process is ignored by the faults and refused by Restart, never a nil dereference.
func TestNilProcess(t *testing.T) {
	c, _, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Link: cluster.Loopback()})
	require.NoError(t, err)
	assert.NotPanics(t, func() {
		c.Kill(nil)
		c.Stop(nil)
		c.Pause(nil)
		c.Resume(nil)
	})
	assert.EqualError(t, c.Restart(nil), "cluster: restart of a nil process")
}
