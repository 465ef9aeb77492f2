package cluster

import "github.com/kvplace/kvplace/slot"

// cron is clusterCron, run every 100 ms: reconnect links, ping, detect failures, fail over,
// migrate replicas, update the cluster state.
func (n *Node) cron() {
	n.iteration++
	updateState := false
	timeout := n.nodeTimeout()
	handshakeTimeout := max(timeout, 1000)

	n.statsPfailNodes = 0
	// A copy, as delPeer changes n.order; reused from one run to the next, it costs no
	// allocation (a peer dropped meanwhile stays reachable until the next run, no longer).
	n.cronOrder = append(n.cronOrder[:0], n.order...)
	failing := 0 // peers flagged FAIL; nothing in cron sets or clears FAIL
	for _, p := range n.cronOrder {
		if p.failed() {
			failing++
		}
		if p.is(flagMyself | flagNoAddr) {
			continue
		}
		if p.timedOut() {
			n.statsPfailNodes++
		}
		if p.inHandshake() && n.now-p.ctime > handshakeTimeout {
			n.delPeer(p)
			continue
		}
		if p.link == nil {
			n.connect(p)
		}
	}

	// Once a second, PING the node with the oldest PONG among five picked at random.
	if n.iteration%10 == 0 {
		var minPong *peer
		for range 5 {
			p := n.order[n.ctx.Rand.IntN(len(n.order))]
			if p.link == nil || p.pingSent != 0 || p.is(flagMyself|flagHandshake) {
				continue
			}
			if minPong == nil || minPong.pongReceived > p.pongReceived {
				minPong = p
			}
		}
		if minPong != nil {
			n.sendPing(minPong, mPing)
		}
	}

	// Orphaned masters, and the most working replicas any master has, for replica
	// migration. Redis counts every master's replicas in this loop; the counts matter only
	// when some master is orphaned, so the loop counts replicas only of masters that could
	// be, and the maximum is taken after it, from the same flags (nothing in the loop sets
	// or clears FAIL), only when needed: at 1000 nodes counting them took 9% of the run.
	orphaned, maxSlaves, thisSlaves := 0, 0, 0
	for _, p := range n.order {
		if p.is(flagMyself | flagNoAddr | flagHandshake) {
			continue
		}
		// Read in the order that touches the fewest cache lines: flags and the counts
		// are in the peer's first line, and its replicas need be visited only when some
		// node is FAIL (otherwise every replica is a working one).
		if n.myself.isSlave() && p.is(flagMigrateTo) && p.isMaster() && !p.failed() && p.numslots > 0 &&
			(p.nrep == 0 || (failing > 0 && p.okReplicas() == 0)) {
			orphaned++
		}
		pingDelay, dataDelay := n.now-p.pingSent, n.now-p.dataReceived
		// The link's age last: reading it means following p.link to another object.
		if p.link != nil && p.pingSent != 0 && pingDelay > timeout/2 && dataDelay > timeout/2 &&
			n.now-p.link.ctime > timeout {
			n.freeLink(p) // no traffic at all: reconnect, there may be a connection issue
		}
		if p.link != nil && p.pingSent == 0 && n.now-p.pongReceived > timeout/2 {
			n.sendPing(p, mPing)
			continue
		}
		if n.mfEnd != 0 && n.myself.isMaster() && n.mfSlave == p && p.link != nil {
			n.sendPing(p, mPing)
			continue
		}
		if p.pingSent == 0 {
			continue
		}
		if min(pingDelay, dataDelay) > timeout && !p.is(flagPFail|flagFail) {
			n.event(EvPFail, p.name, "*** NODE %s possibly failing", p.name)
			p.flags |= flagPFail
			updateState = true
		}
	}

	if orphaned > 0 {
		for _, p := range n.order {
			if !p.is(flagMyself|flagNoAddr|flagHandshake) && p.isMaster() && !p.failed() {
				ok := p.okReplicas()
				maxSlaves = max(maxSlaves, ok)
				if n.myself.master == p {
					thisSlaves = ok
				}
			}
		}
	}

	if n.myself.isSlave() && !n.repl.hasMaster() && n.myself.master != nil && n.myself.master.hasAddr() {
		n.repl.setMaster(n, n.myself.master)
	}
	n.manualFailoverCheckTimeout()
	if n.myself.isSlave() {
		n.handleManualFailover()
		n.handleSlaveFailover()
		if orphaned > 0 && maxSlaves >= 2 && thisSlaves == maxSlaves && n.cfg.AllowReplicaMigration {
			n.handleSlaveMigration(maxSlaves)
		}
	}
	if updateState || n.state == stateFail {
		n.updateState()
	}
}

