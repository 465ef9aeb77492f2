package cluster

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kvplace/kvplace/sim"
)

// A Process is one redis-server process of a simulated cluster, by its container name
// and address, across restarts.
type Process struct {
	Name   string
	IP     string
	Port   int
	Config Config
	Index  int // engine index
	node   *Node
	down   bool
	runs   uint32 // incarnations started so far
	lastID string // the node ID it had when it went down
}

// Addr returns "ip:port".
func (p *Process) Addr() string { return fmt.Sprintf("%s:%d", p.IP, p.Port) }

// Node returns the current incarnation of the process.
func (p *Process) Node() *Node { return p.node }

// Up reports whether the process is running.
func (p *Process) Up() bool { return !p.down }

// ID returns the node ID of the process: the running node's, or, while it is down, the one
// it had when it went down (which it keeps when restarted from its nodes.conf).
func (p *Process) ID() string {
	if p.down {
		return p.lastID
	}
	return p.node.ID()
}

// A Cluster runs redis-server processes and clients on a simulation.
type Cluster struct {
	Sim *sim.Sim
	Reg *Registry
	// Metrics is what the cluster's nodes have counted (see Metrics).
	Metrics Metrics
	procs   []*Process
	byKey   map[string]*Process
	cli     *Client

	// Placement, when set before the processes start, places keys by a partitioner over
	// the shards instead of by hash slots (see Placement).
	Placement Placement

	// Slowdown, when set before the processes start, says how much slower this host is
	// than the one the costs of big values were recorded on (calibration/): 1.3 makes each
	// build, MIGRATE, RESTORE or free of a big value take 1.3 times as long. A machine's
	// speed drifts by that much from day to day, and users' hosts differ more. 0 means 1.
	Slowdown float64

	// Host, when set before the processes start, makes their host a busy one: each
	// process waits for a core when it wakes (see HostLoad).
	Host HostLoad

	// UnixPhase, when set before the processes start, is how far into a Unix second the
	// host's clock is at virtual time 0 (from 0 to just under a second). Redis counts
	// some delays in whole seconds of that clock (repl-diskless-sync-delay, repl-timeout,
	// a replica's data age), so where in its second a step falls decides when they end.
	// A real run starts at any point of a second; a simulated one starts at a whole
	// second unless this is set. Runbooks, whose sleeps are whole seconds, draw it.
	UnixPhase time.Duration
}

// UnixMilli is the host's clock now, in Unix milliseconds: what its processes read.
func (c *Cluster) UnixMilli() int64 { return c.Sim.Now().UnixMilli() + c.UnixPhase.Milliseconds() }

// costDraws is the stream the process at addr draws its big values' spread from in its
// run'th incarnation: its own, so that drawing it moves no other random choice.
func (c *Cluster) costDraws(addr string, run uint32) *sim.Stream {
	s := c.Sim.Stream("costs/" + addr + "/" + strconv.Itoa(int(run)))
	return &s
}

// hostDraws is the stream the process at addr draws its waits for a core from in its
// run'th incarnation, nil on an idle host: its own, like costDraws.
func (c *Cluster) hostDraws(addr string, run uint32) *sim.Stream {
	if c.Host.Busy == 0 {
		return nil
	}
	s := c.Sim.Stream("host/" + addr + "/" + strconv.Itoa(int(run)))
	return &s
}

// New returns an empty cluster on s. Build s with Config.Hangups: the cluster bus relies
// on seeing connections close.
func NewCluster(s *sim.Sim) *Cluster {
	return &Cluster{Sim: s, Reg: NewRegistry(), byKey: map[string]*Process{}}
}

// Processes returns every process, in the order they were started.
func (c *Cluster) Processes() []*Process { return slices.Clone(c.procs) }

// Process returns the process with a container name or an "ip:port" address.
func (c *Cluster) Process(nameOrAddr string) (*Process, bool) {
	p, ok := c.byKey[nameOrAddr]
	return p, ok
}

// Start starts a new redis-server process (docker run).
func (c *Cluster) Start(name, ip string, port int, cfg Config) (*Process, error) {
	return c.start(name, ip, port, cfg, nil)
}

