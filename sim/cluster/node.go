package cluster

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// Cluster states.
const (
	stateOK uint8 = iota
	stateFail
)

// Work deferred to the end of the current event (CLUSTER_TODO_* and clusterBeforeSleep).
const (
	todoHandleFailover uint8 = 1 << iota
	todoUpdateState
	todoSaveConfig
	todoHandleManualFailover
)

// Timers a node sets.
const (
	timerCron           = iota + 1 // serverCron: clusterCron every run, replicationCron every tenth
	timerFsync                     // appendfsync everysec
	timerDialFail                  // a connect to an address where nothing listens
	timerUnpause                   // a client pause ends
	timerSynRetry                  // a connect whose SYN got no answer sends it again
	timerMigrateTimeout            // a MIGRATE's target did not answer within its timeout
	timerHandoff                   // a placed master tries its handoff again
	timerMigrateDone               // a MIGRATE has freed the keys it moved and returns
	timerReplExec                  // a replica has read a script's MULTI … EXEC and runs it
	timerScriptDone                // a script that ran past busy-reply-threshold ends
	timerAck                       // the peer's delayed ACK reaches an outbound link (Nagle)
	timerRdbSent                   // a master has relayed its child's full copy to its replicas
	timerLoadBegin                 // a replica has flushed its old data and loads a full copy
	timerLoadDone                  // a replica has loaded a full copy
	timerWake                      // a process waiting for a core on a busy host gets one
	timerSigterm                   // SIGTERM (docker stop): the handler asks serverCron to shut down
)

// Redis constants (cluster.h, cluster.c).
const (
	cronPeriod            = 100 * time.Millisecond
	failReportValidity    = 2 // CLUSTER_FAIL_REPORT_VALIDITY_MULT
	failUndoTime          = 2 // CLUSTER_FAIL_UNDO_TIME_MULT
	mfTimeout             = 5000
	mfPauseMult           = 2
	slaveMigrationDelay   = 5000
	maxRejoinDelay        = 5000
	minRejoinDelay        = 500
	writableDelay         = 2000
	blacklistTTL          = 60 // seconds
	clusterPortIncrement  = 10000
	cantFailoverNone      = 0
	cantFailoverDataAge   = 1
	cantFailoverWaiting   = 2
	cantFailoverExpired   = 3
	cantFailoverWaitVotes = 4
)

// A Node is one redis-server process in cluster mode, as a sans-I/O state machine: the
// cluster bus (gossip, failure detection, failover, configuration propagation), the slot
// table, replication, the keyspace and the commands clients send. Each call handles one
// event, the way one turn of Redis's event loop does, and ends with clusterBeforeSleep's
// deferred work.
type Node struct {
	cfg   Config
	costs *costs // what big values cost on this node's host: model, scaled by Spec.Slowdown
	reg   *Registry
	// metrics is never nil: New gives a node without a sink a Metrics of its own.
	metrics *Metrics
	proc    int
	ip      string
	port    int

	ctx       *sim.Context
	now       int64 // Unix ms of the current event, on this node's clock
	unixPhase int64 // ms into a Unix second the host's clock is at virtual time 0 (Spec.UnixPhase)

	myself      *peer
	order       []*peer // known nodes sorted by name: a stable stand-in for Redis's dict order
	cronOrder   []*peer // cron's copy of order
	byNid       []*peer
	slots       [slot.Count]*peer
	migrating   map[int]*peer
	importing   map[int]*peer
	notClaiming slot.Set

	currentEpoch    uint64
	lastVoteEpoch   uint64
	state           uint8
	size            int
	todo            uint8
	statsSent       [mCount]int64
	statsRecv       [mCount]int64
	statsPfailNodes int
	iteration       uint64
	cronLoops       uint64
	pingsSent       uint64
	linkEpoch       uint64
	calls           uint64 // the engine's calls into the node so far (Nagle's bursts)
	blacklist       map[int32]int64

	failoverAuthTime  int64
	failoverAuthCount int
	failoverAuthSent  bool
	failoverAuthRank  int
	failoverAuthEpoch uint64
	cantFailover      int

	mfEnd          int64
	mfSlave        *peer
	mfMasterOffset int64
	mfCanStart     bool

	amongMinorityTime int64
	firstCallTime     int64

	db   *store
	repl replication

	pausedUntil int64 // client writes paused until then (manual failover, shutdown)
	// A SIGTERM's shutdown (shutdown.go): asked for by the signal, begun by serverCron,
	// waiting for the replicas until shutdownAt (ms; 0 when not begun); exit is how the
	// node, once done, has its process taken down (Spec.Exit).
	shutdownAsap bool
	shutdownAt   int64
	exit         func()
	held         []heldRequest       // requests waiting for the pause or a MIGRATE to end
	mig          *migrateCall        // the MIGRATE this node is blocked in, if any
	deferred     []deferredEvent     // what reached the node while it was blocked in mig
	script       *runningScript      // a script past busy-reply-threshold, nil if none
	disk         *Persisted          // what to load at Start; nil for a new node
	place        *placer             // nil when keys are placed by slots
	touch        uint16              // flags read only to bring peers into the cache (buildPing)
	batch        [128]*peer          // buildPing's draws, kept here so they are not zeroed per ping
	multi        map[int]*multiState // each client's transaction in MULTI, by its engine index
	links        map[uint64]*peer
	cpu          *cpuWait      // its waits for a core on a busy host; nil on an idle one
	workExit     time.Duration // HostLoad.Exit, when work is set
	work         bool          // its host is driven by work (HostLoad.Work): what it does costs it a core's time
	lastCron     sim.Time      // when the cron last ran, for stalls; zero before the first
	stalls       []Stall

	// Events is a log of what the node did that a person reading its log would want:
	// "Marking node ... as failing", "Failover election won". Tests and experiments read it.
	Events []Event
}

