package rediscli

import (
	"cmp"
	"slices"

	"github.com/kvplace/kvplace/slot"
)

// RealDraws are what a real redis-cli's run of one command showed of an order it could
// not choose: its node list. redis-cli lists its entry node first and then the others in
// the entry node's CLUSTER NODES order, a hash table's under a seed each redis-server
// draws at random when it starts, so no simulated seed can be expected to draw the real
// one, and the list decides things users see: which master an unnamed --cluster-slave
// joins (the first with fewest replicas), which source gives first in a reshard
// --cluster-from all, which masters a rebalance's rounding serves and in which order it
// serves masters of equal balance. A comparison with a real run (scenario.Diff) hands the
// simulated redis-cli what the real one showed, as it hands a create the real pairing.
type RealDraws struct {
	// List is the real node list, by address, as the command's cluster check printed it
	// (its M: and S: lines, in order). The simulated list is put in this order; nodes it
	// does not name keep their place after those it does.
	List []string
	// Steps are a rebalance's "Moving N slots from A to B" lines, by address. The simulated
	// rebalance plans in the list order that makes these steps (slot.RebalanceOrder), when
	// there is one.
	Steps []AddrStep
}

// An AddrStep is one "Moving N slots from A to B" line of a rebalance.
type AddrStep struct {
	From, To string
	N        int
}

// ordered puts nodes after the entry node in the real run's list order, if there is one.
func (cli *CLI) ordered(nodes []*mnode) {
	if cli.Real == nil || len(cli.Real.List) == 0 || len(nodes) < 2 {
		return
	}
	at := func(m *mnode) int {
		if i := slices.Index(cli.Real.List, m.addr()); i >= 0 {
			return i
		}
		return len(cli.Real.List)
	}
	slices.SortStableFunc(nodes[1:], func(a, b *mnode) int { return cmp.Compare(at(a), at(b)) })
}

// realRebalanceOrder returns l in the list order that makes the real run's rebalance
// steps, when they are known and some order makes them, and l otherwise.
func (cli *CLI) realRebalanceOrder(nodes []*mnode, l slot.Layout, opt slot.RebalanceOptions) slot.Layout {
	if cli.Real == nil || len(cli.Real.Steps) == 0 {
		return l
	}
	id := map[string]string{}
	for _, n := range nodes {
		id[n.addr()] = n.name
	}
	var want []slot.StepCount
	for _, s := range cli.Real.Steps {
		from, ok1 := id[s.From]
		to, ok2 := id[s.To]
		if !ok1 || !ok2 {
			return l // the real run moved slots between nodes this list does not have
		}
		want = append(want, slot.StepCount{From: from, To: to, N: s.N})
	}
	if got, ok := slot.RebalanceOrder(l, opt, want); ok {
		return got
	}
	return l
}
