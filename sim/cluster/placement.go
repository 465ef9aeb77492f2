package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// A Placement builds the partitioner that routes keys among a membership, for a cluster
// that places keys by a consistent-hash ring or by hash % N instead of by hash slots.
// members are shard names; the partitioner's Owner returns one of them.
type Placement func(members []string) (Partitioner, error)

// A Partitioner maps a key to the member that owns it, named as the Placement was given
// its members. Owner depends only on the key and the membership the partitioner was built
// with: no clock, no randomness. A membership change builds a new partitioner, and the
// keys that move are those whose owner differs. ring.Ring and modulo.Modulo satisfy it.
type Partitioner interface {
	Owner(key string) string
}

// How a cluster with a Placement works (the simulator's own design, not Redis's; Redis has
// only slots):
//
//   - A shard is named by a token: one hash slot its master claims. Tokens travel in the
//     cluster bus like any slot claim, so everything Redis does with slots — gossip of the
//     claims, config epochs, a replica's failover taking over its master's claims, the old
//     master rejoining as a replica, votes and cluster_state counting masters with slots —
//     works unchanged, and a promoted replica takes over its master's share of the keys.
//   - The membership in a node's view is the set of tokens whose master is not FAIL, or is
//     FAIL but has a replica that is not, and so is about to be replaced. A master that
//     fails with no replica left is ejected (as memcached clients eject a dead server) and
//     its keys go to the other members, empty; when it returns, it is a member again.
//   - Each node routes a key to the owner the partitioner built from its own membership
//     gives. When a master's membership changes, it hands the keys it holds and no longer
//     owns to their new owners, in MIGRATE batches of handoffBatch keys over the network.
//     While it does, Redis's migration rules apply key by key: the old holder serves the
//     keys it still has and sends ASK for the others; the new owner, asked for a key it
//     does not have, sends ASK back to the key's previous owner until that node has said
//     it has handed off everything (CLUSTER HANDOFF-DONE), and serves it after ASKING.
//   - A node that starts counts itself as joining: the members other than itself are its
//     previous membership, so after a restart it asks for keys it lacks where they were
//     kept while it was away.
//
// Tokens are named by their slot number in decimal.

// handoffBatch is the keys per MIGRATE of a handoff: redis-cli's --cluster-pipeline default.
const handoffBatch = 10

// A placer is a node's placement state.
type placer struct {
	build Placement

	ready  bool
	sig    uint64 // Zobrist hash of the member tokens
	part   Partitioner
	owners map[int]string // token → name of its master at the last change
	master bool           // whether myself was a master at the last change

	prev       Partitioner // the membership before the last change; nil if none
	prevOwners map[int]string

	done     map[string]uint64 // node name → membership under which it finished handing off
	queue    []string          // keys to hand off, grouped by target
	flight   *migrateCall      // the batch on its way, if any
	inFlight map[string]bool   // its keys: requests for them wait for its answer
	notified bool              // HANDOFF-DONE sent for the current membership
	waiting  bool              // a retry timer is set
}

// member reports whether p's tokens are in the membership.
func member(p *peer) bool {
	return p.isMaster() && p.numslots > 0 && (!p.failed() || p.okReplicas() > 0)
}

// placeSig hashes the member tokens in this node's view.
func (n *Node) placeSig() uint64 {
	var h uint64
	for _, p := range n.order {
		if member(p) {
			h ^= p.slotHash
		}
	}
	return h
}

// TokenOf returns the token of key in partitioner part, a partitioner built by a
// Placement over the members' tokens (see Placement.Build).
func TokenOf(part Partitioner, key string) int {
	t, _ := strconv.Atoi(part.Owner(key))
	return t
}

