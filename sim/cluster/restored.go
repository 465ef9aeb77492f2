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
	if err := opt.Validate(); err != nil {
		return nil, nil, err
	}
	s, err := sim.New(sim.Config{Seed: opt.Seed, Link: opt.Link, Hangups: true, Retransmit: true, KeepTrace: opt.Trace, Cores: opt.Host.SimCores()})
	if err != nil {
		return nil, nil, err
	}
	c := NewCluster(s)
	c.Slowdown = opt.Slowdown
	c.Host = opt.Host
	c.UnixPhase = opt.UnixPhase
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
	procs, err := startRestored(c, peers, uint64(len(plan.Masters)), opt.Config)
	if err != nil {
		return nil, nil, err
	}
	return c, procs, nil
}

// startRestored starts one process per peer, in peers' order, each restarted from a
// nodes.conf that lists them all, at currentEpoch.
func startRestored(c *Cluster, peers []savedPeer, currentEpoch uint64, cfg Config) ([]*Process, error) {
	// nodes.conf lists nodes in the order the node keeps them, by name (Persist saves
	// n.order); loading them in that order also lays a node's peers out in memory in the
	// order cron walks them, which at 1000 nodes is most of the cost of a cron pass.
	sorted := slices.Clone(peers)
	slices.SortFunc(sorted, func(a, b savedPeer) int { return strings.Compare(a.name, b.name) })
	var procs []*Process
	for i, me := range peers {
		disk := &Persisted{Myself: me.name, CurrentEpoch: currentEpoch, migrating: map[int]string{}, importing: map[int]string{}}
		disk.nodes = slices.Clone(sorted)
		for j := range disk.nodes {
			if disk.nodes[j].name == me.name {
				disk.nodes[j].flags |= flagMyself
			}
		}
		p, err := c.start(fmt.Sprintf("redis-node-%d", i+1), me.ip, me.port, cfg, disk)
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// BuildFromNodes starts a simulated copy of the cluster a CLUSTER NODES reply describes,
// as if each of its processes had just been restarted from that nodes.conf: the same node
// IDs, addresses, masters and replicas, slot ranges and config epochs, and empty data
// (opt.Masters and opt.Replicas are ignored). Nodes flagged fail or noaddr are left out,
// as is every open slot (a reply's [slot->-id] entries): the copy starts stable. The
// processes are returned in the reply's order.
func BuildFromNodes(opt Options, nodes []slot.NodeLine) (*Cluster, []*Process, error) {
	opt = opt.WithDefaults()
	if err := opt.Validate(); err != nil {
		return nil, nil, err
	}
	s, err := sim.New(sim.Config{Seed: opt.Seed, Link: opt.Link, Hangups: true, Retransmit: true, KeepTrace: opt.Trace, Cores: opt.Host.SimCores()})
	if err != nil {
		return nil, nil, err
	}
	c := NewCluster(s)
	c.Slowdown = opt.Slowdown
	c.Host = opt.Host
	c.UnixPhase = opt.UnixPhase
	if len(nodes) > MaxProcesses {
		return nil, nil, fmt.Errorf("cluster: %d nodes: at most %d", len(nodes), MaxProcesses)
	}
	var peers []savedPeer
	ids := map[string]bool{}
	addrs := map[string]bool{}
	var epoch uint64
	for _, n := range nodes {
		if n.Gone() {
			continue
		}
		host, port, err := slot.ParseAddr(n.Addr)
		if err != nil {
			return nil, nil, fmt.Errorf("cluster: node %s: %w", n.ID, err)
		}
		if port+clusterPortIncrement > 65535 {
			return nil, nil, fmt.Errorf("cluster: node %s: port %d leaves no room for its bus port", n.ID, port)
		}
		if !validName(n.ID) {
			return nil, nil, fmt.Errorf("cluster: node ID %q: want 40 lowercase hex digits", n.ID)
		}
		if ids[n.ID] || addrs[n.Addr] {
			return nil, nil, fmt.Errorf("cluster: node %s at %s is listed twice", n.ID, n.Addr)
		}
		ids[n.ID], addrs[n.Addr] = true, true
		sp := savedPeer{name: n.ID, ip: host, port: port, cport: port + clusterPortIncrement, ponged: true}
		if n.Master != "" {
			sp.flags, sp.master = flagSlave, n.Master
		} else {
			sp.flags, sp.configEpoch = flagMaster, uint64(max(n.ConfigEpoch, 0))
			if n.Slots.Len() > 0 {
				set := n.Slots
				sp.slots = &set
			}
		}
		epoch = max(epoch, uint64(max(n.ConfigEpoch, 0)))
		peers = append(peers, sp)
	}
	for _, p := range peers {
		if p.master != "" && !ids[p.master] {
			return nil, nil, fmt.Errorf("cluster: replica %s replicates %s, which is not listed", p.name, p.master)
		}
	}
	if len(peers) == 0 {
		return nil, nil, fmt.Errorf("cluster: no node to start")
	}
	procs, err := startRestored(c, peers, epoch, opt.Config)
	if err != nil {
		return nil, nil, err
	}
	return c, procs, nil
}

// validName reports whether id is a node ID as Redis makes them: 40 lowercase hex digits.
func validName(id string) bool {
	if len(id) != 40 {
		return false
	}
	for _, r := range id {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
