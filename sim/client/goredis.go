package client

import (
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/slot"
)

// GoRedis is a simulated application client that does what go-redis v9.23.0's
// ClusterClient does (osscluster.go, redis.go, internal/pool), as far as it decides what
// an application sees during a failover or a reshard:
//
//   - The slot map (its "state") is loaded from CLUSTER SLOTS of a random known node, and
//     reloaded in the background (LazyReload: one at a time, then 200 ms of cooldown, again
//     if asked meanwhile) on a MOVED, ASK or READONLY reply, and by the first command
//     after it has grown ClusterStateReloadInterval old (60 s). Not when a node refuses
//     connections or times out: a command on a dead master's slot keeps going to it.
//   - A command makes up to 1+MaxRedirects attempts (3 redirects by default). MOVED and
//     ASK are followed at once; other retryable errors (a refused dial, a timeout, EOF,
//     CLUSTERDOWN, TRYAGAIN, LOADING, READONLY, MASTERDOWN) are retried after a backoff of
//     MinRetryBackoff + a random part of MinRetryBackoff<<attempt (capped at
//     MaxRetryBackoff): the first retry on the same node, later ones on a node chosen
//     afresh, the failed one marked failing for 15 s (which only replica reads avoid).
//   - A node's client retries MaxRetries times itself (none by default), never after a
//     timeout once the command was written. Its pool dials a node that is down 5 times,
//     100 ms apart, before giving up; after PoolSize such failures it fails every dial at
//     once and probes the node every second until it answers (the pool's circuit breaker).
//   - With ReadOnly, reads go to a replica of the slot by round robin, or with
//     RouteRandomly to a random node of the slot, or with RouteByLatency to the closest
//     one, skipping nodes marked failing.
//
// In a cluster with a Placement (the simulator's ring and modulo schemes, which Redis and
// go-redis do not have), the client is go-redis in all but where it sends a key: it builds
// the cluster's partitioner from the tokens CLUSTER SLOTS lists and sends each key to its
// token's nodes, as ClusterClient.cmdSlot sends it to its slot's.
//
// Not modelled: the time to open a connection to a live node (pools are warm and a dial
// on loopback takes well under a millisecond), DialTimeout (it bounds dials to a node cut
// off by a partition, and the faults here keep pools connected), replicas' LOADING state,
// and latency measurement (loopback latencies are equal within noise: RouteByLatency picks
// at random among the nodes not failing).
type GoRedis struct {
	c     *cluster.Cluster
	cl    *cluster.Client
	opt   Options // resolved
	rnd   sim.Stream
	addrs []string // nodes known, in the order learnt: the seeds, then the slot maps'
	nodes map[string]*goRedisNode

	state     *goRedisState
	reloading bool
	pending   bool     // a reload was asked for during one
	waiting   []waiter // commands waiting for the first state
	rr        int      // the round-robin shard picker's counter
}

// A waiter is a command waiting for the first state: then runs it, fail ends it when no
// node gave one.
type waiter struct {
	then func()
	fail func(cluster.Reply)
}

type goRedisState struct {
	slots [slot.Count][]string // master first, then replicas; with a Placement, by token
	part  cluster.Partitioner  // with a Placement, built from the tokens listed
	at    sim.Time
}

// goRedisNode is what go-redis keeps per node: its failing mark and its pool's dial errors.
type goRedisNode struct {
	addr       string
	failing    int64 // the Unix second it was marked failing, if marked
	marked     bool
	dialErrors int // dials that failed since the last success
	lastDial   string
	probing    bool
}

// NewGoRedis returns a simulated go-redis ClusterClient with options opt that knows seeds.
// Its slot map is loaded by the first command, or by Load.
func NewGoRedis(c *cluster.Cluster, name string, opt Options, seeds ...string) *GoRedis {
	g := &GoRedis{c: c, cl: c.NewClient(name), opt: opt.resolved(), rnd: c.Sim.Stream("go-redis " + name), nodes: map[string]*goRedisNode{}}
	for _, s := range seeds {
		g.node(s)
	}
	return g
}

// Index returns the engine index of the client's process, for partitions.
func (g *GoRedis) Index() int { return g.cl.Index() }

// Load loads the slot map now, in the background, as a warm application's client has it.
func (g *GoRedis) Load() { g.lazyReload() }

func (g *GoRedis) node(addr string) *goRedisNode {
	n, ok := g.nodes[addr]
	if !ok {
		n = &goRedisNode{addr: addr}
		g.nodes[addr] = n
		g.addrs = append(g.addrs, addr)
	}
	return n
}

