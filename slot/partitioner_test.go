package slot_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/slot"
)

// It satisfies the Partitioner its consumer, the simulated cluster, declares.
var _ interface{ Owner(key string) string } = (*slot.Partitioner)(nil)

var seedMasters = []string{"127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383"}

// TestPartitionerReplaysTheSeed: 3 -> 4 -> 3 masters the tutorial's way gives its maps.
func TestPartitionerReplaysTheSeed(t *testing.T) {
	p, err := slot.NewPartitioner(seedMasters, slot.Reshard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:6383", p.Owner("k1"), "MOVED 12706 127.0.0.1:6383")
	assert.Equal(t, "127.0.0.1:6381", p.Owner("k2"))

	four, err := p.Join("127.0.0.1:6387")
	require.NoError(t, err)
	got := four.Table().Slots("127.0.0.1:6387")
	assert.Equal(t, "[0-1364],[5461-6826],[10923-12287]", got.Bracketed())
	for _, m := range append(seedMasters, "127.0.0.1:6387") {
		assert.Equal(t, 4096, four.Table().Len(m), m)
	}

	three, err := four.Leave("127.0.0.1:6387")
	require.NoError(t, err)
	got = three.Table().Slots("127.0.0.1:6381")
	assert.Equal(t, "[0-6826],[10923-12287]", got.Bracketed())
	assert.Equal(t, 8192, got.Len())
	assert.Equal(t, seedMasters, three.Members())
	assert.Equal(t, "127.0.0.1:6383", three.Owner("k1"), "slot 12706 never moved: the seed ends with k1 on 6383")
	assert.Equal(t, "127.0.0.1:6381", three.Owner("k2"))
}

func TestPartitionerRebalancePolicy(t *testing.T) {
	p, err := slot.NewPartitioner(seedMasters, slot.Rebalance)
	require.NoError(t, err)
	four, err := p.Join("127.0.0.1:6387")
	require.NoError(t, err)
	for _, m := range append(seedMasters, "127.0.0.1:6387") {
		assert.Equal(t, 4096, four.Table().Len(m), m)
	}
	three, err := four.Leave("127.0.0.1:6382")
	require.NoError(t, err)
	total := 0
	for _, m := range three.Members() {
		n := three.Table().Len(m)
		assert.InDelta(t, 16384/3, n, 2, m)
		total += n
	}
	assert.Equal(t, 16384, total)
	assert.Equal(t, "rebalance", three.Policy().String())
}

func TestPartitionerFailoverAndCrash(t *testing.T) {
	p, _ := slot.NewPartitioner(seedMasters, slot.Reshard)
	f, err := p.Failover("127.0.0.1:6381", "127.0.0.1:6386")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:6386", f.Owner("k2"), "k2 (slot 449) goes to the promoted replica")
	assert.Equal(t, 5461, f.Table().Len("127.0.0.1:6386"))

	c, err := p.Crash("127.0.0.1:6381")
	require.NoError(t, err)
	assert.Equal(t, "", c.Owner("k2"), "nobody serves slot 449")
	assert.Equal(t, 16384-5461, c.Table().Assigned())
}

func TestPartitionerErrors(t *testing.T) {
	_, err := slot.NewPartitioner([]string{"a", "b"}, slot.Reshard)
	assert.EqualError(t, err, "slot: 2 masters: Redis Cluster requires at least 3 master nodes")
	_, err = slot.NewPartitioner([]string{"a", "b", "a"}, slot.Reshard)
	assert.EqualError(t, err, `slot: master "a" is given twice`)
	p, _ := slot.NewPartitioner([]string{"a", "b", "c"}, slot.Reshard)
	_, err = p.Join("b")
	assert.EqualError(t, err, `slot: master "b" is given twice`)
	_, err = p.Leave("a")
	assert.EqualError(t, err, `slot: "a" cannot leave: Redis Cluster requires at least 3 master nodes`)
	_, err = p.Leave("z")
	assert.EqualError(t, err, `slot: "z" is not a master`)
	_, err = p.Failover("a", "b")
	assert.EqualError(t, err, `slot: master "b" is given twice`)
	assert.Equal(t, "Policy(7)", slot.Policy(7).String())
}

func ExamplePartitioner_Join() {
	p, _ := slot.NewPartitioner([]string{"6381", "6382", "6383"}, slot.Reshard)
	p4, _ := p.Join("6387")
	moved := 0
	for i := range 100000 {
		k := fmt.Sprintf("key:%d", i)
		if p.Owner(k) != p4.Owner(k) {
			moved++
		}
	}
	s := p4.Table().Slots("6387")
	fmt.Printf("%s moved %.1f%% of the keys\n", s.Bracketed(), float64(moved)/1000)
	// Output: [0-1364],[5461-6826],[10923-12287] moved 24.9% of the keys
}

var sinkOwner string
var sinkSlot int

func BenchmarkPartitionerOwner(b *testing.B) {
	// go test -run - -bench Owner -benchmem ./slot
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%d", i)
	}
	for _, n := range []int{3, 64, 1000} {
		masters := make([]string, n)
		for i := range masters {
			masters[i] = fmt.Sprintf("node-%d", i)
		}
		p, err := slot.NewPartitioner(masters, slot.Reshard)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				sinkOwner = p.Owner(keys[i&1023])
				i++
			}
		})
	}
}

