package cluster

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
)

// Replication, asynchronous as in Redis: a master applies a write, acknowledges it, and
// streams it to its replicas; a replica's offset counts the bytes of stream it processed.
// A new replica gets a full copy after repl-diskless-sync-delay; a reconnecting one resumes
// from the master's backlog (PSYNC), also after a failover thanks to the second replication
// ID a promoted replica keeps.

// Replica-side link states (REPL_STATE_*).
const (
	replNone       = iota // not a replica
	replConnect           // must connect
	replConnecting        // PSYNC sent
	replTransfer          // waiting for the full copy
	replConnected         // streaming
)

// An op is one write in the replication stream, its size as RESP on the wire.
type op struct {
	cmd    string // "set", "elems" (a `load` script's writes), "restore", "del", "ping", "select"
	key    string
	val    value // the key's value after the write
	from   int   // for "elems": the elements the key had before, which the stream does not repeat
	size   int64
	offset int64 // the stream offset after this op
}

func (o *op) String() string { return fmt.Sprintf("%s %s @%d", o.cmd, o.key, o.offset) }

// elemsStreamSize is the length of what a master streams for a `load` script taking a
// collection of kind k at key from from elements to elems: Redis 7 replicates a script's
// effects, MULTI, one write per element added (HSET key field:i value:i, RPUSH key value:i,
// SADD key member:i or ZADD key i member:i), EXEC.
func elemsStreamSize(key string, k uint8, from, elems int) int64 {
	size := respSize("MULTI") + respSize("EXEC")
	head := respSize(elemCommand[k], key) // "*2" and "*4" are as long; the arguments follow
	for i := from + 1; i <= elems; i++ {
		d := digits(i)
		switch k {
		case kindHash:
			size += head + 2*bulk(6+d) // field:i value:i
		case kindList:
			size += head + bulk(6+d) // value:i
		case kindSet:
			size += head + bulk(7+d) // member:i
		case kindZset:
			size += head + bulk(d) + bulk(7+d) // i member:i
		}
	}
	return size
}

func digits(i int) int {
	d := 1
	for ; i >= 10; i /= 10 {
		d++
	}
	return d
}

// respSize is the length of a command in the RESP protocol.
func respSize(args ...string) int64 {
	n := int64(1 + len(itoa(len(args))) + 2)
	for _, a := range args {
		n += bulk(len(a))
	}
	return n
}

// bulk is the length of a RESP bulk string of l bytes: $, the length, CRLF, the bytes, CRLF.
func bulk(l int) int64 { return int64(1 + len(itoa(l)) + 2 + l + 2) }

// Replication messages.
type (
	psync struct {
		epoch  uint64
		replid string
		offset int64 // the first byte wanted; -1 with replid "?" for a full copy
	}
	psyncReply struct {
		epoch  uint64
		full   bool
		replid string
		offset int64
	}
	rdb struct {
		epoch  uint64
		replid string
		offset int64
		data   map[string]value
	}
	stream struct {
		epoch uint64
		op    *op
	}
	replAck struct {
		epoch  uint64
		offset int64
	}
)

// Replication traffic travels on the replica's connection to its master, one per link
// epoch; its connection numbers are kept apart from the cluster bus's. Epochs are each
// replica's own count, so two nodes can hold the same one: what the master sends back
// carries a bit the replica's side does not, as the cluster bus's replies do. Without it,
// a node that was a replica and is now its old master's master would hold its replies to
// it behind retransmissions of its own old acknowledgements, which travelled from it to
// the same node on another connection (a partition's heal did this: the first copy's
// reply came 1.2 s late).
const replConn = 1 << 63

func (p psync) Conn() uint64      { return replConn | p.epoch<<1 }
func (a replAck) Conn() uint64    { return replConn | a.epoch<<1 }
func (p psyncReply) Conn() uint64 { return replConn | p.epoch<<1 | 1 }
func (r rdb) Conn() uint64        { return replConn | r.epoch<<1 | 1 }
func (s stream) Conn() uint64     { return replConn | s.epoch<<1 | 1 }

