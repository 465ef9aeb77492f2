package slot

import (
	"cmp"
	"slices"
)

// A StepCount is what one "Moving N slots from A to B" line of a rebalance shows: the
// giver, the taker and how many slots, with the nodes named by ID.
type StepCount struct {
	From, To string
	N        int
}

// Counts returns the plan's steps as redis-cli prints them.
func (p *RebalancePlan) Counts() []StepCount {
	out := make([]StepCount, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = StepCount{From: s.From, To: s.To, N: len(s.Moves)}
	}
	return out
}

// RebalanceOrder looks for an order of l's nodes, its first node kept first, in which
// PlanRebalance makes exactly the steps want, and returns l in that order.
//
// The order matters, and no one can know it before the run: redis-cli lists its entry node
// first and then the others in the entry node's CLUSTER NODES order, which is a hash
// table's under a seed each redis-server draws at random when it starts. The list decides
// which masters take the slot that rounding leaves over (the first ones that take) and,
// the sort being stable, which of two masters with the same balance goes first. A real
// run's steps show both: the takers in the order they are served, then, from the other
// end, the givers. RebalanceOrder builds the one order that follows from them (the
// masters rounding served once more than the rest first, then the rest, each group in
// served order) and keeps it only when replanning in it gives want; otherwise it returns
// l and false, and a step no order of this cluster can produce stays a difference.
func RebalanceOrder(l Layout, opt RebalanceOptions, want []StepCount) (Layout, bool) {
	l = l.withTable()
	if len(l.Nodes) < 2 || len(want) == 0 {
		return l, false
	}
	p, involved, left, err := rebalanceBalances(l, opt)
	if err != nil || p.Balanced {
		return l, false
	}
	raw := map[string]int{}
	takers := 0 // the masters rounding may serve: those with nothing to give
	for _, n := range involved {
		raw[n.id] = n.balance
		if n.balance <= 0 {
			takers++
		}
	}
	// Rounding hands out what is left over one slot at a time, in list order, to the
	// takers: each gets every slot of the full rounds and the first ones one more.
	rounds := 0
	if takers > 0 && left > 0 {
		rounds = left / takers
	}
	// Each master's balance after rounding, as the steps settle it, and where it sits in
	// the sorted list: takers from the front, in the order served; givers from the back.
	final := map[string]int{}
	served := map[string]int{} // position in the sorted list, negative for givers
	for i, s := range want {
		final[s.To] -= s.N
		final[s.From] += s.N
		if _, ok := served[s.To]; !ok {
			served[s.To] = i - len(want) - 1 // before every giver; earlier served, earlier
		}
		if _, ok := served[s.From]; !ok {
			served[s.From] = len(want) + 1 - i // givers: the first served is last
		}
	}
	rounded := func(id string) bool {
		b, ok := raw[id]
		return ok && b <= 0 && final[id] == b-rounds-1
	}
	key := func(n Node) (int, int) {
		group := 2 // not in the steps: a master whose balance is 0, a replica, an empty master left out
		if _, ok := served[n.ID]; ok {
			group = 1
			if rounded(n.ID) {
				group = 0
			}
		}
		return group, served[n.ID]
	}
	rest := slices.Clone(l.Nodes[1:])
	slices.SortStableFunc(rest, func(a, b Node) int {
		ga, pa := key(a)
		gb, pb := key(b)
		return cmp.Or(cmp.Compare(ga, gb), cmp.Compare(pa, pb))
	})
	try := Layout{Nodes: append([]Node{l.Nodes[0]}, rest...), Slots: l.Slots}
	q, err := PlanRebalance(try, opt)
	if err != nil || q.Balanced || !slices.Equal(q.Counts(), want) {
		return l, false
	}
	return try, true
}