// updateState computes cluster_state (clusterUpdateState): fail when a slot is unserved or
// its master FAIL (with full coverage required), or when I cannot reach a majority of the
// masters; a master waits before turning ok again after being in the minority or at start.
func (n *Node) updateState() {
	n.todo &^= todoUpdateState
	if n.firstCallTime == 0 {
		n.firstCallTime = n.now
	}
	if n.myself.isMaster() && n.state == stateFail && n.now-n.firstCallTime < writableDelay {
		return
	}
	newState := stateOK
	if n.cfg.RequireFullCoverage && n.place != nil {
		// Every member's master serves, or the cluster waits for its replica's promotion.
		for _, p := range n.order {
			if p.isMaster() && p.numslots > 0 && p.failed() && member(p) {
				newState = stateFail
				break
			}
		}
	} else if n.cfg.RequireFullCoverage {
		// Every slot has an owner that is not failing: each assigned slot counts in its
		// owner's numslots, so the non-failing owners' counts add up to all the slots.
		served := 0
		for _, p := range n.order {
			if !p.failed() {
				served += int(p.numslots)
			}
		}
		if served != slot.Count {
			newState = stateFail
		}
	}
	reachable := 0
	n.size = 0
	for _, p := range n.order {
		if p.isMaster() && p.numslots > 0 {
			n.size++
			if !p.is(flagFail | flagPFail) {
				reachable++
			}
		}
	}
	if reachable < n.size/2+1 {
		newState = stateFail
		n.amongMinorityTime = n.now
	}
	if newState != n.state {
		rejoin := min(max(n.nodeTimeout(), minRejoinDelay), maxRejoinDelay)
		if newState == stateOK && n.myself.isMaster() && n.now-n.amongMinorityTime < rejoin {
			return
		}
		n.event(EvState, "", "Cluster state changed: %s", map[uint8]string{stateOK: "ok", stateFail: "fail"}[newState])
		n.state = newState
	}
}

// setAsMaster turns a peer into a master in this view (clusterSetNodeAsMaster).
func (n *Node) setAsMaster(p *peer) {
	if p.isMaster() {
		return
	}
	if p.master != nil {
		p.master.removeReplica(p)
		if p != n.myself {
			p.flags |= flagMigrateTo
		}
	}
	p.flags &^= flagSlave
	p.flags |= flagMaster
	p.master = nil
	n.todo |= todoUpdateState
}

// addSlot gives slot j to p (clusterAddSlot); the slot must be unassigned.
func (n *Node) addSlot(p *peer, j int) {
	if n.slots[j] != nil {
		return
	}
	n.slots[j] = p
	p.numslots++
	p.slotHash ^= zobrist[j]
	p.claimCache = nil
	if p.numslots == 1 && n.mastersHaveReplicas() {
		p.flags |= flagMigrateTo
	}
}

// delSlot unassigns slot j (clusterDelSlot).
func (n *Node) delSlot(j int) {
	p := n.slots[j]
	if p == nil {
		return
	}
	n.slots[j] = nil
	p.numslots--
	p.slotHash ^= zobrist[j]
	p.claimCache = nil
}

func (n *Node) delNodeSlots(p *peer) {
	if p.numslots == 0 {
		return
	}
	for j, o := range n.slots {
		if o == p {
			n.delSlot(j)
		}
	}
}

func (n *Node) mastersHaveReplicas() bool {
	for _, p := range n.order {
		if !p.isSlave() && len(p.replicas) > 0 {
			return true
		}
	}
	return false
}

