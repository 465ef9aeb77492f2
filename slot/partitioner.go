package slot

import (
	"errors"
	"fmt"
	"slices"
)

// A Policy says how a slot-based cluster answers a scale event, in redis-cli's own moves.
type Policy int

const (
	// Reshard is the seed tutorial's way. A joining master receives Count/(N+1) slots with
	// `--cluster reshard --cluster-from all`; a leaving master's slots all go to the first
	// remaining master with `--cluster reshard --cluster-from <leaver>`, as the tutorial
	// moved 6387's 4096 slots to 6381 before `--cluster del-node`.
	Reshard Policy = iota
	// Rebalance is redis-cli's balancing: `--cluster rebalance --cluster-use-empty-masters`
	// after a master joins, and `--cluster rebalance --cluster-weight <leaver>=0` before one
	// leaves, which spreads its slots over the others.
	Rebalance
)

func (p Policy) String() string {
	switch p {
	case Reshard:
		return "reshard"
	case Rebalance:
		return "rebalance"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// A Partitioner places keys the way Redis Cluster does: a key's owner is the master serving
// its slot. Unlike a hash ring, ownership does not follow from membership: Join and Leave
// change the slot table with the moves redis-cli would make under the partitioner's Policy.
// A Partitioner is immutable; those methods return new ones.
type Partitioner struct {
	masters []string // redis-cli list order: creation order, joiners appended
	table   *Table
	policy  Policy
}

// NewPartitioner returns the placement `redis-cli --cluster create` gives masters, in the
// order given, with no replicas: contiguous ranges of about 16384/N slots.
func NewPartitioner(masters []string, policy Policy) (*Partitioner, error) {
	if len(masters) < 3 {
		return nil, fmt.Errorf("slot: %d masters: Redis Cluster requires at least 3 master nodes", len(masters))
	}
	if len(masters) > Count {
		return nil, fmt.Errorf("slot: %d masters: a cluster has %d slots, so at most %d masters", len(masters), Count, Count)
	}
	if err := checkNames(masters); err != nil {
		return nil, err
	}
	p := &Partitioner{masters: slices.Clone(masters), table: NewTable(), policy: policy}
	for i, r := range createRanges(len(masters)) {
		p.table.AssignSet(SetOf(r), masters[i])
	}
	return p, nil
}

// NewPartitionerFrom returns the placement of a running cluster: its masters in redis-cli
// list order, and a table whose slots name them (unassigned slots stay unserved), copied.
// This is how a planner starts from a cluster's own CLUSTER NODES (ParseNodes) rather
// than from create's even split.
func NewPartitionerFrom(masters []string, table *Table, policy Policy) (*Partitioner, error) {
	if len(masters) == 0 {
		return nil, errors.New("slot: a cluster needs a master")
	}
	if err := checkNames(masters); err != nil {
		return nil, err
	}
	if table == nil {
		table = NewTable()
	}
	for _, owner := range table.Owners() {
		if !slices.Contains(masters, owner) {
			return nil, fmt.Errorf("slot: slots %s belong to %q, which is not one of the masters", table.Slots(owner), owner)
		}
	}
	return &Partitioner{masters: slices.Clone(masters), table: table.Clone(), policy: policy}, nil
}

func checkNames(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" {
			return errors.New("slot: a master has an empty name")
		}
		if seen[n] {
			return fmt.Errorf("slot: master %q is given twice", n)
		}
		seen[n] = true
	}
	return nil
}

// Owner returns the master serving key's slot, or "" if no master serves it (after a
// Crash with no replica to fail over to).
// The zero Partitioner has no master: every key's owner is "".
func (p *Partitioner) Owner(key string) string {
	if p.table == nil {
		return ""
	}
	return p.table.Owner(Of(key))
}

// Members returns the masters in redis-cli list order.
func (p *Partitioner) Members() []string { return slices.Clone(p.masters) }

// Table returns a copy of the slot table.
func (p *Partitioner) Table() *Table {
	if p.table == nil {
		return NewTable()
	}
	return p.table.Clone()
}

// Policy returns the scale-event policy.
func (p *Partitioner) Policy() Policy { return p.policy }

// Layout returns the placement as redis-cli would load it: the masters in order, each named
// by its member name (ID and address alike), and a copy of the slot table.
func (p *Partitioner) Layout() Layout {
	l := p.layout()
	l.Slots = p.Table()
	return l
}

