package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// A Node is a protocol state machine, sans I/O: the engine calls it with messages and timers
// and it answers only through the Context it is handed, so it can be driven by a test
// without an engine, and by the engine deterministically.
type Node interface {
	// Start is called when the node is added and again after each restart.
	Start(ctx *Context)
	// Step handles a message from node from.
	Step(ctx *Context, from int, msg any)
	// Timer handles a timer the node set with Context.After.
	Timer(ctx *Context, t Timer)
}

// A Timer is what a node asked to be woken up with.
type Timer struct {
	Kind int32
	// Kernel marks a timer of the node's host rather than of its process, like a TCP
	// delayed ACK: it fires while the node is busy or paused, though not once it is down.
	Kernel bool
	Arg    int64
}

// An Envelope is a message a node sends: to whom, what, and its size in bytes (for
// bandwidth; 0 for small control messages).
type Envelope struct {
	To   int
	Msg  any
	Size int
	// Bounce asks for the message back, as Bounced, if its node is down when it arrives:
	// what a TCP connect to a dead process gets (a reset). A partitioned message is lost
	// instead, as a SYN into a black hole is.
	Bounce bool
	// Accept marks a TCP connect (Context.Dial): a node down whose listening socket the
	// kernel has not closed yet (Sim.CrashTearingDown) completes it, and it comes back as
	// Accepted, to be reset when that socket closes.
	Accept bool
}

// Bounced is what comes back to the sender of a message sent with Context.SendOrBounce
// whose node was down; From in Step is that node.
type Bounced struct{ Msg any }

// Accepted is what comes back to the sender of a message sent with Context.Dial whose
// node was down but still being torn down (Sim.CrashTearingDown): the kernel completes a
// connect to a listening socket it has not closed yet, though no process will ever read
// from it. The sender gets a Hangup from that node when the listening socket closes, as a
// reset of every connection still waiting to be accepted.
type Accepted struct{ Msg any }

// Hangup is what every running node receives from a node that crashes, when the
// simulation is built with Config.Hangups: the end of each TCP connection it had, as the
// kernel closes a killed process's sockets. It travels through the network like any
// message, so a partitioned peer never hears it.
type Hangup struct{}

// A TimerRequest is a timer a node set.
type TimerRequest struct {
	After time.Duration
	Timer Timer
}

// A Context is a node's window on the world during one call: its clock, its random stream,
// and the outputs it produced. The engine drains the outputs after each call; a test
// driving a node by hand can read them.
type Context struct {
	Node int     // the node being called
	Now  Time    // the node's clock: virtual time plus its clock offset
	Rand *Stream // the node's own random stream

	Out    []Envelope
	Timers []TimerRequest
	Notes  []string

	busy  time.Duration
	names func(int) string
}

// NewContext returns a context for driving node by hand in a test.
func NewContext(node int, now Time, rand *Stream) *Context {
	return &Context{Node: node, Now: now, Rand: rand, names: func(i int) string { return fmt.Sprint(i) }}
}

// Send sends msg of size bytes to node to.
func (c *Context) Send(to int, msg any, size int) {
	c.Out = append(c.Out, Envelope{To: to, Msg: msg, Size: size})
}

// SendOrBounce sends msg to node to, and has it come back as Bounced if to is down.
func (c *Context) SendOrBounce(to int, msg any, size int) {
	c.Out = append(c.Out, Envelope{To: to, Msg: msg, Size: size, Bounce: true})
}

// Dial is SendOrBounce for a TCP connect: msg comes back as Bounced if to is down, or as
// Accepted if to is down but the kernel is still tearing it down and has not closed its
// listening socket yet (Sim.CrashTearingDown).
func (c *Context) Dial(to int, msg any) {
	c.Out = append(c.Out, Envelope{To: to, Msg: msg, Bounce: true, Accept: true})
}

// After asks for t to fire after d.
func (c *Context) After(d time.Duration, t Timer) {
	c.Timers = append(c.Timers, TimerRequest{After: d, Timer: t})
}

// Busy says that this call keeps the node's event loop busy for d more: a command that
// takes that long to run, like a MIGRATE serializing a big value or a RESTORE loading one.
// What the call sends leaves when the work is done, and nothing else reaches the node
// (messages and timers wait, in order, as for a pause) until then.
func (c *Context) Busy(d time.Duration) { c.busy += max(d, 0) }

// BusyFor is the time the call asked for with Busy.
func (c *Context) BusyFor() time.Duration { return c.busy }