// unclaimed reports whether slot j has no owner, or one that stopped claiming it.
func (n *Node) unclaimed(j int) bool { return n.slots[j] == nil || n.notClaiming.Has(j) }

// updateSlotsConfigWith rebinds slots announced by sender under configEpoch (PING, PONG or
// UPDATE): a slot moves to it if unclaimed or held by an older epoch, unless it is being
// imported here. If that leaves my master (or me) without slots, follow the new owner.
func (n *Node) updateSlotsConfigWith(sender *peer, configEpoch uint64, c *claim) {
	if sender == n.myself {
		n.logf("Discarding UPDATE message about myself.")
		return
	}
	curmaster := n.myself
	if !n.myself.isMaster() {
		curmaster = n.myself.master
	}
	var newmaster *peer
	var dirty []int
	senderSlots, migratedOurs := 0, 0
	claimed := func(j int) {
		senderSlots++
		if n.slots[j] == sender {
			n.notClaiming.Remove(j)
			return
		}
		if n.importing[j] != nil {
			return
		}
		if n.unclaimed(j) || n.slots[j].configEpoch < configEpoch {
			if n.slots[j] == n.myself && n.db.countInSlot(j) > 0 && sender != n.myself {
				dirty = append(dirty, j)
			}
			if n.slots[j] == curmaster && curmaster != nil {
				newmaster = sender
				migratedOurs++
			}
			n.delSlot(j)
			n.addSlot(sender, j)
			n.notClaiming.Remove(j)
			n.todo |= todoUpdateState
		}
	}
	if sender.numslots == 0 {
		// Nothing here is the sender's yet, so only the slots it claims can change: visit
		// those alone, not all 16384 (a new cluster's masters meet their claims this way,
		// each node once per master).
		for j := range c.set.All() {
			claimed(j)
		}
	} else {
		for j := range slot.Count {
			if c.set.Has(j) {
				claimed(j)
			} else if n.slots[j] == sender {
				n.notClaiming.Add(j)
			}
		}
	}
	if newmaster != nil && curmaster.numslots == 0 && (n.cfg.AllowReplicaMigration || senderSlots == migratedOurs) {
		n.logf("Configuration change detected. Reconfiguring myself as a replica of %s", sender.name)
		n.setMaster(sender)
		n.todo |= todoUpdateState
	} else if m := n.myself.master; m != nil && m.master != nil && m.master != n.myself {
		n.logf("I'm a sub-replica! Reconfiguring myself as a replica of grandmaster %s", m.master.name)
		n.setMaster(m.master)
		n.todo |= todoUpdateState
	} else if len(dirty) > 0 {
		for _, j := range dirty {
			for _, k := range n.db.inSlot(j, n.db.countInSlot(j)) {
				n.db.del(k)
			}
		}
	}
}

// setMaster makes this node a replica of m (clusterSetMaster).
func (n *Node) setMaster(m *peer) {
	if n.myself.isMaster() {
		n.myself.flags &^= flagMaster | flagMigrateTo
		n.myself.flags |= flagSlave
		n.migrating = map[int]*peer{}
		n.importing = map[int]*peer{}
	} else if n.myself.master != nil {
		n.myself.master.removeReplica(n.myself)
	}
	n.myself.master = m
	m.addReplica(n.myself)
	n.repl.setMaster(n, m)
	n.resetManualFailover()
}

// maxEpoch is the greatest configEpoch known, or currentEpoch if greater (clusterGetMaxEpoch).
func (n *Node) maxEpoch() uint64 {
	m := n.currentEpoch
	for _, p := range n.order {
		m = max(m, p.configEpoch)
	}
	return m
}

// bumpEpoch takes a new configEpoch without consensus unless mine is already the greatest
// (clusterBumpConfigEpochWithoutConsensus); it reports whether it did.
func (n *Node) bumpEpoch() bool {
	if n.myself.configEpoch == 0 || n.myself.configEpoch != n.maxEpoch() {
		n.currentEpoch++
		n.myself.configEpoch = n.currentEpoch
		n.logf("New configEpoch set to %d", n.myself.configEpoch)
		return true
	}
	return false
}
