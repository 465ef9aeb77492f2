package scenario

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// GenOptions configure Generate.
type GenOptions struct {
	// Ports are the ports the generated nodes listen on, one a node in the order they are
	// started; a runbook uses at most MaxGenNodes of them. Nil means 7001, 7002, …
	Ports []int
	// Partitions lets a runbook cut the network and heal it (a live run needs root).
	Partitions bool
}

// MaxGenNodes is how many nodes a generated runbook starts at most: 8 masters with 2
// replicas each, and 2 more added.
const MaxGenNodes = 26

// Generate writes a runbook of the kind users type, drawn from seed: a cluster of 3 to 8
// masters with 0 to 2 replicas each is created, and then come 6 to 14 operations drawn
// from what the runbook language has: writes and reads of keys, add-node as a master or a
// replica, reshards (random sources, targets, counts and pipelines), rebalances (weights,
// thresholds, --cluster-use-empty-masters), del-node of a replica or a master (refused
// while it holds slots), CLUSTER FAILOVER plain, FORCE and TAKEOVER, stops, kills and
// starts, --cluster fix, check and set-timeout, partitions and heals (with
// opt.Partitions), and sleeps of 0.2 to 20 s, too short ones included, as users sleep.
// Observations (CLUSTER NODES, CLUSTER INFO, --cluster check) follow some operations and
// end the runbook: they are the facts compared.
//
// The generator keeps what it knows for sure (which containers exist and run, and which
// left the cluster by del-node) and otherwise draws freely: a command it sends to a node
// whose role changed in the meantime is refused as Redis refuses it, and that refusal is a
// fact too. The same seed and options give the same text.
func Generate(seed uint64, opt GenOptions) string {
	g := &generator{rnd: rand.New(rand.NewPCG(seed, 0x6b7670)), opt: opt}
	g.printf("# generated runbook, seed %d", seed)
	masters := 3 + g.rnd.IntN(6)
	replicas := g.rnd.IntN(3)
	timeout := []int{2000, 5000, 15000}[g.rnd.IntN(3)]
	var addrs []string
	for range masters * (1 + replicas) {
		n := g.start(timeout)
		addrs = append(addrs, n.addr())
	}
	g.printf("redis-cli --cluster create %s --cluster-replicas %d --cluster-yes", strings.Join(addrs, " "), replicas)
	for i, n := range g.nodes {
		n.joined = true
		n.master = i < masters
	}
	g.sleep(1, 5)
	g.observe()
	ops := 6 + g.rnd.IntN(9)
	for range ops {
		g.op(timeout)
		if g.rnd.IntN(3) == 0 {
			g.sleep(0.2, 20)
		}
		if g.rnd.IntN(3) == 0 {
			g.observe()
		}
	}
	if g.cut {
		g.printf("heal")
	}
	g.sleep(2, 10)
	g.observe()
	if n := g.pick(func(n *genNode) bool { return n.up && n.joined }); n != nil {
		g.printf("redis-cli --cluster check %s", n.addr())
	}
	return g.b.String()
}

type genNode struct {
	name   string
	port   int
	up     bool // its container runs
	joined bool // it was made part of the cluster and not deleted from it
	master bool // it joined as a master (its role may have changed since)
	gone   bool // del-node shut it down: it is not started again
}

func (n *genNode) addr() string { return fmt.Sprintf("127.0.0.1:%d", n.port) }

type generator struct {
	rnd   *rand.Rand
	opt   GenOptions
	b     strings.Builder
	nodes []*genNode
	keys  int
	cut   bool // a partition is in place
}

func (g *generator) printf(format string, args ...any) {
	fmt.Fprintf(&g.b, format+"\n", args...)
}

func (g *generator) port(i int) int {
	if i < len(g.opt.Ports) {
		return g.opt.Ports[i]
	}
	return 7001 + i
}

// start writes a docker run of a new node.
func (g *generator) start(timeout int) *genNode {
	i := len(g.nodes)
	n := &genNode{name: fmt.Sprintf("redis-node-%d", i+1), port: g.port(i), up: true}
	g.nodes = append(g.nodes, n)
	g.printf("docker run -d --name %s --net host redis:7.0.15 --cluster-enabled yes --cluster-node-timeout %d --port %d", n.name, timeout, n.port)
	return n
}

