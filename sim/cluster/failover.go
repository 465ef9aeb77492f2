package cluster

// This file is replica failover: elections, votes, promotion, manual failover and replica
// migration (cluster.c from clusterRequestFailoverAuth to clusterHandleManualFailover).

// requestFailoverAuth asks every node for its vote (clusterRequestFailoverAuth).
func (n *Node) requestFailoverAuth() {
	pkt := n.header(mAuthReq)
	if n.mfEnd != 0 {
		pkt.forceAck = true
	}
	n.broadcast(pkt)
}

// sendFailoverAuthIfNeeded votes for a replica asking for it, if all of Redis's conditions
// hold (clusterSendFailoverAuthIfNeeded).
func (n *Node) sendFailoverAuthIfNeeded(p *peer, req *packet) {
	master := p.master
	if n.myself.isSlave() || n.myself.numslots == 0 {
		return
	}
	if req.currentEpoch < n.currentEpoch {
		n.logf("Failover auth denied to %s: reqEpoch (%d) < curEpoch(%d)", p.name, req.currentEpoch, n.currentEpoch)
		return
	}
	if n.lastVoteEpoch == n.currentEpoch {
		n.logf("Failover auth denied to %s: already voted for epoch %d", p.name, n.currentEpoch)
		return
	}
	if p.isMaster() || master == nil || (!master.failed() && !req.forceAck) {
		switch {
		case p.isMaster():
			n.logf("Failover auth denied to %s: it is a master node", p.name)
		case master == nil:
			n.logf("Failover auth denied to %s: I don't know its master", p.name)
		default:
			n.logf("Failover auth denied to %s: its master is up", p.name)
		}
		return
	}
	if n.now-master.votedTime < n.nodeTimeout()*2 {
		n.logf("Failover auth denied to %s: can't vote about this master before %d milliseconds",
			p.name, n.nodeTimeout()*2-(n.now-master.votedTime))
		return
	}
	for j := range req.claim.set.All() {
		if n.unclaimed(j) || n.slots[j].configEpoch <= req.configEpoch {
			continue
		}
		n.logf("Failover auth denied to %s: slot %d epoch (%d) > reqEpoch (%d)", p.name, j, n.slots[j].configEpoch, req.configEpoch)
		return
	}
	n.lastVoteEpoch = n.currentEpoch
	master.votedTime = n.now
	if p.link != nil {
		n.send(p, n.header(mAuthAck))
	}
	n.logf("Failover auth granted to %s for epoch %d", p.name, n.currentEpoch)
}

// slaveRank counts the other replicas of my master that can fail over and have a greater
// replication offset than mine (clusterGetSlaveRank).
func (n *Node) slaveRank() int {
	master := n.myself.master
	if master == nil {
		return 0
	}
	mine := n.repl.offset(n)
	rank := 0
	for _, r := range master.replicas {
		if r != n.myself && !r.cantFailover() && r.replOffset > mine {
			rank++
		}
	}
	return rank
}

// failoverReplaceYourMaster makes this replica the master of its master's slots and tells
// everybody (clusterFailoverReplaceYourMaster).
func (n *Node) failoverReplaceYourMaster() {
	old := n.myself.master
	if n.myself.isMaster() || old == nil {
		return
	}
	n.setAsMaster(n.myself)
	n.repl.unsetMaster(n)
	for j, o := range n.slots {
		if o == old {
			n.delSlot(j)
			n.addSlot(n.myself, j)
		}
	}
	n.updateState()
	n.broadcastPong(broadcastAll)
	n.resetManualFailover()
}

// handleSlaveFailover runs the election of a replica whose master failed, or a manual
// failover (clusterHandleSlaveFailover).
func (n *Node) handleSlaveFailover() {
	n.todo &^= todoHandleFailover
	authAge := n.now - n.failoverAuthTime
	quorum := n.size/2 + 1
	manual := n.mfEnd != 0 && n.mfCanStart
	authTimeout := max(n.nodeTimeout()*2, 2000)
	authRetry := authTimeout * 2
	master := n.myself.master
	if n.myself.isMaster() || master == nil || (!master.failed() && !manual) ||
		(n.cfg.ReplicaNoFailover && !manual) || master.numslots == 0 {
		n.cantFailover = cantFailoverNone
		return
	}
	if n.dataTooOld(n.repl.dataAge(n)) {
		if !manual {
			n.logCantFailover(cantFailoverDataAge)
			return
		}
	}
	if authAge > authRetry {
		n.failoverAuthTime = n.now + 500 + int64(n.ctx.Rand.IntN(500))
		n.failoverAuthCount = 0
		n.failoverAuthSent = false
		n.failoverAuthRank = n.slaveRank()
		n.failoverAuthTime += int64(n.failoverAuthRank) * 1000
		if n.mfEnd != 0 {
			n.failoverAuthTime = n.now
			n.failoverAuthRank = 0
			n.todo |= todoHandleFailover
		}
		n.logf("Start of election delayed for %d milliseconds (rank #%d, offset %d).",
			n.failoverAuthTime-n.now, n.failoverAuthRank, n.repl.offset(n))
		n.broadcastPong(broadcastLocalReplicas)
		return
	}
	if !n.failoverAuthSent && n.mfEnd == 0 {
		if rank := n.slaveRank(); rank > n.failoverAuthRank {
			added := int64(rank-n.failoverAuthRank) * 1000
			n.failoverAuthTime += added
			n.failoverAuthRank = rank
			n.logf("Replica rank updated to #%d, added %d milliseconds of delay.", rank, added)
		}
	}
	if n.now < n.failoverAuthTime {
		n.logCantFailover(cantFailoverWaiting)
		return
	}
	if authAge > authTimeout {
		n.logCantFailover(cantFailoverExpired)
		return
	}
	if !n.failoverAuthSent {
		n.currentEpoch++
		n.failoverAuthEpoch = n.currentEpoch
		n.logf("Starting a failover election for epoch %d.", n.currentEpoch)
		n.requestFailoverAuth()
		n.failoverAuthSent = true
		n.todo |= todoUpdateState
		return
	}
	if n.failoverAuthCount >= quorum {
		n.event(EvPromoted, "", "Failover election won: I'm the new master.")
		if n.myself.configEpoch < n.failoverAuthEpoch {
			n.myself.configEpoch = n.failoverAuthEpoch
			n.logf("configEpoch set to %d after successful failover", n.myself.configEpoch)
		}
		n.failoverReplaceYourMaster()
	} else {
		n.logCantFailover(cantFailoverWaitVotes)
	}
}