// Note records a line about the node's own state in the trace ("marked 6381 as PFAIL").
func (c *Context) Note(format string, args ...any) {
	c.Notes = append(c.Notes, fmt.Sprintf(format, args...))
}

// Name returns the name of node i.
func (c *Context) Name(i int) string { return c.names(i) }

func (c *Context) reset() {
	c.Out, c.Timers, c.Notes = c.Out[:0], c.Timers[:0], c.Notes[:0]
	c.busy = 0
}

// Config configures a simulation.
type Config struct {
	Seed      uint64 // the root of every random stream
	Link      Link   // the default link between any two nodes
	KeepTrace bool   // keep every trace record, not only the running hash
	Hangups   bool   // a crashing node hangs up on every other node (see Hangup)
	// Retransmit makes Send behave like a TCP connection across a partition: a message
	// that meets a cut is not lost but sent again, after 200 ms doubling up to 120 s
	// (Linux's RTO), until the cut heals, the sender or receiver dies, or 15 attempts
	// (tcp_retries2) have failed; later messages on the same connection (see Conn) wait
	// their turn, other connections pass.
	// Without it, a message that meets a cut is lost, as a datagram would be. SendOrBounce
	// (a connection attempt) is never retransmitted: SYN retries are the caller's model.
	Retransmit bool
	// Cores, when above 0, makes the nodes processes of one host with that many cores.
	// A call that keeps its node busy (Context.Busy) holds a core for that long, and a
	// message or timer (not a Kernel one) that reaches a node while every core is held
	// waits for one to come free, behind what was already waiting: the kernel's run
	// queue, first in, first out. 0: every node has a core of its own, so only its own
	// work delays it.
	Cores int
}

// TCP retransmission (Linux defaults): TCP_RTO_MIN, TCP_RTO_MAX, tcp_retries2.
const (
	rtoMin     = 200 * time.Millisecond
	rtoMax     = 120 * time.Second
	maxRetries = 15
)

// nodeState is the engine's bookkeeping for one node.
type nodeState struct {
	name    string
	node    Node
	rand    Stream
	gen     uint32
	down    bool
	paused  bool
	stalled []event // events that reached the node while it was paused
	closing bool    // crashed, and its listening socket not yet closed (CrashTearingDown)
	// accepted are the nodes whose connects the listening socket of a node being torn
	// down completed: each gets a Hangup when it closes.
	accepted []int
	offset   time.Duration
	// busyUntil is when the work of the node's last call ends (Context.Busy); events that
	// reach the node earlier wait until then.
	busyUntil Time
	// With Config.Cores: what reached the node while it waited for a core or worked,
	// to be handled in one go, as an event loop handles what is ready when it wakes;
	// and whether it waits (in the run queue, or for its work to end).
	inbox   []event
	waiting bool
}

// Sim is a deterministic discrete-event simulation: one loop over a queue of events ordered
// by (time, insertion order). Nothing reads the wall clock, nothing runs on another
// goroutine, and every random draw comes from a stream named after what draws it, so the
// same seed replays the same run, bit for bit.
type Sim struct {
	seed    uint64
	now     Time
	ids     uint64
	q       queue
	msgs    []any   // the messages of pending events, and actions' funcs, at event.msg
	free    []int32 // places in msgs that are free
	nodes   []nodeState
	index   map[string]int
	net     Network
	trace   Trace
	ctx     Context
	cause   uint64 // the message or timer being handled
	steps   uint64
	hangups bool
	retrans bool
	// The host's cores (Config.Cores): when each comes free, what waits for one, in
	// order, and when the evCore that hands a freed core on is due (0: none is).
	cores    []Time
	runq     []event // nodes waiting for a core (node and gen), from runqHead on
	runqHead int
	coreWake Time
	coreBusy time.Duration // the cores' time held by calls, all cores together
	// batchAt is how far into a batch of events (runBatch) the call being made starts:
	// its clock, its timers and what it sends are that much later than now.
	batchAt time.Duration
	inBatch bool
}

// New returns an empty simulation at time 0.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Link.Validate(); err != nil {
		return nil, err
	}
	if cfg.Cores < 0 {
		return nil, fmt.Errorf("sim: %d cores: want 0 (a core per node) or more", cfg.Cores)
	}
	s := &Sim{seed: cfg.Seed, index: map[string]int{}, hangups: cfg.Hangups, retrans: cfg.Retransmit}
	if cfg.Cores > 0 {
		s.cores = make([]Time, cfg.Cores)
	}
	s.net = Network{seed: cfg.Seed, names: s.Name, def: cfg.Link}
	s.trace = Trace{keep: cfg.KeepTrace, names: s.Name}
	s.ctx.names = s.Name
	return s, nil
}

