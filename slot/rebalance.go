package slot

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultThreshold is redis-cli's default --cluster-threshold, in percent
// (CLUSTER_MANAGER_REBALANCE_THRESHOLD).
const DefaultThreshold = 2

// A Weight is one --cluster-weight argument: a node ID, or a prefix of one, and its weight.
type Weight struct {
	Node   string
	Weight float32
}

// ParseWeight reads a --cluster-weight argument, "<node>=<weight>". Like redis-cli, which
// reads the number with atof, text that is not a number weighs 0.
func ParseWeight(arg string) (Weight, error) {
	node, value, ok := strings.Cut(arg, "=")
	if !ok {
		return Weight{}, fmt.Errorf("*** invalid input %s", arg)
	}
	return Weight{Node: node, Weight: float32(atof(value))}, nil
}

// atof parses the longest prefix of s that is a decimal number, as C's atof does, and
// returns 0 when there is none ("2x" is 2, "x" is 0). Hex floats, "inf" and "nan", which
// C also reads, are not numbers here.
func atof(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	mantissa := digits()
	if i < len(s) && s[i] == '.' {
		i++
		mantissa += digits()
	}
	if mantissa == 0 {
		return 0
	}
	end := i
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() > 0 {
			end = i
		}
	}
	f, _ := strconv.ParseFloat(s[:end], 64) // out of range gives ±Inf, as strtod does
	return f
}

// RebalanceOptions are the flags of redis-cli --cluster rebalance.
type RebalanceOptions struct {
	Weights         []Weight // --cluster-weight, applied in order
	Threshold       float32  // --cluster-threshold in percent; redis-cli's default is DefaultThreshold
	UseEmptyMasters bool     // --cluster-use-empty-masters
}

// A RebalanceStep moves Slots from one master to another: one "Moving N slots from A to B"
// line of redis-cli's output.
type RebalanceStep struct {
	From, To string
	Moves    []Move
}

// A RebalancePlan is what redis-cli --cluster rebalance does.
type RebalancePlan struct {
	Balanced    bool    // no node was over the threshold: nothing moves
	Threshold   float32 // the threshold used, for the "No rebalancing needed" message
	Nodes       int     // masters involved
	TotalWeight float32
	Steps       []RebalanceStep
}

// Moves returns the moves of every step, in the order redis-cli makes them.
func (p *RebalancePlan) Moves() []Move {
	var moves []Move
	for _, s := range p.Steps {
		moves = append(moves, s.Moves...)
	}
	return moves
}

// PlanRebalance computes redis-cli --cluster rebalance (clusterManagerCommandRebalance).
//
// Each involved master (every master; with UseEmptyMasters also those with no slots) should
// hold (int)(16384/total_weight·weight) slots, in float32. If no master is further than
// Threshold percent from that, nothing moves. Otherwise balances are rounded so givers and
// takers match, masters are sorted by balance (stably), and slots go from the biggest giver
// to the biggest taker, the giver's lowest slots first, until the pointers meet.
//
// When redis-cli would stop halfway ("*** Assertion failed: Reshard table != number of
// slots", possible with negative weights), the plan holds the steps made before the error.
func PlanRebalance(l Layout, opt RebalanceOptions) (*RebalancePlan, error) {
	l = l.withTable()
	p, involved, totalBalance, err := rebalanceBalances(l, opt)
	if err != nil || p.Balanced {
		return p, err
	}
	// Rounding can leave more to give than to take: take one more slot each, in list order.
	for totalBalance > 0 {
		before := totalBalance
		for _, n := range involved {
			if n.balance <= 0 && totalBalance > 0 {
				n.balance--
				totalBalance--
			}
		}
		if totalBalance == before {
			break // every master is a giver; redis-cli would loop forever here
		}
	}
	sorted := slices.Clone(involved)
	slices.SortStableFunc(sorted, func(a, b *rebalanceNode) int { return a.balance - b.balance })

	t := l.Slots.Clone()
	for dst, src := 0, len(sorted)-1; dst < src; {
		d, s := sorted[dst], sorted[src]
		n := min(abs(d.balance), abs(s.balance))
		if n > 0 {
			moves := reshardTable(t, []string{s.id}, n, d.id)
			if len(moves) != n {
				return p, errors.New("*** Assertion failed: Reshard table != number of slots")
			}
			for _, m := range moves {
				if err := t.Move(m); err != nil {
					panic(err) // reshardTable only proposes slots the source owns
				}
			}
			p.Steps = append(p.Steps, RebalanceStep{From: s.id, To: d.id, Moves: moves})
		}
		d.balance += n
		s.balance -= n
		if d.balance == 0 {
			dst++
		}
		if s.balance == 0 {
			src--
		}
	}
	return p, nil
}

// rebalanceBalances computes the plan's header and, in list order, the involved masters
// and their balances before rounding (slots held less slots expected), with their sum. The
// plan is Balanced when no master is over the threshold.
func rebalanceBalances(l Layout, opt RebalanceOptions) (*RebalancePlan, []*rebalanceNode, int, error) {
	weight := make(map[string]float32, len(l.Nodes))
	for _, n := range l.Nodes {
		weight[n.ID] = 1
	}
	for _, w := range opt.Weights {
		n := l.nodeByPrefix(w.Node)
		if n == nil {
			return nil, nil, 0, fmt.Errorf("*** No such master node %s", w.Node)
		}
		weight[n.ID] = w.Weight
	}
	var (
		involved []*rebalanceNode
		total    float32
	)
	for _, n := range l.Nodes {
		if n.IsReplica() {
			continue
		}
		if !opt.UseEmptyMasters && l.Slots.Len(n.ID) == 0 {
			continue
		}
		total += weight[n.ID]
		involved = append(involved, &rebalanceNode{id: n.ID})
	}
	p := &RebalancePlan{Threshold: opt.Threshold, Nodes: len(involved), TotalWeight: total}
	if len(involved) > 0 && total == 0 {
		return nil, nil, 0, errors.New("slot: rebalance: the involved masters weigh 0 in all, so no master can expect any slot")
	}

	over, totalBalance := false, 0
	for _, n := range involved {
		have := l.Slots.Len(n.id)
		expected := int(float32(float32(Count)/total) * weight[n.id])
		n.balance = have - expected
		totalBalance += n.balance
		if opt.Threshold > 0 {
			if have > 0 {
				errPerc := float32(math.Abs(100 - 100.0*float64(expected)/float64(have)))
				over = over || errPerc > opt.Threshold
			} else if expected > 1 {
				over = true
			}
		}
	}
	p.Balanced = !over
	return p, involved, totalBalance, nil
}

// A rebalanceNode is an involved master and its balance: slots to give (> 0) or take.
type rebalanceNode struct {
	id      string
	balance int
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// NoRebalanceMessage is redis-cli's message when every master is within the threshold.
func (p *RebalancePlan) NoRebalanceMessage() string {
	return fmt.Sprintf("*** No rebalancing needed! All nodes are within the %.2f%% threshold.", p.Threshold)
}

// Header is the line redis-cli prints before the first move.
func (p *RebalancePlan) Header() string {
	return fmt.Sprintf(">>> Rebalancing across %d nodes. Total weight = %.2f", p.Nodes, p.TotalWeight)
}
