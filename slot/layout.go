package slot

import (
	"fmt"
	"strconv"
	"strings"
)

// A Node is one cluster node as redis-cli lists it.
type Node struct {
	ID        string // node ID: 40 lowercase hex characters in Redis
	Addr      string // client address, "127.0.0.1:6381"
	ReplicaOf string // the master's ID for a replica, "" for a master
}

// IsReplica reports whether n replicates a master.
func (n Node) IsReplica() bool { return n.ReplicaOf != "" }

// A Layout is what a redis-cli --cluster command works from: the nodes in redis-cli's list
// order and the slot table.
//
// The order matters for every planner: redis-cli lists the entry node (the HOST:PORT on its
// command line) first, then the others in the order that node's CLUSTER NODES prints them.
// Ties in its sorts keep that order.
type Layout struct {
	Nodes []Node
	Slots *Table
}

// withTable returns l with an empty table in place of a nil one, so that a Layout built
// without Slots reads as a cluster in which no slot is assigned.
func (l Layout) withTable() Layout {
	if l.Slots == nil {
		l.Slots = NewTable()
	}
	return l
}

// Apply returns the layout after moves, in order, as redis-cli leaves it once its plan has
// run: the same nodes and a copy of the table with each slot moved. A move of a slot from
// a node that does not own it is an error, and l is unchanged either way.
func (l Layout) Apply(moves []Move) (Layout, error) {
	next := Layout{Nodes: append([]Node(nil), l.Nodes...), Slots: l.withTable().Slots.Clone()}
	for _, m := range moves {
		if err := next.Slots.Move(m); err != nil {
			return l, err
		}
	}
	return next, nil
}

// node returns the node whose ID is id (compared in lowercase, like redis-cli's
// clusterManagerNodeByName), or nil.
func (l Layout) node(id string) *Node {
	id = strings.ToLower(id)
	for i := range l.Nodes {
		if l.Nodes[i].ID == id {
			return &l.Nodes[i]
		}
	}
	return nil
}

// nodeByPrefix returns the first node, in list order, whose ID starts with prefix
// (clusterManagerNodeByAbbreviatedName; replicas included, prefix unchecked for
// uniqueness, as in redis-cli).
func (l Layout) nodeByPrefix(prefix string) *Node {
	prefix = strings.ToLower(prefix)
	for i := range l.Nodes {
		if strings.HasPrefix(l.Nodes[i].ID, prefix) {
			return &l.Nodes[i]
		}
	}
	return nil
}

// Replicas returns how many listed nodes replicate the master id.
func (l Layout) Replicas(id string) int {
	n := 0
	for _, r := range l.Nodes {
		if r.ReplicaOf == id {
			n++
		}
	}
	return n
}

// leastReplicas returns the first master in list order with the strictly smallest number
// of replicas (clusterManagerNodeWithLeastReplicas; its comment says "random", its code
// says "first").
func (l Layout) leastReplicas() *Node {
	var best *Node
	lowest := 0
	for i := range l.Nodes {
		n := &l.Nodes[i]
		if n.IsReplica() {
			continue
		}
		if c := l.Replicas(n.ID); best == nil || c < lowest {
			best, lowest = n, c
		}
	}
	return best
}

// ParseAddr splits a node address "ip:port" (an optional "@busport" is ignored) the way
// redis-cli does: the port follows the last ':'.
func ParseAddr(addr string) (host string, port int, err error) {
	hostport, _, _ := strings.Cut(addr, "@")
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("Invalid address format: %s", addr)
	}
	port, convErr := strconv.Atoi(hostport[i+1:])
	if convErr != nil || port < 1 || port > 65535 || i == 0 {
		return "", 0, fmt.Errorf("Invalid address format: %s", addr)
	}
	return hostport[:i], port, nil
}