// placeUpdate rebuilds the partitioner when the membership has changed, and starts a
// handoff when this master holds keys it no longer owns.
func (n *Node) placeUpdate() {
	pl := n.place
	sig := n.placeSig()
	isMaster := n.myself.isMaster()
	if pl.ready && sig == pl.sig && isMaster == pl.master {
		n.handoff()
		return
	}
	var tokens []int
	owners := map[int]string{}
	for j, p := range n.slots {
		if p != nil && member(p) {
			tokens = append(tokens, j)
			owners[j] = p.name
		}
	}
	part, err := pl.build.Build(tokens)
	if err != nil {
		part = nil // no member: every key is unserved
	}
	if pl.ready && sig != pl.sig {
		pl.prev, pl.prevOwners = pl.part, pl.owners
	} else if !pl.ready {
		// A node that starts is joining: its previous membership is the others.
		var others []int
		for _, t := range tokens {
			if owners[t] != n.myself.name {
				others = append(others, t)
			}
		}
		if len(others) < len(tokens) {
			pl.prev, _ = pl.build.Build(others)
			pl.prevOwners = owners
		}
	}
	if sig != pl.sig || !pl.ready {
		n.logf("Placement: %d members (%s)", len(tokens), formatTokens(tokens))
	}
	pl.ready, pl.sig, pl.part, pl.owners, pl.master = true, sig, part, owners, isMaster
	pl.queue, pl.notified = nil, false
	if isMaster && part != nil {
		for _, k := range n.db.all() {
			if n.slots[TokenOf(part, k)] != n.myself {
				pl.queue = append(pl.queue, k)
			}
		}
		slices.SortStableFunc(pl.queue, func(a, b string) int { return TokenOf(part, a) - TokenOf(part, b) })
	}
	n.handoff()
}

// Build builds the partitioner over members named by their tokens, as every node and
// every cluster-aware client of a placed cluster builds it from the slots it sees claimed.
func (build Placement) Build(tokens []int) (Partitioner, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("no member")
	}
	names := make([]string, len(tokens))
	for i, t := range tokens {
		names[i] = strconv.Itoa(t)
	}
	return build(names)
}

func formatTokens(tokens []int) string {
	parts := make([]string, len(tokens))
	for i, t := range tokens {
		parts[i] = strconv.Itoa(t)
	}
	return strings.Join(parts, ",")
}

// handoff sends the next batch of keys this master no longer owns to their owner, when no
// MIGRATE is in progress. A batch whose owner is unreachable waits and is tried again.
// The queue is not advanced when a batch starts: its keys leave the store when the target
// has them, and the next call skips every queued key no longer here, so a batch that failed
// is simply sent again.
func (n *Node) handoff() {
	pl := n.place
	if n.mig != nil || pl.flight != nil || pl.waiting || !n.myself.isMaster() || pl.part == nil {
		return
	}
	for len(pl.queue) > 0 {
		k := pl.queue[0]
		target := n.slots[TokenOf(pl.part, k)]
		if _, ok := n.db.get(k); !ok || target == n.myself || target == nil {
			pl.queue = pl.queue[1:]
			continue
		}
		if target.is(flagFail|flagPFail) || !target.hasAddr() {
			n.handoffRetry()
			return
		}
		args := []string{"MIGRATE", target.ip, itoa(target.port), "", "0", "5000", "REPLACE", "KEYS"}
		for _, k := range pl.queue {
			if len(args) == 8+handoffBatch || n.slots[TokenOf(pl.part, k)] != target {
				break
			}
			args = append(args, k)
		}
		if r := n.migrate(-1, Request{Args: args}); r.Kind == 0 {
			// Under way. Unlike MIGRATE, a handoff does not block the node (two masters
			// handing keys to each other would wait for each other until the timeout);
			// only requests for the keys on their way wait. handoffAnswered continues.
			pl.flight, n.mig = n.mig, nil
			clear(pl.inFlight)
			for _, k := range pl.flight.keys {
				pl.inFlight[k] = true
			}
			return
		}
		// NOKEY: every key of the batch is gone; the loop drops them.
		pl.queue = pl.queue[len(args)-8:]
	}
	if !pl.notified {
		pl.notified = true
		for _, p := range n.order {
			if p != n.myself && member(p) && p.proc >= 0 {
				n.ctx.SendOrBounce(p.proc, Request{Args: []string{"CLUSTER", "HANDOFF-DONE", n.myself.name, strconv.FormatUint(pl.sig, 16)}}, 0)
			}
		}
	}
}

// handoffAnswered continues a handoff after a MIGRATE batch ended; a batch the target
// refused or did not answer is tried again later.
func (n *Node) handoffAnswered(r Reply) {
	clear(n.place.inFlight)
	if r.IsError() {
		n.handoffRetry()
	}
}

