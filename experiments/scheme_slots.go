package experiments

import (
	"fmt"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
	"github.com/kvplace/kvplace/slot"
)

// slotsScheme is "slots" (scaled as the seed tutorial does, with reshard) or
// "slots:rebalance" (with redis-cli's rebalance).
type slotsScheme struct{ policy slot.Policy }

func init() {
	registerScheme(schemeKind{name: "slots", forms: []string{"slots", "slots:rebalance"}, parse: func(_, arg string, hasArg bool) (scheme, error) {
		switch {
		case !hasArg || arg == "reshard":
			return slotsScheme{slot.Reshard}, nil
		case arg == "rebalance":
			return slotsScheme{slot.Rebalance}, nil
		}
		return nil, errNotThisKind
	}})
}

func (s slotsScheme) String() string {
	if s.policy == slot.Rebalance {
		return "slots:rebalance"
	}
	return "slots"
}

func (slotsScheme) planned() bool { return true }

func (slotsScheme) checkInCluster() error { return nil }

func (s slotsScheme) layout(members []string) (layout, error) {
	p, err := slot.NewPartitioner(members, s.policy)
	if err != nil {
		return nil, err
	}
	return newSlotLayout(p, false), nil
}

func (s slotsScheme) inCluster() clusterScheme { return s }

// placement is nil: the cluster places keys by its own slots.
func (slotsScheme) placement() cluster.Placement { return nil }

// grow is add-node, a wait until the cluster knows the new master, and the policy's
// reshard or rebalance.
func (s slotsScheme) grow(r *movementRun, p *cluster.Process) error {
	first := r.masters[0].Addr()
	if err := r.cli.AddNode(p.Addr(), first, rediscli.AddNodeOptions{}); err != nil {
		return fmt.Errorf("add-node %s: %w", p.Addr(), err)
	}
	// As an operator does: wait until every node knows the new one (or the reshard fails
	// with "ERR Unknown node") and it reports cluster_state:ok (or, importing, it answers
	// CLUSTERDOWN to the keys MIGRATE sends it).
	for !r.c.Knows(p.Node().ID()) || p.Node().State() != "ok" {
		r.c.Sim.RunFor(100 * time.Millisecond)
	}
	var err error
	switch s.policy {
	case slot.Reshard:
		err = r.cli.Reshard(first, rediscli.ReshardOptions{From: "all", To: p.Node().ID(), Slots: slot.Count / len(r.masters), Yes: true})
	case slot.Rebalance:
		err = r.cli.Rebalance(first, rediscli.RebalanceOptions{Threshold: slot.DefaultThreshold, UseEmptyMasters: true})
	}
	if err != nil {
		return fmt.Errorf("moving slots to %s: %w", p.Addr(), err)
	}
	return nil
}

// shrink moves the master's slots away by the policy (all of them to the first master, as
// the tutorial does, or by a rebalance that weighs it 0), then del-node.
func (s slotsScheme) shrink(r *movementRun, p *cluster.Process, id string) error {
	first := r.masters[0].Addr()
	var err error
	switch s.policy {
	case slot.Reshard:
		n := 0
		for j := range slot.Count {
			if p.Node().Owner(j) == p.Addr() {
				n++
			}
		}
		err = r.cli.Reshard(first, rediscli.ReshardOptions{From: id, To: r.masters[0].Node().ID(), Slots: n, Yes: true})
	case slot.Rebalance:
		err = r.cli.Rebalance(first, rediscli.RebalanceOptions{Weights: []string{id + "=0"}, Threshold: slot.DefaultThreshold})
	}
	if err != nil {
		return fmt.Errorf("moving slots from %s: %w", p.Addr(), err)
	}
	if err := r.cli.DelNode(first, id); err != nil {
		return fmt.Errorf("del-node %s: %w", p.Addr(), err)
	}
	return nil
}

// slotLayout gives every master a dedicated replica node, "<master>/replica", as
// `--cluster-replicas 1` does; a crashed master's replica is promoted.
type slotLayout struct {
	p        *slot.Partitioner
	names    []string // masters, then replica nodes when replicas is set
	masters  int      // how many of names are masters
	bySlot   *[slot.Count]int32
	replicas bool
}

func replicaOf(master string) string { return master + "/replica" }

func newSlotLayout(p *slot.Partitioner, replicas bool) slotLayout {
	l := slotLayout{p: p, names: p.Members(), bySlot: new([slot.Count]int32), replicas: replicas}
	l.masters = len(l.names)
	if replicas {
		for _, m := range p.Members() {
			l.names = append(l.names, replicaOf(m))
		}
	}
	index := map[string]int32{"": -1}
	for i, n := range l.names {
		index[n] = int32(i)
	}
	t := p.Table()
	for s := range slot.Count {
		l.bySlot[s] = index[t.Owner(s)]
	}
	return l
}

func (l slotLayout) members() []string      { return l.names[:l.masters] }
func (l slotLayout) holders() []string      { return l.names }
func (l slotLayout) owner(k *placedKey) int { return int(l.bySlot[k.slot()]) }
func (l slotLayout) locate(k *placedKey) (int, int) {
	o := int(l.bySlot[k.slot()])
	if !l.replicas || o < 0 {
		return o, -1
	}
	return o, o + l.masters // a copy of Members a key: a fifth of a crash pass
}
func (l slotLayout) join(m string) (layout, error) {
	p, err := l.p.Join(m)
	if err != nil {
		return nil, err
	}
	return newSlotLayout(p, l.replicas), nil
}
func (l slotLayout) leave(m string) (layout, error) {
	p, err := l.p.Leave(m)
	if err != nil {
		return nil, err
	}
	return newSlotLayout(p, l.replicas), nil
}
func (l slotLayout) crash(m string) (layout, error) {
	if !l.replicas {
		p, err := l.p.Crash(m)
		if err != nil {
			return nil, err
		}
		return newSlotLayout(p, false), nil
	}
	// The replica is promoted and keeps serving; the new master has no replica of its own.
	p, err := l.p.Failover(m, replicaOf(m))
	if err != nil {
		return nil, err
	}
	next := newSlotLayout(p, false)
	next.replicas = false
	return next, nil
}
func (l slotLayout) replicated() layout { return newSlotLayout(l.p, true) }