func (p psync) String() string { return fmt.Sprintf("PSYNC %s %d", p.replid, p.offset) }
func (p psyncReply) String() string {
	return map[bool]string{true: "+FULLRESYNC", false: "+CONTINUE"}[p.full]
}
func (r rdb) String() string    { return fmt.Sprintf("RDB %d keys @%d", len(r.data), r.offset) }
func (s stream) String() string { return s.op.String() }

// An attached replica, from the master's side.
type attached struct {
	proc   int
	epoch  uint64
	online bool
	// copy is the full copy the master's child is writing to this replica, nil once it
	// is written; pending the writes made meanwhile, which the master holds in the
	// replica's output buffer and sends after the copy.
	copy    *rdb
	copyGen uint64
	pending []*op
	since   int64 // Unix seconds it started waiting for a full copy
	ack     int64
	ackTime int64
	ip      string
	port    int
}

// replication is a node's replication state, as a master and as a replica.
type replication struct {
	replid, replid2 string
	masterOffset    int64 // master_repl_offset
	secondOffset    int64 // second_repl_offset
	backlog         []*op
	backlogBytes    int64
	backlogOn       bool // the backlog exists: since a replica first synced from this node, or this replica synced
	replicas        []*attached
	// cronLoops counts replicationCron's runs (replication_cron_loops). A master pings
	// its replicas on every repl-ping-replica-period-th run, not by the clock: a master
	// that was blocked for seconds does not ping the moment it wakes, unless its count
	// says so.
	cronLoops uint64
	copies    uint64 // full copies started, to name the child that writes each
	selected  int    // the database the stream last selected (slaveseldb), -1 for none

	// loading is the full copy this replica is loading (rdbLoad), nil when none; loadHeld
	// the stream that arrived meanwhile, which Redis reads once the load is done.
	loading  *rdb
	loadHeld []*op

	master          *peer // the node replicated, nil if none
	masterProc      int
	state           int
	epoch           uint64
	masterReplid    string
	processed       int64 // offset processed as a replica
	lastInteraction int64 // Unix seconds
	downSince       int64 // Unix seconds
	cachedReplid    string
	cachedOffset    int64
	synced          bool // has ever completed a sync with this master

	// inbox holds stream ops read but not applied: a script's MULTI … EXEC being read
	// (Redis queues its commands until the EXEC arrives), then whatever followed it.
	// They belong to link epoch inboxEpoch; a new link discards them, as Redis discards
	// a master client's half-read transaction.
	inbox      []*op
	inboxEpoch uint64
}

func (r *replication) init(n *Node) {
	r.replid = randomName(n.ctx.Rand)
	r.replid2 = strings.Repeat("0", 40)
	r.secondOffset = -1
	r.masterProc = -1
	r.inbox = nil
	r.cronLoops = 0
	r.selected = -1
	r.loading, r.loadHeld = nil, nil
}

func (r *replication) hasMaster() bool { return r.master != nil }

// offset is what the cluster bus announces: the master offset of a master, the processed
// offset of a replica (replicationGetSlaveOffset).
func (r *replication) offset(n *Node) int64 {
	if n.myself != nil && n.myself.isSlave() {
		if r.state == replConnected || r.cachedReplid != "" || r.synced {
			return r.processed
		}
		return 0
	}
	return r.masterOffset
}

// dataAge is how long, in ms, this replica's data has gone without news from its master, as
// clusterHandleSlaveFailover computes it: whole seconds, since the last interaction if the
// link is up, else since it went down (which is the epoch if it never came up).
func (r *replication) dataAge(n *Node) int64 { return r.dataAgeAt(n.now / 1000) }

// dataAgeAt is dataAge at Unix second unix.
func (r *replication) dataAgeAt(unix int64) int64 {
	if r.state == replConnected {
		return (unix - r.lastInteraction) * 1000
	}
	return (unix - r.downSince) * 1000
}