// An Event is one line of a node's log, with its virtual time; Kind and About make the
// lines that measurements look for easy to find.
type Event struct {
	At    sim.Time
	Kind  EventKind
	About string // the node ID the event is about, if any
	Text  string
}

// A Stall is a time the node's event loop was held, by one command (a MIGRATE or RESTORE
// of a big value, a long script) or by its host: its cron ran Took past its period,
// ending At. While held, a node answers neither clients nor, but past
// busy-reply-threshold in a script, the cluster bus's pings.
type Stall struct {
	At   sim.Time
	Took time.Duration
}

// Stalls lists the node's stalls of stallThreshold or more, oldest first. Redis logs
// nothing of them; its latency monitor, when enabled, samples the same thing.
func (n *Node) Stalls() []Stall { return n.stalls }

// EventKind classifies the events measurements look for.
type EventKind uint8

// Event kinds.
const (
	EvLog      EventKind = iota // anything else
	EvPFail                     // this node flagged About as PFAIL
	EvFail                      // this node marked About as FAIL (quorum reached)
	EvFailMsg                   // this node learnt from a FAIL message that About failed
	EvPromoted                  // this replica won an election and is a master
	EvState                     // cluster_state changed (Text ends in ok or fail)
	EvSynced                    // this replica finished a full synchronisation
)

// stallThreshold is the least stall Stalls records: a cron that runs 10 ms or more
// late. A node that serves small commands keeps well under it; a MIGRATE or RESTORE of a
// big value, a long script or a busy host goes over.
const stallThreshold = 10 * time.Millisecond

type heldRequest struct {
	from int
	req  Request
}

// Spec describes a process to start: where it listens, its configuration, its random
// stream (from which its node ID and random choices come) and what it had persisted.
type Spec struct {
	IP       string
	Port     int
	Config   Config
	Registry *Registry
	Metrics  *Metrics   // where the node counts what measurements read; nil counts nothing
	Proc     int        // the engine index it runs as
	Disk     *Persisted // nodes.conf and the AOF from before a restart; nil for a new node
	// Incarnation counts the process's restarts. Connection numbers start from it, so a
	// late reply on a connection of an earlier incarnation can never be taken for one of
	// this incarnation's (a restarted process's sockets are new ones).
	Incarnation uint32
	// Placement, when set, places keys by a partitioner over the shards instead of by
	// hash slots (see Placement).
	Placement Placement
	// Slowdown is how much slower the node's host works than the one its costs were
	// recorded on (see Cluster.Slowdown); 0 means 1.
	Slowdown float64
	// CostDraws, when set, is the stream the node draws the run-to-run spread of its big
	// values' costs from (costs.jitter); nil makes each cost its recorded median.
	CostDraws *sim.Stream
	// Host is how busy the node's host is; the zero value is an idle one.
	Host HostLoad
	// HostDraws is the stream the node draws its waits for a core from on a busy host.
	HostDraws *sim.Stream
	// UnixPhase is how far into a Unix second the host's clock is at virtual time 0 (see
	// Cluster.UnixPhase).
	UnixPhase time.Duration
	// Exit is called, in the node's event handler, when a SIGTERM's shutdown is done and
	// the process exits; it must take the process down after the handler returns. Nil:
	// the node never exits by itself.
	Exit func()
}

