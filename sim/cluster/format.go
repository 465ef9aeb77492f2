package cluster

import (
	"fmt"
	"strings"

	"github.com/kvplace/kvplace/slot"
)

// nodeLine is one line of CLUSTER NODES (clusterGenNodeDescription).
func (n *Node) nodeLine(p *peer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:%d@%d %s ", p.name, p.ip, p.port, p.cport, flagString(p.flags))
	if p.master != nil {
		b.WriteString(p.master.name)
	} else {
		b.WriteString("-")
	}
	epoch := p.configEpoch
	if p.isSlave() && p.master != nil {
		epoch = p.master.configEpoch
	}
	link := "disconnected" // a connect in progress counts as connected, as in Redis
	if p.link != nil || p == n.myself {
		link = "connected"
	}
	fmt.Fprintf(&b, " %d %d %d %s", p.pingSent, p.pongReceived, epoch, link)
	if p.numslots > 0 {
		s := n.claimOf(p).set
		if sp := s.Spaced(); sp != "" {
			b.WriteString(" " + sp)
		}
	}
	if p == n.myself {
		for j := range slot.Count {
			if to := n.migrating[j]; to != nil {
				fmt.Fprintf(&b, " [%d->-%s]", j, to.name)
			} else if from := n.importing[j]; from != nil {
				fmt.Fprintf(&b, " [%d-<-%s]", j, from.name)
			}
		}
	}
	return b.String()
}

// clusterNodes is the CLUSTER NODES reply: one line per known node, in this node's order.
func (n *Node) clusterNodes() string {
	var b strings.Builder
	for _, p := range n.order {
		b.WriteString(n.nodeLine(p))
		b.WriteByte('\n')
	}
	return b.String()
}

// clusterInfo is the CLUSTER INFO reply.
func (n *Node) clusterInfo() string {
	assigned, ok, pfail, fail := 0, 0, 0, 0
	for _, p := range n.slots {
		if p == nil {
			continue
		}
		assigned++
		switch {
		case p.failed():
			fail++
		case p.timedOut():
			pfail++
		default:
			ok++
		}
	}
	myEpoch := n.myself.configEpoch
	if n.myself.isSlave() && n.myself.master != nil {
		myEpoch = n.myself.master.configEpoch
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cluster_state:%s\r\n", map[uint8]string{stateOK: "ok", stateFail: "fail"}[n.state])
	fmt.Fprintf(&b, "cluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\ncluster_slots_pfail:%d\r\ncluster_slots_fail:%d\r\n", assigned, ok, pfail, fail)
	fmt.Fprintf(&b, "cluster_known_nodes:%d\r\ncluster_size:%d\r\ncluster_current_epoch:%d\r\ncluster_my_epoch:%d\r\n",
		len(n.order), n.size, n.currentEpoch, myEpoch)
	var sent, recv int64
	for t := range mCount {
		if c := n.statsSent[t]; c > 0 {
			fmt.Fprintf(&b, "cluster_stats_messages_%s_sent:%d\r\n", msgType(t), c)
			sent += c
		}
	}
	fmt.Fprintf(&b, "cluster_stats_messages_sent:%d\r\n", sent)
	for t := range mCount {
		if c := n.statsRecv[t]; c > 0 {
			fmt.Fprintf(&b, "cluster_stats_messages_%s_received:%d\r\n", msgType(t), c)
			recv += c
		}
	}
	fmt.Fprintf(&b, "cluster_stats_messages_received:%d\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n", recv)
	return b.String()
}

// nodeReply describes a node inside CLUSTER SLOTS (addNodeToNodeReply).
func nodeReply(p *peer) Reply {
	return arrayReply(bulkReply(p.ip), intReply(int64(p.port)), bulkReply(p.name), arrayReply())
}

// clusterSlots is the CLUSTER SLOTS reply: each run of slots with one owner, its master and
// its available replicas (isReplicaAvailable: not FAIL, offset > 0).
func (n *Node) clusterSlots() Reply {
	var out []Reply
	start := -1
	var owner *peer
	flush := func(end int) {
		if owner == nil || (n.place != nil && !member(owner)) {
			return
		}
		entry := []Reply{intReply(int64(start)), intReply(int64(end)), nodeReply(owner)}
		for _, r := range owner.replicas {
			off := r.replOffset
			if r == n.myself {
				off = n.repl.offset(n)
			}
			if !r.failed() && off != 0 {
				entry = append(entry, nodeReply(r))
			}
		}
		out = append(out, arrayReply(entry...))
	}
	for j := 0; j <= slot.Count; j++ {
		var o *peer
		if j < slot.Count {
			o = n.slots[j]
		}
		if j == slot.Count || o != owner {
			flush(j - 1)
			owner, start = o, j
		}
	}
	return arrayReply(out...)
}
