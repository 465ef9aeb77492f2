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
//
// On one host (loopback) the score never reaches 0, so redis-cli's 500 iterations per
// node all run: 30 000 scorings at 60 nodes, which is why the scoring reuses its memory.
func optimizeAntiAffinity(hosts, ipOrder []string, same, replicaOf []int, rnd Rand) string {
	a := newAffinity(hosts, ipOrder, same)
	score, _ := a.score(replicaOf)
	if score == 0 {
		return ""
	}
	if rnd != nil {
		var replicas []int // which entries are replicas does not change with the swaps
		for i, m := range replicaOf {
			if m >= 0 {
				replicas = append(replicas, i)
			}
		}
		for iter := 500 * len(hosts); iter > 0; iter-- {
			var offenders []int
			score, offenders = a.score(replicaOf)
			if score == 0 || len(offenders) == 0 {
				break
			}
			first := offenders[rnd.IntN(len(offenders))]
			// The second is drawn from the replicas other than first, in list order.
			if len(replicas) < 2 {
				break
			}
			k := rnd.IntN(len(replicas) - 1)
			if replicas[k] >= first {
				k++ // skip first itself (replicas is sorted, and first is in it)
			}
			second := replicas[k]
			replicaOf[first], replicaOf[second] = replicaOf[second], replicaOf[first]
			if s, _ := a.score(replicaOf); s > score {
				replicaOf[first], replicaOf[second] = replicaOf[second], replicaOf[first]
			}
		}
	}
	switch score, _ = a.score(replicaOf); {
	case score == 0:
		return "[OK] Perfect anti-affinity obtained!"
	case score >= 10000:
		return "[WARNING] Some slaves are in the same host as their master"
	default:
		return "[WARNING] Some slaves of the same master are in the same host"
	}
}

// affinity is clusterManagerGetAntiAffinityScore. On each host, nodes are grouped by
// master (a master by itself, a replica by the master it replicates); a group of k ≥ 2
// costs 10000·(k-1) if it holds the master, else k. For each costly group the first
// replica in list order is an offender. Groups are visited in order of first appearance
// on their host (redis-cli walks a dict, whose order is arbitrary). Groups are keyed by
// node ID, as redis-cli keys them: same[i] is the first entry of i's node, so that an
// address given twice is one master seen twice, a group of two.
type affinity struct {
	onHost [][]int // the entries on each host of ipOrder, in list order
	same   []int
	// Per group, keyed by same[·] (an entry index): reused by every scoring.
	size      []int
	hasMaster []bool
	firstRepl []int
	order     []int
	offenders []int
}

func newAffinity(hosts, ipOrder []string, same []int) *affinity {
	n := len(hosts)
	a := &affinity{same: same, size: make([]int, n), hasMaster: make([]bool, n), firstRepl: make([]int, n)}
	for _, h := range ipOrder {
		var on []int
		for i, host := range hosts {
			if host == h {
				on = append(on, i)
			}
		}
		a.onHost = append(a.onHost, on)
	}
	return a
}

// score returns the score of replicaOf and its offenders; the offenders slice is valid
// until the next call.
func (a *affinity) score(replicaOf []int) (score int, offenders []int) {
	a.offenders = a.offenders[:0]
	for _, on := range a.onHost {
		a.order = a.order[:0]
		for _, i := range on {
			key := a.same[i]
			if replicaOf[i] >= 0 {
				key = a.same[replicaOf[i]]
			}
			if a.size[key] == 0 {
				a.hasMaster[key], a.firstRepl[key] = false, -1
				a.order = append(a.order, key)
			}
			a.size[key]++
			if replicaOf[i] < 0 {
				a.hasMaster[key] = true
			} else if a.firstRepl[key] < 0 {
				a.firstRepl[key] = i
			}
		}
		for _, key := range a.order {
			if k := a.size[key]; k >= 2 {
				if a.hasMaster[key] {
					score += 10000 * (k - 1)
				} else {
					score += k
				}
				if a.firstRepl[key] >= 0 {
					a.offenders = append(a.offenders, a.firstRepl[key])
				}
			}
			a.size[key] = 0
		}
	}
	return score, a.offenders
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
