package slot

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// A Rand draws the random numbers redis-cli takes from rand(): IntN returns a value in
// [0, n). *math/rand/v2.Rand satisfies it.
type Rand interface{ IntN(n int) int }

// A Pair is a replica and the master it replicates, both by address.
type Pair struct{ Replica, Master string }

// A CreatePlan is what redis-cli --cluster create decides before it configures any node
// (clusterManagerCommandCreate in src/redis-cli.c).
type CreatePlan struct {
	Nodes    int      // nodes given on the command line
	Masters  []string // Masters[i] is "Master[i]", by address
	Slots    []Range  // Slots[i] is the contiguous range Masters[i] gets
	Adding   []Pair   // the "Adding replica R to M" lines, in print order
	Extra    int      // index in Adding before which "Adding extra replicas..." prints; -1 if it does not
	Replicas []Pair   // the final pairing after the anti-affinity pass, in command-line order
	Empty    []string // nodes left neither master with slots nor replica (masters with 0 slots)

	// MasterEntry[i] is the position on the command line of Masters[i], and
	// ReplicaEntry[i] those of Replicas[i]'s replica and master. redis-cli takes an
	// address given twice as two nodes that happen to share a node ID; the positions tell
	// them apart, and the node ends up with both parts' slots.
	MasterEntry  []int
	ReplicaEntry [][2]int

	// AntiAffinity is the optimiser's verdict ("[OK] Perfect anti-affinity obtained!" or one
	// of its two warnings); "" when every replica already sat on another host, in which
	// case redis-cli prints nothing.
	AntiAffinity string
}

// PlanCreate computes redis-cli --cluster create ADDRS... --cluster-replicas replicas.
//
// Masters are the first len(addrs)/(replicas+1) nodes of the list interleaved by IP; each
// gets a contiguous range cut with redis-cli's float32 arithmetic and lround; the remaining
// nodes, rotated left by one, become replicas, preferring a different IP from the master's.
//
// When several replicas share a host with their masters, redis-cli then swaps masters
// between random pairs of replicas (srand(time(NULL))) and keeps every swap that does not
// make anti-affinity worse, so on a single host the final pairing is a random permutation
// of the printed one. rnd plays the part of rand(); with a nil rnd no swap is made and the
// printed pairing is final.
func PlanCreate(addrs []string, replicas int, rnd Rand) (*CreatePlan, error) {
	if replicas < 0 {
		return nil, fmt.Errorf("slot: --cluster-replicas %d is negative", replicas)
	}
	hosts := make([]string, len(addrs))
	// same[i] is the first position of addrs[i]'s node: redis-cli 7.0.15 accepts an address
	// given twice, and its anti-affinity score sees both entries by their one node ID.
	same := make([]int, len(addrs))
	first := map[string]int{}
	for i, a := range addrs {
		host, port, err := ParseAddr(a)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("%s:%d", host, port)
		if j, ok := first[key]; ok {
			same[i] = j
		} else {
			first[key], same[i] = i, i
		}
		hosts[i] = host
	}
	n := len(addrs)
	masters := n / (replicas + 1)
	if masters < 3 {
		return nil, errors.New(strings.Join([]string{
			"*** ERROR: Invalid configuration for cluster creation.",
			"*** Redis Cluster requires at least 3 master nodes.",
			fmt.Sprintf("*** This is not possible with %d nodes and %d replicas per node.", n, replicas),
			fmt.Sprintf("*** At least %d nodes are required.", 3*(replicas+1)),
		}, "\n"))
	}
	if masters > Count {
		return nil, fmt.Errorf("slot: %d masters: a cluster has %d slots, so at most %d masters", masters, Count, Count)
	}

	// Group by IP string in order of first appearance, then interleave round-robin.
	var ipOrder []string
	groups := map[string][]int{}
	for i, h := range hosts {
		if _, ok := groups[h]; !ok {
			ipOrder = append(ipOrder, h)
		}
		groups[h] = append(groups[h], i)
	}
	interleaved := make([]int, 0, n)
	for len(interleaved) < n {
		for _, h := range ipOrder {
			if g := groups[h]; len(g) > 0 {
				interleaved = append(interleaved, g[0])
				groups[h] = g[1:]
			}
		}
	}

	p := &CreatePlan{Nodes: n, Extra: -1}
	p.Slots = createRanges(masters)
	for _, m := range interleaved[:masters] {
		p.Masters = append(p.Masters, addrs[m])
		p.MasterEntry = append(p.MasterEntry, m)
	}

	// Replica candidates, rotated left by one ("sometimes helps to get better initial
	// anti-affinity"). -1 marks a taken candidate.
	cand := append([]int(nil), interleaved[masters:]...)
	if len(cand) > 0 {
		cand = append(cand[1:], cand[0])
	}
	replicaOf := make([]int, n) // replicaOf[node] = master node index, -1 if none
	for i := range replicaOf {
		replicaOf[i] = -1
	}
	available := len(cand)
	for unused := false; ; unused = true {
		for _, m := range interleaved[:masters] {
			for assigned := 0; assigned < replicas && available > 0; assigned++ {
				found, first := -1, -1
				for j, c := range cand {
					if c < 0 {
						continue
					}
					if hosts[c] != hosts[m] {
						found = c
						cand[j] = -1
						break
					}
					if first < 0 {
						first = j
					}
				}
				if found < 0 {
					// Every remaining candidate shares the master's host: take the first
					// and drop everything up to it (redis-cli advances its array there).
					found = cand[first]
					cand = cand[first+1:]
				}
				available--
				replicaOf[found] = m
				p.Adding = append(p.Adding, Pair{addrs[found], addrs[m]})
				if unused {
					break
				}
			}
		}
		if unused || available == 0 {
			break
		}
		p.Extra = len(p.Adding)
	}

	p.AntiAffinity = optimizeAntiAffinity(hosts, ipOrder, same, replicaOf, rnd)
	isMaster := make([]bool, n)
	for _, m := range interleaved[:masters] {
		isMaster[m] = true
	}
	for i, m := range replicaOf {
		switch {
		case m >= 0:
			p.Replicas = append(p.Replicas, Pair{addrs[i], addrs[m]})
			p.ReplicaEntry = append(p.ReplicaEntry, [2]int{i, m})
		case !isMaster[i]:
			p.Empty = append(p.Empty, addrs[i])
		}
	}
	return p, nil
}