// start starts a process, from disk if it is not nil (its nodes.conf and data).
func (c *Cluster) start(name, ip string, port int, cfg Config, disk *Persisted) (*Process, error) {
	addr := fmt.Sprintf("%s:%d", ip, port)
	if name == "" {
		name = addr
	}
	if c.Host.Work && c.Sim.Cores() != c.Host.SimCores() {
		// Without shared cores each process's work would hold only itself: a host of a
		// core per process, not the one described.
		return nil, fmt.Errorf("cluster: a host driven by work needs a simulation with its %d cores (sim.Config.Cores: HostLoad.SimCores), not %d",
			c.Host.SimCores(), c.Sim.Cores())
	}
	if _, dup := c.byKey[name]; dup {
		return nil, fmt.Errorf("docker: Error response from daemon: Conflict. The container name \"/%s\" is already in use", name)
	}
	if p, dup := c.byKey[addr]; dup && !p.down {
		return nil, fmt.Errorf("Could not create server TCP listening socket %s: bind: Address already in use", addr)
	}
	if port <= 0 || port > 65535-clusterPortIncrement {
		return nil, fmt.Errorf("Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.")
	}
	p := &Process{Name: name, IP: ip, Port: port, Config: cfg}
	p.node = New(Spec{IP: ip, Port: port, Config: cfg, Registry: c.Reg, Metrics: &c.Metrics, Proc: c.Sim.Len(), Disk: disk, Placement: c.Placement, Slowdown: c.Slowdown, CostDraws: c.costDraws(addr, 0), Host: c.Host, HostDraws: c.hostDraws(addr, 0), UnixPhase: c.UnixPhase, Exit: c.exitHook(p)})
	idx, err := c.Sim.AddNode(addr, p.node)
	if err != nil {
		return nil, err
	}
	p.Index = idx
	c.procs = append(c.procs, p)
	c.byKey[name] = p
	c.byKey[addr] = p
	return p, nil
}

// Stop stops p gracefully (docker stop, SIGTERM): data is flushed, connections close. A
// node ready to stop goes down at once (Redis acts on the signal at its next serverCron,
// up to 100 ms later: a simplification that keeps the common stop where it was). A
// master whose replicas have not acknowledged its whole stream shuts down as Redis 7.0
// does (shutdown.go): it pauses writes and keeps running, p.Up() with it, until they
// have or its shutdown-timeout has passed, and then goes down. docker stop's SIGKILL,
// 10 s after the SIGTERM, is the caller's to send (Kill, or StopKilling). A nil p, or
// one that is down, is ignored.
func (c *Cluster) Stop(p *Process) {
	if p == nil || p.down {
		return
	}
	if p.node.ReadyToStop() {
		c.down(p, sigterm)
		return
	}
	c.Sim.Signal(p.Index, sim.Timer{Kind: timerSigterm})
}

// StopKilling is docker stop: Stop, then SIGKILL after killAfter if this run of p has not
// exited by then.
func (c *Cluster) StopKilling(p *Process, killAfter time.Duration) {
	if p == nil || p.down {
		return
	}
	c.Stop(p)
	if p.down {
		return
	}
	c.downAfter(p, p.runs, killAfter, sigkill)
}

// downAfter takes incarnation runs of p down as how does, after d, unless it has gone
// down or been started again by then.
func (c *Cluster) downAfter(p *Process, runs uint32, d time.Duration, how signal) {
	c.Sim.After(d, func() {
		if p.runs == runs && !p.down {
			c.down(p, how)
		}
	})
}

// exitHook is the Spec.Exit of p's current incarnation: once its handler has returned,
// that incarnation goes down as a SIGTERM takes it down.
func (c *Cluster) exitHook(p *Process) func() {
	runs := p.runs
	return func() { c.downAfter(p, runs, 0, sigterm) }
}

// Kill crashes p (SIGKILL): writes since the last fsync are lost.
func (c *Cluster) Kill(p *Process) { c.down(p, sigkill) }

// How a process goes down.
type signal uint8

const (
	sigterm signal = iota // graceful: data flushed, connections closed
	sigkill               // a crash
)

func (c *Cluster) down(p *Process, how signal) {
	if p == nil {
		return
	}
	graceful := how == sigterm
	if p.down {
		return
	}
	p.lastID = p.node.ID()
	for _, e := range p.node.unsent() {
		c.Sim.Inject(p.Index, e.To, e.Msg, e.Size)
	}
	disk := p.node.Persist(graceful)
	addr := p.IP + ":" + strconv.Itoa(p.Port)
	var t sim.Teardown
	if how == sigkill {
		t = p.node.teardown(c.Sim.Stream("teardown/" + addr + "/" + strconv.Itoa(int(p.runs))))
	}
	c.Sim.CrashTearingDown(p.Index, t)
	p.down = true
	p.runs++
	p.node = New(Spec{IP: p.IP, Port: p.Port, Config: p.Config, Registry: c.Reg, Metrics: &c.Metrics, Proc: p.Index, Disk: disk, Incarnation: p.runs, Placement: c.Placement, Slowdown: c.Slowdown, CostDraws: c.costDraws(addr, p.runs), Host: c.Host, HostDraws: c.hostDraws(addr, p.runs), UnixPhase: c.UnixPhase, Exit: c.exitHook(p)})
}