func (p *Partitioner) layout() Layout {
	l := Layout{Slots: p.table}
	for _, m := range p.masters {
		l.Nodes = append(l.Nodes, Node{ID: m, Addr: m})
	}
	return l
}

func (p *Partitioner) with(masters []string, moves []Move) *Partitioner {
	next := &Partitioner{masters: masters, table: p.table.Clone(), policy: p.policy}
	for _, m := range moves {
		if err := next.table.Move(m); err != nil {
			panic(err) // the planners only move slots from their owners
		}
	}
	return next
}

// Join returns the placement after master joins (`--cluster add-node`) and receives slots
// under the policy.
func (p *Partitioner) Join(master string) (*Partitioner, error) {
	masters := append(slices.Clone(p.masters), master)
	if err := checkNames(masters); err != nil {
		return nil, err
	}
	grown := &Partitioner{masters: masters, table: p.table, policy: p.policy}
	var moves []Move
	switch p.policy {
	case Reshard:
		plan, err := PlanReshard(grown.layout(), []string{"all"}, master, Count/len(masters))
		if err != nil {
			return nil, err
		}
		moves = plan.Moves
	case Rebalance:
		plan, err := PlanRebalance(grown.layout(), RebalanceOptions{Threshold: DefaultThreshold, UseEmptyMasters: true})
		if err != nil {
			return nil, err
		}
		moves = plan.Moves()
	default:
		return nil, fmt.Errorf("slot: unknown policy %v", p.policy)
	}
	return p.with(masters, moves), nil
}

// Leave returns the placement after master hands its slots over under the policy and is
// removed (`--cluster del-node`).
func (p *Partitioner) Leave(master string) (*Partitioner, error) {
	i := slices.Index(p.masters, master)
	if i < 0 {
		return nil, fmt.Errorf("slot: %q is not a master", master)
	}
	if len(p.masters) <= 3 {
		return nil, fmt.Errorf("slot: %q cannot leave: Redis Cluster requires at least 3 master nodes", master)
	}
	rest := slices.Delete(slices.Clone(p.masters), i, i+1)
	var moves []Move
	if n := p.table.Len(master); n > 0 {
		switch p.policy {
		case Reshard:
			plan, err := PlanReshard(p.layout(), []string{master}, rest[0], n)
			if err != nil {
				return nil, err
			}
			moves = plan.Moves
		case Rebalance:
			plan, err := PlanRebalance(p.layout(), RebalanceOptions{
				Weights:   []Weight{{Node: master, Weight: 0}},
				Threshold: DefaultThreshold,
			})
			if err != nil {
				return nil, err
			}
			moves = plan.Moves()
		default:
			return nil, fmt.Errorf("slot: unknown policy %v", p.policy)
		}
	}
	next := p.with(rest, moves)
	if left := next.table.Len(master); left != 0 {
		return nil, fmt.Errorf("[ERR] Node %s is not empty! Reshard data away and try again.", master)
	}
	return next, nil
}

// Failover returns the placement after replica takes over master's slots, as an automatic
// failover does when a master crashes. No key moves: the replica already holds them.
func (p *Partitioner) Failover(master, replica string) (*Partitioner, error) {
	i := slices.Index(p.masters, master)
	if i < 0 {
		return nil, fmt.Errorf("slot: %q is not a master", master)
	}
	masters := slices.Clone(p.masters)
	masters[i] = replica
	if err := checkNames(masters); err != nil {
		return nil, err
	}
	var moves []Move
	s := p.table.Slots(master)
	for slot := range s.All() {
		moves = append(moves, Move{Slot: slot, From: master, To: replica})
	}
	return p.with(masters, moves), nil
}

// Crash returns the placement after master fails with no replica: its slots are served by
// nobody, and with cluster-require-full-coverage (the default) the whole cluster refuses
// queries until an operator acts.
func (p *Partitioner) Crash(master string) (*Partitioner, error) {
	i := slices.Index(p.masters, master)
	if i < 0 {
		return nil, fmt.Errorf("slot: %q is not a master", master)
	}
	next := p.with(slices.Delete(slices.Clone(p.masters), i, i+1), nil)
	s := p.table.Slots(master)
	next.table.AssignSet(s, "")
	return next, nil
}