// createRanges cuts the 16384 slots into m contiguous ranges exactly as redis-cli does,
// with a float32 cursor and lround; the last master always ends at 16383.
func createRanges(m int) []Range {
	perNode := float32(Count) / float32(m)
	var (
		rs     []Range
		first  int64
		cursor float32
	)
	for i := range m {
		last := int64(math.Round(float64(cursor + perNode - 1))) // lround: half away from zero
		if last > Count || i == m-1 {
			last = Count - 1
		}
		if last < first {
			last = first
		}
		rs = append(rs, Range{int(first), int(last)})
		first = last + 1
		cursor += perNode
	}
	return rs
}

// optimizeAntiAffinity is clusterManagerOptimizeAntiAffinity: while some replica shares a
// host with its master (or with a sibling), swap the masters of a random offending replica
// and a random other replica, reverting only swaps that raise the score. It edits
// replicaOf in place and returns the final message, or "" when the score was 0 at once.
func optimizeAntiAffinity(hosts, ipOrder []string, same, replicaOf []int, rnd Rand) string {
	score, _ := antiAffinity(hosts, ipOrder, same, replicaOf)
	if score == 0 {
		return ""
	}
	if rnd != nil {
		for iter := 500 * len(hosts); iter > 0; iter-- {
			var offenders []int
			score, offenders = antiAffinity(hosts, ipOrder, same, replicaOf)
			if score == 0 || len(offenders) == 0 {
				break
			}
			first := offenders[rnd.IntN(len(offenders))]
			var others []int
			for i, m := range replicaOf {
				if i != first && m >= 0 {
					others = append(others, i)
				}
			}
			if len(others) == 0 {
				break
			}
			second := others[rnd.IntN(len(others))]
			replicaOf[first], replicaOf[second] = replicaOf[second], replicaOf[first]
			if s, _ := antiAffinity(hosts, ipOrder, same, replicaOf); s > score {
				replicaOf[first], replicaOf[second] = replicaOf[second], replicaOf[first]
			}
		}
	}
	switch score, _ = antiAffinity(hosts, ipOrder, same, replicaOf); {
	case score == 0:
		return "[OK] Perfect anti-affinity obtained!"
	case score >= 10000:
		return "[WARNING] Some slaves are in the same host as their master"
	default:
		return "[WARNING] Some slaves of the same master are in the same host"
	}
}