// Seed returns the root seed.
func (s *Sim) Seed() uint64 { return s.seed }

// Now returns the current virtual time.
func (s *Sim) Now() Time { return s.now }

// Network returns the simulation's network, to set links and partitions.
func (s *Sim) Network() *Network { return &s.net }

// Trace returns the trace.
func (s *Sim) Trace() *Trace { return &s.trace }

// Stream returns a random stream named name, independent of every node's and link's.
func (s *Sim) Stream(name string) Stream { return NewStream(s.seed, "user/"+name) }

// Steps returns how many events have fired.
func (s *Sim) Steps() uint64 { return s.steps }

// Pending returns how many events are waiting.
func (s *Sim) Pending() int { return s.q.len() }

// AddNode adds a node named name (names are unique) and starts it; it returns the node's
// index, by which everything else refers to it. The node's random stream is named after
// it, so adding nodes never changes another node's draws.
func (s *Sim) AddNode(name string, n Node) (int, error) {
	if name == "" {
		return 0, errors.New("sim: a node needs a name")
	}
	if n == nil {
		return 0, fmt.Errorf("sim: node %q is nil", name)
	}
	if _, dup := s.index[name]; dup {
		return 0, fmt.Errorf("sim: a node named %q already exists", name)
	}
	i := len(s.nodes)
	s.nodes = append(s.nodes, nodeState{name: name, node: n, rand: NewStream(s.seed, "node/"+name)})
	s.index[name] = i
	s.net.grow(i)
	s.call(i, func(ctx *Context) { n.Start(ctx) })
	return i, nil
}

// Name returns the name of node i.
func (s *Sim) Name(i int) string {
	if i < 0 || i >= len(s.nodes) {
		return fmt.Sprintf("node%d", i)
	}
	return s.nodes[i].name
}

// Lookup returns the index of the node named name.
func (s *Sim) Lookup(name string) (int, bool) {
	i, ok := s.index[name]
	return i, ok
}

// Len returns the number of nodes.
func (s *Sim) Len() int { return len(s.nodes) }

// An index that names no node is handled one way everywhere: the methods that inject a
// fault or change a node (Crash, Restart, Pause, Resume, SetClockOffset, Partition,
// Block) ignore it, Network.SetLink refuses it with an error, and the observers answer as
// for a node that is not there (Node nil, Up and Paused false, Clock the virtual time).

// has reports whether i names a node.
func (s *Sim) has(i int) bool { return i >= 0 && i < len(s.nodes) }

// Node returns node i's state machine, nil if there is no node i.
func (s *Sim) Node(i int) Node {
	if !s.has(i) {
		return nil
	}
	return s.nodes[i].node
}

// Up reports whether node i is running (not crashed; it may be paused).
func (s *Sim) Up(i int) bool { return s.has(i) && !s.nodes[i].down }

// Paused reports whether node i is paused.
func (s *Sim) Paused(i int) bool { return s.has(i) && s.nodes[i].paused }

// Clock returns node i's clock: virtual time plus its offset.
func (s *Sim) Clock(i int) Time {
	if !s.has(i) {
		return s.now
	}
	return s.now.Add(s.nodes[i].offset)
}

// SetClockOffset makes node i's clock run d ahead (or behind, if negative) of virtual time.
func (s *Sim) SetClockOffset(i int, d time.Duration) {
	if !s.has(i) {
		return
	}
	s.nodes[i].offset = d
	s.trace.add(Record{At: s.now, Node: i, Kind: KFault, Peer: -1, Detail: "clock offset " + d.String()})
}

// keep stores msg for an event being scheduled and returns its place in msgs.
func (s *Sim) keep(msg any) int32 {
	if msg == nil {
		return -1
	}
	if n := len(s.free); n > 0 {
		ref := s.free[n-1]
		s.free = s.free[:n-1]
		s.msgs[ref] = msg
		return ref
	}
	s.msgs = append(s.msgs, msg)
	return int32(len(s.msgs) - 1)
}

// take returns the message of an event leaving the queue and frees its place.
func (s *Sim) take(e *event) any {
	if e.msg < 0 {
		return nil
	}
	msg := s.msgs[e.msg]
	s.msgs[e.msg] = nil
	s.free = append(s.free, e.msg)
	return msg
}

