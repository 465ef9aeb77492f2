package cluster_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
)

// TestBuildRestored: a cluster restored from nodes.conf comes up as redis-cli would have
// left it — redis-cli's slot ranges and pairing, every node ok, replicas synchronised,
// `--cluster check` clean — and fails over like a created one.
func TestBuildRestored(t *testing.T) {
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = time.Second
	c, procs, err := cluster.BuildRestored(cluster.Options{Seed: 4, Masters: 4, Replicas: 2, Config: cfg, Link: cluster.Loopback()})
	require.NoError(t, err)
	require.Len(t, procs, 12)
	// Replicas ask for a full copy at once; masters start it after repl-diskless-sync-delay
	// (5 s, counted in whole seconds by a once-a-second cron), as Redis does.
	c.Sim.RunFor(8 * time.Second)
	for _, p := range procs {
		n := p.Node()
		assert.Equal(t, "ok", n.State(), p.Addr())
		if !n.IsMaster() {
			assert.True(t, cluster.Synced(n), "%s has synchronised with its master", p.Addr())
		}
	}
	// redis-cli's create plan for 4 masters: 0-4095, 4096-8191, 8192-12287, 12288-16383.
	n := procs[5].Node()
	for i, s := range []int{0, 4096, 8192, 12288} {
		assert.Equal(t, procs[i].Addr(), n.Owner(s), "slot %d", s)
	}
	var out bytes.Buffer
	cli := rediscli.New(c, &out)
	require.NoError(t, cli.Check(procs[0].Addr()))
	assert.Contains(t, out.String(), "[OK] All nodes agree about slots configuration.")
	assert.Contains(t, out.String(), "[OK] All 16384 slots covered.")
	assert.Contains(t, out.String(), "2 additional replica(s)")

	victim := procs[0].Node().ID()
	var replicas []string
	for _, p := range procs {
		if p.Node().MasterID() == victim {
			replicas = append(replicas, p.Addr())
		}
	}
	c.Kill(procs[0])
	c.Sim.RunFor(10 * time.Second)
	promoted := procs[5].Node().Owner(0)
	assert.Contains(t, replicas, promoted, "a replica of the killed master serves its slots")
	p, ok := c.Process(promoted)
	require.True(t, ok)
	assert.True(t, slices.ContainsFunc(p.Node().Events, func(e cluster.Event) bool { return e.Kind == cluster.EvPromoted }), "%s was promoted", promoted)
}

func TestBuildRestoredErrors(t *testing.T) {
	_, _, err := cluster.BuildRestored(cluster.Options{Masters: 0, Replicas: 1, Config: cluster.DefaultConfig()})
	assert.EqualError(t, err, "cluster: 0 masters with 1 replicas each: want at least one master")
}
