package slot_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/kvplace/kvplace/slot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceMaps reads testdata/redis-cli-slot-maps.txt: for each "== title" section, the
// slot map a real Redis 7.0.15 cluster had, node name ("n0", "n1", ...) -> slots.
func referenceMaps(t *testing.T) map[string]map[string]slot.Set {
	t.Helper()
	f, err := os.Open("testdata/redis-cli-slot-maps.txt")
	require.NoError(t, err)
	defer f.Close()
	maps := map[string]map[string]slot.Set{}
	var cur map[string]slot.Set
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") || line == "":
		case strings.HasPrefix(line, "== "):
			cur = map[string]slot.Set{}
			maps[strings.TrimPrefix(line, "== ")] = cur
		default:
			node, ranges, ok := strings.Cut(line, " ")
			require.True(t, ok, "line %q", line)
			if ranges == "-" {
				cur[node] = slot.Set{}
				continue
			}
			s, err := slot.Parse(ranges)
			require.NoError(t, err, "line %q", line)
			cur[node] = s
		}
	}
	require.NoError(t, sc.Err())
	return maps
}

func addrs(n int) []string {
	var a []string
	for i := range n {
		a = append(a, fmt.Sprintf("127.0.0.1:%d", 7000+i))
	}
	return a
}

// created returns the layout of `--cluster create` with m masters (no replicas) plus extra
// empty masters, named n0, n1, ... in redis-cli list order.
func created(t *testing.T, m, extra int) slot.Layout {
	t.Helper()
	plan, err := slot.PlanCreate(addrs(m), 0, nil)
	require.NoError(t, err)
	l := slot.Layout{Slots: slot.NewTable()}
	for i := range m + extra {
		l.Nodes = append(l.Nodes, slot.Node{ID: fmt.Sprintf("n%d", i), Addr: addrs(m + extra)[i]})
		if i < m {
			r := plan.Slots[i]
			l.Slots.AssignSet(slot.SetOf(r), fmt.Sprintf("n%d", i))
		}
	}
	return l
}

func mapOf(l slot.Layout) map[string]slot.Set {
	m := map[string]slot.Set{}
	for _, n := range l.Nodes {
		if !n.IsReplica() {
			m[n.ID] = l.Slots.Slots(n.ID)
		}
	}
	return m
}

func apply(t *testing.T, l slot.Layout, moves []slot.Move) {
	t.Helper()
	for _, m := range moves {
		require.NoError(t, l.Slots.Move(m))
	}
}

func requireSameMap(t *testing.T, want, got map[string]slot.Set) {
	t.Helper()
	require.Equal(t, len(want), len(got), "nodes")
	for node, s := range want {
		require.Equal(t, s.String(), got[node].String(), "slots of %s", node)
	}
}

func TestCreateMatchesRealRedis(t *testing.T) {
	ref := referenceMaps(t)
	for m := 3; m <= 10; m++ {
		want, ok := ref[fmt.Sprintf("create %d masters", m)]
		require.True(t, ok, "reference has create %d", m)
		requireSameMap(t, want, mapOf(created(t, m, 0)))
	}
}

func TestReshardMatchesRealRedis(t *testing.T) {
	ref := referenceMaps(t)

	l := created(t, 3, 1)
	plan, err := slot.PlanReshard(l, []string{"all"}, "n3", 4096)
	require.NoError(t, err)
	assert.Equal(t, []string{"n0", "n1", "n2"}, plan.Sources)
	assert.Len(t, plan.Moves, 4096)
	// The source with the most slots (n1, 5462) goes first and gives ceil(1365.5).
	assert.Equal(t, slot.Move{Slot: 5461, From: "n1", To: "n3"}, plan.Moves[0])
	assert.Equal(t, slot.Move{Slot: 6826, From: "n1", To: "n3"}, plan.Moves[1365])
	assert.Equal(t, slot.Move{Slot: 0, From: "n0", To: "n3"}, plan.Moves[1366])
	apply(t, l, plan.Moves)
	requireSameMap(t, ref["create 3; add n3; reshard 4096 from all to n3"], mapOf(l))

	plan, err = slot.PlanReshard(l, []string{"n3"}, "n0", 4096)
	require.NoError(t, err)
	apply(t, l, plan.Moves)
	requireSameMap(t, ref["then reshard 4096 from n3 to n0"], mapOf(l))

	l = created(t, 3, 0)
	plan, err = slot.PlanReshard(l, []string{"n2"}, "n0", 1000)
	require.NoError(t, err)
	apply(t, l, plan.Moves)
	requireSameMap(t, ref["create 3; reshard 1000 from n2 to n0"], mapOf(l))
}