func BenchmarkOf(b *testing.B) {
	for _, key := range []string{"k1", "key:1234567890abcdef", "user:{42}:profile", "a-rather-longer-key-of-sixty-four-bytes-to-see-the-crc-throughput"} {
		b.Run(fmt.Sprintf("len=%d", len(key)), func(b *testing.B) {
			for b.Loop() {
				sinkSlot = slot.Of(key)
			}
		})
	}
}

// A partitioner's Layout is a copy to plan on: changing it changes nothing in the partitioner.
func TestPartitionerLayoutIsACopy(t *testing.T) {
	p, err := slot.NewPartitioner([]string{"a", "b", "c"}, slot.Reshard)
	require.NoError(t, err)
	l := p.Layout()
	require.Len(t, l.Nodes, 3)
	assert.Equal(t, slot.Node{ID: "a", Addr: "a"}, l.Nodes[0])
	assert.Equal(t, 5461, l.Slots.Len("a"))
	l.Slots.Assign(0, "c")
	assert.Equal(t, "a", p.Table().Owner(0), "the partitioner's table changed through its Layout")
	plan, err := slot.PlanReshard(p.Layout(), []string{"all"}, "c", 10)
	require.NoError(t, err)
	after, err := p.Layout().Apply(plan.Moves)
	require.NoError(t, err)
	assert.Equal(t, 5461+10, after.Slots.Len("c"))
	_, err = p.Layout().Apply([]slot.Move{{Slot: 0, From: "b", To: "c"}})
	assert.Error(t, err, "slot 0 is a's, not b's")
}

// Zero values and impossible sizes are refused or usable, never a panic: the zero
// Partitioner owns nothing, planners read a Layout without Slots as an empty table, and
// more masters than slots is an error (it panicked, index out of range).
func TestSlotBadInputs(t *testing.T) {
	var zero slot.Partitioner
	assert.Equal(t, "", zero.Owner("k1"))
	assert.Equal(t, 0, zero.Table().Assigned())
	bare := slot.Layout{Nodes: []slot.Node{{ID: "a", Addr: "127.0.0.1:1"}, {ID: "b", Addr: "127.0.0.1:2"}}}
	assert.NotPanics(t, func() {
		report := slot.Check(bare)
		require.NotNil(t, report)
		_, err := slot.PlanRebalance(bare, slot.RebalanceOptions{})
		_ = err
		_, err = slot.PlanReshard(bare, []string{"all"}, "a", 10)
		_ = err
	})
	plan, err := slot.PlanDelNode(bare, "b")
	require.NoError(t, err, "b owns no slot of an empty table")
	assert.Equal(t, "b", plan.Node.ID)
	many := make([]string, slot.Count+1)
	for i := range many {
		many[i] = fmt.Sprintf("m%d", i)
	}
	_, err = slot.NewPartitioner(many, slot.Reshard)
	assert.EqualError(t, err, "slot: 16385 masters: a cluster has 16384 slots, so at most 16384 masters")
	addrs := make([]string, slot.Count+1)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("10.%d.%d.1:7000", i/256, i%256)
	}
	_, err = slot.PlanCreate(addrs, 0, nil)
	assert.EqualError(t, err, "slot: 16385 masters: a cluster has 16384 slots, so at most 16384 masters")
}

// A table that sees node after node come and go reuses the indexes of those that left:
// it panicked after 65535 distinct IDs over its life.
func TestTableReleasesDeparted(t *testing.T) {
	tbl := slot.NewTable()
	for i := range 200_000 {
		tbl.Assign(i%slot.Count, fmt.Sprintf("node-%d", i))
	}
	assert.Equal(t, slot.Count, tbl.Assigned())
	assert.Equal(t, "node-199999", tbl.Owner(199_999%slot.Count))
	assert.Len(t, tbl.Owners(), slot.Count)
	c := tbl.Clone()
	c.Assign(0, "late")
	assert.Equal(t, "late", c.Owner(0))
	assert.Equal(t, fmt.Sprintf("node-%d", 196_608), tbl.Owner(0), "a clone is independent")
}