// schedule queues e, with msg, to happen to node at at.
func (s *Sim) schedule(at Time, kind eventKind, node int, e event, msg any) {
	e.at, e.kind, e.node, e.msg = at, kind, int32(node), s.keep(msg)
	if node >= 0 {
		e.gen = s.nodes[node].gen
	}
	s.q.push(e)
}

// At runs fn at virtual time t (or now, if t is past): how tests and scenarios schedule
// faults and operations. A nil fn schedules nothing.
func (s *Sim) At(t Time, fn func()) {
	if fn == nil {
		return
	}
	s.schedule(max(t, s.now), evAction, -1, event{}, fn)
}

// After runs fn after d.
func (s *Sim) After(d time.Duration, fn func()) { s.At(s.now.Add(d), fn) }

// Signal delivers t to node i now, as if a timer it had set fired: a signal sent to the
// process from outside (a paused process takes it when it resumes, a busy one when its
// event loop gets to it). It does nothing to a node that is down.
func (s *Sim) Signal(i int, t Timer) {
	if !s.has(i) || s.nodes[i].down {
		return
	}
	s.ids++
	s.schedule(s.now, evTimer, i, event{timer: t, id: s.ids, cause: s.cause}, nil)
}

// Inject delivers msg to node to as if node from had sent it now, through the network.
func (s *Sim) Inject(from, to int, msg any, size int) { s.send(from, to, msg, size) }

// InjectOrBounce is Inject with the message coming back as Bounced if to is down.
func (s *Sim) InjectOrBounce(from, to int, msg any, size int) {
	s.sendEnvelope(from, Envelope{To: to, Msg: msg, Size: size, Bounce: true})
}

// call runs fn against node i's context and then carries out what the node asked for.
func (s *Sim) call(i int, fn func(ctx *Context)) {
	st := &s.nodes[i]
	ctx := &s.ctx
	ctx.reset()
	start := s.now // when the call starts: later within a batch (runBatch)
	if s.inBatch {
		start = s.now.Add(s.batchAt)
	}
	ctx.Node, ctx.Now, ctx.Rand = i, start.Add(st.offset), &st.rand
	fn(ctx)
	for _, note := range ctx.Notes {
		s.trace.add(Record{At: s.now, Node: i, Kind: KNote, Cause: s.cause, Peer: -1, Detail: note})
	}
	depart := start
	if ctx.busy > 0 {
		depart = start.Add(ctx.busy)
		switch {
		case s.inBatch:
			s.batchAt += ctx.busy // runBatch holds the core for the batch
		case s.cores != nil:
			// A call no core was asked for (a node's Start, a kernel timer) takes the
			// first core to come free.
			k := slices.Index(s.cores, slices.Min(s.cores))
			depart = max(s.cores[k], s.now).Add(ctx.busy)
			s.cores[k] = depart
			s.coreBusy += ctx.busy
			st.busyUntil = max(st.busyUntil, depart)
		default:
			st.busyUntil = max(st.busyUntil, depart)
			s.trace.add(Record{At: s.now, Node: i, Kind: KNote, Cause: s.cause, Peer: -1, Detail: "busy for " + ctx.busy.String()})
		}
	}
	for _, t := range ctx.Timers {
		s.ids++
		s.schedule(start.Add(max(t.After, 0)), evTimer, i, event{timer: t.Timer, id: s.ids, cause: s.cause}, nil)
	}
	for _, e := range ctx.Out {
		s.sendEnvelopeAt(i, e, depart)
	}
}

func (s *Sim) detail(msg any) string {
	if !s.trace.keep {
		return ""
	}
	if st, ok := msg.(fmt.Stringer); ok {
		return st.String()
	}
	return fmt.Sprintf("%T", msg)
}

func (s *Sim) send(from, to int, msg any, size int) {
	s.sendEnvelope(from, Envelope{To: to, Msg: msg, Size: size})
}

func (s *Sim) sendEnvelope(from int, e Envelope) { s.sendEnvelopeAt(from, e, s.now) }

// sendEnvelopeAt sends e from node from, leaving at depart (now, or when the sender's
// work ends).
func (s *Sim) sendEnvelopeAt(from int, e Envelope, depart Time) {
	to, msg, size := e.To, e.Msg, e.Size
	s.ids++
	id := s.ids
	if to < 0 || to >= len(s.nodes) {
		panic(fmt.Sprintf("sim: %s sent a message to node %d, which does not exist", s.Name(from), to))
	}
	s.trace.add(Record{At: s.now, Node: from, Kind: KSend, ID: id, Cause: s.cause, Peer: to, Detail: s.detail(msg)})
	copies, at := s.net.transmit(from, to, size, depart)
	if copies == 0 {
		s.trace.add(Record{At: s.now, Node: to, Kind: KDrop, ID: id, Peer: from, Detail: "lost"})
		return
	}
	for c := range copies {
		s.schedule(at[c], evMessage, to, event{from: int32(from), id: id, cause: s.cause, bounce: e.Bounce, accept: e.Accept}, msg)
	}
}