// TestReshardShortfall: the reshard table can be shorter than asked, and redis-cli does
// not complain (research/redis_cluster.md §3.2).
func TestReshardShortfall(t *testing.T) {
	for asked, want := range map[int][3]int{1: {1, 0, 0}, 2: {1, 0, 0}, 3: {2, 0, 0}, 100: {34, 33, 33}, 1000: {334, 333, 333}, 4096: {1366, 1365, 1365}} {
		l := created(t, 3, 1)
		plan, err := slot.PlanReshard(l, []string{"all"}, "n3", asked)
		require.NoError(t, err)
		got := map[string]int{}
		for _, m := range plan.Moves {
			got[m.From]++
		}
		assert.Equal(t, want, [3]int{got["n1"], got["n0"], got["n2"]}, "reshard %d from all", asked)
		assert.Equal(t, asked, plan.Requested)
	}
	// More than the sources hold: everything they have, no more.
	l := created(t, 3, 1)
	plan, err := slot.PlanReshard(l, []string{"n0"}, "n3", 100000)
	require.NoError(t, err)
	assert.Len(t, plan.Moves, 5461)
}

func TestReshardErrors(t *testing.T) {
	l := created(t, 3, 1)
	l.Nodes = append(l.Nodes, slot.Node{ID: "r0", Addr: "127.0.0.1:7100", ReplicaOf: "n0"})

	_, err := slot.PlanReshard(l, []string{"all"}, "nope", 10)
	assert.EqualError(t, err, "*** The specified node (nope) is not known or not a master, please retry.")
	_, err = slot.PlanReshard(l, []string{"all"}, "r0", 10)
	assert.EqualError(t, err, "*** The specified node (r0) is not known or not a master, please retry.")
	_, err = slot.PlanReshard(l, []string{"n0", "ghost"}, "n3", 10)
	assert.EqualError(t, err, "*** The specified node (ghost) is not known or not a master, please retry.")
	_, err = slot.PlanReshard(l, []string{"n0", "", "n1"}, "n3", 10)
	assert.EqualError(t, err, "*** The specified node () is not known or not a master, please retry.")
	// The target as the only source: redis-cli warns, then gives up (real 7.0.15 prints both).
	only, err := slot.PlanReshard(l, []string{"n3"}, "n3", 10)
	assert.EqualError(t, err, "*** No source nodes given, operation aborted.")
	require.NotNil(t, only)
	assert.Equal(t, []string{"*** It is not possible to use the target node as source node."}, only.Warnings)
	assert.Empty(t, only.Moves)
	_, err = slot.PlanReshard(l, []string{"all"}, "n3", 0)
	assert.EqualError(t, err, "slot: --cluster-slots 0: redis-cli would ask how many slots to move (from 1 to 16384)")
	// A negative count is taken as given, as real redis-cli 7.0.15 does: nothing moves.
	neg, err := slot.PlanReshard(l, []string{"all"}, "n3", -5)
	require.NoError(t, err)
	assert.Equal(t, -5, neg.Requested)
	assert.Empty(t, neg.Moves)

	// The target among the sources is skipped with a warning, as redis-cli does.
	plan, err := slot.PlanReshard(l, []string{"n3", "n0", ""}, "n3", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"n0"}, plan.Sources)
	assert.Equal(t, []string{"*** It is not possible to use the target node as source node."}, plan.Warnings)
	// IDs are matched case-insensitively; "all" after a source wins.
	plan, err = slot.PlanReshard(l, []string{"N0", "all"}, "n3", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"n0", "n1", "n2"}, plan.Sources)
	assert.Equal(t, "    Moving slot 5461 from n1", plan.Lines()[0])
}

func TestRebalanceMatchesRealRedis(t *testing.T) {
	ref := referenceMaps(t)
	l := created(t, 7, 2)
	plan, err := slot.PlanRebalance(l, slot.RebalanceOptions{Threshold: slot.DefaultThreshold, UseEmptyMasters: true})
	require.NoError(t, err)
	assert.False(t, plan.Balanced)
	assert.Equal(t, ">>> Rebalancing across 9 nodes. Total weight = 9.00", plan.Header())
	apply(t, l, plan.Moves())
	requireSameMap(t, ref["create 7; add n7,n8; rebalance --cluster-use-empty-masters"], mapOf(l))
	// Each empty master takes its 1822 slots from the biggest givers first.
	assert.Equal(t, "n6", plan.Steps[0].From)
	assert.Equal(t, "n7", plan.Steps[0].To)
	assert.Len(t, plan.Steps[0].Moves, 521)
}