func (g *GoRedis) now() sim.Time { return g.c.Sim.Now() }

func (g *GoRedis) unix() int64 { return int64(g.now()) / int64(time.Second) }

// failingTimeout is go-redis's FailingTimeoutSeconds default.
const failingTimeout = 15

func (g *GoRedis) markFailing(n *goRedisNode) { n.failing, n.marked = g.unix(), true }

// isFailing is clusterNode.Failing: marked within the last FailingTimeoutSeconds, counted
// in whole seconds of the clock.
func (g *GoRedis) isFailing(n *goRedisNode) bool {
	if !n.marked {
		return false
	}
	if g.unix()-n.failing < failingTimeout {
		return true
	}
	n.marked = false
	return false
}

// backoff is internal.RetryBackoff.
func (g *GoRedis) backoff(retry int) time.Duration {
	lo, hi := g.opt.MinRetryBackoff, g.opt.MaxRetryBackoff
	if lo == 0 {
		return 0
	}
	d := lo << uint(retry)
	if d < lo {
		return hi
	}
	d = lo + time.Duration(g.rnd.Uint64()%uint64(d))
	if d > hi || d < lo {
		d = hi
	}
	return d
}

// Do sends a command and calls done with its result. The command goes to the slot of its
// key: args[1], or for EVAL and EVALSHA with keys the first key, args[3], as go-redis's
// cmdFirstKeyPos finds it.
func (g *GoRedis) Do(done func(Result), args ...string) {
	key := ""
	switch {
	case len(args) > 3 && isEval(args[0]):
		if args[2] != "0" {
			key = args[3]
		}
	case len(args) > 1:
		key = args[1]
	}
	res := &Result{Sent: g.now()}
	g.withState(func() {
		g.attempt(res, key, nil, 0, false, false, cluster.Reply{}, args, done)
	}, func(r cluster.Reply) { g.finish(res, r, nil, done) })
}

// slotOf is the slot a key's command goes to in the current state: its hash slot, or with
// a Placement its token.
func (g *GoRedis) slotOf(key string) int {
	if g.state.part != nil {
		return cluster.TokenOf(g.state.part, key)
	}
	return slot.Of(key)
}