// Step fires the next event and reports whether there was one.
func (s *Sim) Step() bool {
	if s.q.len() == 0 {
		return false
	}
	e := s.q.pop()
	s.now = e.at
	s.steps++
	switch e.kind {
	case evAction:
		fn := s.take(&e)
		s.cause = 0
		fn.(func())()
	case evCore:
		s.coreEvent(e)
	default:
		s.dispatch(e)
	}
	s.cause = 0
	return true
}

// dispatch hands a timer or message event due now to its node, or makes it wait: for the
// node to be resumed or done with earlier work, for the network, or for a core.
func (s *Sim) dispatch(e event) {
	st := &s.nodes[e.node]
	if e.kind == evTimer {
		if st.down || e.gen != st.gen {
			return // the node crashed since: its timers died with it
		}
		if st.paused && !e.timer.Kernel {
			st.stalled = append(st.stalled, e)
			return
		}
		if s.cores != nil && !e.timer.Kernel {
			s.toCore(e)
			return
		}
		if st.busyUntil > s.now && !e.timer.Kernel {
			e.at = st.busyUntil
			s.q.push(e)
			return
		}
		s.deliver(e)
		return
	}
	if st.paused && !st.down && e.gen == st.gen {
		st.stalled = append(st.stalled, e)
		return
	}
	if s.cores == nil && st.busyUntil > s.now && !st.down && e.gen == st.gen {
		e.at = st.busyUntil
		s.q.push(e)
		return
	}
	switch {
	case st.down || e.gen != st.gen:
		s.deliver(e) // dropped
	case !s.net.Connected(int(e.from), int(e.node)):
		s.retransmit(e, s.take(&e))
	default:
		if !e.bounce {
			if at, held := s.heldBack(int(e.from), int(e.node), s.msgs[e.msg]); held {
				e.at = at
				s.q.push(e)
				return
			}
		}
		if s.cores != nil {
			s.toCore(e)
			return
		}
		s.deliver(e)
	}
}

// deliver hands e to its node now (a message to a node down is dropped, and bounced if
// asked).
func (s *Sim) deliver(e event) {
	st := &s.nodes[e.node]
	if e.kind == evTimer {
		s.trace.add(Record{At: s.now, Node: int(e.node), Kind: KTimer, ID: e.id, Cause: e.cause, Peer: -1})
		s.cause = e.id
		s.call(int(e.node), func(ctx *Context) { st.node.Timer(ctx, e.timer) })
		return
	}
	to := int(e.node)
	msg := s.take(&e)
	if st.down || e.gen != st.gen {
		if e.accept && st.down && st.closing && !s.nodes[e.from].down {
			// The kernel completes the connect; nothing will ever read from it.
			s.trace.add(Record{At: s.now, Node: to, Kind: KDrop, ID: e.id, Peer: int(e.from), Detail: "node down, connect accepted"})
			s.cause = e.id
			st.accepted = append(st.accepted, int(e.from))
			s.send(to, int(e.from), Accepted{Msg: msg}, 0)
			return
		}
		s.trace.add(Record{At: s.now, Node: to, Kind: KDrop, ID: e.id, Peer: int(e.from), Detail: "node down"})
		if e.bounce && !s.nodes[e.from].down {
			s.cause = e.id
			s.send(to, int(e.from), Bounced{Msg: msg}, 0)
		}
		return
	}
	s.trace.add(Record{At: s.now, Node: to, Kind: KDeliver, ID: e.id, Peer: int(e.from), Detail: s.detail(msg)})
	s.cause = e.id
	s.call(to, func(ctx *Context) { st.node.Step(ctx, int(e.from), msg) })
}

// toCore hands e, which its node's host has taken in, to the node once it has a core
// (Config.Cores): at once if one is free, nobody waits for one and the node is idle;
// otherwise in the node's inbox, with the node in the run queue, or, while it works,
// waiting for its work to end.
func (s *Sim) toCore(e event) {
	st := &s.nodes[e.node]
	st.inbox = append(st.inbox, e)
	if st.waiting {
		return
	}
	st.waiting = true
	if st.busyUntil > s.now {
		s.q.push(event{at: st.busyUntil, kind: evCore, node: e.node, gen: st.gen, msg: -1})
		return
	}
	s.wantCore(int(e.node))
}

