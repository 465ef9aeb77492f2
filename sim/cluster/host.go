package cluster

import (
	"cmp"
	"fmt"
	"math"
	"time"

	"github.com/kvplace/kvplace/sim"
)

// HostLoad describes how busy the host the processes share is (Options.Host). On a busy
// host a process that sleeps in epoll_wait and is woken by a packet or its timer does not
// run at once: it waits for a core. The wait delays everything the process does: its
// replies to pings (so a master has a ping to a node outstanding for longer), the
// times it reads from the clock, and its cron, which Redis re-arms when it returns.
//
// The wait is an M/M/c queue's: with Cores cores each Busy of the time, a waking
// process finds every core taken with the probability of Erlang's C formula, and then
// waits an exponential time of mean Burst / (Cores × (1 − Busy)). Events that reach the
// process while it waits are handled with the one that woke it, in arrival order. Each
// process draws its waits from a stream of its own, so a busy host moves no other random
// choice of the run.
//
// A SIGKILLed process, too, waits for a core before the kernel can tear it down, and
// its sockets close only after that (Exit): other nodes' pings meanwhile are taken in
// and never answered. The kernel then closes them one peer after another, the listening
// socket last (TeardownPerPeer): a peer whose links closed first connects again and is
// accepted meanwhile, and its PING is the first a large cluster sends the dead node.
//
// The zero value leaves the host out of the model: no process ever waits, and a killed
// process's sockets close at the kill, all at once.
type HostLoad struct {
	// Busy is the share of the host's CPU time, all cores together, in use by
	// everything on it, the servers themselves included: what mpstat or top show as not
	// idle, and what live.SizedFailover's CPUBusy measures. From 0 to below 1.
	Busy float64
	// Cores is how many cores the host has; 0 means 2, the machines this project's
	// recordings were made on.
	Cores int
	// Burst is the mean time a process keeps a core once it has one: how long a waiting
	// process waits, on average, for one of the Cores to come free. 0 means DefaultBurst.
	Burst time.Duration
	// Exit is how long the kernel takes to tear a SIGKILLed process down once it has a
	// core, until its sockets close; 0 means DefaultExit. Until they close, what other
	// nodes send the process is taken in and never answered, and the pings sent then
	// are the ones that time out first.
	Exit time.Duration
	// Work, when set, drives the host by the servers' own work instead of by Busy: each
	// cluster bus packet a process sends or receives costs it PacketCost plus GossipCost
	// per gossip section, each cron run CronCost, and the processes share the Cores
	// (sim.Config.Cores): one that wakes while every core is held waits for one, behind
	// those already waiting, as in the kernel's run queue. The host is then as busy as
	// the cluster makes it, and busiest just after each whole second, when gossip has
	// every node ping most others at once (recordings/probes/host-burst.txt). Busy must
	// be 0, since what else runs on the host is not modelled with work yet, and Burst
	// does not apply; Cores and Exit do. The simulation must have the cores
	// (sim.Config.Cores: SimCores), as every builder here gives it.
	Work bool
}

// The costs of a server's work on the cluster bus when HostLoad.Work is set, fitted to
// the mean CPU share real clusters of 30 and 60 masters with a replica each keep busy on
// this project's 2-core host at a 2 s node timeout, with nothing else running
// (experiments/recordings/probes/host-burst.txt: medians 0.22 and 0.53 of both cores;
// simulated 0.17 and 0.51). CronCost stands for all a server does on its own between
// packets (serverCron too), which keeps the host 7 to 20 % busy between bursts.
// experiments.TestWorkHostMatchesHostBurst holds the result to the recording.
const (
	PacketCost = 15 * time.Microsecond  // a packet read or written: the syscall and its header
	GossipCost = 1000 * time.Nanosecond // a gossip section built or processed
	CronCost   = 250 * time.Microsecond // a clusterCron run, besides the pings it sends
)