// isEval reports whether cmd has EVAL's layout: script, numkeys, keys, arguments.
func isEval(cmd string) bool {
	switch strings.ToLower(cmd) {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// withState runs then with a state loaded, loading the first one if need be, or calls
// fail when no node gives one; go-redis's clusterStateHolder.Get, which also starts a
// background reload of a state that is too old.
func (g *GoRedis) withState(then func(), fail func(cluster.Reply)) {
	if g.state == nil {
		g.waiting = append(g.waiting, waiter{then, fail})
		g.lazyReload()
		return
	}
	if g.now().Sub(g.state.at) > g.opt.ClusterStateReloadInterval {
		g.lazyReload()
	}
	then()
}

// attempt is one turn of ClusterClient.process's loop.
func (g *GoRedis) attempt(res *Result, key string, node *goRedisNode, attempt int, moved, ask bool, last cluster.Reply, args []string, done func(Result)) {
	if attempt > g.opt.MaxRedirects {
		g.finish(res, last, nil, done) // res.Addr is the node that gave last
		return
	}
	run := func() {
		if node == nil {
			node = g.cmdNode(g.slotOf(key), args[0])
		}
		g.nodeDo(node, args, ask, 0, func(r cluster.Reply) {
			if !r.IsError() {
				res.Reply, res.Addr, res.End = r, node.addr, g.now()
				res.Outcome = Served
				if res.Redirects > 0 {
					res.Outcome = Redirected
				}
				done(*res)
				return
			}
			next := func(n *goRedisNode, mv, ak bool) {
				res.Addr = node.addr
				g.attempt(res, key, n, attempt+1, mv, ak, r, args, done)
			}
			if strings.HasPrefix(r.Str, "READONLY ") {
				g.lazyReload()
				next(nil, moved, false)
				return
			}
			if f := strings.Fields(r.Str); len(f) == 3 && (f[0] == "MOVED" || f[0] == "ASK") {
				g.lazyReload()
				res.Redirects++
				next(g.node(f[2]), f[0] == "MOVED", f[0] == "ASK")
				return
			}
			if retryable(r.Str, true) {
				if attempt == 0 {
					next(node, false, false)
					return
				}
				g.markFailing(node)
				next(nil, false, false)
				return
			}
			g.finish(res, r, node, done)
		})
	}
	fail := func(r cluster.Reply) { g.finish(res, r, node, done) }
	if attempt > 0 && !moved && !ask {
		g.c.Sim.After(g.backoff(attempt), func() { g.withState(run, fail) })
		return
	}
	if node == nil {
		g.withState(run, fail)
		return
	}
	run()
}

func (g *GoRedis) finish(res *Result, r cluster.Reply, node *goRedisNode, done func(Result)) {
	res.Reply, res.Outcome, res.End = r, Failed, g.now()
	if node != nil {
		res.Addr = node.addr
	}
	done(*res)
}

// cmdNode picks the node for a command on slot s: the master, or for a read with ReadOnly
// a replica as the options say.
func (g *GoRedis) cmdNode(s int, cmd string) *goRedisNode {
	nodes := g.state.slots[s]
	if len(nodes) == 0 {
		return g.node(g.addrs[g.rnd.IntN(len(g.addrs))])
	}
	if !g.opt.ReadOnly || !readOnlyCommand(cmd) || len(nodes) == 1 {
		return g.node(nodes[0])
	}
	pick := func(addr string) (*goRedisNode, bool) {
		n := g.node(addr)
		return n, !g.isFailing(n)
	}
	switch {
	case g.opt.RouteRandomly || g.opt.RouteByLatency:
		perm := g.rnd.Rand().Perm(len(nodes))
		for _, i := range perm {
			if n, ok := pick(nodes[i]); ok {
				return n
			}
		}
		return g.node(nodes[perm[0]])
	default: // slotShardPickerSlaveNode with the default round-robin picker
		replicas := nodes[1:]
		for range replicas {
			i := g.rr % len(replicas)
			g.rr++
			if n, ok := pick(replicas[i]); ok {
				return n
			}
		}
		return g.node(nodes[0])
	}
}

// readOnlyCommand reports whether go-redis's COMMAND info flags cmd readonly, for the
// commands the simulated applications send.
func readOnlyCommand(cmd string) bool {
	switch strings.ToUpper(cmd) {
	case "GET", "MGET", "EXISTS", "STRLEN", "TTL", "HGET", "HGETALL", "LRANGE", "SMEMBERS", "ZRANGE", "DBSIZE":
		return true
	}
	return false
}

// retryable is go-redis's shouldRetry for the errors the simulation gives: a refused or
// failed dial, a timeout (retryTimeout: the cluster client retries timeouts, a node's
// client not once the command is written), and the server errors it names.
func retryable(e string, retryTimeout bool) bool {
	switch {
	case strings.HasPrefix(e, "dial tcp "), e == "EOF":
		return true
	case strings.HasSuffix(e, "i/o timeout"):
		return retryTimeout
	}
	for _, p := range []string{"ERR max number of clients reached", "LOADING ", "READONLY ", "CLUSTERDOWN ", "TRYAGAIN ", "MASTERDOWN ", "NOREPLICAS "} {
		if strings.HasPrefix(e, p) {
			return true
		}
	}
	return false
}

// dialTries and dialPause are the pool's DialerRetries and DialerRetryTimeout defaults;
// probeEvery is how often its tryDial probes a node whose dials all fail.
const (
	dialTries  = 5
	dialPause  = 100 * time.Millisecond
	probeEvery = time.Second
)

// nodeDo is a node client's Process: MaxRetries retries of its own, each try through the
// pool.
func (g *GoRedis) nodeDo(n *goRedisNode, args []string, asking bool, try int, done func(cluster.Reply)) {
	g.poolDo(n, args, asking, func(r cluster.Reply) {
		if r.IsError() && try < g.opt.MaxRetries && retryable(r.Str, false) {
			g.c.Sim.After(g.backoff(try+1), func() { g.nodeDo(n, args, asking, try+1, done) })
			return
		}
		done(r)
	})
}

// poolDo sends one command on a pooled connection to n. A node that is down refuses it,
// and the pool dials it dialTries times before failing the command; once PoolSize dials
// have failed, it fails at once until a probe reaches the node.
func (g *GoRedis) poolDo(n *goRedisNode, args []string, asking bool, done func(cluster.Reply)) {
	if n.dialErrors >= g.opt.PoolSize {
		g.c.Sim.After(0, func() { done(errorReply(n.lastDial)) })
		return
	}
	timeout := g.opt.ReadTimeout
	if timeout <= 0 {
		timeout = 24 * time.Hour
	}
	var dial func(tries int)
	dial = func(tries int) {
		send := g.cl.SendTimeout
		if g.opt.ReadOnly {
			send = g.cl.SendReadOnly // every connection sends READONLY first
		}
		send(n.addr, args, asking, timeout, func(r cluster.Reply) {
			switch {
			case r.Kind == cluster.Error && r.Str == "connection refused":
				if tries+1 < dialTries {
					g.c.Sim.After(dialPause, func() { dial(tries + 1) })
					return
				}
				n.lastDial = "dial tcp " + n.addr + ": connect: connection refused"
				n.dialErrors++
				if n.dialErrors == g.opt.PoolSize {
					g.probe(n)
				}
				done(errorReply(n.lastDial))
			case r.Kind == cluster.Error && r.Str == "timeout":
				done(errorReply("read tcp " + n.addr + ": i/o timeout"))
			default:
				done(r)
			}
		})
	}
	dial(0)
}

// probe is the pool's tryDial: every second until the node accepts a connection.
func (g *GoRedis) probe(n *goRedisNode) {
	if n.probing {
		return
	}
	n.probing = true
	g.cl.SendTimeout(n.addr, []string{"PING"}, false, g.opt.DialTimeout, func(r cluster.Reply) {
		if r.Kind == cluster.Error && (r.Str == "connection refused" || r.Str == "timeout") {
			g.c.Sim.After(probeEvery, func() { n.probing = false; g.probe(n) })
			return
		}
		n.probing = false
		n.dialErrors = 0
	})
}

// lazyReload is clusterStateHolder.LazyReload.
func (g *GoRedis) lazyReload() {
	if g.reloading {
		g.pending = true
		return
	}
	g.reloading = true
	var loop func()
	loop = func() {
		g.loadState(func(ok bool, last cluster.Reply) {
			if !ok {
				g.pending, g.reloading = false, false
				g.failWaiting(last)
				return
			}
			g.pending = false
			g.c.Sim.After(200*time.Millisecond, func() {
				if !g.pending {
					g.reloading = false
					return
				}
				loop()
			})
		})
	}
	loop()
}

// failWaiting ends the commands that wait for a first state none could give, with the
// error of the last node asked (go-redis returns it from the command).
func (g *GoRedis) failWaiting(r cluster.Reply) {
	waiting := g.waiting
	g.waiting = nil
	for _, w := range waiting {
		w.fail(r)
	}
}

// loadState is ClusterClient.loadState: CLUSTER SLOTS from the known nodes in a random
// order, the first answer taken.
func (g *GoRedis) loadState(done func(ok bool, last cluster.Reply)) {
	perm := g.rnd.Rand().Perm(len(g.addrs))
	order := make([]*goRedisNode, len(perm))
	for i, j := range perm {
		order[i] = g.nodes[g.addrs[j]]
	}
	var try func(i int, last cluster.Reply)
	try = func(i int, last cluster.Reply) {
		if i == len(order) {
			done(false, last)
			return
		}
		g.nodeDo(order[i], []string{"CLUSTER", "SLOTS"}, false, 0, func(r cluster.Reply) {
			if r.Kind != cluster.Array || !g.setState(r) {
				try(i+1, r)
				return
			}
			done(true, r)
		})
	}
	try(0, errorReply("redis: cluster has no nodes"))
}

// setState makes the state from a CLUSTER SLOTS reply and runs the commands waiting for
// it; with a Placement, a reply that lists no member makes none and reports false.
func (g *GoRedis) setState(r cluster.Reply) bool {
	st := &goRedisState{at: g.now()}
	var tokens []int
	for _, rng := range r.Array {
		if len(rng.Array) < 3 {
			continue
		}
		var addrs []string
		for _, n := range rng.Array[2:] {
			if len(n.Array) >= 2 {
				a := n.Array[0].Str + ":" + strconv.FormatInt(n.Array[1].Int, 10)
				g.node(a)
				addrs = append(addrs, a)
			}
		}
		for s := rng.Array[0].Int; s <= rng.Array[1].Int && s < slot.Count; s++ {
			st.slots[s] = addrs
			if g.c.Placement != nil {
				tokens = append(tokens, int(s))
			}
		}
	}
	if g.c.Placement != nil {
		part, err := g.c.Placement.Build(tokens)
		if err != nil {
			return false
		}
		st.part = part
	}
	g.state = st
	waiting := g.waiting
	g.waiting = nil
	for _, w := range waiting {
		w.then()
	}
	return true
}