// Restart starts p again from what it persisted (docker start).
func (c *Cluster) Restart(p *Process) error {
	if p == nil {
		return errors.New("cluster: restart of a nil process")
	}
	if !p.down {
		return nil
	}
	p.down = false
	c.Sim.Restart(p.Index, p.node)
	return nil
}

// Pause stalls p (SIGSTOP, docker pause); a nil p is ignored, as by Stop and Kill.
func (c *Cluster) Pause(p *Process) {
	if p != nil {
		c.Sim.Pause(p.Index)
	}
}

// Resume continues a paused process (docker unpause); a nil p is ignored.
func (c *Cluster) Resume(p *Process) {
	if p != nil {
		c.Sim.Resume(p.Index)
	}
}

// Client returns the cluster's shared client, creating it on first use.
func (c *Cluster) Client() *Client {
	if c.cli == nil {
		c.cli = c.NewClient("client")
	}
	return c.cli
}

// NewClient adds a client process named name.
func (c *Cluster) NewClient(name string) *Client {
	cl := &Client{c: c, pending: map[uint64]func(Reply){}}
	idx, err := c.Sim.AddNode(name, cl)
	if err != nil {
		panic(err)
	}
	cl.index = idx
	return cl
}

// A Client sends commands to nodes and gets their replies: a redis-cli or an application.
type Client struct {
	c       *Cluster
	index   int
	nextID  uint64
	pending map[uint64]func(Reply)
}

// Start does nothing: a client acts only when asked.
// Index returns the engine index of the client's process, for partitions.
func (cl *Client) Index() int { return cl.index }

func (cl *Client) Start(*sim.Context) {}

// Timer handles timeouts of requests.
func (cl *Client) Timer(ctx *sim.Context, t sim.Timer) { cl.expire(uint64(t.Arg)) }

// expire ends request id with an error reply "timeout" if it is still waiting.
func (cl *Client) expire(id uint64) {
	if fn, ok := cl.pending[id]; ok {
		delete(cl.pending, id)
		fn(Reply{Kind: Error, Str: "timeout"})
	}
}

// Step delivers a reply, or the refusal of a connection to a process that is down.
func (cl *Client) Step(ctx *sim.Context, from int, msg any) {
	switch m := msg.(type) {
	case Response:
		if fn, ok := cl.pending[m.ID]; ok {
			delete(cl.pending, m.ID)
			fn(m.Reply)
		}
	case sim.Bounced:
		if r, ok := m.Msg.(Request); ok {
			if fn, ok := cl.pending[r.ID]; ok {
				delete(cl.pending, r.ID)
				fn(Reply{Kind: Error, Str: "connection refused"})
			}
		}
	case sim.Hangup:
	}
}

// ErrNoReply is returned by Do when a node did not answer in time.
var ErrNoReply = errors.New("cluster: no reply")

// Send sends args to the process at addr and calls done with the reply. A process that is
// down refuses the connection: done gets an error reply "connection refused".
func (cl *Client) Send(addr string, args []string, asking bool, done func(Reply)) {
	cl.send(addr, Request{Args: args, Asking: asking}, done)
}

func (cl *Client) send(addr string, req Request, done func(Reply)) {
	p, ok := cl.c.byKey[addr]
	if !ok {
		cl.c.Sim.After(0, func() { done(Reply{Kind: Error, Str: "connection refused"}) })
		return
	}
	cl.nextID++
	id := cl.nextID
	cl.pending[id] = done
	req.ID = id
	cl.c.Sim.At(cl.c.Sim.Now(), func() {
		cl.c.Sim.InjectOrBounce(cl.index, p.Index, req, 0)
	})
}

// SendReadOnly is SendTimeout on a connection in READONLY mode, as go-redis opens them
// with its ReadOnly option: replicas serve reads of their masters' slots.
func (cl *Client) SendReadOnly(addr string, args []string, asking bool, d time.Duration, done func(Reply)) {
	cl.sendTimeout(addr, Request{Args: args, Asking: asking, ReadOnly: true}, d, done)
}

