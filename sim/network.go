package sim

import (
	"fmt"
	"math"
	"time"
)

// A Latency draws the delay of one message on a link.
type Latency interface {
	Sample(s *Stream) time.Duration
	String() string
}

// Constant is a fixed delay.
type Constant time.Duration

// Sample returns the delay.
func (c Constant) Sample(*Stream) time.Duration { return time.Duration(c) }

func (c Constant) String() string { return time.Duration(c).String() }

// Validate refuses a negative delay.
func (c Constant) Validate() error {
	if c < 0 {
		return fmt.Errorf("sim: latency %v is negative", time.Duration(c))
	}
	return nil
}

// Uniform draws a delay uniformly from [Min, Max].
type Uniform struct{ Min, Max time.Duration }

// Sample draws a delay.
func (u Uniform) Sample(s *Stream) time.Duration {
	if u.Max <= u.Min {
		return u.Min
	}
	return u.Min + time.Duration(s.Float64()*float64(u.Max-u.Min+1))
}

func (u Uniform) String() string { return fmt.Sprintf("uniform(%v, %v)", u.Min, u.Max) }

// Validate refuses a negative Min and a Max below Min.
func (u Uniform) Validate() error {
	switch {
	case u.Min < 0:
		return fmt.Errorf("sim: latency %v: Min is negative", u)
	case u.Max < u.Min:
		return fmt.Errorf("sim: latency %v: Max is below Min", u)
	}
	return nil
}

// LogNormal draws a long-tailed delay: its median is Median and its logarithm has standard
// deviation Sigma (Sigma = 1 puts the 99th percentile near 10× the median).
type LogNormal struct {
	Median time.Duration
	Sigma  float64
}

// Sample draws a delay.
func (l LogNormal) Sample(s *Stream) time.Duration {
	return time.Duration(float64(l.Median) * math.Exp(l.Sigma*s.NormFloat64()))
}

func (l LogNormal) String() string {
	return fmt.Sprintf("lognormal(median %v, σ %g)", l.Median, l.Sigma)
}

// Validate refuses a negative median and a σ that is negative, infinite or NaN.
func (l LogNormal) Validate() error {
	switch {
	case l.Median < 0:
		return fmt.Errorf("sim: latency %v: the median is negative", l)
	case !(l.Sigma >= 0) || math.IsInf(l.Sigma, 0):
		return fmt.Errorf("sim: latency %v: σ must be finite and at least 0", l)
	}
	return nil
}

// A Link describes one direction of the connection between two nodes.
type Link struct {
	Latency   Latency // nil means no delay
	Drop      float64 // probability that a message is lost
	Duplicate float64 // probability that a message is delivered twice
	// Reorder is the probability that a message leaves the link's first-in, first-out
	// order and arrives after its own delay, possibly before messages sent earlier.
	// Otherwise a link delivers in order, like the TCP connection a cluster bus uses.
	Reorder   float64
	Bandwidth float64 // bytes per second; 0 means unlimited
}