func TestRebalanceNotNeeded(t *testing.T) {
	l := created(t, 3, 1)
	// Without --cluster-use-empty-masters the empty n3 is left out and 5461/5462/5461 is
	// within 2% of 5461.
	plan, err := slot.PlanRebalance(l, slot.RebalanceOptions{Threshold: slot.DefaultThreshold})
	require.NoError(t, err)
	assert.True(t, plan.Balanced)
	assert.Empty(t, plan.Steps)
	assert.Equal(t, "*** No rebalancing needed! All nodes are within the 2.00% threshold.", plan.NoRebalanceMessage())

	// With it, each master gives about a quarter to n3 (+1365, +1366, +1365, -4096).
	plan, err = slot.PlanRebalance(l, slot.RebalanceOptions{Threshold: slot.DefaultThreshold, UseEmptyMasters: true})
	require.NoError(t, err)
	gave := map[string]int{}
	for _, s := range plan.Steps {
		assert.Equal(t, "n3", s.To)
		gave[s.From] += len(s.Moves)
	}
	assert.Equal(t, map[string]int{"n0": 1365, "n1": 1366, "n2": 1365}, gave)
}

func TestRebalanceWeights(t *testing.T) {
	l := created(t, 3, 0)
	// Weight 0 empties a master (tests/cluster/tests/12-replica-migration-2.tcl).
	w, err := slot.ParseWeight("n0=0")
	require.NoError(t, err)
	plan, err := slot.PlanRebalance(l, slot.RebalanceOptions{Weights: []slot.Weight{w}, Threshold: 2})
	require.NoError(t, err)
	apply(t, l, plan.Moves())
	assert.Zero(t, l.Slots.Len("n0"))
	assert.Equal(t, 8192, l.Slots.Len("n1"))
	assert.Equal(t, 8192, l.Slots.Len("n2"))

	// Weights 2:1:1 from an even split.
	l = created(t, 3, 0)
	plan, err = slot.PlanRebalance(l, slot.RebalanceOptions{Weights: []slot.Weight{{Node: "n0", Weight: 2}}, Threshold: 2})
	require.NoError(t, err)
	apply(t, l, plan.Moves())
	assert.Equal(t, 8192, l.Slots.Len("n0"))
	assert.Equal(t, 4096, l.Slots.Len("n1"))
	assert.Equal(t, 4096, l.Slots.Len("n2"))

	// A threshold of 0 disables the check entirely, as in redis-cli (threshold > 0 test).
	l = created(t, 3, 0)
	plan, err = slot.PlanRebalance(l, slot.RebalanceOptions{Weights: []slot.Weight{{Node: "n0", Weight: 2}}})
	require.NoError(t, err)
	assert.True(t, plan.Balanced)
}

func TestRebalanceErrors(t *testing.T) {
	l := created(t, 3, 0)
	_, err := slot.ParseWeight("n0")
	assert.EqualError(t, err, "*** invalid input n0")
	_, err = slot.PlanRebalance(l, slot.RebalanceOptions{Weights: []slot.Weight{{Node: "zz", Weight: 1}}, Threshold: 2})
	assert.EqualError(t, err, "*** No such master node zz")
	zero := []slot.Weight{{Node: "n0"}, {Node: "n1"}, {Node: "n2"}}
	_, err = slot.PlanRebalance(l, slot.RebalanceOptions{Weights: zero, Threshold: 2})
	assert.EqualError(t, err, "slot: rebalance: the involved masters weigh 0 in all, so no master can expect any slot")
	// A negative weight expects more slots than exist to give: redis-cli's assertion.
	_, err = slot.PlanRebalance(l, slot.RebalanceOptions{Weights: []slot.Weight{{Node: "n0", Weight: -1}}, Threshold: 2})
	assert.EqualError(t, err, "*** Assertion failed: Reshard table != number of slots")
}

func TestParseWeightIsAtof(t *testing.T) {
	for arg, want := range map[string]float32{
		"a=1": 1, "a=.5": 0.5, "a=2x": 2, "a=x": 0, "a=": 0, "a=1e2": 100, "a=1e": 1, "a= 3": 3, "a=-1.5": -1.5, "a=5.": 5,
	} {
		w, err := slot.ParseWeight(arg)
		require.NoError(t, err, arg)
		assert.Equal(t, want, w.Weight, arg)
		assert.Equal(t, "a", w.Node)
	}
}

