package rediscli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim/cluster"
)

// A new node cut off from the cluster never joins it: add-node --cluster-slave waits, as
// real redis-cli does forever, for JoinLimit, then stops with KilledLine, the line the
// live backend prints when it kills such a redis-cli, and configures nothing.
func TestAddNodeGivesUpWaitingToJoin(t *testing.T) {
	c, procs, err := Build(cluster.Options{Seed: 1, Masters: 3})
	require.NoError(t, err)
	p, err := c.Start("new", "127.0.0.1", 7100, cluster.DefaultConfig())
	require.NoError(t, err)
	var idx []int
	for _, q := range procs {
		idx = append(idx, q.Index)
	}
	var out bytes.Buffer
	cli := New(c, &out)
	c.Sim.Partition(idx, []int{p.Index}) // redis-cli, in neither group, reaches both
	start := c.Sim.Now()
	err = cli.AddNode(p.Addr(), procs[0].Addr(), AddNodeOptions{Slave: true})
	assert.ErrorIs(t, err, ErrCLI)
	text := out.String()
	assert.True(t, strings.HasSuffix(text, "\n"+KilledLine+"\n"), text[max(0, len(text)-200):])
	assert.NotContains(t, text, "Configure node as replica")
	waited := time.Duration(c.Sim.Now() - start)
	assert.GreaterOrEqual(t, waited, JoinLimit)
	assert.Less(t, waited, JoinLimit+5*time.Second)
	_, after, ok := strings.Cut(text, "Waiting for the cluster to join\n")
	require.True(t, ok)
	dots, _, _ := strings.Cut(after, "\n")
	assert.Equal(t, strings.Repeat(".", 600), dots, "a dot a second")
}
