package slot_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/kvplace/kvplace/slot"
)

// Whatever order redis-cli's node list had (its entry node first), RebalanceOrder finds
// one from the steps that order produced alone, and the plan in it moves the same slots.
func TestRebalanceOrderFindsTheList(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		masters := rapid.IntRange(2, 9).Draw(t, "masters")
		l := slot.Layout{Slots: slot.NewTable()}
		// Slot counts far from even, some masters empty: cut 0..16383 at random points.
		cuts := []int{0, slot.Count}
		for range masters - 1 {
			cuts = append(cuts, rapid.IntRange(0, slot.Count).Draw(t, "cut"))
		}
		slices.Sort(cuts)
		for i := range masters {
			id := fmt.Sprintf("%040x", i+1)
			l.Nodes = append(l.Nodes, slot.Node{ID: id, Addr: fmt.Sprintf("127.0.0.1:%d", 7001+i)})
			for s := cuts[i]; s < cuts[i+1]; s++ {
				l.Slots.Assign(s, id)
			}
		}
		for i := range rapid.IntRange(0, 3).Draw(t, "replicas") {
			id := fmt.Sprintf("%040x", 100+i)
			master := l.Nodes[rapid.IntRange(0, masters-1).Draw(t, "master")].ID
			l.Nodes = append(l.Nodes, slot.Node{ID: id, Addr: fmt.Sprintf("127.0.0.1:%d", 7101+i), ReplicaOf: master})
		}
		opt := slot.RebalanceOptions{
			Threshold:       float32(rapid.IntRange(0, 5).Draw(t, "threshold")),
			UseEmptyMasters: rapid.Bool().Draw(t, "use-empty"),
		}
		for range rapid.IntRange(0, 2).Draw(t, "weights") {
			n := l.Nodes[rapid.IntRange(0, masters-1).Draw(t, "weighted")]
			opt.Weights = append(opt.Weights, slot.Weight{Node: n.ID, Weight: float32(rapid.IntRange(0, 3).Draw(t, "weight"))})
		}
		// The real list: the entry node first, the others in a random order.
		perm := rapid.Permutation(l.Nodes[1:]).Draw(t, "order")
		real := slot.Layout{Nodes: append([]slot.Node{l.Nodes[0]}, perm...), Slots: l.Slots}
		plan, err := slot.PlanRebalance(real, opt)
		if err != nil || plan.Balanced {
			t.Skip("nothing to move")
		}
		got, ok := slot.RebalanceOrder(l, opt, plan.Counts())
		require.True(t, ok, "no order found for %v", plan.Counts())
		assert.Equal(t, l.Nodes[0], got.Nodes[0], "the entry node stays first")
		again, err := slot.PlanRebalance(got, opt)
		require.NoError(t, err)
		assert.Equal(t, plan.Moves(), again.Moves())
	})
}

// Steps no order of the cluster can produce are refused, and the layout comes back as it
// was.
func TestRebalanceOrderRefuses(t *testing.T) {
	l := slot.Layout{Slots: slot.NewTable()}
	for i, id := range []string{"a", "b", "c"} {
		l.Nodes = append(l.Nodes, slot.Node{ID: id, Addr: fmt.Sprint(7001 + i)})
	}
	for s := range slot.Count {
		l.Slots.Assign(s, "a")
	}
	opt := slot.RebalanceOptions{Threshold: 2, UseEmptyMasters: true}
	plan, err := slot.PlanRebalance(l, opt)
	require.NoError(t, err)
	want := plan.Counts()
	require.Len(t, want, 2)
	// a gives 5462 to one and 5461 to the other: the counts swapped, or a giver named as
	// taker, are no order's plan.
	want[0].N, want[1].N = want[1].N, want[0].N
	got, ok := slot.RebalanceOrder(l, opt, want)
	assert.False(t, ok)
	assert.Equal(t, l.Nodes, got.Nodes)
	_, ok = slot.RebalanceOrder(l, opt, []slot.StepCount{{From: "b", To: "a", N: 5461}})
	assert.False(t, ok)
	_, ok = slot.RebalanceOrder(l, opt, nil)
	assert.False(t, ok)
}
