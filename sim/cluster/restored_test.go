package cluster

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuildRestored: a cluster restored from nodes.conf comes up as redis-cli would have
// left it — redis-cli's slot ranges and pairing, every node ok, replicas synchronised,
// `--cluster check` clean — and fails over like a created one.
func TestBuildRestored(t *testing.T) {
	cfg := DefaultConfig()
	cfg.NodeTimeout = time.Second
	c, procs, err := BuildRestored(Options{Seed: 4, Masters: 4, Replicas: 2, Config: cfg, Link: Loopback})
	require.NoError(t, err)
	require.Len(t, procs, 12)
	// Replicas ask for a full copy at once; masters start it after repl-diskless-sync-delay
	// (5 s, counted in whole seconds by a once-a-second cron), as Redis does.
	c.Sim.RunFor(8 * time.Second)
	for _, p := range procs {
		n := p.Node()
		assert.Equal(t, "ok", n.State(), p.Addr())
		if !n.IsMaster() {
			assert.True(t, n.repl.synced, "%s has synchronised with its master", p.Addr())
		}
	}
	// redis-cli's create plan for 4 masters: 0-4095, 4096-8191, 8192-12287, 12288-16383.
	n := procs[5].Node()
	for i, s := range []int{0, 4096, 8192, 12288} {
		assert.Equal(t, procs[i].Addr(), n.Owner(s), "slot %d", s)
	}
	var out bytes.Buffer
	cli := c.CLI(&out)
	require.NoError(t, cli.Check(procs[0].Addr()))
	assert.Contains(t, out.String(), "[OK] All nodes agree about slots configuration.")
	assert.Contains(t, out.String(), "[OK] All 16384 slots covered.")
	assert.Contains(t, out.String(), "2 additional replica(s)")

	w := WatchFailover(c, procs[0])
	c.Kill(procs[0])
	c.Sim.RunFor(10 * time.Second)
	tm := w.Timing(4)
	assert.Positive(t, tm.Promoted, "a replica of the killed master took over")
	assert.NotEqual(t, procs[0].Addr(), tm.Replica)
	assert.NotEqual(t, procs[0].Addr(), procs[5].Node().Owner(0))
}

func TestBuildRestoredErrors(t *testing.T) {
	_, _, err := BuildRestored(Options{Masters: 0, Replicas: 1, Config: DefaultConfig()})
	assert.EqualError(t, err, "cluster: 0 masters with 1 replicas each: want at least one master")
}