func TestCreateSeedTutorial(t *testing.T) {
	seed := []string{"127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383", "127.0.0.1:6384", "127.0.0.1:6385", "127.0.0.1:6386"}
	plan, err := slot.PlanCreate(seed, 1, nil)
	require.NoError(t, err)
	// Exactly the lines of the seed tutorial and of reference/seed-runbook-real-output.txt.
	assert.Equal(t, []string{
		">>> Performing hash slots allocation on 6 nodes...",
		"Master[0] -> Slots 0 - 5460",
		"Master[1] -> Slots 5461 - 10922",
		"Master[2] -> Slots 10923 - 16383",
		"Adding replica 127.0.0.1:6385 to 127.0.0.1:6381",
		"Adding replica 127.0.0.1:6386 to 127.0.0.1:6382",
		"Adding replica 127.0.0.1:6384 to 127.0.0.1:6383",
		">>> Trying to optimize slaves allocation for anti-affinity",
		"[WARNING] Some slaves are in the same host as their master",
	}, plan.Lines())
	assert.Equal(t, []slot.Pair{
		{Replica: "127.0.0.1:6384", Master: "127.0.0.1:6383"},
		{Replica: "127.0.0.1:6385", Master: "127.0.0.1:6381"},
		{Replica: "127.0.0.1:6386", Master: "127.0.0.1:6382"},
	}, plan.Replicas)

	// With a random source, the swaps on one host permute the pairing; the seed tutorial's
	// own run ended with 6384->6382, 6385->6383, 6386->6381. Each master still has one replica.
	seen := map[string]bool{}
	for s := range uint64(30) {
		plan, err := slot.PlanCreate(seed, 1, rand.New(rand.NewPCG(s, 0)))
		require.NoError(t, err)
		masters := map[string]bool{}
		for _, p := range plan.Replicas {
			masters[p.Master] = true
		}
		assert.Len(t, masters, 3)
		seen[fmt.Sprint(plan.Replicas)] = true
		assert.Equal(t, "[WARNING] Some slaves are in the same host as their master", plan.AntiAffinity)
	}
	assert.Greater(t, len(seen), 1, "random swaps should reach more than one pairing")
}

func TestCreateAcrossHosts(t *testing.T) {
	// Three hosts, two nodes each: masters interleave by IP, replicas avoid their master's host.
	nodes := []string{"10.0.0.1:7000", "10.0.0.1:7001", "10.0.0.2:7000", "10.0.0.2:7001", "10.0.0.3:7000", "10.0.0.3:7001"}
	plan, err := slot.PlanCreate(nodes, 1, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, plan.Masters)
	assert.Equal(t, []slot.Pair{
		{Replica: "10.0.0.2:7001", Master: "10.0.0.1:7000"},
		{Replica: "10.0.0.3:7001", Master: "10.0.0.2:7000"},
		{Replica: "10.0.0.1:7001", Master: "10.0.0.3:7000"},
	}, plan.Adding)
	assert.Empty(t, plan.AntiAffinity, "the optimiser is silent when the score is already 0")
}

func TestCreateExtraReplicas(t *testing.T) {
	// 8 nodes, 1 replica each: 4 masters, 4 replicas... 9 nodes: 4 masters, 4 replicas, 1 extra.
	plan, err := slot.PlanCreate(addrs(9), 1, nil)
	require.NoError(t, err)
	assert.Len(t, plan.Masters, 4)
	assert.Len(t, plan.Adding, 5)
	assert.Equal(t, 4, plan.Extra)
	assert.Contains(t, plan.Lines(), "Adding extra replicas...")
	assert.Empty(t, plan.Empty)

	// 11 nodes, 2 replicas: 3 masters, 6 replicas, 2 extras (one per master at most).
	plan, err = slot.PlanCreate(addrs(11), 2, nil)
	require.NoError(t, err)
	assert.Len(t, plan.Masters, 3)
	assert.Len(t, plan.Replicas, 8)
	assert.Empty(t, plan.Empty)

	// 3 masters and 0 replicas requested: no replica lines at all.
	plan, err = slot.PlanCreate(addrs(3), 0, nil)
	require.NoError(t, err)
	assert.Empty(t, plan.Adding)
	assert.Equal(t, -1, plan.Extra)
}

