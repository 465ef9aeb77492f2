package slot

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// A NodeLine is one line of CLUSTER NODES.
type NodeLine struct {
	ID          string
	Addr        string // "127.0.0.1:6381" (the "@cport" part dropped)
	Flags       []string
	Master      string // master ID for a replica, "" otherwise
	PingSent    int64
	PongRecv    int64
	ConfigEpoch int64
	Connected   bool
	Slots       Set
	Open        []string // "[slot->-id]" and "[slot-<-id]" entries, as printed
}

// Has reports whether the line carries flag.
func (n NodeLine) Has(flag string) bool { return slices.Contains(n.Flags, flag) }

// Gone reports whether the replying node holds n failed (flag fail) or without an address
// (noaddr): redis-cli leaves such nodes out when it loads a cluster, and a copy of the
// cluster (cluster.BuildFromNodes) starts without them.
func (n NodeLine) Gone() bool { return n.Has("fail") || n.Has("noaddr") }

// ParseNodes reads a CLUSTER NODES reply.
func ParseNodes(text string) ([]NodeLine, error) {
	var nodes []NodeLine
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("slot: short CLUSTER NODES line %q", line)
		}
		n := NodeLine{ID: f[0], Flags: strings.Split(f[2], ","), Connected: f[7] == "connected"}
		n.Addr, _, _ = strings.Cut(f[1], "@")
		if f[3] != "-" {
			n.Master = f[3]
		}
		var err error
		if n.PingSent, err = strconv.ParseInt(f[4], 10, 64); err != nil {
			return nil, fmt.Errorf("slot: CLUSTER NODES line %q: %w", line, err)
		}
		if n.PongRecv, err = strconv.ParseInt(f[5], 10, 64); err != nil {
			return nil, fmt.Errorf("slot: CLUSTER NODES line %q: %w", line, err)
		}
		if n.ConfigEpoch, err = strconv.ParseInt(f[6], 10, 64); err != nil {
			return nil, fmt.Errorf("slot: CLUSTER NODES line %q: %w", line, err)
		}
		var ranges []string
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				n.Open = append(n.Open, s)
			} else {
				ranges = append(ranges, s)
			}
		}
		if n.Slots, err = Parse(strings.Join(ranges, " ")); err != nil {
			return nil, fmt.Errorf("slot: CLUSTER NODES line %q: %w", line, err)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// LayoutOf returns the cluster as redis-cli --cluster would load it from the node whose
// CLUSTER NODES reply is nodes: that node first, then the others in reply order, leaving out
// the nodes it sees as failed, disconnected or without address (clusterManagerLoadInfoFromNode).
func LayoutOf(nodes []NodeLine) Layout {
	l := Layout{Slots: NewTable()}
	add := func(n NodeLine) {
		l.Nodes = append(l.Nodes, Node{ID: n.ID, Addr: n.Addr, ReplicaOf: n.Master})
		l.Slots.AssignSet(n.Slots, n.ID)
	}
	for _, n := range nodes {
		if n.Has("myself") {
			add(n)
		}
	}
	for _, n := range nodes {
		if !n.Has("myself") && !n.Gone() && n.Connected {
			add(n)
		}
	}
	return l
}

// ReadNodes reads a CLUSTER NODES reply (redis-cli cluster nodes > nodes.txt) from r,
// named name in errors, which give its line: blank lines and lines starting with # are
// skipped, and so is nodes.conf's closing "vars" line, so a node's nodes.conf reads too.
func ReadNodes(r io.Reader, name string) ([]NodeLine, error) {
	var nodes []NodeLine
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "vars ") {
			continue
		}
		n, err := ParseNodes(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		nodes = append(nodes, n...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%s: no CLUSTER NODES line", name)
	}
	return nodes, nil
}

// ReadNodesFile is ReadNodes of the file at path.
func ReadNodesFile(path string) ([]NodeLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadNodes(f, path)
}