// wantCore runs node i's inbox now if a core is free and nothing waits for one, or puts
// the node at the end of the run queue.
func (s *Sim) wantCore(i int) {
	if s.runqHead == len(s.runq) && s.freeCore() >= 0 {
		s.runBatch(i)
		return
	}
	if s.runqHead == len(s.runq) {
		s.runq, s.runqHead = s.runq[:0], 0
	} else if s.runqHead >= 1024 && 2*s.runqHead >= len(s.runq) {
		// Reuse the space of what has run, at a cost of at most one move per entry.
		s.runq = s.runq[:copy(s.runq, s.runq[s.runqHead:])]
		s.runqHead = 0
	}
	s.runq = append(s.runq, event{node: int32(i), gen: s.nodes[i].gen})
	if s.coreWake == 0 {
		s.coreWake = slices.Min(s.cores)
		s.q.push(event{at: s.coreWake, kind: evCore, node: -1, msg: -1})
	}
}

// runBatch has node i, on a free core, handle what is in its inbox, one event after
// another, and holds the core until that work is done.
func (s *Sim) runBatch(i int) {
	st := &s.nodes[i]
	batch := st.inbox
	st.inbox, st.waiting = nil, false
	s.inBatch = true
	for _, e := range batch {
		if st.paused && !st.down && e.gen == st.gen {
			st.stalled = append(st.stalled, e)
			continue
		}
		s.deliver(e)
		s.cause = 0
	}
	work := s.batchAt
	s.inBatch, s.batchAt = false, 0
	if work > 0 {
		s.cores[s.freeCore()] = s.now.Add(work)
		s.coreBusy += work
		if st.down {
			return // killed by its own batch (a SHUTDOWN): the core was held, the node is gone
		}
		st.busyUntil = max(st.busyUntil, s.now.Add(work))
		if len(st.inbox) > 0 && !st.waiting {
			// What its own batch sent itself waits for the batch's end.
			st.waiting = true
			s.q.push(event{at: st.busyUntil, kind: evCore, node: int32(i), gen: st.gen, msg: -1})
		}
	} else if len(st.inbox) > 0 && !st.waiting {
		st.waiting = true
		s.wantCore(i)
	}
}

// coreEvent handles an evCore: for a node (node ≥ 0), its work ended and its inbox wants
// a core; for the host, a core came free and goes to the nodes waiting for one, in order.
func (s *Sim) coreEvent(e event) {
	if e.node >= 0 {
		st := &s.nodes[e.node]
		if st.down || e.gen != st.gen || len(st.inbox) == 0 {
			return
		}
		s.wantCore(int(e.node))
		return
	}
	s.coreWake = 0
	for s.runqHead < len(s.runq) && s.freeCore() >= 0 {
		w := s.runq[s.runqHead]
		s.runqHead++
		if st := &s.nodes[w.node]; !st.down && w.gen == st.gen && len(st.inbox) > 0 {
			s.runBatch(int(w.node))
		}
	}
	if s.runqHead < len(s.runq) {
		s.coreWake = slices.Min(s.cores)
		s.q.push(event{at: s.coreWake, kind: evCore, node: -1, msg: -1})
	}
}

// freeCore returns a core free now, the first such; -1 if every core is held.
func (s *Sim) freeCore() int {
	for k, free := range s.cores {
		if free <= s.now {
			return k
		}
	}
	return -1
}

// Cores returns the host's cores (Config.Cores); 0 when every node has a core of its own.
func (s *Sim) Cores() int { return len(s.cores) }

// CoreTime is the time the host's cores were held by the nodes' work (Config.Cores), all
// cores together, since the start: over a span of virtual time, its growth divided by
// the span and the cores is the host's busy share.
func (s *Sim) CoreTime() time.Duration { return s.coreBusy }

// A Conn is a message that says which of several connections between the same two nodes
// it travels on. Retransmission (Config.Retransmit) keeps messages in order within a
// connection, as TCP does, and lets other connections pass; messages that are not Conns
// share connection 0.
type Conn interface{ Conn() uint64 }

func connOf(msg any) uint64 {
	if c, ok := msg.(Conn); ok {
		return c.Conn()
	}
	return 0
}

