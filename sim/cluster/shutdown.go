package cluster

// A SIGTERM (docker stop) shuts a Redis 7.0 node down in two steps. The signal handler
// only asks (shutdown_asap); the next serverCron runs prepareForShutdown, which, on a master
// whose replicas have not all acknowledged its whole replication stream, does not exit:
// it pauses client writes, asks the replicas for an acknowledgement (REPLCONF GETACK) and
// waits, checking again on every serverCron, until they have or shutdown-timeout (10 s)
// has passed (isReadyToShutdown, finishShutdown in src/server.c).
//
// The wait is short when the replicas are streaming: a replica answers GETACK at once,
// but with the offset it had before the GETACK (replicationSendAck sends the master
// client's reploff, which counts a command only once it has run), so the master exits on
// the replica's next periodic ACK, within a second. It is long for a replica still
// waiting for its first full copy (repl-diskless-sync-delay): the master stays up, and
// serves its gossip, until the copy is made and loaded, and the replica, having synced,
// can then be promoted, which a replica that never synced cannot be.

// readyToShutdown is isReadyToShutdown: every replica has acknowledged the master's
// whole stream, whatever its state (a replica waiting for a full copy has acknowledged
// nothing).
func (r *replication) readyToShutdown() bool {
	for _, a := range r.replicas {
		if a.ack != r.masterOffset {
			return false
		}
	}
	return true
}

// ReadyToStop reports whether a SIGTERM would stop the node at once: it has no replica
// whose acknowledgement lags, or shutdown-timeout is 0.
func (n *Node) ReadyToStop() bool {
	return n.cfg.ShutdownTimeout == 0 || n.repl.readyToShutdown()
}

// shutdownCron is serverCron's part in a SIGTERM's shutdown, run before anything else in
// it; it returns true when the node has exited.
func (n *Node) shutdownCron() bool {
	switch {
	case n.shutdownAt == 0 && n.shutdownAsap:
		n.logf("User requested shutdown...")
		if !n.ReadyToStop() {
			n.shutdownAt = n.now + n.cfg.ShutdownTimeout.Milliseconds()
			if n.pausedUntil <= n.now {
				n.repl.propagate(n, "getack", "", value{}, 0) // sendGetackToReplicas
			}
			// pauseClients(PAUSE_DURING_SHUTDOWN, LLONG_MAX, CLIENT_PAUSE_WRITE): until
			// the exit, which comes on a serverCron by the deadline.
			n.pausedUntil = max(n.pausedUntil, n.shutdownAt+2*cronPeriod.Milliseconds())
			n.logf("Waiting for replicas before shutting down.")
			return false
		}
	case n.shutdownAt != 0 && (n.now >= n.shutdownAt || n.repl.readyToShutdown()):
	default:
		return false
	}
	n.finishShutdown()
	return true
}

// finishShutdown logs the replicas that lag and exits.
func (n *Node) finishShutdown() {
	lagging := 0
	for _, a := range n.repl.replicas {
		if a.ack != n.repl.masterOffset {
			lagging++
			n.logf("Lagging replica %s:%d reported offset %d behind master.", a.ip, a.port, n.repl.masterOffset-a.ack)
		}
	}
	if len(n.repl.replicas) > 0 {
		n.logf("%d of %d replicas are in sync when shutting down.", len(n.repl.replicas)-lagging, len(n.repl.replicas))
	}
	n.logf("Redis is now ready to exit, bye bye...")
	n.shutdownAsap = false
	if n.exit != nil {
		n.exit()
	}
}