// pick draws one of the nodes keep accepts, or nil.
func (g *generator) pick(keep func(*genNode) bool) *genNode {
	var c []*genNode
	for _, n := range g.nodes {
		if keep(n) {
			c = append(c, n)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[g.rnd.IntN(len(c))]
}

func running(n *genNode) bool { return n.up && n.joined }

func (g *generator) sleep(lo, hi float64) {
	s := lo + g.rnd.Float64()*(hi-lo)
	if s < 1 {
		g.printf("sleep %dms", int(s*1000))
		return
	}
	g.printf("sleep %ds", int(s))
}

// observe writes one look at the cluster from a running node.
func (g *generator) observe() {
	n := g.pick(running)
	if n == nil {
		return
	}
	switch g.rnd.IntN(3) {
	case 0:
		g.printf("redis-cli -p %d cluster nodes", n.port)
	case 1:
		g.printf("redis-cli -p %d cluster info", n.port)
	default:
		g.printf("redis-cli --cluster check %s", n.addr())
	}
}

// op writes one operation.
func (g *generator) op(timeout int) {
	entry := g.pick(running)
	if entry == nil { // everything is down: bring a node back
		if n := g.pick(func(n *genNode) bool { return n.joined && !n.up }); n != nil {
			g.printf("docker start %s", n.name)
			n.up = true
		}
		return
	}
	master := func(n *genNode) bool { return running(n) && n.master }
	replica := func(n *genNode) bool { return running(n) && !n.master }
	switch k := g.rnd.IntN(100); {
	case k < 14: // a write
		g.keys++
		g.printf("redis-cli -c -p %d set key:%d value:%d", entry.port, g.keys, g.keys)
	case k < 20: // a read, maybe of a key never written
		g.printf("redis-cli -c -p %d get key:%d", entry.port, 1+g.rnd.IntN(g.keys+2))
	case k < 24:
		g.printf("load %d", 50+g.rnd.IntN(450))
	case k < 31: // add-node, as a master or as a replica
		if len(g.nodes) >= MaxGenNodes {
			return
		}
		n := g.start(timeout)
		if g.rnd.IntN(2) == 0 {
			g.printf("redis-cli --cluster add-node %s %s", n.addr(), entry.addr())
			n.master = true
		} else if m := g.pick(master); m != nil && g.rnd.IntN(2) == 0 {
			g.printf("redis-cli --cluster add-node %s %s --cluster-slave --cluster-master-id %s", n.addr(), entry.addr(), m.addr())
		} else {
			g.printf("redis-cli --cluster add-node %s %s --cluster-slave", n.addr(), entry.addr())
		}
		n.joined = true
		g.sleep(0.5, 8)
	case k < 41: // reshard
		to := g.pick(master)
		if to == nil {
			return
		}
		from := "all"
		if m := g.pick(func(n *genNode) bool { return master(n) && n != to }); m != nil && g.rnd.IntN(3) > 0 {
			from = m.addr()
		}
		line := fmt.Sprintf("redis-cli --cluster reshard %s --cluster-from %s --cluster-to %s --cluster-slots %d --cluster-yes",
			entry.addr(), from, to.addr(), []int{1, 10, 100, 1000, 4096}[g.rnd.IntN(5)])
		if g.rnd.IntN(2) == 0 {
			line += fmt.Sprintf(" --cluster-pipeline %d", []int{1, 5, 100}[g.rnd.IntN(3)])
		}
		g.printf("%s", line)
	case k < 48: // rebalance
		line := "redis-cli --cluster rebalance " + entry.addr()
		if m := g.pick(master); m != nil && g.rnd.IntN(2) == 0 {
			line += fmt.Sprintf(" --cluster-weight %s=%d", m.addr(), g.rnd.IntN(4))
		}
		if g.rnd.IntN(3) == 0 {
			line += fmt.Sprintf(" --cluster-threshold %d", 1+g.rnd.IntN(5))
		}
		if g.rnd.IntN(2) == 0 {
			line += " --cluster-use-empty-masters"
		}
		g.printf("%s", line)
	case k < 54: // del-node: mostly replicas; a master is refused while it has slots
		n := g.pick(replica)
		if n == nil || g.rnd.IntN(4) == 0 {
			n = g.pick(func(n *genNode) bool { return running(n) && n != entry })
		}
		if n == nil || n == entry {
			return
		}
		g.printf("redis-cli --cluster del-node %s %s", entry.addr(), n.addr())
		// del-node shuts the node down when it gets that far; if it refused, the node
		// runs on, but the generator cannot know which, and leaves it alone from now on.
		n.joined, n.gone = false, true
	case k < 64: // manual failover, sent to what joined as a replica or, now and then, anywhere
		n := g.pick(replica)
		if n == nil || g.rnd.IntN(5) == 0 {
			n = entry
		}
		g.printf("redis-cli -p %d cluster failover%s", n.port, []string{"", " force", " takeover"}[g.rnd.IntN(3)])
		g.sleep(0.2, 10)
	case k < 74: // a crash or a graceful stop, and a start
		if down := g.pick(func(n *genNode) bool { return n.joined && !n.up }); down != nil && g.rnd.IntN(2) == 0 {
			g.printf("docker start %s", down.name)
			down.up = true
			return
		}
		g.printf("docker %s %s", []string{"stop", "kill"}[g.rnd.IntN(2)], entry.name)
		entry.up = false
		g.sleep(0.5, 20)
	case k < 80:
		g.printf("redis-cli --cluster fix %s", entry.addr())
	case k < 86:
		g.printf("redis-cli --cluster check %s", entry.addr())
	case k < 90:
		g.printf("redis-cli --cluster set-timeout %s %d", entry.addr(), []int{1000, 2000, 5000, 15000}[g.rnd.IntN(4)])
	case k < 95 && g.opt.Partitions:
		if g.cut {
			g.printf("heal")
			g.cut = false
			return
		}
		var in, out []string
		for _, n := range g.nodes {
			if n.gone {
				continue
			}
			if g.rnd.IntN(3) == 0 {
				in = append(in, n.name)
			} else {
				out = append(out, n.name)
			}
		}
		if len(in) == 0 || len(out) == 0 {
			return
		}
		g.printf("partition %s | %s", strings.Join(in, ","), strings.Join(out, ","))
		g.cut = true
		g.sleep(1, 20)
	default:
		g.sleep(0.2, 20)
	}
}
