package experiments

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/kvplace/kvplace/slot"
)

// A StartCluster is the cluster the skew measurements start from: its masters, the master
// that then joins and leaves, and the slot table the slot schemes start with.
type StartCluster struct {
	Masters []string `json:"masters"` // addresses, in redis-cli's list order
	Joiner  string   `json:"joiner"`  // the address of the master that joins and leaves
	// Slots names, for each slot, the master (by address) serving it; nil is the even
	// split redis-cli --cluster create makes. Hash % N and rings place keys by the
	// members alone.
	Slots  *slot.Table `json:"-"`
	Source string      `json:"source,omitempty"` // where the cluster was read; "" for the seed's
	// Nodes is the CLUSTER NODES reply the cluster was read from, for the measurement that
	// runs a simulated copy of it (cluster.BuildFromNodes); nil for the seed's.
	Nodes []slot.NodeLine `json:"-"`
}

// SeedCluster is the seed tutorial's: masters 6381, 6382 and 6383 made by create, then
// 6387 joins and leaves again.
func SeedCluster() StartCluster {
	return StartCluster{Masters: []string{"127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383"}, Joiner: "127.0.0.1:6387"}
}

func (c StartCluster) withDefaults() StartCluster {
	if len(c.Masters) == 0 {
		return SeedCluster()
	}
	return c
}

// String names the cluster in headings: "3 masters" or "6 masters of nodes.txt".
func (c StartCluster) String() string {
	s := fmt.Sprintf("%d masters", len(c.Masters))
	if c.Source != "" {
		s += " of " + c.Source
	}
	return s
}

// Validate refuses a cluster the measurements cannot start from.
func (c StartCluster) Validate() error {
	c = c.withDefaults()
	if c.Joiner == "" || slices.Contains(c.Masters, c.Joiner) {
		return fmt.Errorf("start cluster: joiner %q must be a new address", c.Joiner)
	}
	if c.Slots != nil {
		if _, err := slot.NewPartitionerFrom(c.Masters, c.Slots, slot.Reshard); err != nil {
			return fmt.Errorf("start cluster: %w", err)
		}
	}
	return nil
}

// ClusterFromNodes returns the cluster a CLUSTER NODES reply describes, read from source
// (a file name or an address, for messages): its masters that serve slots, in the order
// redis-cli lists them from that node (slot.LayoutOf: the replying node first), with their
// slot ranges; the joiner is the next port after the highest in use, on the first
// master's host. Replicas, and masters without slots, do not hold keys and are left out.
func ClusterFromNodes(nodes []slot.NodeLine, source string) (StartCluster, error) {
	c := StartCluster{Slots: slot.NewTable(), Source: source, Nodes: slices.Clone(nodes)}
	l := slot.LayoutOf(nodes)
	addrOf := map[string]string{}
	for _, n := range nodes {
		addrOf[n.ID] = n.Addr
	}
	highest := 0
	for _, n := range nodes {
		if _, port, err := slot.ParseAddr(n.Addr); err == nil {
			highest = max(highest, port)
		}
	}
	for _, n := range l.Nodes {
		if n.IsReplica() || l.Slots.Len(n.ID) == 0 {
			continue
		}
		if slices.Contains(c.Masters, n.Addr) {
			return StartCluster{}, fmt.Errorf("%s: two masters at %s", source, n.Addr)
		}
		c.Masters = append(c.Masters, n.Addr)
		c.Slots.AssignSet(l.Slots.Slots(n.ID), n.Addr)
	}
	if len(c.Masters) == 0 {
		return StartCluster{}, fmt.Errorf("%s: no master serves a slot", source)
	}
	host, _, err := slot.ParseAddr(c.Masters[0])
	if err != nil {
		return StartCluster{}, fmt.Errorf("%s: %w", source, err)
	}
	c.Joiner = host + ":" + strconv.Itoa(highest+1)
	return c, nil
}

// startLayout is s's layout of the start cluster: for the slot schemes, the cluster's own
// slot table when it has one.
func startLayout(s Scheme, c StartCluster) (layout, error) {
	c = c.withDefaults()
	if ss, ok := s.s.(slotsScheme); ok && c.Slots != nil {
		p, err := slot.NewPartitionerFrom(c.Masters, c.Slots, ss.policy)
		if err != nil {
			return nil, err
		}
		return newSlotLayout(p, false), nil
	}
	return s.newLayout(c.Masters)
}