// DefaultBurst is HostLoad's Burst when none is given: fitted to the real first PFAIL and
// FAIL on 60 masters + 60 replicas sharing 2 cores at about 50 % busy (experiments/
// recordings/failover-size.txt), among 0.1 to 30 ms (from 5 ms up no simulated FAIL
// comes within 200 ms of the first PFAIL, as real ones can); held, without refitting, to
// 30 masters on an idle host and on one kept busy by stress-ng (failover-size-loaded.txt).
const DefaultBurst = 3 * time.Millisecond

// DefaultExit is HostLoad's Exit when none is given: the median time from the SIGKILL
// to the end of a connection held open to the killed master (opened last: in probes
// the kernel mostly closed it first of the process's sockets, the listening socket last), 7.7 ms over ten kills
// among 30 masters + 30 replicas on an otherwise idle 2-core host (4.6 to 24.3 ms;
// close_ms in experiments/recordings/failover-size.txt), less the little a waiting
// process waits there.
const DefaultExit = 7500 * time.Microsecond

// TeardownPerPeer is how long the kernel takes, on an idle host, to close a SIGKILLed
// server's sockets to one peer (its two cluster bus links): it closes them one after
// another, the listening socket last, and a peer whose links have closed meanwhile
// connects again at its next cron, is accepted by that listening socket, and sends the
// PING that opens its wait for PFAIL (clusterLinkConnectHandler). On a busy host the
// teardown is stretched by the share of the cores others hold. Fitted to
// experiments/recordings/probes/teardown.txt (record-teardown): among 100 masters + 100
// replicas, about half busy, 0 to 7 masters pinged a kill's victim this way, 3.9 a kill
// over 11 kills, where a master's cron ticks every 100 ms; 20 simulated kills give 3.3 at
// 20 µs a peer and 4.3 at 25 (experiments.TestFirstPingAt100Masters). Among 30 + 30 the
// debug log shows the same path: a master's links ended 6 ms after the SIGKILL, it
// connected again, pinged, and was reset 3 ms later.
const TeardownPerPeer = 20 * time.Microsecond

// teardown is how the kernel closes this node's sockets after a SIGKILL (sim.Teardown):
// from exitTime, over TeardownPerPeer for each peer it knows, stretched by a busy host,
// each peer's links at a point of that span drawn from draws. All at the kill on a host
// left out of the model.
func (n *Node) teardown(draws sim.Stream) sim.Teardown {
	t := sim.Teardown{Start: n.exitTime()}
	if n.cpu == nil && !n.work {
		return t
	}
	busy := 0.0
	if n.cpu != nil {
		busy = n.cpu.busy
	}
	t.Span = time.Duration(float64(time.Duration(len(n.order)-1)*TeardownPerPeer) / (1 - busy))
	t.Peer = func(int) time.Duration { return time.Duration(draws.Float64() * float64(t.Span)) }
	return t
}

// Validate refuses a host the model cannot describe, naming the value at fault.
func (h HostLoad) Validate() error {
	switch {
	case math.IsNaN(h.Busy) || h.Busy < 0 || h.Busy >= 1:
		return fmt.Errorf("cluster: host busy %v: want a share from 0 to below 1", h.Busy)
	case h.Cores < 0:
		return fmt.Errorf("cluster: host cores %d: want 1 or more (0 for 2)", h.Cores)
	case h.Burst < 0:
		return fmt.Errorf("cluster: host burst %v: want 0 (the default) or more", h.Burst)
	case h.Exit < 0:
		return fmt.Errorf("cluster: host exit %v: want 0 (the default) or more", h.Exit)
	case h.Work && h.Busy != 0:
		return fmt.Errorf("cluster: host busy %v with work: want 0, the servers' work makes the host busy", h.Busy)
	}
	return nil
}

// SimCores is the cores sim.Config.Cores must give the simulation of processes on h: 0,
// a core each, unless h.Work.
func (h HostLoad) SimCores() int {
	if !h.Work {
		return 0
	}
	return cmp.Or(h.Cores, 2)
}