// heldBack reports until when a message must wait for an earlier one on its connection
// that is being retransmitted, and forgets holds that have passed.
func (s *Sim) heldBack(from, to int, msg any) (Time, bool) {
	if !s.retrans {
		return 0, false
	}
	l := s.net.link(from, to)
	if len(l.hold) == 0 {
		return 0, false
	}
	c := connOf(msg)
	at, ok := l.hold[c]
	if !ok {
		return 0, false
	}
	if at <= s.now {
		delete(l.hold, c)
		return 0, false
	}
	return at, true
}

// retransmit handles a message that met a cut: lost, or (Config.Retransmit) sent again
// after the next RTO, and no earlier than the retransmission already pending on its
// connection.
func (s *Sim) retransmit(e event, msg any) {
	from, to := int(e.from), int(e.node)
	sender := &s.nodes[from]
	if e.tries == 0 {
		e.sgen = sender.gen
	}
	if !s.retrans || e.bounce || e.tries >= maxRetries || sender.down || sender.gen != e.sgen {
		s.trace.add(Record{At: s.now, Node: to, Kind: KDrop, ID: e.id, Peer: from, Detail: "partitioned"})
		return
	}
	rto := min(rtoMin<<e.tries, rtoMax)
	e.tries++
	l := s.net.link(from, to)
	c := connOf(msg)
	at := max(s.now.Add(rto), l.hold[c])
	if l.hold == nil {
		l.hold = map[uint64]Time{}
	}
	l.hold[c] = at
	s.trace.add(Record{At: s.now, Node: to, Kind: KDrop, ID: e.id, Peer: from, Detail: fmt.Sprintf("partitioned, retransmission %d in %v", e.tries, at.Sub(s.now))})
	s.schedule(at, evMessage, to, e, msg)
}

// RunUntil fires every event due at or before t and leaves the clock at t.
func (s *Sim) RunUntil(t Time) {
	for s.q.len() > 0 && s.q.peek().at <= t {
		s.Step()
	}
	s.now = max(s.now, t)
}

// RunFor runs for d of virtual time.
func (s *Sim) RunFor(d time.Duration) { s.RunUntil(s.now.Add(d)) }

// RunUntilIdle fires events until none is left, or until the clock would pass limit; it
// reports whether the queue emptied. Nodes with periodic timers are never idle.
func (s *Sim) RunUntilIdle(limit Time) bool {
	for s.q.len() > 0 {
		if s.q.peek().at > limit {
			s.now = max(s.now, limit)
			return false
		}
		s.Step()
	}
	return true
}

// Crash stops node i as a crash would: its timers never fire, messages in flight to it are
// lost (its connections broke), and its in-memory state is gone; Restart brings it back
// with whatever state the caller rebuilds from what the node had persisted.
func (s *Sim) Crash(i int) { s.CrashClosing(i, 0) }

// CrashClosing is Crash for a process whose connections outlive it by closeAfter. A
// SIGKILLed process runs no more from the signal on, but the kernel closes its sockets
// only once it has torn the process down: until then what other nodes send it is taken
// in and never answered, and none of them sees a connection end. Then each gets its
// Hangup, as from Crash. A Restart meanwhile closes them first.
func (s *Sim) CrashClosing(i int, closeAfter time.Duration) {
	s.CrashTearingDown(i, Teardown{Start: closeAfter})
}

// A Teardown is how the kernel closes a SIGKILLed process's sockets, from the signal on
// (Sim.CrashTearingDown). It closes them one after another, the listening socket last:
// a node whose connections have closed can connect again meanwhile (Context.Dial), and
// its connect completes, to be reset when the listening socket closes.
type Teardown struct {
	Start time.Duration // until the first socket closes
	Span  time.Duration // from Start until the listening socket closes
	// Peer is when node j's connections close, from Start, within [0, Span]; nil
	// closes every node's at Start.
	Peer func(j int) time.Duration
}