// dataTooOld is the replica-validity rule: a replica whose data is dataAge ms old (less
// one node timeout, the time it took to notice the master was gone) must not fail over.
func (n *Node) dataTooOld(dataAge int64) bool {
	if dataAge > n.nodeTimeout() {
		dataAge -= n.nodeTimeout()
	}
	return n.cfg.ReplicaValidityFactor != 0 &&
		dataAge > n.cfg.ReplPingReplicaPeriod.Milliseconds()+n.nodeTimeout()*int64(n.cfg.ReplicaValidityFactor)
}

// logCantFailover records why a failover cannot proceed, once per reason change.
func (n *Node) logCantFailover(reason int) {
	if reason == n.cantFailover {
		return
	}
	n.cantFailover = reason
	msg := map[int]string{
		cantFailoverDataAge:   "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.",
		cantFailoverWaiting:   "Waiting the delay before I can start a new failover.",
		cantFailoverExpired:   "Failover attempt expired.",
		cantFailoverWaitVotes: "Waiting for votes, but majority still not reached.",
	}[reason]
	if m := n.myself.master; m != nil && m.failed() && n.now-m.failTime < n.nodeTimeout()+5000 {
		return
	}
	n.logf("Currently unable to failover: %s", msg)
}

// handleSlaveMigration moves this replica to an orphaned master when its own master keeps
// enough replicas and it has the smallest ID among the candidates (clusterHandleSlaveMigration).
func (n *Node) handleSlaveMigration(maxSlaves int) {
	if n.state != stateOK {
		return
	}
	mymaster := n.myself.master
	if mymaster == nil {
		return
	}
	ok := 0
	for _, r := range mymaster.replicas {
		if !r.failed() && !r.timedOut() {
			ok++
		}
	}
	if ok <= n.cfg.MigrationBarrier {
		return
	}
	candidate := n.myself
	var target *peer
	for _, p := range n.order {
		okReplicas := 0
		orphaned := !p.isSlave() && !p.failed() && p.is(flagMigrateTo)
		if p.isMaster() {
			okReplicas = p.okReplicas()
		}
		if okReplicas > 0 {
			orphaned = false
		}
		if orphaned {
			if target == nil && p.numslots > 0 {
				target = p
			}
			if p.orphanedTime == 0 {
				p.orphanedTime = n.now
			}
		} else {
			p.orphanedTime = 0
		}
		if okReplicas == maxSlaves {
			for _, r := range p.replicas {
				if r.name < candidate.name {
					candidate = r
				}
			}
		}
	}
	if target != nil && candidate == n.myself && n.now-target.orphanedTime > slaveMigrationDelay {
		n.logf("Migrating to orphaned master %s", target.name)
		n.setMaster(target)
	}
}

// resetManualFailover clears the manual failover state, unpausing clients if this master
// had paused them (resetManualFailover).
func (n *Node) resetManualFailover() {
	if n.mfSlave != nil {
		n.pausedUntil = 0
	}
	n.mfEnd = 0
	n.mfCanStart = false
	n.mfSlave = nil
	n.mfMasterOffset = -1
}

func (n *Node) manualFailoverCheckTimeout() {
	if n.mfEnd != 0 && n.mfEnd < n.now {
		n.logf("Manual failover timed out.")
		n.resetManualFailover()
	}
}

// handleManualFailover lets the election start once this replica has processed all of the
// paused master's stream (clusterHandleManualFailover).
func (n *Node) handleManualFailover() {
	if n.mfEnd == 0 || n.mfCanStart || n.mfMasterOffset == -1 {
		return
	}
	if n.mfMasterOffset == n.repl.offset(n) {
		n.mfCanStart = true
		n.logf("All master replication stream processed, manual failover can start.")
		n.todo |= todoHandleFailover
		return
	}
	n.todo |= todoHandleManualFailover
}