// SendTimeout is Send with a deadline: done gets an error reply "timeout" if no reply came
// within d (a partitioned or stalled node), and the late reply, if any, is dropped.
func (cl *Client) SendTimeout(addr string, args []string, asking bool, d time.Duration, done func(Reply)) {
	cl.sendTimeout(addr, Request{Args: args, Asking: asking}, d, done)
}

func (cl *Client) sendTimeout(addr string, req Request, d time.Duration, done func(Reply)) {
	id := cl.nextID + 1
	cl.send(addr, req, done)
	if _, pending := cl.pending[id]; !pending {
		return
	}
	cl.c.Sim.After(d, func() { cl.expire(id) })
}

// Do sends args to addr and runs the simulation until the reply comes, for up to 30 s of
// virtual time.
func (cl *Client) Do(addr string, args ...string) (Reply, error) {
	return cl.DoAsking(addr, false, args...)
}

// DoAsking is Do, sending ASKING first when asking is set (after an ASK redirect).
func (cl *Client) DoAsking(addr string, asking bool, args ...string) (Reply, error) {
	var got *Reply
	cl.Send(addr, args, asking, func(r Reply) { got = &r })
	deadline := cl.c.Sim.Now().Add(30 * time.Second)
	for got == nil {
		if !cl.c.Sim.Step() || cl.c.Sim.Now() > deadline {
			return Reply{}, fmt.Errorf("%w from %s to %v", ErrNoReply, addr, args)
		}
	}
	return *got, nil
}

// Settled reports whether the running nodes have settled after a change (nodes that know
// no other node are not in the cluster and do not count): every one sees
// the same masters owning the same slots (or tokens, with the same members), all of them
// running, every master is in cluster_state ok, and no node is migrating keys or has keys
// left to hand off.
func (c *Cluster) Settled() bool {
	var first uint64
	seen := false
	down := map[string]bool{}
	for _, p := range c.procs {
		if p.down {
			down[p.lastID] = true
		}
	}
	for _, p := range c.procs {
		if p.down || (p.node.myself != nil && len(p.node.order) < 2) {
			continue // down, or not in a cluster yet
		}
		n := p.node
		if n.myself == nil || n.mig != nil || n.Handoff() || (n.myself.isMaster() && n.state != stateOK) {
			return false
		}
		// Every owner (with a Placement, every member) is running: a crashed master has
		// been replaced, or ejected.
		for _, q := range n.order {
			if q.isMaster() && q.numslots > 0 && down[q.name] && (n.place == nil || member(q)) {
				return false
			}
		}
		d := n.viewDigest()
		if seen && d != first {
			return false
		}
		first, seen = d, true
	}
	return true
}

// viewDigest hashes who owns which slots in this node's view and, with a Placement, which
// masters are members.
func (n *Node) viewDigest() uint64 {
	var h uint64
	for _, p := range n.order {
		if p.isMaster() && p.numslots > 0 {
			m := uint64(0)
			if member(p) {
				m = 1
			}
			h ^= sim.Mix64(p.slotHash ^ uint64(p.nid)<<1 ^ m)
		}
	}
	return h
}

// WaitReady runs the simulation until every running node reports cluster_state:ok and
// every running replica has finished a synchronisation with its master and is streaming
// from it, for at most limit of virtual time. It is what to wait for between building a
// cluster and a fault: until then a killed master has no replica that can take over.
func (c *Cluster) WaitReady(limit time.Duration) error {
	deadline := c.Sim.Now().Add(limit)
	for {
		ready := true
		for _, p := range c.procs {
			n := p.node
			if p.down || n.myself == nil {
				continue
			}
			if n.State() != "ok" || (n.myself.isSlave() && (!n.repl.synced || n.repl.state != replConnected)) {
				ready = false
				break
			}
		}
		if ready {
			return nil
		}
		if c.Sim.Now() >= deadline {
			return fmt.Errorf("cluster: not ready after %v: a node is not ok or a replica has not synchronised", limit)
		}
		c.Sim.RunFor(100 * time.Millisecond)
	}
}

// Knows reports whether every running node in a cluster (one that knows another node),
// other than the one named id, knows it past the handshake: until then a reshard to it
// can fail with "ERR Unknown node".
func (c *Cluster) Knows(id string) bool {
	for _, p := range c.procs {
		if p.down || p.node.myself == nil || p.node.myself.name == id || len(p.node.order) < 2 {
			continue
		}
		if q := p.node.lookupName(id); q == nil || q.inHandshake() {
			return false
		}
	}
	return true
}