// setMaster starts replicating m (replicationSetMaster): cache what we have so a partial
// resynchronisation can be asked for, and connect at once.
func (r *replication) setMaster(n *Node, m *peer) {
	wasMaster := r.master == nil
	if r.state == replConnected {
		r.downSince = n.now / 1000
	}
	if wasMaster {
		r.cachedReplid, r.cachedOffset = r.replid, r.masterOffset
		r.replicas = nil // its replicas will find the new topology by themselves
	} else if r.masterReplid != "" {
		r.cachedReplid, r.cachedOffset = r.masterReplid, r.processed
	}
	r.master = m
	r.state = replConnect
	r.connect(n)
}

// unsetMaster turns a replica into a master (replicationUnsetMaster): it keeps its data and
// offset, and its master's replication ID as its second ID, so siblings can resume from it.
func (r *replication) unsetMaster(n *Node) {
	if r.master == nil {
		return
	}
	r.replid2 = r.masterReplid
	if r.replid2 == "" {
		r.replid2 = strings.Repeat("0", 40)
	}
	r.secondOffset = r.processed + 1
	r.replid = randomName(n.ctx.Rand)
	r.masterOffset = r.processed
	r.selected = -1
	r.master, r.masterProc, r.state = nil, -1, replNone
	r.epoch++
}

func (r *replication) connect(n *Node) {
	if r.master == nil {
		return
	}
	proc, ok := n.reg.Process(r.master.ip, r.master.port)
	if !ok {
		return
	}
	r.epoch++
	r.masterProc = proc
	r.state = replConnecting
	p := psync{epoch: r.epoch, replid: "?", offset: -1}
	if r.cachedReplid != "" {
		p.replid, p.offset = r.cachedReplid, r.cachedOffset+1
	}
	n.ctx.SendOrBounce(proc, p, 0)
}

// linkDown records that the link to the master broke.
func (r *replication) linkDown(n *Node) {
	if r.state == replConnected {
		r.downSince = n.now / 1000
		r.cachedReplid, r.cachedOffset = r.masterReplid, r.processed
	}
	if r.master != nil {
		r.state = replConnect
	}
	r.epoch++
}

func (r *replication) hangup(n *Node, from int) {
	if r.master != nil && from == r.masterProc {
		r.linkDown(n)
	}
	for i, a := range r.replicas {
		if a.proc == from {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			break
		}
	}
}

func (r *replication) bounced(n *Node, from int, msg any) {
	if p, ok := msg.(psync); ok && p.epoch == r.epoch && r.state == replConnecting {
		r.state = replConnect // refused: retry from the replication cron
	}
}

// cron is replicationCron: connect, time out a silent master, acknowledge, and start full
// copies whose delay is over; masters ping their replicas every repl-ping-replica-period.
func (r *replication) cron(n *Node) {
	unix := n.now / 1000
	if r.master != nil {
		switch r.state {
		case replConnect:
			r.connect(n)
		case replConnected:
			if unix-r.lastInteraction > int64(n.cfg.ReplTimeout/time.Second) {
				n.logf("MASTER timeout: no data nor PING received...")
				r.linkDown(n)
			} else {
				r.sendAck(n)
			}
		}
	}
	// No PING while a manual failover pauses clients: it would move the offset the
	// replica waits to reach.
	period := uint64(max(n.cfg.ReplPingReplicaPeriod/time.Second, 1))
	mf := n.mfEnd != 0 && n.pausedUntil > n.now
	if r.cronLoops%period == 0 && len(r.replicas) > 0 && n.myself.isMaster() && !mf {
		r.propagate(n, "ping", "", value{}, 0)
	}
	r.cronLoops++
	// Start a diskless full copy once a waiting replica has waited long enough.
	start := false
	for _, a := range r.replicas {
		if !a.online && unix-a.since >= int64(n.cfg.ReplDisklessSyncDelay/time.Second) {
			start = true
		}
	}
	if start {
		// A diskless copy (repl-diskless-sync yes): one child writes the RDB for every
		// waiting replica, for as long as serializing the dataset takes, into a pipe the
		// parent relays to their sockets (rdbPipeReadHandler), so a parent blocked
		// meanwhile holds the copy back; the parent goes on serving, and buffers its
		// writes for them.
		data := n.db.copyAll()
		r.copies++
		r.selected = -1 // replicationSetupSlaveForFullResync
		n.logf("Starting BGSAVE for SYNC with target: replicas sockets")
		for _, a := range r.replicas {
			if a.online {
				continue
			}
			a.online = true
			a.copy, a.copyGen, a.pending = &rdb{epoch: a.epoch, replid: r.replid, offset: r.masterOffset, data: data}, r.copies, nil
			n.ctx.Send(a.proc, psyncReply{epoch: a.epoch, full: true, replid: r.replid, offset: r.masterOffset}, 0)
		}
		n.ctx.After(n.costs.rdbSaveCost(maps.Values(data)), sim.Timer{Kind: timerRdbSent, Arg: int64(r.copies)})
	}
}

