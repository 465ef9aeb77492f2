package cluster

import (
	"fmt"
	"io"
	"time"

	"github.com/kvplace/kvplace/sim"
)

// Loopback is the link between processes on one host: tens to a couple of hundred
// microseconds, as measured between redis-server processes on loopback.
var Loopback = sim.Link{Latency: sim.Uniform{Min: 50 * time.Microsecond, Max: 250 * time.Microsecond}}

// Options describe a simulated cluster built the way the seed tutorial builds one: processes
// started on one host from port 6381 up, then `redis-cli --cluster create --cluster-replicas`.
type Options struct {
	Seed     uint64
	Masters  int
	Replicas int // per master
	Config   Config
	Link     sim.Link
	Trace    bool      // keep the simulation's trace records
	Out      io.Writer // what redis-cli prints; nil discards it
}

// Build starts the processes and creates the cluster with the emulated redis-cli. The anti-
// affinity swaps draw from the stream "redis-cli", as redis-cli's do from its clock.
func Build(opt Options) (*Cluster, []*Process, error) {
	s, err := sim.New(sim.Config{Seed: opt.Seed, Link: opt.Link, Hangups: true, Retransmit: true, KeepTrace: opt.Trace})
	if err != nil {
		return nil, nil, err
	}
	c := NewCluster(s)
	n := opt.Masters * (opt.Replicas + 1)
	var procs []*Process
	var addrs []string
	for i := range n {
		p, err := c.Start(fmt.Sprintf("redis-node-%d", i+1), "127.0.0.1", 6381+i, opt.Config)
		if err != nil {
			return nil, nil, err
		}
		procs = append(procs, p)
		addrs = append(addrs, p.Addr())
	}
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	cli := c.CLI(out)
	st := s.Stream("redis-cli")
	cli.Rand = st.Rand()
	if err := cli.Create(addrs, opt.Replicas, true); err != nil {
		return nil, nil, err
	}
	return c, procs, nil
}

// FailoverTiming is one master crash, as reference/redis-failover-timings.txt records it:
// times from the SIGKILL until a surviving master first flags it PFAIL ("fail?"), until the
// first node marks it FAIL, and until its replica is a master. A zero means it never
// happened within the observation.
type FailoverTiming struct {
	Seed     uint64
	PFail    time.Duration
	Fail     time.Duration
	Promoted time.Duration
	Replica  string // the promoted replica's address
}

// MeasureFailover builds a cluster, lets replicas finish their first synchronisation,
// kills the first master and watches for three node timeouts plus 4 s, longer than any
// promotion takes (PFAIL after one timeout, FAIL within two, an election delay of at most
// 1 s per rank). The kill comes 15 s plus a random fraction of a second after the cluster
// was created: nodes' pings lock onto the Unix second (gossip carries pong times in whole
// seconds), so a kill at a fixed phase would always meet the same ping schedule, which a
// person killing a process never does.
func MeasureFailover(opt Options) (FailoverTiming, error) {
	const settle = 15 * time.Second
	observe := 3*opt.Config.NodeTimeout + 4*time.Second
	c, procs, err := Build(opt)
	if err != nil {
		return FailoverTiming{}, err
	}
	phase := c.Sim.Stream("kill phase")
	c.Sim.RunFor(settle + time.Duration(phase.IntN(int(time.Second))))
	victim := procs[0]
	id := victim.Node().ID()
	replicas := map[*Process]bool{}
	for _, p := range procs {
		if isReplicaOf(p.Node(), id) {
			replicas[p] = true
		}
	}
	c.Kill(victim)
	killed := c.Sim.Now()
	c.Sim.RunFor(observe)
	t := FailoverTiming{Seed: opt.Seed}
	first := func(cur *time.Duration, at sim.Time) {
		d := at.Sub(killed)
		if d >= 0 && (*cur == 0 || d < *cur) {
			*cur = d
		}
	}
	for _, p := range procs[1:] {
		n := p.Node()
		for _, e := range n.Events {
			if e.At < killed {
				continue
			}
			switch {
			case e.Kind == EvPFail && e.About == id && n.myself.isMaster() && !isReplicaOf(n, id):
				first(&t.PFail, e.At)
			case e.Kind == EvFail && e.About == id:
				first(&t.Fail, e.At)
			case e.Kind == EvPromoted && replicas[p]:
				first(&t.Promoted, e.At)
				t.Replica = p.Addr()
			}
		}
	}
	return t, nil
}

func isReplicaOf(n *Node, id string) bool {
	return n.myself.master != nil && n.myself.master.name == id
}