func TestCreateErrors(t *testing.T) {
	_, err := slot.PlanCreate(addrs(5), 1, nil)
	assert.EqualError(t, err, "*** ERROR: Invalid configuration for cluster creation.\n"+
		"*** Redis Cluster requires at least 3 master nodes.\n"+
		"*** This is not possible with 5 nodes and 1 replicas per node.\n"+
		"*** At least 6 nodes are required.")
	_, err = slot.PlanCreate([]string{"127.0.0.1:1", "nocolon", "127.0.0.1:3"}, 0, nil)
	assert.EqualError(t, err, "Invalid address format: nocolon")
	_, err = slot.PlanCreate([]string{"127.0.0.1:1", "127.0.0.1:x", "127.0.0.1:3"}, 0, nil)
	assert.EqualError(t, err, "Invalid address format: 127.0.0.1:x")
	_, err = slot.PlanCreate(addrs(6), -1, nil)
	assert.EqualError(t, err, "slot: --cluster-replicas -1 is negative")
}

// TestCreateRepeatedAddress: redis-cli 7.0.15 takes an address given twice as two
// entries of one node (sim/scenario's TestCreateRepeatedAddressLive compares with it): each
// entry gets its share, the node both, and the anti-affinity score, keyed by node ID, sees
// one master twice on its host.
func TestCreateRepeatedAddress(t *testing.T) {
	p, err := slot.PlanCreate([]string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:1"}, 0, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:1"}, p.Masters)
	assert.Equal(t, []int{0, 1, 2, 3}, p.MasterEntry)
	assert.Equal(t, "[WARNING] Some slaves are in the same host as their master", p.AntiAffinity)
	l := p.Layout()
	require.Len(t, l.Nodes, 3)
	assert.Equal(t, "0-4095,12288-16383", l.Slots.Slots("127.0.0.1:1").String())
	assert.Equal(t, 8192, l.Slots.Len("127.0.0.1:1"))
}

func TestDelNode(t *testing.T) {
	l := created(t, 3, 1)
	l.Nodes = append(l.Nodes,
		slot.Node{ID: "r0", Addr: "127.0.0.1:7100", ReplicaOf: "n0"},
		slot.Node{ID: "r3", Addr: "127.0.0.1:7103", ReplicaOf: "n3"})
	_, err := slot.PlanDelNode(l, "n0")
	assert.EqualError(t, err, "[ERR] Node 127.0.0.1:7000 is not empty! Reshard data away and try again.")
	_, err = slot.PlanDelNode(l, "ghost")
	assert.EqualError(t, err, "[ERR] No such node ID ghost")

	plan, err := slot.PlanDelNode(l, "n3")
	require.NoError(t, err)
	assert.Equal(t, "n3", plan.Node.ID)
	// n1 is the first master with the fewest replicas (0).
	assert.Equal(t, []slot.Pair{{Replica: "r3", Master: "n1"}}, plan.Rehome)

	plan, err = slot.PlanDelNode(l, "R0") // replicas can always go; IDs are case-insensitive
	require.NoError(t, err)
	assert.Empty(t, plan.Rehome)
}

func TestAddNodeMaster(t *testing.T) {
	l := created(t, 3, 0)
	l.Nodes = append(l.Nodes, slot.Node{ID: "r0", ReplicaOf: "n0"})
	m, auto, err := slot.AddNodeMaster(l, "")
	require.NoError(t, err)
	assert.True(t, auto)
	assert.Equal(t, "n1", m.ID)
	m, auto, err = slot.AddNodeMaster(l, "n2")
	require.NoError(t, err)
	assert.False(t, auto)
	assert.Equal(t, "n2", m.ID)
	_, _, err = slot.AddNodeMaster(l, "nx")
	assert.EqualError(t, err, "[ERR] No such master ID nx")
}

func TestCheck(t *testing.T) {
	l := created(t, 3, 1)
	r := slot.Check(l)
	assert.True(t, r.OK())
	assert.Equal(t, []string{">>> Check for open slots...", ">>> Check slots coverage...", "[OK] All 16384 slots covered."}, r.Lines())

	l.Slots.SetImporting(7, "n3", "n0")
	l.Slots.SetMigrating(7, "n0", "n3")
	l.Slots.SetMigrating(9, "n0", "n3")
	l.Slots.Assign(100, "")
	r = slot.Check(l)
	assert.False(t, r.OK())
	assert.Equal(t, []int{7, 9}, r.Open)
	assert.Equal(t, []string{
		">>> Check for open slots...",
		"[WARNING] Node 127.0.0.1:7000 has slots in migrating state 7,9.",
		"[WARNING] Node 127.0.0.1:7003 has slots in importing state 7.",
		"[WARNING] The following slots are open: 7,9.",
		">>> Check slots coverage...",
		"[ERR] Not all 16384 slots are covered by nodes.",
		"",
	}, r.Lines())
}