// Validate reports a link setting outside its range.
func (l Link) Validate() error {
	for _, p := range []struct {
		name string
		p    float64
	}{{"drop", l.Drop}, {"duplicate", l.Duplicate}, {"reorder", l.Reorder}} {
		if !(p.p >= 0 && p.p <= 1) {
			return fmt.Errorf("sim: %s probability %v is not in [0, 1]", p.name, p.p)
		}
	}
	if !(l.Bandwidth >= 0) || math.IsInf(l.Bandwidth, 0) {
		return fmt.Errorf("sim: bandwidth %v bytes/s must be finite and at least 0", l.Bandwidth)
	}
	// A Latency of the caller's own is checked when it has a Validate method too.
	if v, ok := l.Latency.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// linkState is the engine's view of one directed link.
type linkState struct {
	rand      Stream
	override  *Link
	busyUntil Time            // the link is sending earlier messages until then (bandwidth)
	lastAt    Time            // delivery time of the last in-order message (FIFO)
	hold      map[uint64]Time // per connection, when its retransmitted message is next tried
	blocked   bool            // a one-way partition cuts from → to
}

// A Network carries messages between nodes and injects faults: per-link latency, loss,
// duplication, reordering and bandwidth, and full or one-way partitions.
type Network struct {
	seed    uint64
	names   func(int) string
	def     Link
	links   [][]linkState // links[from][to], grown on demand
	side    []int         // partition side of each node; nodes talk only within a side
	quiet   bool
	cutSeen bool // some partition or block is active
	// nodeLinks are nodes' own links (SetNodeLink), by node; nil when none has one.
	nodeLinks []*Link
}

func (n *Network) link(from, to int) *linkState {
	for len(n.links) <= from {
		n.links = append(n.links, nil)
	}
	row := n.links[from]
	for len(row) <= to {
		row = append(row, linkState{})
		i := len(row) - 1
		row[i].rand = NewStream(n.seed, "link/"+n.names(from)+"/"+n.names(i))
	}
	n.links[from] = row
	return &row[to]
}

// config returns the effective settings of from → to, whose state is l: the pair's own
// (SetLink), else a node's own (SetNodeLink, from's first), else the default.
func (n *Network) config(from, to int, l *linkState) *Link {
	if l.override != nil {
		return l.override
	}
	if n.nodeLinks != nil {
		if from < len(n.nodeLinks) && n.nodeLinks[from] != nil {
			return n.nodeLinks[from]
		}
		if to < len(n.nodeLinks) && n.nodeLinks[to] != nil {
			return n.nodeLinks[to]
		}
	}
	return &n.def
}

// SetNodeLink makes the links to and from node i use l unless SetLink overrides a pair:
// for a process whose connections differ from the cluster's, as a client's round trips
// to a server on loopback are quicker than a cluster bus message's.
func (n *Network) SetNodeLink(i int, l Link) error {
	if i < 0 || i >= len(n.side) {
		return fmt.Errorf("sim: node link %d: no such node among the %d", i, len(n.side))
	}
	if err := l.Validate(); err != nil {
		return err
	}
	for len(n.nodeLinks) < len(n.side) {
		n.nodeLinks = append(n.nodeLinks, nil)
	}
	n.nodeLinks[i] = &l
	return nil
}

// SetDefault sets the link every pair uses unless SetLink overrides it.
func (n *Network) SetDefault(l Link) error {
	if err := l.Validate(); err != nil {
		return err
	}
	n.def = l
	return nil
}

// Default returns the default link.
func (n *Network) Default() Link { return n.def }

// SetLink overrides the link from → to; both must be nodes of the simulation.
func (n *Network) SetLink(from, to int, l Link) error {
	if from < 0 || to < 0 || from >= len(n.side) || to >= len(n.side) {
		return fmt.Errorf("sim: link %d → %d: no such node among the %d", from, to, len(n.side))
	}
	if err := l.Validate(); err != nil {
		return err
	}
	n.link(from, to).override = &l
	return nil
}

// Quiet switches random faults (drop, duplicate, reorder) off or back on. Partitions and
// blocks are not random faults: Heal removes them. A quiet phase after a faulty one lets a
// test check liveness after safety.
func (n *Network) Quiet(on bool) { n.quiet = on }

// Partition cuts the nodes into groups that cannot reach each other, in both directions.
// Nodes named in no group (clients, say) keep reaching everybody.
func (n *Network) Partition(groups ...[]int) {
	for i := range n.side {
		n.side[i] = 0
	}
	for g, nodes := range groups {
		for _, node := range nodes {
			n.grow(node)
			n.side[node] = g + 1
		}
	}
	n.cutSeen = true
}

// Block cuts the link from → to in that direction only.
func (n *Network) Block(from, to int) {
	n.link(from, to).blocked = true
	n.cutSeen = true
}

// Heal removes every partition and block.
func (n *Network) Heal() {
	for i := range n.side {
		n.side[i] = 0
	}
	for _, row := range n.links {
		for i := range row {
			row[i].blocked = false
		}
	}
	n.cutSeen = false
}

// dropHolds forgets the retransmissions pending on every link from or to node, without
// creating link state for pairs that never talked.
func (n *Network) dropHolds(node int) {
	if node < len(n.links) {
		for to := range n.links[node] {
			n.links[node][to].hold = nil
		}
	}
	for _, row := range n.links {
		if node < len(row) {
			row[node].hold = nil
		}
	}
}

// Connected reports whether a message from → to would cross no partition or block now.
func (n *Network) Connected(from, to int) bool {
	if !n.cutSeen {
		return true
	}
	n.grow(max(from, to))
	if a, b := n.side[from], n.side[to]; a != 0 && b != 0 && a != b {
		return false
	}
	return !n.link(from, to).blocked
}

func (n *Network) grow(node int) {
	for len(n.side) <= node {
		n.side = append(n.side, 0)
	}
	for n.nodeLinks != nil && len(n.nodeLinks) <= node {
		n.nodeLinks = append(n.nodeLinks, nil)
	}
}

// transmit decides the fate of a message of size bytes sent from → to at now: how many
// copies arrive (0, 1 or 2) and when.
func (n *Network) transmit(from, to, size int, now Time) (copies int, at [2]Time) {
	l := n.link(from, to)
	cfg := n.config(from, to, l)
	faults := !n.quiet
	if faults && l.rand.Chance(cfg.Drop) {
		return 0, at
	}
	copies = 1
	if faults && l.rand.Chance(cfg.Duplicate) {
		copies = 2
	}
	start := now
	if cfg.Bandwidth > 0 {
		start = max(now, l.busyUntil)
		l.busyUntil = start + Time(float64(size)/cfg.Bandwidth*float64(time.Second))
		start = l.busyUntil
	}
	reorder := faults && l.rand.Chance(cfg.Reorder)
	for c := range copies {
		var d time.Duration
		if cfg.Latency != nil {
			d = max(cfg.Latency.Sample(&l.rand), 0)
		}
		t := start.Add(d)
		if !reorder {
			t = max(t, l.lastAt) // in order: never before an earlier message
			l.lastAt = t
		}
		at[c] = t
	}
	return copies, at
}
