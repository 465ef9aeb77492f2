package cluster

import (
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// This file is the cluster bus: TCP links between nodes and the PING/PONG/MEET/FAIL/UPDATE
// messages that travel on them (cluster.c: clusterSendPing, clusterProcessPacket,
// clusterProcessGossipSection and friends).

// connect opens an outbound link to p (createClusterLink + connConnect). A connect to a
// process that is down is refused asynchronously, as on loopback: the link stays until the
// refusal arrives, and anything sent meanwhile waits in it. While the kernel is still
// tearing a SIGKILLed process down, its listening socket completes the connect
// (sim.Accepted): the link comes up and its PING goes out, to be reset when the socket
// closes (HostLoad's teardown).
func (n *Node) connect(p *peer) {
	n.linkEpoch++
	l := &link{epoch: n.linkEpoch, ctime: n.now}
	p.link = l
	n.links[l.epoch] = p
	p.proc = n.resolve(p)
	if p.proc < 0 {
		n.ctx.After(time.Millisecond, sim.Timer{Kind: timerDialFail, Arg: int64(l.epoch)})
		return
	}
	n.ctx.Dial(p.proc, dial{epoch: l.epoch})
	l.synSent = 1
	n.ctx.After(synRTO, sim.Timer{Kind: timerSynRetry, Arg: int64(l.epoch)})
}

// Linux's connect: a SYN that gets no answer (lost in a partition) is sent again after 1 s,
// then after twice the previous wait, tcp_syn_retries (6) times; the connect fails with
// ETIMEDOUT 127 s after it began. A partition that heals meanwhile lets a later SYN through.
const (
	synRTO     = time.Second
	synRetries = 6
)

// synRetry resends the SYN of a connect still in progress, or fails it once retries run out.
func (n *Node) synRetry(epoch uint64) {
	p := n.links[epoch]
	if p == nil || p.link == nil || p.link.epoch != epoch || p.link.connected {
		return
	}
	l := p.link
	wait := synRTO << l.synSent
	if l.synSent > synRetries {
		n.dialFailed(epoch)
		return
	}
	l.synSent++
	n.ctx.Dial(p.proc, dial{epoch: epoch})
	n.ctx.After(wait, sim.Timer{Kind: timerSynRetry, Arg: int64(epoch)})
}

// freeLink closes p's outbound link (freeClusterLink).
func (n *Node) freeLink(p *peer) {
	if p.link != nil {
		delete(n.links, p.link.epoch)
		p.link = nil
	}
}

// dialed completes a connect (clusterLinkConnectHandler): queued packets go out, then a PING
// (or a MEET for a node we were told to meet), keeping an older ping_sent.
func (n *Node) dialed(from int, epoch uint64) {
	p := n.links[epoch]
	if p == nil || p.link == nil || p.link.epoch != epoch || p.link.connected {
		return
	}
	l := p.link
	l.connected = true
	pending := l.pending
	l.pending = nil
	for _, pkt := range pending {
		n.transmit(p, pkt)
	}
	old := p.pingSent
	typ := mPing
	if p.is(flagMeet) {
		typ = mMeet
	}
	n.sendPing(p, typ)
	if old != 0 {
		p.pingSent = old
	}
	p.flags &^= flagMeet
}

// dialRefused handles a refused connect: the link is freed, and the cron will try again.
func (n *Node) dialRefused(from int, epoch uint64) {
	if p := n.links[epoch]; p != nil && p.link != nil && p.link.epoch == epoch {
		n.freeLink(p)
	}
}

func (n *Node) dialFailed(epoch uint64) { n.dialRefused(-1, epoch) }

// hangup handles the end of every connection with process from: it crashed or stopped.
func (n *Node) hangup(from int) {
	for _, p := range n.order {
		if p.proc == from && p.link != nil {
			n.freeLink(p)
		}
	}
	n.repl.hangup(n, from)
}

// header fills the common fields of a packet (clusterBuildMessageHdr): a replica announces
// its master's slots and configEpoch.
func (n *Node) header(typ msgType) *packet {
	master := n.myself
	if n.myself.isSlave() && n.myself.master != nil {
		master = n.myself.master
	}
	pkt := &packet{
		typ: typ, sender: n.myself.nid, claim: n.claimOf(master), slaveof: -1,
		flags: n.myself.flags, state: n.state, currentEpoch: n.currentEpoch,
		configEpoch: master.configEpoch, offset: n.repl.offset(n),
		port: n.port, cport: n.port + clusterPortIncrement, about: -1,
	}
	if n.myself.master != nil {
		pkt.slaveof = n.myself.master.nid
	}
	if n.myself.isMaster() && n.mfEnd != 0 {
		pkt.paused = true
	}
	return pkt
}

// claimOf returns p's slots as this view sees them, cached until they change.
func (n *Node) claimOf(p *peer) *claim {
	if p.claimCache != nil {
		return p.claimCache
	}
	c := &claim{hash: p.slotHash}
	if p.numslots > 0 {
		for j, o := range n.slots {
			if o == p {
				c.set.Add(j)
			}
		}
	}
	p.claimCache = c
	return c
}

// send sends pkt on p's outbound link (clusterSendMessage): nothing without a link, queued
// while it connects.
func (n *Node) send(p *peer, pkt *packet) {
	if p == nil || p.link == nil {
		return
	}
	n.statsSent[pkt.typ]++
	n.charge(packetCost(pkt))
	pkt.conn = p.link.epoch
	if !p.link.connected {
		p.link.pending = append(p.link.pending, pkt)
		return
	}
	n.transmit(p, pkt)
}

// The kernel's side of a cluster bus link, as measured on loopback with tcpdump during a
// rebalance (sim/cluster/calibration/replica-switch.txt says how).
const (
	// delayedACK is how long Linux waits to acknowledge data it has no reply to send with:
	// TCP_DELACK_MIN (HZ/25, 40 ms), the longest wait too on loopback, where the round
	// trip is far shorter (tcp_send_delayed_ack); the timer fires on a tick of the
	// kernel's clock (jiffy, 4 ms at HZ 250, Debian's).
	delayedACK = 40 * time.Millisecond
	jiffy      = 4 * time.Millisecond
	// forcedPush is how much written data Linux holds back before it sends it whatever
	// Nagle's algorithm says (forced_push: half the largest window the peer offered), and
	// the size of a segment the peer acknowledges at once, when reading it frees half its
	// window (tcp_cleanup_rbuf). Measured: 38 to 44 KB segments, each acknowledged within
	// 1.3 ms; a lone message's ACK waits 40 to 45 ms.
	forcedPush = 40 << 10
)

// transmit hands pkt to the kernel on p's connected outbound link. Redis never makes that
// connection TCP_NODELAY (only the ones it accepts: clusterAcceptHandler), so Nagle's
// algorithm holds written data back while a small segment sent earlier is unacknowledged.
// What a node writes in one pass of its event loop leaves as one segment. The peer
// acknowledges a PING or MEET with its PONG, on the same connection; anything else (a PONG
// broadcast, FAIL, UPDATE, a vote request) with a delayed ACK, unless the segment is big.
//
// So a burst of messages to one peer, like the PONG a master broadcasts after each slot it
// imports, reaches it in batches: one message alone, then what piled up behind it, when
// the pile reaches forcedPush or the lone message's delayed ACK comes. A replica hears of
// its master's last slot moving up to 44 ms after the master does, and a `--cluster
// check` meanwhile finds nodes that disagree. On 7.0.15 with delayed ACKs switched off
// (`ip route change … quickack 1`) the replica followed within a millisecond.
func (n *Node) transmit(p *peer, pkt *packet) {
	l := p.link
	now := n.ctx.Now
	if l.unacked && l.burst != n.calls && now >= l.ackAt {
		l.unacked = false // its ACK came: what waited for it leaves first
		if len(l.held) > 0 {
			n.flush(p)
		}
	}
	if len(l.held) == 0 && (!l.unacked || l.burst == n.calls) {
		if l.burst != n.calls {
			l.burst, l.segBytes = n.calls, 0
		}
		l.segBytes += pkt.size()
		n.ctx.Send(p.proc, pkt, pkt.size())
		n.segmentSent(l)
		return
	}
	if len(l.held) == 0 {
		n.ctx.After(l.ackAt.Sub(now), sim.Timer{Kind: timerAck, Arg: int64(l.epoch), Kernel: true})
	}
	l.held = append(l.held, pkt)
	l.heldBytes += pkt.size()
	if l.heldBytes >= forcedPush {
		n.flush(p)
	}
}

// segmentSent settles the ACK of the segment just written on l: a big one's comes at
// once, a small one's after the peer's delayed ACK, on the tick of its clock.
func (n *Node) segmentSent(l *link) {
	if l.segBytes >= forcedPush {
		l.unacked = false
		return
	}
	if !l.unacked {
		at := n.ctx.Now.Add(delayedACK)
		at += sim.Time(jiffy) - 1 - (at+sim.Time(jiffy)-1)%sim.Time(jiffy)
		l.unacked, l.ackAt = true, at
	}
}

// flush sends what p's link holds back, as one segment.
func (n *Node) flush(p *peer) {
	l := p.link
	held := l.held
	l.held, l.heldBytes = nil, 0
	l.unacked, l.burst, l.segBytes = false, n.calls, 0
	for _, pkt := range held {
		l.segBytes += pkt.size()
		n.ctx.Send(p.proc, pkt, pkt.size())
	}
	n.segmentSent(l)
}

// acked handles the acknowledgement of what was sent on the outbound link epoch: the
// peer's delayed ACK (timerAck) or the PONG that answers a PING (reply). What Nagle's
// algorithm held back leaves.
func (n *Node) acked(epoch uint64, reply bool) {
	p := n.links[epoch]
	if p == nil || p.link == nil || p.link.epoch != epoch {
		return
	}
	l := p.link
	if l.unacked && !reply && n.ctx.Now < l.ackAt {
		return // a timer for an earlier segment
	}
	l.unacked = false
	if len(l.held) > 0 {
		n.flush(p)
	}
}

// unsent returns what the kernel still holds back on the node's outbound links and
// forgets it. A process that exits or dies has its sockets closed by the kernel, which
// sends what they hold, Nagle's algorithm aside, before the FIN (tcp_send_fin).
func (n *Node) unsent() []sim.Envelope {
	var out []sim.Envelope
	for _, p := range n.order {
		if p.link == nil {
			continue
		}
		for _, pkt := range p.link.held {
			out = append(out, sim.Envelope{To: p.proc, Msg: pkt, Size: pkt.size()})
		}
		p.link.held, p.link.heldBytes = nil, 0
	}
	return out
}

// sendBack sends pkt back on the connection conn that process from opened to us.
func (n *Node) sendBack(from int, conn uint64, pkt *packet) {
	n.statsSent[pkt.typ]++
	pkt.conn, pkt.reply = conn, true
	n.ctx.Send(from, pkt, pkt.size())
}

// broadcast sends a copy of pkt to every known node but myself and handshake nodes
// (clusterBroadcastMessage).
func (n *Node) broadcast(pkt *packet) {
	for _, p := range n.order {
		if p.is(flagMyself | flagHandshake) {
			continue
		}
		c := *pkt
		n.send(p, &c)
	}
}

// gossipAbout fills a gossip entry (clusterSetGossipEntry).
func (n *Node) gossipAbout(p *peer) gossipEntry {
	return gossipEntry{
		nid: p.nid, pingSent: uint32(p.pingSent / 1000), pongRecv: uint32(p.pongReceived / 1000),
		ip: p.gip, port: p.gport, cport: p.gcport, flags: p.flags,
	}
}

// buildPing builds a PING, PONG or MEET with its gossip section (clusterSendPing): about a
// tenth of the known nodes, at least three, chosen at random, then every node in PFAIL.
func (n *Node) buildPing(typ msgType) *packet {
	n.pingsSent++
	freshnodes := len(n.order) - 2
	wanted := max(len(n.order)/10, 3)
	wanted = min(wanted, freshnodes)
	pfailWanted := n.statsPfailNodes
	pkt := n.header(typ)
	if wanted+pfailWanted > 0 {
		pkt.gossip = make([]gossipEntry, 0, max(wanted, 0)+pfailWanted)
	}
	// Redis's loop draws a random node per iteration and stops when it has enough, runs
	// out of fresh nodes or of iterations. Each iteration takes one node at most, so the
	// next min(wanted-len, iter, freshnodes) iterations all happen: their nodes are drawn
	// first, in the same order, and touched together, so that the memory fetches of a
	// hundred scattered peers overlap instead of following one another. The draws and
	// the choices are exactly those of the plain loop.
	batch := &n.batch // a field: a local array of pointers would be zeroed on every ping
	for iter := wanted * 3; freshnodes > 0 && len(pkt.gossip) < wanted && iter > 0; {
		k := min(wanted-len(pkt.gossip), iter, freshnodes, len(batch))
		var touch uint16
		for i := range k {
			batch[i] = n.order[n.ctx.Rand.IntN(len(n.order))]
			touch |= batch[i].flags
		}
		n.touch = touch
		for _, this := range batch[:k] {
			iter--
			if this == n.myself || this.timedOut() {
				continue
			}
			if this.is(flagHandshake|flagNoAddr) || (this.link == nil && this.numslots == 0) {
				freshnodes--
				continue
			}
			if this.lastInPingGossip == uint32(n.pingsSent) {
				continue
			}
			pkt.gossip = append(pkt.gossip, n.gossipAbout(this))
			this.lastInPingGossip = uint32(n.pingsSent)
			freshnodes--
		}
	}
	for _, p := range n.order {
		if pfailWanted == 0 {
			break
		}
		if p.is(flagHandshake|flagNoAddr) || !p.timedOut() {
			continue
		}
		pkt.gossip = append(pkt.gossip, n.gossipAbout(p))
		pfailWanted--
	}
	return pkt
}

// sendPing sends a PING, PONG or MEET on p's outbound link; a PING there starts the
// clock that failure detection reads.
func (n *Node) sendPing(p *peer, typ msgType) {
	if p.link == nil {
		return
	}
	if typ == mPing {
		p.pingSent = n.now
	}
	n.send(p, n.buildPing(typ))
}

// Whom broadcastPong sends to (CLUSTER_BROADCAST_*).
type broadcastTarget uint8

const (
	broadcastAll           broadcastTarget = iota // every connected node
	broadcastLocalReplicas                        // the replicas of my master, me a replica or not
)

// broadcastPong sends a PONG to the nodes of target (clusterBroadcastPong).
func (n *Node) broadcastPong(target broadcastTarget) {
	localReplicas := target == broadcastLocalReplicas
	for _, p := range n.order {
		if p.link == nil || p == n.myself || p.inHandshake() {
			continue
		}
		if localReplicas {
			local := p.isSlave() && p.master != nil && (p.master == n.myself || p.master == n.myself.master)
			if !local {
				continue
			}
		}
		n.send(p, n.buildPing(mPong))
	}
}

// sendFail broadcasts that p is failing (clusterSendFail).
func (n *Node) sendFail(p *peer) {
	pkt := n.header(mFail)
	pkt.about = p.nid
	n.broadcast(pkt)
}

// sendUpdate tells to about the configuration of about (clusterSendUpdate).
func (n *Node) sendUpdate(to, about *peer) {
	if to.link == nil {
		return
	}
	pkt := n.header(mUpdate)
	pkt.about, pkt.aboutEpoch = about.nid, about.configEpoch
	c := n.claimOf(about)
	// Slots whose owner stopped claiming them are not advertised (owner_not_claiming_slot).
	if c.set.Intersects(n.notClaiming) {
		cc := &claim{set: c.set}
		cc.set.RemoveSet(n.notClaiming)
		cc.hash = hashOf(&cc.set)
		c = cc
	}
	pkt.aboutClaims = c
	n.send(to, pkt)
}

func hashOf(s *slot.Set) uint64 {
	var h uint64
	for j := range s.All() {
		h ^= zobrist[j]
	}
	return h
}

// processPacket handles a packet from process from (clusterProcessPacket).
func (n *Node) processPacket(from int, pkt *packet) {
	n.statsRecv[pkt.typ]++
	n.charge(packetCost(pkt))
	// Which connection did it come on? A reply comes on our outbound link, which must still
	// be the one it was sent on.
	var linkNode *peer
	outbound := pkt.reply
	if outbound {
		linkNode = n.links[pkt.conn]
		if linkNode == nil || linkNode.link == nil || linkNode.link.epoch != pkt.conn {
			return // that connection is gone
		}
	}
	var sender *peer
	if linkNode != nil && !linkNode.inHandshake() {
		sender = linkNode
	} else {
		sender = n.lookup(pkt.sender)
	}
	if sender != nil {
		sender.dataReceived = n.now
		if sender.proc < 0 {
			sender.proc = from
		}
	}
	var senderConfigEpoch, senderCurrentEpoch uint64
	if sender != nil && !sender.inHandshake() {
		senderCurrentEpoch, senderConfigEpoch = pkt.currentEpoch, pkt.configEpoch
		if senderCurrentEpoch > n.currentEpoch {
			n.currentEpoch = senderCurrentEpoch
		}
		if senderConfigEpoch > sender.configEpoch {
			sender.configEpoch = senderConfigEpoch
		}
		sender.replOffset, sender.replOffsetTime = pkt.offset, n.now
		if n.mfEnd != 0 && n.myself.isSlave() && n.myself.master == sender && pkt.paused && n.mfMasterOffset == -1 {
			n.mfMasterOffset = sender.replOffset
			n.todo |= todoHandleManualFailover
			n.logf("Received replication offset for paused master manual failover: %d", n.mfMasterOffset)
		}
	}

	switch pkt.typ {
	case mPing, mMeet, mPong:
		if (pkt.typ == mMeet || (pkt.typ == mPing && n.myself.ip == "")) && n.myself.ip != n.ip {
			// The peer reached us at our address: the connection's local end tells it.
			n.setAddr(n.myself, n.ip, n.myself.port, n.myself.cport)
			n.logf("IP address for this node updated to %s", n.ip)
			n.todo |= todoSaveConfig
		}
		if pkt.typ != mPong {
			if sender == nil && pkt.typ == mMeet {
				hs := n.newPeer(randomName(n.ctx.Rand), flagHandshake)
				n.setAddr(hs, pkt.ipOf(n, from), pkt.port, pkt.cport)
				n.addPeer(hs)
				n.processGossip(pkt, nil)
			}
			n.sendBack(from, pkt.conn, n.buildPing(mPong))
		}
		if outbound {
			if linkNode.inHandshake() {
				if sender != nil {
					// We already know this node under its real name: drop the handshake.
					n.delPeer(linkNode)
					return
				}
				n.renamePeer(linkNode, n.reg.name(pkt.sender))
				linkNode.flags &^= flagHandshake
				linkNode.flags |= pkt.flags & (flagMaster | flagSlave)
			} else if linkNode.nid != pkt.sender {
				linkNode.flags |= flagNoAddr
				n.setAddr(linkNode, "", 0, 0)
				n.freeLink(linkNode)
				return
			}
		}
		if sender != nil {
			sender.flags = sender.flags&^flagNoFailover | pkt.flags&flagNoFailover
		}
		if outbound && pkt.typ == mPong {
			linkNode.pongReceived = n.now
			linkNode.pingSent = 0
			if linkNode.timedOut() {
				linkNode.flags &^= flagPFail
				n.todo |= todoUpdateState
			} else if linkNode.failed() {
				n.clearFailureIfNeeded(linkNode)
			}
		}
		if sender == nil {
			return
		}
		if pkt.slaveof < 0 {
			n.setAsMaster(sender)
		} else {
			master := n.lookup(pkt.slaveof)
			if sender.isMaster() {
				n.delNodeSlots(sender)
				sender.flags &^= flagMaster | flagMigrateTo
				sender.flags |= flagSlave
				n.todo |= todoUpdateState
			}
			if master != nil && sender.master != master {
				if sender.master != nil {
					sender.master.removeReplica(sender)
				}
				master.addReplica(sender)
				sender.master = master
			}
		}
		senderMaster := sender
		if !sender.isMaster() {
			senderMaster = sender.master
		}
		dirty := senderMaster != nil && senderMaster.slotHash != pkt.claim.hash
		if sender.isMaster() && dirty {
			n.updateSlotsConfigWith(sender, senderConfigEpoch, pkt.claim)
		}
		if dirty {
			for j := range pkt.claim.set.All() {
				owner := n.slots[j]
				if owner == sender || n.unclaimed(j) {
					continue
				}
				if owner.configEpoch > senderConfigEpoch {
					n.sendUpdate(sender, owner)
					break
				}
			}
		}
		if n.myself.isMaster() && sender.isMaster() && senderConfigEpoch == n.myself.configEpoch {
			n.handleConfigEpochCollision(sender)
		}
		n.processGossip(pkt, sender)

	case mFail:
		if sender == nil {
			return
		}
		failing := n.lookup(pkt.about)
		if failing != nil && !failing.is(flagFail|flagMyself) {
			n.event(EvFailMsg, failing.name, "FAIL message received from %s about %s", sender.name, failing.name)
			failing.flags |= flagFail
			failing.failTime = n.now
			failing.flags &^= flagPFail
			n.todo |= todoUpdateState
		}

	case mAuthReq:
		if sender != nil {
			n.sendFailoverAuthIfNeeded(sender, pkt)
		}

	case mAuthAck:
		if sender != nil && sender.isMaster() && sender.numslots > 0 && senderCurrentEpoch >= n.failoverAuthEpoch {
			n.failoverAuthCount++
			n.todo |= todoHandleFailover
		}

	case mMFStart:
		if sender == nil || sender.master != n.myself {
			return
		}
		n.resetManualFailover()
		n.mfEnd = n.now + mfTimeout
		n.mfSlave = sender
		n.pausedUntil = n.now + mfTimeout*mfPauseMult
		n.logf("Manual failover requested by replica %s.", sender.name)
		n.sendBack(from, pkt.conn, n.buildPing(mPing))

	case mUpdate:
		if sender == nil {
			return
		}
		about := n.lookup(pkt.about)
		if about == nil || about.configEpoch >= pkt.aboutEpoch {
			return
		}
		if about.isSlave() {
			n.setAsMaster(about)
		}
		about.configEpoch = pkt.aboutEpoch
		n.updateSlotsConfigWith(about, pkt.aboutEpoch, pkt.aboutClaims)
	}
}

// ipOf returns the IP a packet's sender uses: the address of the process it came from.
func (pkt *packet) ipOf(n *Node, from int) string {
	for _, p := range n.order {
		if p.proc == from && p.ip != "" {
			return p.ip
		}
	}
	return n.ip // every simulated node shares a host unless told otherwise
}

// processGossip handles the gossip section of a packet (clusterProcessGossipSection).
func (n *Node) processGossip(pkt *packet, sender *peer) {
	// Touch every node the section is about first, so that their fetches from memory
	// overlap (see buildPing).
	var touch uint16
	for i := range pkt.gossip {
		if node := n.lookup(pkt.gossip[i].nid); node != nil {
			touch |= node.flags
		}
	}
	n.touch = touch
	for i := range pkt.gossip {
		g := &pkt.gossip[i]
		node := n.lookup(g.nid)
		if node != nil {
			if sender != nil && sender.isMaster() && node != n.myself {
				if g.flags&(flagFail|flagPFail) != 0 {
					n.addFailureReport(node, sender)
					n.markFailingIfNeeded(node)
				} else {
					n.delFailureReport(node, sender)
				}
			}
			if g.flags&(flagFail|flagPFail) == 0 && node.pingSent == 0 && n.failureReports(node) == 0 {
				pongtime := int64(g.pongRecv) * 1000
				if pongtime <= n.now+500 && pongtime > node.pongReceived {
					node.pongReceived = pongtime
				}
			}
			if node.flags&(flagFail|flagPFail) != 0 && g.flags&flagNoAddr == 0 && g.flags&(flagFail|flagPFail) == 0 &&
				(node.ip != n.reg.ipName(g.ip) || node.port != int(g.port) || node.cport != int(g.cport)) {
				n.freeLink(node)
				n.setAddr(node, n.reg.ipName(g.ip), int(g.port), int(g.cport))
				node.flags &^= flagNoAddr
			}
			continue
		}
		if sender != nil && g.flags&flagNoAddr == 0 && !n.blacklisted(g.nid) {
			p := n.newPeer(n.reg.name(g.nid), g.flags)
			n.setAddr(p, n.reg.ipName(g.ip), int(g.port), int(g.cport))
			n.addPeer(p)
		}
	}
}

// addFailureReport records that sender thinks failing is down (clusterNodeAddFailureReport).
func (n *Node) addFailureReport(failing, sender *peer) {
	reports := failing.reports()
	for i := range reports {
		if reports[i].from == sender {
			reports[i].time = n.now
			return
		}
	}
	failing.setReports(append(reports, failReport{from: sender, time: n.now}))
}

func (n *Node) cleanupFailureReports(p *peer) {
	maxAge := n.nodeTimeout() * failReportValidity
	if p.fails == nil {
		return
	}
	kept := p.fails.r[:0]
	for _, r := range p.fails.r {
		if n.now-r.time <= maxAge {
			kept = append(kept, r)
		}
	}
	p.fails.r = kept
}

func (n *Node) delFailureReport(p, sender *peer) {
	for i, r := range p.reports() {
		if r.from == sender {
			p.fails.r = append(p.fails.r[:i], p.fails.r[i+1:]...)
			n.cleanupFailureReports(p)
			return
		}
	}
}

// failureReports counts valid reports about p (clusterNodeFailureReportsCount).
func (n *Node) failureReports(p *peer) int {
	n.cleanupFailureReports(p)
	return len(p.reports())
}

// markFailingIfNeeded turns PFAIL into FAIL when a majority of masters agree
// (markNodeAsFailingIfNeeded), and tells everybody.
func (n *Node) markFailingIfNeeded(p *peer) {
	quorum := n.size/2 + 1
	if !p.timedOut() || p.failed() {
		return
	}
	failures := n.failureReports(p)
	if n.myself.isMaster() {
		failures++
	}
	if failures < quorum {
		return
	}
	n.event(EvFail, p.name, "Marking node %s as failing (quorum reached).", p.name)
	p.flags &^= flagPFail
	p.flags |= flagFail
	p.failTime = n.now
	n.sendFail(p)
	n.todo |= todoUpdateState
}

// clearFailureIfNeeded undoes FAIL for a node we can reach again (clearNodeFailureIfNeeded):
// at once for a replica or a master without slots, after 2×node timeout for a master nobody
// failed over.
func (n *Node) clearFailureIfNeeded(p *peer) {
	if p.isSlave() || p.numslots == 0 {
		n.logf("Clear FAIL state for node %s: %s is reachable again.", p.name, map[bool]string{true: "replica", false: "master without slots"}[p.isSlave()])
		p.flags &^= flagFail
		n.todo |= todoUpdateState
	}
	if p.isMaster() && p.numslots > 0 && n.now-p.failTime > n.nodeTimeout()*failUndoTime {
		n.logf("Clear FAIL state for node %s: is reachable again and nobody is serving its slots after some time.", p.name)
		p.flags &^= flagFail
		n.todo |= todoUpdateState
	}
}

func (n *Node) blacklisted(nid int32) bool {
	for id, until := range n.blacklist {
		if until < n.now/1000 {
			delete(n.blacklist, id)
		}
	}
	_, ok := n.blacklist[nid]
	return ok
}

// handleConfigEpochCollision moves the node with the smaller name to a new epoch when two
// masters share one (clusterHandleConfigEpochCollision).
func (n *Node) handleConfigEpochCollision(sender *peer) {
	if sender.configEpoch != n.myself.configEpoch || !sender.isMaster() || !n.myself.isMaster() {
		return
	}
	if sender.name <= n.myself.name {
		return
	}
	n.currentEpoch++
	n.myself.configEpoch = n.currentEpoch
	n.logf("WARNING: configEpoch collision with node %s. configEpoch set to %d", sender.name, n.myself.configEpoch)
}