// New returns a node for spec. The node does nothing until the engine starts it.
func New(spec Spec) *Node {
	n := &Node{
		cfg: spec.Config, reg: spec.Registry, metrics: spec.Metrics, proc: spec.Proc, ip: spec.IP, port: spec.Port,
		migrating: map[int]*peer{}, importing: map[int]*peer{}, blacklist: map[int32]int64{},
		disk: spec.Disk, links: map[uint64]*peer{},
		mfMasterOffset: -1,
		exit:           spec.Exit,
		unixPhase:      spec.UnixPhase.Milliseconds(),
		linkEpoch:      uint64(spec.Incarnation) << 40,
		repl:           replication{epoch: uint64(spec.Incarnation) << 40},
	}
	if n.metrics == nil {
		n.metrics = &Metrics{}
	}
	n.costs = model.forHost(spec.Slowdown, spec.CostDraws)
	n.cpu = newCPUWait(spec.Host, spec.HostDraws)
	n.work = spec.Host.Work
	n.workExit = cmp.Or(spec.Host.Exit, DefaultExit)
	if spec.Placement != nil {
		n.place = &placer{build: spec.Placement, done: map[string]uint64{}, inFlight: map[string]bool{}}
	}
	return n
}

// ID returns the node's 40-character ID, or "" before it started.
func (n *Node) ID() string {
	if n.myself == nil {
		return ""
	}
	return n.myself.name
}

// Addr returns "ip:port".
func (n *Node) Addr() string { return n.ip + ":" + itoa(n.port) }

func (n *Node) nodeTimeout() int64 { return n.cfg.NodeTimeout.Milliseconds() }

func (n *Node) logf(format string, args ...any) { n.event(EvLog, "", format, args...) }

func (n *Node) event(kind EventKind, about string, format string, args ...any) {
	n.Events = append(n.Events, Event{At: n.ctx.Now, Kind: kind, About: about, Text: fmt.Sprintf(format, args...)})
	n.ctx.Note(format, args...)
}

// begin prepares a call.
func (n *Node) begin(ctx *sim.Context) {
	n.ctx = ctx
	n.calls++
	n.now = ctx.Now.UnixMilli() + n.unixPhase
}

// Start initialises the node: a new random name, or the configuration it persisted.
func (n *Node) Start(ctx *sim.Context) {
	n.begin(ctx)
	n.mig, n.deferred, n.script, n.lastCron = nil, nil, nil, 0
	n.db = newStore(n.cfg.AppendOnly)
	n.state = stateFail
	n.size = 1
	if n.disk != nil {
		n.load(n.disk)
		n.disk = nil // loaded; a later crash persists afresh
	} else {
		name := randomName(ctx.Rand)
		n.myself = n.newPeer(name, flagMyself|flagMaster)
		n.addPeer(n.myself)
	}
	// A node does not know its own IP until a peer tells it (a MEET, or any PING while it
	// has none: see processPacket); nodes.conf keeps the one it had learned. Until then
	// CLUSTER NODES shows it as ":port@cport".
	n.setAddr(n.myself, n.myself.ip, n.port, n.port+clusterPortIncrement)
	n.updateMyselfFlags()
	n.reg.Listen(n.ip, n.port, n.proc)
	n.repl.init(n)
	// The first cron runs at a random phase: processes start at different instants.
	ctx.After(time.Duration(ctx.Rand.IntN(int(cronPeriod))), sim.Timer{Kind: timerCron})
	if n.cfg.AppendOnly {
		ctx.After(time.Second, sim.Timer{Kind: timerFsync})
	}
	n.beforeSleep()
}