// rdbSent is the end of the child that wrote full copy gen: each replica it was for gets
// the RDB, then the writes buffered for it since.
func (r *replication) rdbSent(n *Node, gen uint64) {
	sent, size := 0, -1
	for _, a := range r.replicas {
		if a.copy == nil || a.copyGen != gen {
			continue
		}
		if size < 0 { // one RDB, whichever replicas it goes to
			size = 0
			for k, v := range a.copy.data {
				size += len(k) + payloadSize(v)
			}
		}
		n.ctx.Send(a.proc, *a.copy, size)
		for _, o := range a.pending {
			n.ctx.Send(a.proc, stream{epoch: a.epoch, op: o}, int(o.size))
		}
		a.copy, a.pending = nil, nil
		sent++
	}
	n.logf("Diskless rdb transfer, done reading from pipe, %d replicas still up.", sent)
}

// propagate applies nothing itself: it appends a write already applied to the stream, the
// backlog and every online replica.
func (r *replication) propagate(n *Node, cmd, key string, v value, from int) {
	if !r.backlogOn && len(r.replicas) == 0 {
		return // replicationFeedSlaves: no backlog and no replica, no stream
	}
	if cmd != "ping" && cmd != "getack" && r.selected != 0 {
		// The stream selects database 0 before its first write after a full copy's
		// setup or a promotion (slaveseldb); a PING or a GETACK selects nothing.
		r.selected = 0
		r.propagate(n, "select", "", value{}, 0)
	}
	var size int64
	switch cmd {
	case "select":
		size = respSize("SELECT", "0")
	case "set":
		size = respSize("SET", key, v.str)
	case "elems":
		size = elemsStreamSize(key, v.kind, from, v.elems)
	case "restore":
		// The target streams the RESTORE-ASKING key 0 payload it ran ("*3" and "*4" are
		// as long).
		p := payloadSize(v)
		size = respSize("RESTORE-ASKING", key, "0") + bulk(p)
	case "del":
		size = respSize("DEL", key)
	case "getack":
		size = respSize("REPLCONF", "GETACK", "*")
	default:
		size = respSize("PING")
	}
	r.masterOffset += size
	o := &op{cmd: cmd, key: key, val: v, from: from, size: size, offset: r.masterOffset}
	r.remember(n, o)
	for _, a := range r.replicas {
		switch {
		case a.copy != nil:
			a.pending = append(a.pending, o)
		case a.online:
			n.ctx.Send(a.proc, stream{epoch: a.epoch, op: o}, int(size))
		}
	}
}

// remember keeps o in the backlog, trimmed to repl-backlog-size bytes.
func (r *replication) remember(n *Node, o *op) {
	r.backlog = append(r.backlog, o)
	r.backlogBytes += o.size
	for r.backlogBytes > n.cfg.ReplBacklogSize && len(r.backlog) > 1 {
		r.backlogBytes -= r.backlog[0].size
		r.backlog = r.backlog[1:]
	}
}

