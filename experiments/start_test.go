package experiments_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/slot"
)

// The seed's real CLUSTER NODES gives back the seed's cluster: the replying node first,
// then the other masters in reply order, replicas left out, 6387 the joiner.
func TestClusterFromTheSeedsNodes(t *testing.T) {
	nodes, err := slot.ReadNodesFile("../slot/testdata/seed-cluster-nodes.txt")
	require.NoError(t, err)
	c, err := experiments.ClusterFromNodes(nodes, "seed-cluster-nodes.txt")
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:6381", "127.0.0.1:6383", "127.0.0.1:6382"}, c.Masters)
	assert.Equal(t, "127.0.0.1:6387", c.Joiner)
	assert.Equal(t, "0-5460", c.Slots.Slots("127.0.0.1:6381").String())
	assert.Equal(t, "3 masters of seed-cluster-nodes.txt", c.String())
}

// Skew from a user's cluster: its masters and its uneven slot table are where every
// scheme starts; the slot schemes show that cluster's own imbalance.
func TestSkewFromAUsersCluster(t *testing.T) {
	nodes, err := slot.ReadNodesFile("../slot/testdata/uneven-cluster-nodes.txt")
	require.NoError(t, err)
	start, err := experiments.ClusterFromNodes(nodes, "uneven-cluster-nodes.txt")
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.1:7001", "10.0.0.2:7001"}, start.Masters, "the empty master holds no key")
	assert.Equal(t, "10.0.0.1:7005", start.Joiner)

	cfg := experiments.DefaultSkewConfig()
	cfg.Start = start
	cfg.Keys.Count, cfg.TaggedKeys.Count, cfg.MinN, cfg.MaxN, cfg.VNodes, cfg.ClusterRequests = 50_000, 50_000, 0, 0, nil, 0
	cfg.Schemes, err = experiments.ParseSchemes("modulo,slots")
	require.NoError(t, err)
	res, err := experiments.RunSkew(cfg)
	require.NoError(t, err)
	require.Len(t, res.Stages, 6)
	slots := res.Stages[3]
	assert.Equal(t, "4 masters", slots.Stage)
	assert.Equal(t, start.Masters, slots.Members)
	// Slots 0-3000 and 9000-9999 are 4001 of 16384: a quarter of the keys, give or take.
	share := float64(slots.Keys[0]) / 50_000
	assert.InDelta(t, 4001.0/16384, share, 0.01)
	assert.InDelta(t, 5999.0/16384, float64(slots.Keys[1])/50_000, 0.01)
	assert.Equal(t, "5 masters: 10.0.0.1:7005 joined", res.Stages[4].Stage)
	assert.InDelta(t, 0.2, res.Stages[4].Minimum, 1e-12)
	var out strings.Builder
	require.NoError(t, res.WriteTable(&out))
	assert.Contains(t, out.String(), "1. Scale-out and scale-in of the cluster in uneven-cluster-nodes.txt, 4 → 5 → 4 masters")
	assert.Contains(t, out.String(), "3. A master crashes: 10.0.0.1:7000 fails in the 4-master cluster")
}

// A reply without a master serving slots starts nothing.
func TestClusterFromNodesErrors(t *testing.T) {
	nodes, err := slot.ParseNodes("1b278410cafa603be01e12423888977f371c19c8 127.0.0.1:6384@16384 slave 5e4a5b24916daa91b9095cf6ffc89461835e0a48 0 0 3 connected")
	require.NoError(t, err)
	_, err = experiments.ClusterFromNodes(nodes, "replica.txt")
	assert.EqualError(t, err, "replica.txt: no master serves a slot")
}