// CrashTearingDown is Crash for a process whose sockets the kernel closes as t says.
// A Restart meanwhile closes those still open first.
func (s *Sim) CrashTearingDown(i int, t Teardown) {
	if !s.has(i) {
		return
	}
	st := &s.nodes[i]
	if st.down {
		return
	}
	st.down, st.paused = true, false
	st.busyUntil = 0
	st.gen++
	for i := range st.stalled {
		s.take(&st.stalled[i])
	}
	st.stalled = nil
	for i := range st.inbox {
		s.take(&st.inbox[i])
	}
	st.inbox, st.waiting = nil, false
	if s.retrans {
		s.net.dropHolds(i) // its TCP connections died with it
	}
	s.trace.add(Record{At: s.now, Node: i, Kind: KCrash, Peer: -1})
	if !s.hangups {
		return
	}
	if t.Start <= 0 && t.Span <= 0 {
		s.closeConnections(i)
		return
	}
	st.closing = true
	gen := st.gen
	if t.Peer == nil {
		s.After(t.Start, func() {
			if s.nodes[i].gen == gen { // else Restart closed them
				s.closeConnections(i)
			}
		})
		return
	}
	for j := range s.nodes {
		if j == i {
			continue
		}
		s.After(t.Start+min(max(t.Peer(j), 0), t.Span), func() {
			if s.nodes[i].gen == gen && !s.nodes[j].down {
				s.send(i, j, Hangup{}, 0)
			}
		})
	}
	s.After(t.Start+t.Span, func() {
		if s.nodes[i].gen == gen {
			s.closeListener(i)
		}
	})
}

// closeConnections tells every node up that node i's connections closed.
func (s *Sim) closeConnections(i int) {
	s.nodes[i].closing, s.nodes[i].accepted = false, nil
	for j := range s.nodes {
		if j != i && !s.nodes[j].down {
			s.send(i, j, Hangup{}, 0)
		}
	}
}

// closeListener closes the listening socket of node i, being torn down: the connects it
// completed meanwhile are reset.
func (s *Sim) closeListener(i int) {
	st := &s.nodes[i]
	accepted := st.accepted
	st.closing, st.accepted = false, nil
	for k, j := range accepted {
		if !s.nodes[j].down && !slices.Contains(accepted[:k], j) {
			s.send(i, j, Hangup{}, 0)
		}
	}
}

// Restart starts node i again as n, a fresh state machine; Start is called on it. A nil n
// changes nothing.
func (s *Sim) Restart(i int, n Node) {
	if !s.has(i) || n == nil {
		return
	}
	st := &s.nodes[i]
	if !st.down {
		s.Crash(i)
	}
	if st.closing {
		s.closeConnections(i)
	}
	st.down = false
	st.gen++
	st.node = n
	s.trace.add(Record{At: s.now, Node: i, Kind: KRestart, Peer: -1})
	s.call(i, func(ctx *Context) { n.Start(ctx) })
}

// Pause stalls node i like a stopped process: nothing it is sent is lost, but nothing is
// handled, and its timers do not fire, until Resume.
func (s *Sim) Pause(i int) {
	if !s.has(i) {
		return
	}
	st := &s.nodes[i]
	if st.down || st.paused {
		return
	}
	st.paused = true
	s.trace.add(Record{At: s.now, Node: i, Kind: KPause, Peer: -1})
}

// Resume continues a paused node: what reached it meanwhile is handled now, in order.
func (s *Sim) Resume(i int) {
	if !s.has(i) {
		return
	}
	st := &s.nodes[i]
	if !st.paused {
		return
	}
	st.paused = false
	s.trace.add(Record{At: s.now, Node: i, Kind: KResume, Peer: -1})
	for _, e := range st.stalled {
		e.at = s.now
		s.q.push(e)
	}
	st.stalled = nil
}

// Partition cuts the nodes into groups (see Network.Partition) and records it.
func (s *Sim) Partition(groups ...[]int) {
	known := make([][]int, len(groups))
	for g, nodes := range groups {
		for _, n := range nodes {
			if s.has(n) {
				known[g] = append(known[g], n)
			}
		}
	}
	groups = known
	s.net.Partition(groups...)
	var parts []string
	for _, g := range groups {
		var names []string
		for _, n := range g {
			names = append(names, s.Name(n))
		}
		parts = append(parts, fmt.Sprint(names))
	}
	s.trace.add(Record{At: s.now, Node: -1, Kind: KFault, Peer: -1, Detail: fmt.Sprintf("partition %v", parts)})
}

// Block cuts from → to in one direction and records it.
func (s *Sim) Block(from, to int) {
	if !s.has(from) || !s.has(to) {
		return
	}
	s.net.Block(from, to)
	s.trace.add(Record{At: s.now, Node: -1, Kind: KFault, Peer: -1, Detail: "block " + s.Name(from) + " -> " + s.Name(to)})
}

// Heal removes every partition and block and records it.
func (s *Sim) Heal() {
	s.net.Heal()
	s.trace.add(Record{At: s.now, Node: -1, Kind: KFault, Peer: -1, Detail: "heal"})
}
