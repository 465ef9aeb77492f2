package slot

import "fmt"

// A DelNodePlan is what redis-cli --cluster del-node does before it sends CLUSTER FORGET:
// the replicas of the removed node are first pointed at another master.
type DelNodePlan struct {
	Node   Node
	Rehome []Pair // by node ID: each replica of Node and its new master
}

// PlanDelNode checks redis-cli --cluster del-node HOST:PORT id
// (clusterManagerCommandDeleteNode). A node that still owns slots is refused; keys are not
// counted, only slots. Each replica of the node is re-pointed at the master with the fewest
// replicas, counted once before any change, so they all go to the same master; like
// redis-cli, that master can be the node being removed.
func PlanDelNode(l Layout, id string) (*DelNodePlan, error) {
	l = l.withTable()
	n := l.node(id)
	if n == nil {
		return nil, fmt.Errorf("[ERR] No such node ID %s", id)
	}
	if l.Slots.Len(n.ID) != 0 {
		return nil, fmt.Errorf("[ERR] Node %s is not empty! Reshard data away and try again.", n.Addr)
	}
	p := &DelNodePlan{Node: *n}
	for _, r := range l.Nodes {
		if r.ID != n.ID && r.ReplicaOf == n.ID {
			p.Rehome = append(p.Rehome, Pair{Replica: r.ID, Master: l.leastReplicas().ID})
		}
	}
	return p, nil
}

// AddNodeMaster resolves the master a node added with --cluster-slave will replicate
// (clusterManagerCommandAddNode): the node named by --cluster-master-id, or without one the
// master with the fewest replicas, which redis-cli announces with "Automatically selected
// master HOST:PORT". auto reports whether the master was chosen that way.
func AddNodeMaster(l Layout, masterID string) (master Node, auto bool, err error) {
	if masterID != "" {
		n := l.node(masterID)
		if n == nil {
			return Node{}, false, fmt.Errorf("[ERR] No such master ID %s", masterID)
		}
		return *n, false, nil
	}
	n := l.leastReplicas()
	if n == nil {
		return Node{}, false, fmt.Errorf("[ERR] No such master ID %s", masterID)
	}
	return *n, true, nil
}