func (r *replication) step(n *Node, from int, msg any) bool {
	switch m := msg.(type) {
	case psync:
		r.servePsync(n, from, m)
	case psyncReply:
		if m.epoch != r.epoch || r.state != replConnecting {
			return true
		}
		r.masterReplid = m.replid
		if m.full {
			r.state = replTransfer
			return true
		}
		r.state = replConnected
		r.lastInteraction = n.now / 1000
		r.synced = true
		r.backlogOn = true
	case rdb:
		if m.epoch != r.epoch || (r.state != replTransfer && r.state != replConnecting) {
			return true
		}
		// readSyncBulkPayload with repl-diskless-load disabled: the copy is on disk; the
		// replica flushes what it had (emptyData, answering nothing), then loads the copy
		// (rdbLoad), answering most commands -LOADING meanwhile.
		r.state = replTransfer
		r.loading, r.loadHeld = &m, nil
		n.logf("MASTER <-> REPLICA sync: Flushing old data")
		flush := n.costs.flushCost(n.db.values)
		n.ctx.Busy(flush)
		n.ctx.After(flush, sim.Timer{Kind: timerLoadBegin})
	case stream:
		if r.loading != nil && m.epoch == r.loading.epoch && m.epoch == r.epoch {
			r.loadHeld = append(r.loadHeld, m.op)
			return true
		}
		if m.epoch != r.epoch || r.state != replConnected {
			return true
		}
		r.receive(n, m.op)
	case replAck:
		for _, a := range r.replicas {
			if a.proc == from {
				a.ack, a.ackTime = m.offset, n.now
			}
		}
	default:
		return false
	}
	return true
}

// receive takes in one op of the stream on a connected link.
func (r *replication) receive(n *Node, o *op) {
	r.lastInteraction = n.now / 1000
	if r.inboxEpoch != r.epoch {
		r.inbox = nil
	}
	if len(r.inbox) > 0 {
		r.inbox = append(r.inbox, o)
		return
	}
	r.read(n, o)
}

// loadBegin starts loading the full copy, once the old data is flushed.
func (r *replication) loadBegin(n *Node) {
	if r.loading == nil {
		return
	}
	n.logf("MASTER <-> REPLICA sync: Loading DB in memory")
	n.ctx.After(n.costs.rdbLoadCost(maps.Values(r.loading.data)), sim.Timer{Kind: timerLoadDone})
}

// loaded ends a full copy's load: the replica has its master's data and offset. If the
// link is still the one the copy came on, it is up, and the stream that waited is read;
// if it broke meanwhile, Redis still keeps the loaded data, and a new link asks to go on
// from it.
func (r *replication) loaded(n *Node) {
	m := r.loading
	if m == nil {
		return
	}
	held := r.loadHeld
	r.loading, r.loadHeld = nil, nil
	n.db.load(m.data)
	r.processed = m.offset
	r.masterReplid = m.replid
	r.backlog, r.backlogBytes = nil, 0
	r.backlogOn = true // a replica keeps a backlog, to serve PSYNCs after a failover
	r.synced = true
	if m.epoch != r.epoch || r.state != replTransfer {
		r.cachedReplid, r.cachedOffset = m.replid, m.offset
		return
	}
	r.state = replConnected
	r.lastInteraction = n.now / 1000
	r.cachedReplid = ""
	n.event(EvSynced, "", "MASTER <-> REPLICA sync: Finished with success")
	// The initial ACK, sent at once after a diskless copy (usemark in readSyncBulkPayload).
	r.sendAck(n)
	for _, o := range held {
		if r.state != replConnected || r.epoch != m.epoch {
			break
		}
		r.receive(n, o)
	}
}

// read takes in one op of the stream: a script's transaction is queued while it is read,
// the rest applied at once.
func (r *replication) read(n *Node, o *op) {
	if o.cmd == "elems" {
		r.inbox, r.inboxEpoch = []*op{o}, r.epoch
		n.ctx.After(n.costs.receiveCost(o.val.elems-o.from), sim.Timer{Kind: timerReplExec, Arg: int64(r.epoch)})
		return
	}
	r.apply(n, o)
}

