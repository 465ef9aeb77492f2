package cluster

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// BuildRestored starts a cluster of opt.Masters masters with opt.Replicas replicas each
// as if every process had just been restarted from the nodes.conf of a cluster that
// redis-cli --cluster create had made and that had converged: every node knows every
// other, with the slots, replicas and config epochs (1..Masters) redis-cli's plan gives;
// no node has met another over the bus yet in this run, and the data is empty.
//
// Creating a cluster of hundreds of nodes with the emulated redis-cli means simulating
// every MEET and the whole join by gossip, which costs minutes of wall time at 1000
// nodes; a restored cluster skips that and starts where a running cluster would be after
// a full restart. It then behaves like any other: links come up, replicas resynchronise
// with their masters and the state turns ok.
func BuildRestored(opt Options) (*Cluster, []*Process, error) {
	opt = opt.WithDefaults()
	if opt.Masters < 1 || opt.Replicas < 0 {
		return nil, nil, fmt.Errorf("cluster: %d masters with %d replicas each: want at least one master", opt.Masters, opt.Replicas)
	}
	s, err := sim.New(sim.Config{Seed: opt.Seed, Link: opt.Link, Hangups: true, Retransmit: true, KeepTrace: opt.Trace})
	if err != nil {
		return nil, nil, err
	}
	c := NewCluster(s)
	n := opt.Masters * (opt.Replicas + 1)
	if n > MaxProcesses {
		return nil, nil, fmt.Errorf("cluster: %d processes do not fit in the ports from 6381 to 55535", n)
	}
	var addrs []string
	for i := range n {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", 6381+i))
	}
	// No anti-affinity swaps (a nil Rand): on one host they only permute the pairing, and
	// redis-cli's optimiser costs 500 × nodes iterations over every node, minutes at 1000.
	plan, err := slot.PlanCreate(addrs, opt.Replicas, nil)
	if err != nil {
		return nil, nil, err
	}
	ids := s.Stream("node ids")
	names := map[string]string{} // address -> node ID
	for _, a := range addrs {
		names[a] = randomName(&ids)
	}
	var peers []savedPeer
	epoch := map[string]uint64{}
	for i, m := range plan.Masters {
		epoch[m] = uint64(i + 1)
	}
	masterOf := map[string]string{}
	for _, pr := range plan.Replicas {
		masterOf[pr.Replica] = names[pr.Master]
	}
	for i, a := range addrs {
		sp := savedPeer{name: names[a], ip: "127.0.0.1", port: 6381 + i, cport: 6381 + i + clusterPortIncrement, ponged: true}
		if m, ok := masterOf[a]; ok {
			sp.flags, sp.master = flagSlave, m
		} else {
			sp.flags, sp.configEpoch = flagMaster, epoch[a]
		}
		peers = append(peers, sp)
	}
	for i, m := range plan.Masters {
		for j := range peers {
			if peers[j].name == names[m] {
				set := slot.SetOf(plan.Slots[i])
				peers[j].slots = &set
			}
		}
	}
	// nodes.conf lists nodes in the order the node keeps them, by name (Persist saves
	// n.order); loading them in that order also lays a node's peers out in memory in the
	// order cron walks them, which at 1000 nodes is most of the cost of a cron pass.
	sorted := slices.Clone(peers)
	slices.SortFunc(sorted, func(a, b savedPeer) int { return strings.Compare(a.name, b.name) })
	var procs []*Process
	for i, a := range addrs {
		disk := &Persisted{Myself: names[a], CurrentEpoch: uint64(len(plan.Masters)), migrating: map[int]string{}, importing: map[int]string{}}
		disk.nodes = slices.Clone(sorted)
		for j := range disk.nodes {
			if disk.nodes[j].name == names[a] {
				disk.nodes[j].flags |= flagMyself
			}
		}
		p, err := c.start(fmt.Sprintf("redis-node-%d", i+1), "127.0.0.1", 6381+i, opt.Config, disk)
		if err != nil {
			return nil, nil, err
		}
		procs = append(procs, p)
	}
	return c, procs, nil
}
