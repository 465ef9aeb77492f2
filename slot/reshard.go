package slot

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// A Move is one slot changing owner.
type Move struct {
	Slot     int
	From, To string
}

// A ReshardPlan is what redis-cli --cluster reshard decides: its sources, in the order it
// lists them under "Source nodes:", and the moves of its "Resharding plan:".
type ReshardPlan struct {
	Sources   []string // source node IDs
	Target    string   // receiving node ID
	Requested int      // the slot count asked for; len(Moves) can be smaller
	Moves     []Move

	// Warnings are the messages redis-cli printed and went on after, such as
	// "*** It is not possible to use the target node as source node.".
	Warnings []string
}

// PlanReshard computes redis-cli --cluster reshard --cluster-from FROM --cluster-to to
// --cluster-slots count (clusterManagerCommandReshard). from holds the source IDs as
// given after --cluster-from, split at commas; "all" stands for every master but the
// target, in list order, including masters with no slots.
//
// Errors use redis-cli's words; when redis-cli warned before it gave up, as when the only
// source named is the target, the plan returned with the error carries those Warnings
// (and nothing else). Like redis-cli, the plan can move fewer slots than asked:
// each source gives count·(its slots)/(all sources' slots) in float32, rounded up for the
// source with the most slots and down for the others, lowest slots first.
func PlanReshard(l Layout, from []string, to string, count int) (*ReshardPlan, error) {
	l = l.withTable()
	// redis-cli asks how many slots to move only when --cluster-slots is 0 (or absent); a
	// negative count it takes as given: "Ready to move -5 slots." and an empty plan.
	if count == 0 {
		return nil, fmt.Errorf("slot: --cluster-slots 0: redis-cli would ask how many slots to move (from 1 to %d)", Count)
	}
	p := &ReshardPlan{Requested: count}
	target, err := reshardNode(l, to, nil, p)
	if err != nil {
		return nil, err
	}
	p.Target = target.ID
	var sources []*Node
	all := false
	for i, id := range from {
		if id == "all" {
			all = true
			break
		}
		if id == "" && i == len(from)-1 {
			continue // "a,b," ends with nothing, which redis-cli ignores
		}
		src, err := reshardNode(l, id, target, p)
		if err != nil {
			return nil, err
		}
		if src != nil {
			sources = append(sources, src)
		}
	}
	if all {
		sources = sources[:0]
		for i := range l.Nodes {
			n := &l.Nodes[i]
			if !n.IsReplica() && n.ID != target.ID {
				sources = append(sources, n)
			}
		}
	}
	if len(sources) == 0 {
		return &ReshardPlan{Warnings: p.Warnings}, errors.New("*** No source nodes given, operation aborted.")
	}
	for _, s := range sources {
		p.Sources = append(p.Sources, s.ID)
	}
	p.Moves = reshardTable(l.Slots, p.Sources, count, target.ID)
	return p, nil
}

// reshardNode is clusterNodeForResharding: an unknown node or a replica is an error; the
// target named as a source is a warning, and that source is skipped.
func reshardNode(l Layout, id string, target *Node, p *ReshardPlan) (*Node, error) {
	n := l.node(id)
	if n == nil || n.IsReplica() {
		return nil, fmt.Errorf("*** The specified node (%s) is not known or not a master, please retry.", id)
	}
	if target != nil && n.ID == target.ID {
		p.Warnings = append(p.Warnings, "*** It is not possible to use the target node as source node.")
		return nil, nil
	}
	return n, nil
}

// reshardTable is clusterManagerComputeReshardTable: sources sorted by slot count,
// descending (a stable sort, as glibc's qsort is in practice); the first gives
// ceil(count/total·own) slots and the others floor(...), computed in float32; lowest
// slots first; never more than count in all.
func reshardTable(t *Table, sources []string, count int, to string) []Move {
	sorted := slices.Clone(sources)
	total := 0
	for _, s := range sorted {
		total += t.Len(s)
	}
	slices.SortStableFunc(sorted, func(a, b string) int { return t.Len(b) - t.Len(a) })
	var moves []Move
	for i, src := range sorted {
		share := float32(count) / float32(total) * float32(t.Len(src))
		if i == 0 {
			share = float32(math.Ceil(float64(share)))
		} else {
			share = float32(math.Floor(float64(share)))
		}
		quota := 0
		if t.Len(src) > 0 { // else share is NaN (0/0·0) and redis-cli takes nothing either
			quota = int(share)
		}
		given := 0
		s := t.Slots(src)
		for slot := range s.All() {
			if given >= quota || len(moves) >= count {
				break
			}
			moves = append(moves, Move{Slot: slot, From: src, To: to})
			given++
		}
	}
	return moves
}

// Lines returns the "Resharding plan:" part of redis-cli's output: one
// "    Moving slot N from ID" line per move.
func (p *ReshardPlan) Lines() []string {
	lines := make([]string, 0, len(p.Moves))
	for _, m := range p.Moves {
		lines = append(lines, fmt.Sprintf("    Moving slot %d from %s", m.Slot, m.From))
	}
	return lines
}