// updateMyselfFlags sets the flags that follow the configuration, at start and after
// CONFIG SET (clusterUpdateMyselfFlags): nofailover for cluster-replica-no-failover.
func (n *Node) updateMyselfFlags() {
	old := n.myself.flags
	n.myself.flags &^= flagNoFailover
	if n.cfg.ReplicaNoFailover {
		n.myself.flags |= flagNoFailover
	}
	if n.myself.flags != old {
		n.todo |= todoSaveConfig | todoUpdateState
	}
}

func randomName(r *sim.Stream) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 40)
	for i := range b {
		b[i] = hex[r.IntN(16)]
	}
	return string(b)
}

// Timer handles the node's timers.
func (n *Node) Timer(ctx *sim.Context, t sim.Timer) {
	n.begin(ctx)
	if t.Kind == timerAck {
		// The kernel's: what Nagle's algorithm held leaves whatever the process is doing.
		n.acked(uint64(t.Arg), false)
		return
	}
	if t.Kind == timerWake {
		n.wake()
		return
	}
	if n.delay(deferredEvent{timer: t, isTimer: true}) {
		return
	}
	n.runTimer(t)
}

// runTimer handles a timer once the process runs.
func (n *Node) runTimer(t sim.Timer) {
	if n.blocked(nil, &t) || (n.script != nil && t.Kind != timerScriptDone) || (n.repl.loading != nil && t.Kind != timerLoadBegin && t.Kind != timerLoadDone) {
		n.deferred = append(n.deferred, deferredEvent{timer: t, isTimer: true})
		return
	}
	n.timer(t)
	n.beforeSleep()
}

func (n *Node) timer(t sim.Timer) {
	switch t.Kind {
	case timerCron:
		if n.shutdownCron() {
			return // exited: serverCron runs no more
		}
		n.noteStall()
		// serverCron: Redis re-arms its timer when the callback returns, so each period is
		// 100 ms plus the cron's own run time and the event loop's latency; on loopback that
		// is 100.7 to 100.9 ms on average (measured from redis-server 7.0.15 debug logs).
		n.cronLoops++
		n.charge(CronCost)
		n.cron()
		if n.cronLoops%10 == 0 {
			n.repl.cron(n)
		}
		n.ctx.After(cronPeriod+time.Duration(400+n.ctx.Rand.IntN(800))*time.Microsecond, t)
	case timerFsync:
		n.db.fsync()
		n.ctx.After(time.Second, t)
	case timerDialFail:
		n.dialFailed(uint64(t.Arg))
	case timerSynRetry:
		n.synRetry(uint64(t.Arg))
	case timerMigrateTimeout:
		n.migrateFailed(uint64(t.Arg), "IOERR error or timeout reading to target instance")
	case timerMigrateDone:
		n.migrateDone(uint64(t.Arg))
	case timerHandoff:
		n.place.waiting = false
	case timerReplExec:
		n.repl.exec(n, uint64(t.Arg))
	case timerScriptDone:
		n.scriptDone()
	case timerRdbSent:
		n.repl.rdbSent(n, uint64(t.Arg))
	case timerLoadBegin:
		n.repl.loadBegin(n)
	case timerLoadDone:
		n.repl.loaded(n)
		n.replayDeferred()
	case timerSigterm:
		n.shutdownAsap = true
	}
}

// Step handles a message.
func (n *Node) Step(ctx *sim.Context, from int, msg any) {
	n.begin(ctx)
	if pkt, ok := msg.(*packet); ok && pkt.reply {
		// The ACK a PONG carries is the kernel's to act on, whatever the process is doing.
		n.acked(pkt.conn, true)
	}
	// The kernel completes a connection's handshake, whatever the process is doing.
	if _, handshake := msg.(dial); !handshake && n.delay(deferredEvent{from: from, msg: msg}) {
		return
	}
	n.runStep(from, msg)
}