func (n *Node) handoffRetry() {
	if !n.place.waiting {
		n.place.waiting = true
		n.ctx.After(cronPeriod, sim.Timer{Kind: timerHandoff})
	}
}

// handoffDone records that node name has handed off every key it held that this node owns
// under membership sig (CLUSTER HANDOFF-DONE name sig).
func (n *Node) handoffDone(args []string) Reply {
	if n.place == nil {
		return errReply("ERR This instance does not place keys by a partitioner")
	}
	if len(args) != 4 {
		return errorf("ERR wrong number of arguments for 'cluster|handoff-done' command")
	}
	sig, err := strconv.ParseUint(args[3], 16, 64)
	if err != nil {
		return errReply("ERR Invalid membership signature")
	}
	n.place.done[args[2]] = sig
	return okReply()
}

// pendingSource returns the previous owner of key when it may still hold it: a master
// that is reachable and has not said it finished handing off.
func (n *Node) pendingSource(key string) *peer {
	pl := n.place
	if pl.prev == nil {
		return nil
	}
	name := pl.prevOwners[TokenOf(pl.prev, key)]
	if name == n.myself.name || pl.done[name] == pl.sig {
		return nil
	}
	p := n.lookupName(name)
	if p == nil || p == n.myself || !p.isMaster() || p.is(flagFail|flagPFail) {
		return nil
	}
	return p
}

// routePlaced is route for a cluster with a Placement.
func (n *Node) routePlaced(keys []string, q query) (Reply, bool) {
	asking, restoreAsking := q.asking, q.restoreAsking
	pl := n.place
	s := slot.Of(keys[0])
	if pl.part == nil {
		return errReply("CLUSTERDOWN Hash slot not served"), true
	}
	token := TokenOf(pl.part, keys[0])
	owner := n.slots[token]
	if owner == nil {
		return errReply("CLUSTERDOWN Hash slot not served"), true
	}
	present := 0
	for _, k := range keys {
		if k != keys[0] && TokenOf(pl.part, k) != token {
			return errReply("CROSSSLOT Keys in request don't hash to the same slot"), true
		}
		if _, ok := n.db.get(k); ok {
			present++
		}
	}
	if restoreAsking {
		if owner != n.myself {
			return errorf("MOVED %d %s:%d", s, owner.ip, owner.port), true
		}
		return Reply{}, false
	}
	if n.state != stateOK {
		return errReply("CLUSTERDOWN The cluster is down"), true
	}
	if owner == n.myself {
		if present == 0 && !asking {
			if src := n.pendingSource(keys[0]); src != nil {
				return errorf("ASK %d %s:%d", s, src.ip, src.port), true
			}
		}
		return Reply{}, false
	}
	if n.myself.isMaster() && present > 0 {
		if present < len(keys) {
			return errReply("TRYAGAIN Multiple keys request during rehashing of slot"), true
		}
		return Reply{}, false // a key waiting for its handoff
	}
	if asking {
		return errorf("ASK %d %s:%d", s, owner.ip, owner.port), true
	}
	return errorf("MOVED %d %s:%d", s, owner.ip, owner.port), true
}

// Handoff reports whether this node has keys left to hand off under its membership.
func (n *Node) Handoff() bool {
	return n.place != nil && n.myself != nil && n.myself.isMaster() &&
		(len(n.place.queue) > 0 || n.place.flight != nil || !n.place.notified)
}

// inFlight reports whether req is about a key a handoff batch is carrying.
func (n *Node) inFlight(req Request) bool {
	if n.place == nil || n.place.flight == nil || len(req.Args) < 2 {
		return false
	}
	kc, ok := keyCommands[strings.ToLower(req.Args[0])]
	if !ok {
		return false
	}
	for i, k := range req.Args[kc.firstKey:] {
		if n.place.inFlight[k] {
			return true
		}
		if !kc.allKeys && i == 0 {
			break
		}
	}
	return false
}

// Membership returns the member tokens in this node's view and the Zobrist hash that
// identifies them; ok is false in a cluster that places keys by slots.
func (n *Node) Membership() (tokens []int, sig uint64, ok bool) {
	if n.place == nil || !n.place.ready {
		return nil, 0, false
	}
	for t := range n.place.owners {
		tokens = append(tokens, t)
	}
	slices.Sort(tokens)
	return tokens, n.place.sig, true
}
