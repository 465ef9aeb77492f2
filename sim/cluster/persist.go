package cluster

import (
	"slices"

	"github.com/kvplace/kvplace/slot"
)

// Persisted is what a node leaves on disk: its nodes.conf (every known node, its flags,
// master, epoch and slots, and the open slots), and its data as the AOF holds it.
type Persisted struct {
	Myself        string
	CurrentEpoch  uint64
	LastVoteEpoch uint64
	nodes         []savedPeer
	migrating     map[int]string
	importing     map[int]string
	data          *store
}

type savedPeer struct {
	name, ip       string
	port, cport    int
	flags          uint16
	master         string
	pinged, ponged bool
	configEpoch    uint64
	slots          *slot.Set // nil when it has none; shared, never changed once saved
}

// Persist returns what the node has on disk now. A graceful shutdown (SIGTERM, as docker
// stop sends) flushes the AOF first; a crash loses the writes since the last fsync.
// nodes.conf is rewritten on every change, so it is always current.
func (n *Node) Persist(graceful bool) *Persisted {
	d := &Persisted{
		Myself: n.myself.name, CurrentEpoch: n.currentEpoch, LastVoteEpoch: n.lastVoteEpoch,
		migrating: map[int]string{}, importing: map[int]string{},
	}
	for _, p := range n.order {
		sp := savedPeer{name: p.name, ip: p.ip, port: p.port, cport: p.cport, flags: p.flags,
			pinged: p.pingSent != 0, ponged: p.pongReceived != 0, configEpoch: p.configEpoch}
		if p.master != nil {
			sp.master = p.master.name
		}
		if p.numslots > 0 {
			set := n.claimOf(p).set
			sp.slots = &set
		}
		d.nodes = append(d.nodes, sp)
	}
	for j, p := range n.migrating {
		d.migrating[j] = p.name
	}
	for j, p := range n.importing {
		d.importing[j] = p.name
	}
	switch {
	case graceful:
		d.data = newStore(n.cfg.AppendOnly)
		d.data.load(n.db.copyAll())
	case n.cfg.AppendOnly:
		d.data = n.db.durableCopy()
	default:
		d.data = newStore(false) // no AOF: a crash keeps nothing written since start
	}
	return d
}

// load rebuilds the node from disk (clusterLoadConfig): links closed, ping and pong times
// set to now where they were set, replicas' epochs taken from their masters.
func (n *Node) load(d *Persisted) {
	byName := map[string]*peer{}
	for _, sp := range d.nodes {
		p := n.newPeer(sp.name, sp.flags&^flagMigrateTo)
		n.setAddr(p, sp.ip, sp.port, sp.cport)
		if sp.pinged {
			p.pingSent = n.now
		}
		if sp.ponged {
			p.pongReceived = n.now
		}
		if sp.flags&flagFail != 0 {
			p.failTime = n.now
		}
		p.configEpoch = sp.configEpoch
		n.addPeer(p)
		byName[sp.name] = p
		if sp.name == d.Myself {
			n.myself = p
		}
	}
	for _, sp := range d.nodes {
		p := byName[sp.name]
		if m := byName[sp.master]; m != nil {
			p.master = m
			m.addReplica(p)
			p.configEpoch = 0
		}
		if sp.slots != nil {
			for j := range sp.slots.All() {
				n.addSlot(p, j)
			}
		}
	}
	for _, j := range sortedKeys(d.migrating) {
		n.migrating[j] = byName[d.migrating[j]]
	}
	for _, j := range sortedKeys(d.importing) {
		n.importing[j] = byName[d.importing[j]]
	}
	n.currentEpoch, n.lastVoteEpoch = d.CurrentEpoch, d.LastVoteEpoch
	n.currentEpoch = max(n.currentEpoch, n.maxEpoch())
	if d.data != nil {
		n.db.load(d.data.copyAll())
	}
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
