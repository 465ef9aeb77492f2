package cluster

import (
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// A migrateCall is a MIGRATE in progress: like Redis, the source is blocked until the
// target has answered, and deletes a key only after the target has it.
type migrateCall struct {
	client  int
	id      uint64 // the client's request
	call    uint64 // the RESTORE-ASKING request to the target
	keys    []string
	bytes   []int // each key's name and DUMP payload, as sent
	copy    bool
	timeout int64 // Unix ms
	reply   Reply // set once the target has answered, while the moved keys are freed
}

// migrate runs MIGRATE host port "" db timeout [COPY] [REPLACE] KEYS k... (migrateCommand).
// The reply comes later, when the target answers; a zero Reply tells the caller so.
func (n *Node) migrate(from int, req Request) Reply {
	a := req.Args
	if len(a) < 6 {
		return errorf("ERR wrong number of arguments for 'migrate' command")
	}
	host, portText, key := a[1], a[2], a[3]
	port, ok := atoiArg(portText)
	if !ok {
		return errReply("ERR value is not an integer or out of range")
	}
	timeout, ok := atoiArg(a[5])
	if !ok {
		return errReply("ERR value is not an integer or out of range")
	}
	if timeout <= 0 {
		timeout = 1000
	}
	var copyKeys, replace bool
	var keys []string
	for i := 6; i < len(a); i++ {
		switch strings.ToLower(a[i]) {
		case "copy":
			copyKeys = true
		case "replace":
			replace = true
		case "keys":
			if key != "" {
				return errReply("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
			}
			keys = a[i+1:]
			i = len(a)
		default:
			return errReply("ERR syntax error")
		}
	}
	if keys == nil {
		keys = []string{key}
	}
	// Clients' MIGRATEs are routed like any command with keys; a placed cluster's own
	// handoffs (from -1) and its clients follow the handoff rules instead.
	if from >= 0 && n.place == nil {
		if r, redirected := n.routeMigrate(keys); redirected {
			return r
		}
	}
	var present []string
	var vals []value
	restore := []string{"RESTORE-ASKING", ""}
	if replace {
		restore[1] = "REPLACE"
	}
	size := 0
	var sizes []int
	var work time.Duration
	for _, k := range keys {
		if v, ok := n.db.get(k); ok {
			present = append(present, k)
			vals = append(vals, v)
			restore = append(restore, k)
			sizes = append(sizes, len(k)+payloadSize(v))
			size += sizes[len(sizes)-1]
			work += n.costs.serializeCost(v)
		}
	}
	if len(present) == 0 {
		return statusReply("NOKEY")
	}
	target, ok := n.reg.Process(host, int(port))
	if !ok {
		return errReply("IOERR error or timeout connecting to the client")
	}
	if from < 0 {
		work = 0 // a placed cluster's handoff runs beside the event loop (see handoff)
	}
	// The payload is serialized and written before the blocking read of the reply starts,
	// and the read's timeout counts from there (syncWrite, then syncReadLine).
	n.ctx.Busy(work)
	n.linkEpoch++
	n.mig = &migrateCall{client: from, id: req.ID, call: n.linkEpoch, keys: present, bytes: sizes, copy: copyKeys, timeout: n.now + work.Milliseconds() + timeout}
	n.ctx.SendOrBounce(target, Request{ID: n.linkEpoch, Args: restore, vals: vals}, size)
	n.ctx.After(work+time.Duration(timeout)*time.Millisecond, sim.Timer{Kind: timerMigrateTimeout, Arg: int64(n.linkEpoch)})
	return Reply{}
}

// restoreAsking stores keys sent by a MIGRATE: RESTORE-ASKING [REPLACE] k..., with the
// values in the request, each routed as RESTORE-ASKING is (served while importing the
// slot), with one reply per key. Loading the values keeps the node busy.
func (n *Node) restoreAsking(req Request) Reply {
	a := req.Args
	replace := a[1] == "REPLACE"
	var out []Reply
	for i, k := range a[2:] {
		if i >= len(req.vals) {
			out = append(out, errReply("ERR DUMP payload version or checksum are wrong"))
			continue
		}
		v := req.vals[i]
		if r, redirected := n.route([]string{k}, query{write: true, restoreAsking: true}); redirected {
			out = append(out, r)
			continue
		}
		if _, exists := n.db.get(k); exists && !replace {
			out = append(out, errReply("BUSYKEY Target key name already exists."))
			continue
		}
		n.ctx.Busy(n.costs.restoreCost(v))
		v.presized = v.kind != kindString // rdbLoadObject sizes a table for its length
		v.scattered = false
		v.heights = 0 // and inserts every member anew
		n.db.set(k, v)
		n.repl.propagate(n, "restore", k, v, 0)
		out = append(out, okReply())
	}
	return arrayReply(out...)
}

// migrateStep handles the target's answer to a MIGRATE, or its absence.
func (n *Node) migrateStep(from int, msg any) bool {
	switch m := msg.(type) {
	case Response:
		mc := n.answered(m.ID)
		if mc == nil {
			return true // an answer that came after its MIGRATE timed out
		}
		var failure string
		var free time.Duration
		for i, r := range m.Reply.Array {
			if r.IsError() {
				if failure == "" {
					failure = r.Str
				}
				continue
			}
			if !mc.copy && i < len(mc.keys) {
				if v, ok := n.db.get(mc.keys[i]); ok {
					n.metrics.MigratedKeys++
					n.metrics.MigratedBytes += int64(mc.bytes[i])
					free += n.costs.freeCost(v)
				}
				n.remove(mc.keys[i])
			}
		}
		mc.reply = okReply()
		if failure != "" {
			mc.reply = errReply("ERR Target instance replied with error: " + failure)
		}
		if mc.client >= 0 && free > 0 {
			// The keys are freed before MIGRATE returns (lazyfree-lazy-server-del is off).
			n.ctx.Busy(free)
			n.ctx.After(free, sim.Timer{Kind: timerMigrateDone, Arg: int64(mc.call)})
			return true
		}
		n.migrateDone(mc.call)
		return true
	}
	return false
}

// answered returns the MIGRATE in progress with request number call, whose reply has
// not come yet; nil when none is.
func (n *Node) answered(call uint64) *migrateCall {
	if mc := n.mig; mc != nil && mc.call == call && mc.reply.Kind == 0 {
		return mc
	}
	if pl := n.place; pl != nil && pl.flight != nil && pl.flight.call == call && pl.flight.reply.Kind == 0 {
		return pl.flight
	}
	return nil
}

// migrateDone returns from the MIGRATE with request number call once its target has
// answered and its keys are freed: the client gets its reply, and what waited runs.
func (n *Node) migrateDone(call uint64) {
	if mc := n.takeMigrate(call); mc != nil {
		n.migrateReply(mc, mc.reply)
	}
}

// migrateFailed ends a MIGRATE whose target was down or silent.
func (n *Node) migrateFailed(call uint64, why string) {
	if mc := n.answered(call); mc != nil {
		n.takeMigrate(call)
		n.migrateReply(mc, errReply(why))
	}
}

// takeMigrate returns the MIGRATE in progress with request number call, the blocking one
// or a handoff's batch, and forgets it; nil when none is.
func (n *Node) takeMigrate(call uint64) *migrateCall {
	mc := n.mig
	if mc != nil && mc.call == call {
		n.mig = nil
		return mc
	}
	if n.place != nil && n.place.flight != nil && n.place.flight.call == call {
		mc, n.place.flight = n.place.flight, nil
		return mc
	}
	return nil
}

// migrateReply answers the client of a MIGRATE; client -1 is the node's own handoff. What
// reached the node while the MIGRATE blocked it runs next.
func (n *Node) migrateReply(mc *migrateCall, r Reply) {
	if mc.client < 0 {
		n.handoffAnswered(r)
		return
	}
	n.ctx.Send(mc.client, Response{ID: mc.id, Reply: r}, 0)
	n.replayDeferred()
}

// routeMigrate is getNodeByQuery for MIGRATE: the usual CLUSTERDOWN and CROSSSLOT errors,
// then, where Redis lets MIGRATE "work in the context of the local node", any slot this
// node is migrating or importing is served here, and any other slot it does not own gets
// MOVED. redis-cli relies on that: before moving keys away from a node that does not own
// their slot, it sets the slot importing there.
func (n *Node) routeMigrate(keys []string) (Reply, bool) {
	s := slot.Of(keys[0])
	owner := n.slots[s]
	if owner == nil {
		return errReply("CLUSTERDOWN Hash slot not served"), true
	}
	for _, k := range keys[1:] {
		if slot.Of(k) != s {
			return errReply("CROSSSLOT Keys in request don't hash to the same slot"), true
		}
	}
	if n.state != stateOK {
		if !n.cfg.AllowReadsWhenDown {
			return errReply("CLUSTERDOWN The cluster is down"), true
		}
		return errReply("CLUSTERDOWN The cluster is down and only accepts read commands"), true
	}
	if (owner == n.myself && n.migrating[s] != nil) || n.importing[s] != nil {
		return Reply{}, false
	}
	if owner != n.myself {
		return errorf("MOVED %d %s:%d", s, owner.ip, owner.port), true
	}
	return Reply{}, false
}
