package slot_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/kvplace/kvplace/slot"
	"pgregory.net/rapid"
)

// planModel drives the planners through any sequence of redis-cli operations and checks,
// after every step, the user's headline guarantee: every slot is served by exactly one
// live master. Moves are applied one at a time and each must come from the slot's owner.
type planModel struct {
	l    slot.Layout
	next int // next node number
}

func (m *planModel) masters() []string {
	var ids []string
	for _, n := range m.l.Nodes {
		if !n.IsReplica() {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

func (m *planModel) addNode(replicaOf string) string {
	id := fmt.Sprintf("%040x", m.next)
	m.l.Nodes = append(m.l.Nodes, slot.Node{ID: id, Addr: fmt.Sprintf("127.0.0.1:%d", 7000+m.next), ReplicaOf: replicaOf})
	m.next++
	return id
}

// apply moves every slot of moves, failing if a move takes a slot from a node that does not
// own it at that moment.
func (m *planModel) apply(t *rapid.T, what string, moves []slot.Move) {
	for _, mv := range moves {
		if err := m.l.Slots.Move(mv); err != nil {
			t.Fatalf("%s: a plan moves a slot its source does not own: %v", what, err)
		}
	}
}

func (m *planModel) create(t *rapid.T) {
	masters := rapid.IntRange(3, 12).Draw(t, "masters")
	replicas := rapid.IntRange(0, 2).Draw(t, "replicas")
	extra := rapid.IntRange(0, 2).Draw(t, "extra nodes")
	var addrs []string
	for i := range masters*(replicas+1) + extra {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", 7000+i))
	}
	plan, err := slot.PlanCreate(addrs, replicas, nil)
	if err != nil {
		t.Fatalf("create %d nodes, %d replicas: %v", len(addrs), replicas, err)
	}
	byAddr := map[string]string{}
	for range addrs {
		id := m.addNode("")
		byAddr[m.l.Nodes[len(m.l.Nodes)-1].Addr] = id
	}
	for i, a := range plan.Masters {
		m.l.Slots.AssignSet(slot.SetOf(plan.Slots[i]), byAddr[a])
	}
	for _, p := range plan.Replicas {
		for i := range m.l.Nodes {
			if m.l.Nodes[i].Addr == p.Replica {
				m.l.Nodes[i].ReplicaOf = byAddr[p.Master]
			}
		}
	}
}

func TestPlannersKeepEverySlotCovered(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &planModel{l: slot.Layout{Slots: slot.NewTable()}}
		m.create(t)
		t.Repeat(map[string]func(*rapid.T){
			"add empty master": func(t *rapid.T) { m.addNode("") },
			"add replica": func(t *rapid.T) {
				m.addNode(rapid.SampledFrom(m.masters()).Draw(t, "master"))
			},
			"reshard": func(t *rapid.T) {
				masters := m.masters()
				target := rapid.SampledFrom(masters).Draw(t, "target")
				from := []string{"all"}
				if rapid.Bool().Draw(t, "explicit sources") {
					from = rapid.SliceOfNDistinct(rapid.SampledFrom(masters), 1, len(masters), rapid.ID[string]).Draw(t, "sources")
				}
				count := rapid.IntRange(1, 20000).Draw(t, "count")
				plan, err := slot.PlanReshard(m.l, from, target, count)
				if err != nil {
					if slices.Equal(from, []string{target}) {
						return // "No source nodes given": the target alone is no source
					}
					t.Fatalf("reshard %v -> %s: %v", from, target, err)
				}
				if len(plan.Moves) > count {
					t.Fatalf("reshard of %d slots plans %d moves", count, len(plan.Moves))
				}
				for _, mv := range plan.Moves {
					if mv.To != target || !slices.Contains(plan.Sources, mv.From) {
						t.Fatalf("reshard to %s from %v plans %+v", target, plan.Sources, mv)
					}
				}
				m.apply(t, "reshard", plan.Moves)
			},
			"rebalance": func(t *rapid.T) {
				opt := slot.RebalanceOptions{
					Threshold:       float32(rapid.IntRange(0, 10).Draw(t, "threshold")),
					UseEmptyMasters: rapid.Bool().Draw(t, "use empty masters"),
				}
				weights := map[string]float32{}
				for _, id := range m.masters() {
					if rapid.IntRange(0, 3).Draw(t, "weighted?") == 0 {
						w := float32(rapid.IntRange(0, 8).Draw(t, "weight")) / 2
						opt.Weights = append(opt.Weights, slot.Weight{Node: id, Weight: w})
						weights[id] = w
					}
				}
				weight := func(id string) float32 {
					if w, ok := weights[id]; ok {
						return w
					}
					return 1
				}
				var involved []string
				var total float32
				for _, id := range m.masters() {
					if opt.UseEmptyMasters || m.l.Slots.Len(id) > 0 {
						involved = append(involved, id)
						total += weight(id)
					}
				}
				plan, err := slot.PlanRebalance(m.l, opt)
				if err != nil {
					if plan == nil && total == 0 {
						return // every involved master weighs 0: refused before anything moves
					}
					t.Fatalf("rebalance %+v: %v", opt, err)
				}
				for _, step := range plan.Steps {
					if step.From == step.To || !slices.Contains(involved, step.From) || !slices.Contains(involved, step.To) {
						t.Fatalf("rebalance among %v moves slots from %s to %s", involved, step.From, step.To)
					}
					m.apply(t, "rebalance", step.Moves)
				}
				if plan.Balanced {
					return
				}
				// Every involved master ends within rounding of its weighted share.
				for _, id := range involved {
					expected := int(float32(float32(slot.Count)/total) * weight(id))
					if got := m.l.Slots.Len(id); math.Abs(float64(got-expected)) > float64(len(involved)) {
						t.Fatalf("after rebalance %s holds %d slots, expected %d (weight %v of %v)", id, got, expected, weight(id), total)
					}
				}
			},
			"del-node": func(t *rapid.T) {
				victim := rapid.SampledFrom(m.l.Nodes).Draw(t, "node")
				plan, err := slot.PlanDelNode(m.l, victim.ID)
				has := m.l.Slots.Len(victim.ID)
				if has > 0 {
					if err == nil {
						t.Fatalf("del-node of %s, which owns %d slots, was not refused", victim.ID, has)
					}
					return
				}
				if err != nil {
					t.Fatalf("del-node of empty %s: %v", victim.ID, err)
				}
				if len(m.l.Nodes) <= 3 {
					t.Skip("keep at least three nodes")
				}
				for _, p := range plan.Rehome {
					for i := range m.l.Nodes {
						if m.l.Nodes[i].ID == p.Replica {
							m.l.Nodes[i].ReplicaOf = p.Master
						}
					}
				}
				m.l.Nodes = slices.DeleteFunc(m.l.Nodes, func(n slot.Node) bool { return n.ID == victim.ID })
				for i := range m.l.Nodes {
					if m.l.Nodes[i].ReplicaOf == victim.ID { // re-homed onto the victim itself
						m.l.Nodes[i].ReplicaOf = ""
					}
				}
			},
			"": func(t *rapid.T) {
				if got := m.l.Slots.Assigned(); got != slot.Count {
					t.Fatalf("only %d of %d slots are assigned", got, slot.Count)
				}
				live := map[string]bool{}
				for _, id := range m.masters() {
					live[id] = true
				}
				sum := 0
				for id, s := range m.l.Slots.Map() {
					if !live[id] {
						t.Fatalf("%d slots are owned by %s, which is not a master of the cluster", s.Len(), id)
					}
					sum += s.Len()
				}
				if sum != slot.Count {
					t.Fatalf("owners hold %d slots in all", sum)
				}
				if r := slot.Check(m.l); !r.OK() {
					t.Fatalf("check fails: %v", r.Lines())
				}
			},
		})
	})
}
