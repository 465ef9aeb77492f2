package slot_test

import (
	"fmt"

	"github.com/kvplace/kvplace/slot"
)

func ExampleOf() {
	fmt.Println(slot.Of("k1"), slot.Of("k2"))
	// Keys with the same {hash tag} share a slot.
	fmt.Println(slot.Of("{user1000}.following"), slot.Of("{user1000}.followers"), slot.Of("user1000"))
	// Output:
	// 12706 449
	// 3443 3443 3443
}

func ExampleParse() {
	s, err := slot.Parse("[0-1364],[5461-6826],[10923-12287]")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Len(), s.Spaced())
	_, err = slot.Parse("5461-100")
	fmt.Println(err)
	// Output:
	// 4096 0-1364 5461-6826 10923-12287
	// slot: range "5461-100" is reversed (5461 > 100)
}

func ExamplePlanCreate() {
	plan, err := slot.PlanCreate([]string{
		"127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383",
		"127.0.0.1:6384", "127.0.0.1:6385", "127.0.0.1:6386",
	}, 1, nil)
	if err != nil {
		panic(err)
	}
	for _, line := range plan.Lines() {
		fmt.Println(line)
	}
	// Output:
	// >>> Performing hash slots allocation on 6 nodes...
	// Master[0] -> Slots 0 - 5460
	// Master[1] -> Slots 5461 - 10922
	// Master[2] -> Slots 10923 - 16383
	// Adding replica 127.0.0.1:6385 to 127.0.0.1:6381
	// Adding replica 127.0.0.1:6386 to 127.0.0.1:6382
	// Adding replica 127.0.0.1:6384 to 127.0.0.1:6383
	// >>> Trying to optimize slaves allocation for anti-affinity
	// [WARNING] Some slaves are in the same host as their master
}

// The seed tutorial's scale-out: a fourth, empty master takes 4096 slots from all.
func ExamplePlanReshard() {
	l := slot.Layout{Slots: slot.NewTable()}
	for i, r := range []string{"0-5460", "5461-10922", "10923-16383", ""} {
		id := fmt.Sprintf("node%d", i+1)
		l.Nodes = append(l.Nodes, slot.Node{ID: id, Addr: fmt.Sprintf("127.0.0.1:638%d", i+1)})
		s, _ := slot.Parse(r)
		l.Slots.AssignSet(s, id)
	}
	plan, err := slot.PlanReshard(l, []string{"all"}, "node4", 4096)
	if err != nil {
		panic(err)
	}
	after, err := l.Apply(plan.Moves)
	if err != nil {
		panic(err)
	}
	got := after.Slots.Slots("node4")
	fmt.Println(len(plan.Moves), got.Bracketed())
	// Output: 4096 [0-1364],[5461-6826],[10923-12287]
}

func ExamplePlanRebalance() {
	l := slot.Layout{Slots: slot.NewTable()}
	for i, r := range []string{"0-5460", "5461-10922", "10923-16383"} {
		id := fmt.Sprintf("node%d", i+1)
		l.Nodes = append(l.Nodes, slot.Node{ID: id, Addr: fmt.Sprintf("127.0.0.1:638%d", i+1)})
		s, _ := slot.Parse(r)
		l.Slots.AssignSet(s, id)
	}
	// --cluster-weight node1=2: node1 should hold half of the slots.
	plan, err := slot.PlanRebalance(l, slot.RebalanceOptions{
		Weights:   []slot.Weight{{Node: "node1", Weight: 2}},
		Threshold: slot.DefaultThreshold,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(plan.Header())
	for _, s := range plan.Steps {
		fmt.Printf("Moving %d slots from %s to %s\n", len(s.Moves), s.From, s.To)
	}
	// Output:
	// >>> Rebalancing across 3 nodes. Total weight = 4.00
	// Moving 1366 slots from node2 to node1
	// Moving 1365 slots from node3 to node1
}

// The cluster a create plan makes, as a Layout to plan the next step on: nodes are named
// by their addresses until they run and have IDs.
func ExampleCreatePlan_Layout() {
	plan, err := slot.PlanCreate([]string{"127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383", "127.0.0.1:6384", "127.0.0.1:6385", "127.0.0.1:6386"}, 1, nil)
	if err != nil {
		panic(err)
	}
	l := plan.Layout()
	for _, n := range l.Nodes {
		if n.IsReplica() {
			fmt.Println(n.Addr, "replicates", n.ReplicaOf)
		} else {
			fmt.Println(n.Addr, l.Slots.Slots(n.ID))
		}
	}
	// Output:
	// 127.0.0.1:6381 0-5460
	// 127.0.0.1:6382 5461-10922
	// 127.0.0.1:6383 10923-16383
	// 127.0.0.1:6384 replicates 127.0.0.1:6383
	// 127.0.0.1:6385 replicates 127.0.0.1:6381
	// 127.0.0.1:6386 replicates 127.0.0.1:6382
}