// runStep handles a message once the process runs.
func (n *Node) runStep(from int, msg any) {
	if n.blocked(msg, nil) {
		n.deferred = append(n.deferred, deferredEvent{from: from, msg: msg})
		return
	}
	if n.script != nil {
		if req, ok := msg.(Request); ok {
			n.ctx.Send(from, Response{ID: req.ID, Reply: errReply(errBusyScript)}, 0)
		} else {
			n.step(from, msg) // no beforeSleep: Redis runs only its vital part
		}
		return
	}
	if n.repl.loading != nil {
		// rdbLoad's processEventsWhileBlocked: the bus and clients are served (most
		// commands with -LOADING, which execute answers), the crons wait.
		n.step(from, msg)
		return
	}
	n.step(from, msg)
	n.beforeSleep()
}

func (n *Node) step(from int, msg any) {
	switch m := msg.(type) {
	case *packet:
		n.processPacket(from, m)
	case dial:
		n.ctx.Send(from, dialAck{epoch: m.epoch}, 0)
	case dialAck:
		n.dialed(from, m.epoch)
	case sim.Accepted:
		if d, ok := m.Msg.(dial); ok {
			n.dialed(from, d.epoch)
		}
	case sim.Bounced:
		switch b := m.Msg.(type) {
		case dial:
			n.dialRefused(from, b.epoch)
		case Request:
			n.migrateFailed(b.ID, "IOERR error or timeout connecting to the client")
		default:
			n.repl.bounced(n, from, m.Msg)
		}
	case sim.Hangup:
		n.hangup(from)
	case Request:
		n.request(from, m)
	default:
		if !n.repl.step(n, from, msg) && !n.migrateStep(from, msg) {
			panic(fmt.Sprintf("cluster: node %s got a %T", n.Addr(), msg))
		}
	}
}

// noteStall records a Stall when the cron runs stallThreshold or more after its
// period: serverCron is a time event, so it runs late exactly when the event loop was
// held. The period's own jitter (under 1.2 ms) stays below the threshold.
func (n *Node) noteStall() {
	now := n.ctx.Now
	if n.lastCron != 0 {
		if late := time.Duration(now-n.lastCron) - cronPeriod; late >= stallThreshold {
			n.stalls = append(n.stalls, Stall{At: now, Took: late})
		}
	}
	n.lastCron = now
}

// A deferredEvent is a message or timer that reached a node blocked in a MIGRATE.
type deferredEvent struct {
	from    int
	msg     any
	timer   sim.Timer
	isTimer bool
}

// blocked reports whether the node is blocked in a client's MIGRATE and the event (a
// message, or with msg nil the timer t) must wait until it returns. Redis waits for the
// target's reply in a blocking read (syncReadLine): its event loop runs nothing else, not
// its cron, not the cluster bus, not other clients, until the reply or the timeout.
// Only the MIGRATE's own reply, failure and timers get through, and connection attempts,
// which the kernel accepts for it.
func (n *Node) blocked(msg any, t *sim.Timer) bool {
	mc := n.mig
	if mc == nil || mc.client < 0 {
		return false
	}
	if t != nil {
		return !((t.Kind == timerMigrateTimeout || t.Kind == timerMigrateDone) && uint64(t.Arg) == mc.call)
	}
	switch m := msg.(type) {
	case Response:
		return m.ID != mc.call
	case sim.Bounced:
		r, ok := m.Msg.(Request)
		return !ok || r.ID != mc.call
	case dial:
		return false
	}
	return true
}

// replayDeferred handles, in order, what reached the node while it was blocked, as
// Redis's event loop does when the blocking call returns; it stops if one of them blocks
// the node again.
func (n *Node) replayDeferred() {
	for len(n.deferred) > 0 && n.mig == nil {
		e := n.deferred[0]
		n.deferred = n.deferred[1:]
		if e.isTimer {
			n.timer(e.timer)
		} else {
			n.step(e.from, e.msg)
		}
	}
	if len(n.deferred) == 0 {
		n.deferred = nil
	}
}

// beforeSleep does the work events deferred (clusterBeforeSleep).
func (n *Node) beforeSleep() {
	todo := n.todo
	n.todo = 0
	if todo&todoHandleManualFailover != 0 {
		if n.myself.isSlave() {
			n.handleManualFailover()
			n.handleSlaveFailover()
		}
	} else if todo&todoHandleFailover != 0 {
		n.handleSlaveFailover()
	}
	if todo&todoUpdateState != 0 {
		n.updateState()
	}
	n.releaseHeld()
	if n.place != nil {
		n.placeUpdate()
	}
}

