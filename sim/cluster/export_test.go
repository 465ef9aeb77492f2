package cluster

import (
	"time"

	"github.com/kvplace/kvplace/slot"
)

// What the external tests of this package read of a node's internals. They are external
// because they drive the cluster through the emulated redis-cli (sim/rediscli) and the
// application clients (sim/client), which import this package; the views below exist
// for their invariant checks only and are not part of the API.

// Converged reports whether n sees no other node as PFAIL or FAIL and has every link up.
func Converged(n *Node) bool {
	for _, q := range n.order {
		if q != n.myself && (q.is(flagPFail|flagFail) || q.link == nil) {
			return false
		}
	}
	return true
}

// NodeTimeoutOf is the node timeout in force on n (CONFIG SET may have changed it).
func NodeTimeoutOf(n *Node) time.Duration { return n.cfg.NodeTimeout }

// ServedKeys returns every key n holds in the slots it serves, with its value.
func ServedKeys(n *Node) map[string]string {
	held := map[string]string{}
	for _, k := range n.db.all() {
		if n.slots[slot.Of(k)] == n.myself {
			v, _ := n.db.get(k)
			held[k] = v.str
		}
	}
	return held
}

// AllKeys returns every key n holds, served or not.
func AllKeys(n *Node) []string { return n.db.all() }

// ConfigEpoch is n's own configEpoch.
func ConfigEpoch(n *Node) uint64 { return n.myself.configEpoch }

// Serves reports whether n claims slot j for itself.
func Serves(n *Node, j int) bool { return n.slots[j] == n.myself }

// SlotView returns, for every slot, the ID of its owner in n's view ("" for none) and that
// owner's configEpoch.
func SlotView(n *Node) (owner [slot.Count]string, epoch [slot.Count]uint64) {
	for j, o := range n.slots {
		if o != nil {
			owner[j], epoch[j] = o.name, o.configEpoch
		}
	}
	return owner, epoch
}

// KnowsNode reports whether n has the node named id in its table, in handshake or not.
func KnowsNode(n *Node, id string) bool { return n.lookupName(id) != nil }

// NumSlots is how many slots n claims for itself.
func NumSlots(n *Node) int { return int(n.myself.numslots) }

// ClusterNodes is n's CLUSTER NODES reply.
func ClusterNodes(n *Node) string { return n.clusterNodes() }

// Synced reports whether n, a replica, has ever completed a sync with its master.
func Synced(n *Node) bool { return n.repl.synced }

// StaysValid reports whether n is a synchronised replica of the master named id whose
// data, aged from Unix second unix by window more, is still fresh enough to fail over
// (the replica-validity rule of clusterHandleSlaveFailover).
func StaysValid(n *Node, id string, unix int64, window time.Duration) bool {
	if n.myself.master == nil || n.myself.master.name != id || !n.repl.synced {
		return false
	}
	return !n.dataTooOld(n.repl.dataAgeAt(unix) + window.Milliseconds())
}

// PlacedOwner returns the ID of the master that owns key in n's view of a placed cluster.
func PlacedOwner(n *Node, key string) string {
	return n.slots[TokenOf(n.place.part, key)].name
}

// OpenSlots returns the slots n has in MIGRATING or IMPORTING state, in no order.
func OpenSlots(n *Node) []int {
	var open []int
	for j := range n.migrating {
		open = append(open, j)
	}
	for j := range n.importing {
		open = append(open, j)
	}
	return open
}

// Median is the median the cost model takes of recorded runs, for the tests that hold
// the simulation to other recordings.
var Median = median