// antiAffinity is clusterManagerGetAntiAffinityScore. On each host, nodes are grouped by
// master (a master by itself, a replica by the master it replicates); a group of k ≥ 2
// costs 10000·(k-1) if it holds the master, else k. For each costly group the first
// replica in list order is an offender. Groups are visited in order of first appearance
// on their host (redis-cli walks a dict, whose order is arbitrary). Groups are keyed by
// node ID, as redis-cli keys them: same[i] is the first entry of i's node, so that an
// address given twice is one master seen twice, a group of two.
func antiAffinity(hosts, ipOrder []string, same, replicaOf []int) (score int, offenders []int) {
	for _, h := range ipOrder {
		type group struct {
			size      int
			hasMaster bool
			firstRepl int
		}
		var order []int
		groups := map[int]*group{}
		for i, host := range hosts {
			if host != h {
				continue
			}
			key := same[i]
			if replicaOf[i] >= 0 {
				key = same[replicaOf[i]]
			}
			g := groups[key]
			if g == nil {
				g = &group{firstRepl: -1}
				groups[key] = g
				order = append(order, key)
			}
			g.size++
			if replicaOf[i] < 0 {
				g.hasMaster = true
			} else if g.firstRepl < 0 {
				g.firstRepl = i
			}
		}
		for _, key := range order {
			g := groups[key]
			if g.size < 2 {
				continue
			}
			if g.hasMaster {
				score += 10000 * (g.size - 1)
			} else {
				score += g.size
			}
			if g.firstRepl >= 0 {
				offenders = append(offenders, g.firstRepl)
			}
		}
	}
	return score, offenders
}

// Lines returns what redis-cli prints while planning, from ">>> Performing hash slots
// allocation" to the anti-affinity verdict.
func (p *CreatePlan) Lines() []string {
	lines := []string{fmt.Sprintf(">>> Performing hash slots allocation on %d nodes...", p.Nodes)}
	for i, r := range p.Slots {
		lines = append(lines, fmt.Sprintf("Master[%d] -> Slots %d - %d", i, r.Lo, r.Hi))
	}
	for i, a := range p.Adding {
		if i == p.Extra {
			lines = append(lines, "Adding extra replicas...")
		}
		lines = append(lines, fmt.Sprintf("Adding replica %s to %s", a.Replica, a.Master))
	}
	if p.AntiAffinity != "" {
		lines = append(lines, ">>> Trying to optimize slaves allocation for anti-affinity", p.AntiAffinity)
	}
	return lines
}

// Layout returns the cluster the plan makes, with every node named by its address (the
// node IDs are only known once the nodes run): the masters in command-line order with
// their ranges, then the replicas with the master each was paired with, then the nodes
// left empty. It is what a planner needs to plan the next step on paper.
//
// An address given twice is one node, listed where it first appears, with the slots of
// both its entries.
func (p *CreatePlan) Layout() Layout {
	l := Layout{Slots: NewTable()}
	listed := map[string]bool{}
	add := func(n Node) {
		if !listed[n.ID] {
			listed[n.ID] = true
			l.Nodes = append(l.Nodes, n)
		}
	}
	for i, m := range p.Masters {
		add(Node{ID: m, Addr: m})
		l.Slots.AssignSet(SetOf(p.Slots[i]), m)
	}
	for _, r := range p.Replicas {
		add(Node{ID: r.Replica, Addr: r.Replica, ReplicaOf: r.Master})
	}
	for _, e := range p.Empty {
		add(Node{ID: e, Addr: e})
	}
	return l
}