// newPeer creates a view entry (createClusterNode).
func (n *Node) newPeer(name string, flags uint16) *peer {
	return &peer{
		nid: n.reg.nid(name), name: name, flags: flags, ctime: n.now, proc: -1,
		pongReceived: 0, replOffset: 0,
	}
}

// addPeer puts p into the view (clusterAddNode).
func (n *Node) addPeer(p *peer) {
	i, _ := slices.BinarySearchFunc(n.order, p.name, func(q *peer, name string) int {
		switch {
		case q.name < name:
			return -1
		case q.name > name:
			return 1
		}
		return 0
	})
	n.order = slices.Insert(n.order, i, p)
	for int(p.nid) >= len(n.byNid) {
		n.byNid = append(n.byNid, nil)
	}
	n.byNid[p.nid] = p
}

// lookup returns the peer named by nid (clusterLookupNode).
func (n *Node) lookup(nid int32) *peer {
	if nid < 0 || int(nid) >= len(n.byNid) {
		return nil
	}
	return n.byNid[nid]
}

// lookupName returns the peer called name.
func (n *Node) lookupName(name string) *peer {
	nid, ok := n.reg.lookupNid(name)
	if !ok {
		return nil
	}
	return n.lookup(nid)
}

// delPeer removes p from the view (clusterDelNode): its slots are unassigned, its failure
// reports withdrawn, its link closed.
func (n *Node) delPeer(p *peer) {
	for j := range slot.Count {
		if n.importing[j] == p {
			delete(n.importing, j)
		}
		if n.migrating[j] == p {
			delete(n.migrating, j)
		}
		if n.slots[j] == p {
			n.delSlot(j)
		}
	}
	for _, q := range n.order {
		if q != p {
			q.setReports(slices.DeleteFunc(q.reports(), func(r failReport) bool { return r.from == p }))
		}
	}
	if p.master != nil {
		p.master.removeReplica(p)
	}
	for _, r := range p.replicas {
		if r.master == p {
			r.master = nil
		}
	}
	p.link = nil
	i := slices.Index(n.order, p)
	n.order = slices.Delete(n.order, i, i+1)
	if n.byNid[p.nid] == p {
		n.byNid[p.nid] = nil
	}
}

// renamePeer gives a handshake peer its real name (clusterRenameNode).
func (n *Node) renamePeer(p *peer, name string) {
	i := slices.Index(n.order, p)
	n.order = slices.Delete(n.order, i, i+1)
	if n.byNid[p.nid] == p {
		n.byNid[p.nid] = nil
	}
	p.name = name
	p.nid = n.reg.nid(name)
	n.addPeer(p)
}

// resolve finds the process serving p's address.
func (n *Node) resolve(p *peer) int {
	if proc, ok := n.reg.Process(p.ip, p.port); ok {
		return proc
	}
	return -1
}

// State returns cluster_state as this node sees it: "ok" or "fail".
func (n *Node) State() string {
	if n.state == stateOK {
		return "ok"
	}
	return "fail"
}

// IsMaster reports whether the node is a master.
func (n *Node) IsMaster() bool { return n.myself != nil && n.myself.isMaster() }

// MasterID returns the ID of the master this node replicates, or "".
func (n *Node) MasterID() string {
	if n.myself == nil || n.myself.master == nil {
		return ""
	}
	return n.myself.master.name
}

// Owner returns the address of the master that serves slot s in this node's view, or "".
func (n *Node) Owner(s int) string {
	if p := n.slots[s]; p != nil {
		return p.addr()
	}
	return ""
}

// Keys returns how many keys the node holds.
// Known returns how many nodes this node knows, itself and nodes in handshake included:
// the lines its CLUSTER NODES would print.
func (n *Node) Known() int { return len(n.order) }

func (n *Node) Keys() int { return n.db.len() }

// Get returns a key's value as the node stores it, without routing; a hash's is "".
func (n *Node) Get(key string) (string, bool) {
	v, ok := n.db.get(key)
	return v.str, ok
}
