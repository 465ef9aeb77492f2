package cluster_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
	"github.com/kvplace/kvplace/slot"
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

// TestBuildFromNodes: a simulated copy of a cluster read from its CLUSTER NODES keeps its
// node IDs, addresses, roles, slot ranges and config epochs, comes up ok with the replicas
// synchronised and check clean, and fails over like any other.
func TestBuildFromNodes(t *testing.T) {
	nodes := unevenNodes(t)
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = 2 * time.Second
	c, procs, err := cluster.BuildFromNodes(cluster.Options{Seed: 3, Config: cfg, Link: cluster.Loopback()}, nodes)
	require.NoError(t, err)
	require.Len(t, procs, len(nodes))
	c.Sim.RunFor(8 * time.Second)
	for i, p := range procs {
		n := p.Node()
		assert.Equal(t, nodes[i].ID, n.ID())
		assert.Equal(t, nodes[i].Addr, p.Addr())
		assert.Equal(t, "ok", n.State(), p.Addr())
		if nodes[i].Master != "" {
			assert.Equal(t, nodes[i].Master, n.MasterID(), p.Addr())
			assert.True(t, cluster.Synced(n), "%s has synchronised with its master", p.Addr())
		}
	}
	reply, err := c.Client().Do(procs[8].Addr(), "CLUSTER", "NODES")
	require.NoError(t, err)
	again, err := slot.ParseNodes(reply.Str)
	require.NoError(t, err)
	for _, want := range nodes {
		i := slices.IndexFunc(again, func(n slot.NodeLine) bool { return n.ID == want.ID })
		require.GreaterOrEqual(t, i, 0, want.ID)
		assert.Equal(t, want.Slots.String(), again[i].Slots.String(), want.Addr)
		assert.Equal(t, want.ConfigEpoch, again[i].ConfigEpoch, want.Addr)
		assert.Equal(t, want.Master, again[i].Master, want.Addr)
	}
	var out bytes.Buffer
	require.NoError(t, rediscli.New(c, &out).Check(procs[0].Addr()))
	assert.Contains(t, out.String(), "[OK] All nodes agree about slots configuration.")
	assert.Contains(t, out.String(), "[OK] All 16384 slots covered.")

	c.Kill(procs[1]) // 10.0.0.2:7000, slots 3001-8999; its replica is 10.0.0.1:7002
	c.Sim.RunFor(10 * time.Second)
	assert.Equal(t, "10.0.0.1:7002", procs[0].Node().Owner(5000))

	_, _, err = cluster.BuildFromNodes(cluster.Options{Config: cfg}, nodes[4:5])
	assert.EqualError(t, err, "cluster: replica 6ec23923021cf3ffa87a4e2ba5b5b2bff5e1da56 replicates 07c37dfeb235213a872192d90877d0cd55635b91, which is not listed")
	bad := slices.Clone(nodes[:1])
	bad[0].ID = "not-an-id"
	_, _, err = cluster.BuildFromNodes(cluster.Options{Config: cfg}, bad)
	assert.EqualError(t, err, `cluster: node ID "not-an-id": want 40 lowercase hex digits`)
}

// Every way of building a cluster hands Options.Slowdown to its nodes before they start:
// a big hash takes about twice as long to write on a host twice as slow.
func TestBuildsTakeTheSlowdown(t *testing.T) {
	nodes := unevenNodes(t)
	builds := map[string]func(cluster.Options) (*cluster.Cluster, []*cluster.Process, error){
		"Build":         rediscli.Build,
		"BuildRestored": cluster.BuildRestored,
		"BuildFromNodes": func(o cluster.Options) (*cluster.Cluster, []*cluster.Process, error) {
			return cluster.BuildFromNodes(o, nodes)
		},
	}
	for name, build := range builds {
		took := func(slowdown float64) time.Duration {
			c, procs, err := build(cluster.Options{Seed: 1, Masters: 3, Link: cluster.Loopback(), Slowdown: slowdown})
			require.NoError(t, err, name)
			c.Sim.RunFor(8 * time.Second)
			key := "{big}"
			var owner string
			for _, p := range procs {
				if p.Node().Owner(slot.Of(key)) == p.Addr() {
					owner = p.Addr()
				}
			}
			require.NotEmpty(t, owner, name)
			began := c.Sim.Now()
			r, err := c.Client().Do(owner, "EVAL", cluster.LoadHashScript, "1", key, "300000")
			require.NoError(t, err, name)
			require.False(t, r.IsError(), "%s: %s", name, r.Str)
			return time.Duration(c.Sim.Now() - began)
		}
		ratio := float64(took(2)) / float64(took(1))
		assert.InDelta(t, 2, ratio, 0.5, "%s: a host twice as slow writes the hash %.2f times as slowly", name, ratio)
	}
}

// unevenNodes reads slot/testdata/uneven-cluster-nodes.txt, a hand-resharded cluster's
// CLUSTER NODES with # comments.
func unevenNodes(t *testing.T) []slot.NodeLine {
	t.Helper()
	text, err := os.ReadFile("../../slot/testdata/uneven-cluster-nodes.txt")
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(string(text), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	nodes, err := slot.ParseNodes(strings.Join(lines, "\n"))
	require.NoError(t, err)
	return nodes
}