// charge adds d to the work of the node's current call when its host is driven by work
// (HostLoad.Work).
func (n *Node) charge(d time.Duration) {
	if n.work {
		n.ctx.Busy(d)
	}
}

// packetCost is what sending or receiving pkt costs (HostLoad.Work).
func packetCost(pkt *packet) time.Duration {
	return PacketCost + time.Duration(len(pkt.gossip))*GossipCost
}

// waits returns the chance that a waking process waits for a core and its mean wait
// when it does; zero chance on an idle host.
func (h HostLoad) waits() (chance float64, mean time.Duration) {
	if h.Busy == 0 {
		return 0, 0
	}
	cores := h.Cores
	if cores == 0 {
		cores = 2
	}
	burst := h.Burst
	if burst == 0 {
		burst = DefaultBurst
	}
	return erlangC(cores, h.Busy*float64(cores)), time.Duration(float64(burst) / (float64(cores) * (1 - h.Busy)))
}

// erlangC is the chance that an arrival at an M/M/c queue of c servers and offered load a
// (in servers, below c) finds every server busy.
func erlangC(c int, a float64) float64 {
	term, sum := 1.0, 1.0 // a^k / k!, and its sum over k < c
	for k := 1; k < c; k++ {
		term *= a / float64(k)
		sum += term
	}
	last := term * a / float64(c) * float64(c) / (float64(c) - a)
	return last / (sum + last)
}

// cpuWait is one process's side of a busy host: whether it waits for a core now, and
// what reached it meanwhile.
type cpuWait struct {
	chance  float64
	mean    time.Duration
	exit    time.Duration // HostLoad.Exit
	busy    float64       // HostLoad.Busy
	draws   *sim.Stream
	waiting bool            // a timerWake is set: the process waits for a core
	queued  []deferredEvent // what reached it meanwhile, the one that woke it first
}

// newCPUWait returns the waits of a process on host h, drawn from draws; nil without
// draws, which Cluster.hostDraws gives only to the processes of a busy host.
func newCPUWait(h HostLoad, draws *sim.Stream) *cpuWait {
	if draws == nil {
		return nil
	}
	chance, mean := h.waits()
	exit := h.Exit
	if exit == 0 {
		exit = DefaultExit
	}
	return &cpuWait{chance: chance, mean: mean, exit: exit, busy: h.Busy, draws: draws}
}

// exitTime is how long a SIGKILLed process's sockets stay open: its threads wait for a
// core, as any process woken does, and the kernel then tears it down. 0 on an idle host.
func (n *Node) exitTime() time.Duration {
	if n.work {
		return n.workExit
	}
	if n.cpu == nil {
		return 0
	}
	return n.cpu.draw() + n.cpu.exit
}

// draw returns how long a process waking now waits for a core: 0 when one is free.
func (w *cpuWait) draw() time.Duration {
	if !w.draws.Chance(w.chance) {
		return 0
	}
	return time.Duration(-float64(w.mean) * math.Log(1-w.draws.Float64()))
}

// delay reports whether the event e must wait for a core, and queues it if so; the
// caller then returns, and the node's timerWake hands it back in order.
func (n *Node) delay(e deferredEvent) bool {
	w := n.cpu
	if w == nil {
		return false
	}
	if w.waiting {
		w.queued = append(w.queued, e)
		return true
	}
	wait := w.draw()
	if wait <= 0 {
		return false
	}
	w.waiting = true
	w.queued = append(w.queued, e)
	n.ctx.After(wait, sim.Timer{Kind: timerWake})
	return true
}

// wake runs what waited for a core, in the order it arrived, each as it would have run
// on an idle host.
func (n *Node) wake() {
	w := n.cpu
	queued := w.queued
	w.waiting, w.queued = false, nil
	for _, e := range queued {
		if e.isTimer {
			n.runTimer(e.timer)
		} else {
			n.runStep(e.from, e.msg)
		}
	}
}