// exec runs the transaction at the head of the inbox, once read, and reads on behind it.
func (r *replication) exec(n *Node, epoch uint64) {
	if epoch != r.epoch || r.inboxEpoch != epoch || len(r.inbox) == 0 {
		return
	}
	o, rest := r.inbox[0], r.inbox[1:]
	r.inbox = nil
	n.ctx.Busy(n.costs.execCost(o.val.elems - o.from))
	r.apply(n, o)
	for i, o := range rest {
		if o.cmd == "elems" {
			r.read(n, o)
			r.inbox = append(r.inbox, rest[i+1:]...)
			return
		}
		r.apply(n, o)
	}
}

// apply applies one op of the stream to the replica's data and offset.
func (r *replication) apply(n *Node, o *op) {
	switch o.cmd {
	case "set", "elems", "restore":
		v := o.val
		v.scattered = false // built here by the EXEC, or a RESTORE, with nothing in between
		// The replica's skiplist is its own, with its own heights: kept when the EXEC adds
		// members to one it has, new otherwise.
		v.heights = 0
		if old, ok := n.db.get(o.key); ok && o.cmd == "elems" && old.skiplist() && v.skiplist() {
			v.heights = old.heights
		}
		n.db.set(o.key, v)
		if o.cmd == "restore" {
			n.ctx.Busy(n.costs.restoreCost(o.val))
		}
	case "del":
		if v, ok := n.db.get(o.key); ok {
			n.ctx.Busy(n.costs.freeCost(v))
		}
		n.db.del(o.key)
	case "getack":
		// replicationSendAck, at once, with the offset of the commands run so far: this
		// one counts only once it has run.
		r.sendAck(n)
	}
	r.processed = o.offset
	r.remember(n, o)
}

// sendAck is replicationSendAck: REPLCONF ACK with the offset of the commands run so far.
func (r *replication) sendAck(n *Node) {
	n.ctx.Send(r.masterProc, replAck{epoch: r.epoch, offset: r.processed}, 0)
}

// streaming reports whether a master has a replica online to stream its writes to.
func (r *replication) streaming() bool {
	for _, a := range r.replicas {
		if a.online {
			return true
		}
	}
	return false
}

// servePsync answers a replica's PSYNC (masterTryPartialResynchronization): resume from the
// backlog when the replication ID and offset allow, else queue a full copy.
func (r *replication) servePsync(n *Node, from int, p psync) {
	for i, a := range r.replicas {
		if a.proc == from {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			break
		}
	}
	a := &attached{proc: from, epoch: p.epoch, since: n.now / 1000}
	for _, q := range n.order {
		if q.proc == from {
			a.ip, a.port = q.ip, q.port
		}
	}
	r.replicas = append(r.replicas, a)
	r.backlogOn = true // createReplicationBacklog, on the first replica's PSYNC
	partial := p.replid == r.replid || (p.replid == r.replid2 && p.offset <= r.secondOffset)
	first := r.masterOffset + 1
	if len(r.backlog) > 0 {
		first = r.backlog[0].offset - r.backlog[0].size + 1
	}
	if partial && p.offset >= first && p.offset <= r.masterOffset+1 {
		a.online = true
		n.ctx.Send(from, psyncReply{epoch: p.epoch, replid: r.replid}, 0)
		for _, o := range r.backlog {
			if o.offset >= p.offset {
				n.ctx.Send(from, stream{epoch: p.epoch, op: o}, int(o.size))
			}
		}
		n.logf("Partial resynchronization request from %s accepted.", a.ip+":"+itoa(a.port))
		return
	}
	n.logf("Full resync requested by replica %s", a.ip+":"+itoa(a.port))
}

