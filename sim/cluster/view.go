package cluster

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// Node flags (CLUSTER_NODE_* in cluster.h).
const (
	flagMaster uint16 = 1 << iota
	flagSlave
	flagPFail
	flagFail
	flagMyself
	flagHandshake
	flagNoAddr
	flagMeet
	flagMigrateTo
	flagNoFailover
)

// flagNames is the order CLUSTER NODES prints flags in (redisNodeFlagsTable).
var flagNames = []struct {
	flag uint16
	name string
}{
	{flagMyself, "myself"}, {flagMaster, "master"}, {flagSlave, "slave"}, {flagPFail, "fail?"},
	{flagFail, "fail"}, {flagHandshake, "handshake"}, {flagNoAddr, "noaddr"}, {flagNoFailover, "nofailover"},
}

func flagString(f uint16) string {
	var parts []string
	for _, fn := range flagNames {
		if f&fn.flag != 0 {
			parts = append(parts, fn.name)
		}
	}
	if len(parts) == 0 {
		return "noflags"
	}
	return strings.Join(parts, ",")
}

// zobrist holds a random word per slot; the XOR of the words of a set of slots is that
// set's hash, kept up to date in O(1) as slots change hands.
var zobrist = func() (z [slot.Count]uint64) {
	x := uint64(0x243f6a8885a308d3)
	for i := range z {
		x += 0x9e3779b97f4a7c15
		z[i] = sim.Mix64(x)
	}
	return z
}()

// A failReport is a master's word that a node is failing (clusterNodeFailReport).
type failReport struct {
	from *peer
	time int64
}

// A link is a node's outbound TCP connection to a peer's cluster bus (clusterLink).
type link struct {
	epoch     uint64
	connected bool
	ctime     int64
	pending   []*packet // queued while the connection is being set up
	synSent   int       // SYNs sent so far by a connect still in progress

	// The kernel's side of the connection (see transmit): whether a small segment awaits
	// its ACK and until when; the call that wrote the last segment and its bytes; what
	// Nagle's algorithm holds back meanwhile.
	unacked   bool
	ackAt     sim.Time
	burst     uint64
	segBytes  int
	held      []*packet
	heldBytes int
}

// A peer is one node as another node sees it (clusterNode). Each node keeps a peer for
// itself too, flagged myself.
//
// The fields that clusterCron and gossip read for every peer come first, so that they
// share one cache line: at 1000 nodes cron walks every peer of every node ten times a
// second and each packet's gossip touches a hundred random ones, and a miss per field
// was most of the simulator's time.
//
// Those 64 bytes hold all that a gossip entry about the peer needs, its address included
// as gip, gport and gcport (copies of ip, port and cport that setAddr keeps in step), and
// the failure reports behind a pointer that is nil while there are none.
type peer struct {
	flags                                uint16
	gport                                uint16
	nid                                  int32
	gcport                               uint16
	nrep                                 uint16 // len(replicas)
	gip                                  int32  // Registry.ipID(ip)
	pingSent, pongReceived, dataReceived int64  // Unix ms
	lastInPingGossip                     uint32
	numslots                             int32
	link                                 *link // outbound connection; nil when none
	fails                                *failList

	port  int
	cport int
	ip    string
	name  string
	ctime int64

	configEpoch uint64
	slotHash    uint64 // Zobrist hash of the slots this view gives the peer
	claimCache  *claim // its slots as a claim, built lazily; nil when stale

	master   *peer
	replicas []*peer

	failTime, votedTime, orphanedTime int64
	replOffset, replOffsetTime        int64

	proc int // engine index of the process at its address, -1 if none is known

	// Padding to 256 bytes, a size class of Go's allocator, so that every peer starts on
	// a cache line and its first 64 bytes are one line (TestPeerLayout).
	_ [32]byte
}

// A failList holds the failure reports about a peer.
type failList struct{ r []failReport }

// reports returns the failure reports about p.
func (p *peer) reports() []failReport {
	if p.fails == nil {
		return nil
	}
	return p.fails.r
}

// setReports replaces the failure reports about p.
func (p *peer) setReports(r []failReport) {
	if p.fails == nil {
		if len(r) == 0 {
			return
		}
		p.fails = &failList{}
	}
	p.fails.r = r
}

// setAddr sets where p listens, and the copies gossip reads.
func (n *Node) setAddr(p *peer, ip string, port, cport int) {
	p.ip, p.port, p.cport = ip, port, cport
	p.gip, p.gport, p.gcport = n.reg.ipID(ip), uint16(port), uint16(cport)
}

func (p *peer) is(f uint16) bool   { return p.flags&f != 0 }
func (p *peer) isMaster() bool     { return p.flags&flagMaster != 0 }
func (p *peer) isSlave() bool      { return p.flags&flagSlave != 0 }
func (p *peer) failed() bool       { return p.flags&flagFail != 0 }
func (p *peer) timedOut() bool     { return p.flags&flagPFail != 0 }
func (p *peer) inHandshake() bool  { return p.flags&flagHandshake != 0 }
func (p *peer) cantFailover() bool { return p.flags&flagNoFailover != 0 }
func (p *peer) hasAddr() bool      { return p.flags&flagNoAddr == 0 }
func (p *peer) addr() string       { return p.ip + ":" + itoa(p.port) }
func (p *peer) removeReplica(r *peer) bool {
	i := slices.Index(p.replicas, r)
	if i < 0 {
		return false
	}
	p.replicas = slices.Delete(p.replicas, i, i+1)
	p.nrep = uint16(len(p.replicas))
	if len(p.replicas) == 0 {
		p.flags &^= flagMigrateTo
	}
	return true
}

func (p *peer) addReplica(r *peer) bool {
	if slices.Contains(p.replicas, r) {
		return false
	}
	p.replicas = append(p.replicas, r)
	p.nrep = uint16(len(p.replicas))
	p.flags |= flagMigrateTo
	return true
}

func (p *peer) okReplicas() int {
	n := 0
	for _, r := range p.replicas {
		if !r.failed() {
			n++
		}
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
