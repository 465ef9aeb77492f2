package slot

import (
	"fmt"
	"strconv"
	"strings"
)

// A CheckReport is the part of redis-cli --cluster check that the slot table decides:
// open slots and coverage (clusterManagerCheckCluster). Whether the nodes agree with each
// other is a question about several nodes' views, which a single table cannot answer.
type CheckReport struct {
	Covered   int              // slots with an owner
	Migrating map[string][]int // node ID -> slots it marks MIGRATING, ascending
	Importing map[string][]int // node ID -> slots it marks IMPORTING, ascending
	// Open holds every slot with a mark, in the order redis-cli lists and fixes them: it
	// adds each node's migrating, then importing slots, node by node, to a hash table
	// and walks the table (CLIOrder).
	Open []int

	lines []string
}

// OK reports whether every slot is covered and none is open, the condition for redis-cli's
// check to succeed (apart from the nodes agreeing).
func (r *CheckReport) OK() bool { return r.Covered == Count && len(r.Open) == 0 }

// Lines returns redis-cli's words from ">>> Check for open slots..." to the coverage verdict:
// "[OK] All 16384 slots covered." or "[ERR] Not all 16384 slots are covered by nodes."
// (which redis-cli follows with an empty line).
func (r *CheckReport) Lines() []string { return r.lines }

// Check inspects l the way redis-cli --cluster check does after listing the nodes.
func Check(l Layout) *CheckReport {
	l = l.withTable()
	r := &CheckReport{
		Covered:   l.Slots.Assigned(),
		Migrating: map[string][]int{},
		Importing: map[string][]int{},
		Open:      l.Slots.Open(),
	}
	for _, slot := range r.Open {
		if node, _, ok := l.Slots.Migrating(slot); ok {
			r.Migrating[node] = append(r.Migrating[node], slot)
		}
		if node, _, ok := l.Slots.Importing(slot); ok {
			r.Importing[node] = append(r.Importing[node], slot)
		}
	}
	var added []int
	for _, n := range l.Nodes {
		added = append(append(added, r.Migrating[n.ID]...), r.Importing[n.ID]...)
	}
	ordered := CLIOrder(added)
	if len(ordered) == len(r.Open) { // every mark is on a listed node
		r.Open = ordered
	}
	r.lines = append(r.lines, ">>> Check for open slots...")
	for _, n := range l.Nodes {
		if s := r.Migrating[n.ID]; len(s) > 0 {
			r.lines = append(r.lines, fmt.Sprintf("[WARNING] Node %s has slots in migrating state %s.", n.Addr, joinInts(s)))
		}
		if s := r.Importing[n.ID]; len(s) > 0 {
			r.lines = append(r.lines, fmt.Sprintf("[WARNING] Node %s has slots in importing state %s.", n.Addr, joinInts(s)))
		}
	}
	if len(r.Open) > 0 {
		r.lines = append(r.lines, "[WARNING] The following slots are open: "+joinInts(r.Open)+".")
	}
	r.lines = append(r.lines, ">>> Check slots coverage...")
	if r.Covered == Count {
		r.lines = append(r.lines, fmt.Sprintf("[OK] All %d slots covered.", Count))
	} else {
		r.lines = append(r.lines, fmt.Sprintf("[ERR] Not all %d slots are covered by nodes.", Count), "")
	}
	return r
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}