// role is the reply to ROLE (roleCommand). A master lists its online replicas as
// address, listening port and acknowledged offset, all three as bulk strings. A replica
// names its master and its link state; replConnecting stands for the handshake states (the
// PSYNC sent, its reply awaited, which on loopback is where a replica waits out a master's
// repl-diskless-sync-delay), and the offset is -1 until the link is up, since only then
// does a master client exist.
func (r *replication) role(n *Node) Reply {
	if n.myself.isSlave() && r.master != nil {
		state := [...]string{replConnect: "connect", replConnecting: "handshake", replTransfer: "sync", replConnected: "connected"}[r.state]
		offset := int64(-1)
		if r.state == replConnected {
			offset = r.processed
		}
		return arrayReply(bulkReply("slave"), bulkReply(r.master.ip), intReply(int64(r.master.port)), bulkReply(state), intReply(offset))
	}
	var replicas []Reply
	for _, a := range r.replicas {
		if a.online {
			replicas = append(replicas, arrayReply(bulkReply(a.ip), bulkReply(itoa(a.port)), bulkReply(strconv.FormatInt(a.ack, 10))))
		}
	}
	return arrayReply(bulkReply("master"), intReply(r.masterOffset), arrayReply(replicas...))
}

// info is the "# Replication" section of INFO.
func (r *replication) info(n *Node) string {
	var b strings.Builder
	b.WriteString("# Replication\r\n")
	if n.myself.isSlave() && r.master != nil {
		status := "down"
		if r.state == replConnected {
			status = "up"
		}
		fmt.Fprintf(&b, "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n", r.master.ip, r.master.port, status)
		lastIO := int64(-1)
		if r.state == replConnected {
			lastIO = n.now/1000 - r.lastInteraction
		}
		fmt.Fprintf(&b, "master_last_io_seconds_ago:%d\r\nmaster_sync_in_progress:%d\r\n", lastIO, map[bool]int{true: 1, false: 0}[r.state == replTransfer])
		fmt.Fprintf(&b, "slave_read_repl_offset:%d\r\nslave_repl_offset:%d\r\n", r.processed, r.processed)
		if r.state != replConnected {
			// -1 when the link never came up (repl_down_since is 0).
			since := int64(-1)
			if r.downSince != 0 {
				since = n.now/1000 - r.downSince
			}
			fmt.Fprintf(&b, "master_link_down_since_seconds:%d\r\n", since)
		}
		b.WriteString("slave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\n")
	} else {
		fmt.Fprintf(&b, "role:master\r\nconnected_slaves:%d\r\n", r.onlineReplicas())
		i := 0
		for _, a := range r.replicas {
			if !a.online {
				continue
			}
			lag := int64(0)
			if a.ackTime > 0 {
				lag = (n.now - a.ackTime) / 1000
			}
			fmt.Fprintf(&b, "slave%d:ip=%s,port=%d,state=online,offset=%d,lag=%d\r\n", i, a.ip, a.port, a.ack, lag)
			i++
		}
	}
	fmt.Fprintf(&b, "master_failover_state:no-failover\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n", r.replid, r.replid2)
	off := r.masterOffset
	if n.myself.isSlave() {
		off = r.processed
	}
	fmt.Fprintf(&b, "master_repl_offset:%d\r\nsecond_repl_offset:%d\r\n", off, r.secondOffset)
	hist := int64(0)
	first := off + 1
	if len(r.backlog) > 0 {
		first = r.backlog[0].offset - r.backlog[0].size + 1
		hist = off - first + 1
	}
	fmt.Fprintf(&b, "repl_backlog_active:%d\r\nrepl_backlog_size:%d\r\nrepl_backlog_first_byte_offset:%d\r\nrepl_backlog_histlen:%d\r\n",
		map[bool]int{true: 1, false: 0}[r.backlogOn || len(r.backlog) > 0], n.cfg.ReplBacklogSize, first, hist)
	return b.String()
}

func (r *replication) onlineReplicas() int {
	c := 0
	for _, a := range r.replicas {
		if a.online {
			c++
		}
	}
	return c
}
