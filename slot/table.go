package slot

import (
	"fmt"
	"slices"
)

// A Table records which node serves each of the 16384 slots, and which slots are open:
// marked MIGRATING on the node giving them away or IMPORTING on the node receiving them.
// The zero value is not usable; call NewTable. Planners given a Layout whose Slots is nil
// read it as a table in which no slot is assigned.
//
// Node IDs are interned: the table stores a small index per slot, so a table costs about
// 100 KiB whatever the IDs look like.
type Table struct {
	ids    []string          // ids[i-1] is the node with index i; index 0 means "none"
	index  map[string]uint16 // id -> index
	counts []int             // counts[i] = slots owned by index i
	free   []uint16          // indexes reclaimed for reuse, once all 65535 were taken

	owner     [Count]uint16
	migrating [Count]mark // set on the node that gives the slot away
	importing [Count]mark // set on the node that receives it
}

// A mark is an open-slot flag held by node and naming peer: for MIGRATING the
// destination, for IMPORTING the source. Zero means unset.
type mark struct{ node, peer uint16 }

// NewTable returns a table in which no slot is assigned.
func NewTable() *Table {
	return &Table{index: map[string]uint16{}, counts: []int{Count}}
}

// Clone returns an independent copy of t.
func (t *Table) Clone() *Table {
	c := *t
	c.ids = slices.Clone(t.ids)
	c.counts = slices.Clone(t.counts)
	c.free = slices.Clone(t.free)
	c.index = make(map[string]uint16, len(t.index))
	for id, i := range t.index {
		c.index[id] = i
	}
	return &c
}

func (t *Table) intern(id string) uint16 {
	if id == "" {
		return 0
	}
	if i, ok := t.index[id]; ok {
		return i
	}
	if len(t.ids) == 1<<16-1 {
		if i, ok := t.reclaim(); ok {
			t.ids[i-1] = id
			t.index[id] = i
			return i
		}
		// 16384 owners and four marks a slot are fewer: unreachable by any use.
		panic("slot: more than 65535 node IDs in use in one table")
	}
	t.ids = append(t.ids, id)
	t.counts = append(t.counts, 0)
	i := uint16(len(t.ids))
	t.index[id] = i
	return i
}

// reclaim frees the indexes of the nodes that own no slot and are named by no open-slot
// mark, for new IDs to take, and returns one: a table that sees node after node come and
// go over its life (a long simulation) would otherwise run out of the 65535 indexes it can
// hold. One pass frees them all, so its cost is shared by the IDs that follow.
func (t *Table) reclaim() (uint16, bool) {
	if len(t.free) == 0 {
		used := make([]bool, len(t.ids)+1)
		for s := range Count {
			for _, m := range [2]mark{t.migrating[s], t.importing[s]} {
				used[m.node], used[m.peer] = true, true
			}
		}
		for i := 1; i < len(used); i++ {
			if !used[i] && t.counts[i] == 0 {
				if id := t.ids[i-1]; id != "" {
					delete(t.index, id)
					t.ids[i-1] = ""
				}
				t.free = append(t.free, uint16(i))
			}
		}
	}
	if len(t.free) == 0 {
		return 0, false
	}
	i := t.free[len(t.free)-1]
	t.free = t.free[:len(t.free)-1]
	return i, true
}

func (t *Table) id(i uint16) string {
	if i == 0 {
		return ""
	}
	return t.ids[i-1]
}

// Owner returns the node serving slot, or "" when the slot is unassigned.
func (t *Table) Owner(slot int) string { return t.id(t.owner[slot]) }

// Assign makes id the owner of slot; "" unassigns it.
func (t *Table) Assign(slot int, id string) {
	i := t.intern(id)
	t.counts[t.owner[slot]]--
	t.owner[slot] = i
	t.counts[i]++
}

// AssignSet makes id the owner of every slot in s.
func (t *Table) AssignSet(s Set, id string) {
	for slot := range s.All() {
		t.Assign(slot, id)
	}
}

// Len returns the number of slots id owns.
func (t *Table) Len(id string) int {
	i, ok := t.index[id]
	if !ok {
		return 0
	}
	return t.counts[i]
}

// Slots returns the slots id owns.
func (t *Table) Slots(id string) Set {
	var s Set
	i, ok := t.index[id]
	if !ok || t.counts[i] == 0 {
		return s
	}
	for slot, o := range t.owner {
		if o == i {
			s.Add(slot)
		}
	}
	return s
}

// Assigned returns the number of slots that have an owner.
func (t *Table) Assigned() int { return Count - t.counts[0] }

// Owners returns the IDs that own at least one slot, sorted.
func (t *Table) Owners() []string {
	var ids []string
	for i, id := range t.ids {
		if t.counts[i+1] > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Move reassigns slot from one node to another, checking that from owns it.
func (t *Table) Move(m Move) error {
	if got := t.Owner(m.Slot); got != m.From {
		return fmt.Errorf("slot: cannot move slot %d from %q: its owner is %q", m.Slot, m.From, got)
	}
	t.Assign(m.Slot, m.To)
	return nil
}

// SetMigrating marks slot as MIGRATING on node towards to, as
// CLUSTER SETSLOT <slot> MIGRATING <to> sent to node does.
func (t *Table) SetMigrating(slot int, node, to string) {
	t.migrating[slot] = mark{t.intern(node), t.intern(to)}
}

// SetImporting marks slot as IMPORTING on node from from, as
// CLUSTER SETSLOT <slot> IMPORTING <from> sent to node does.
func (t *Table) SetImporting(slot int, node, from string) {
	t.importing[slot] = mark{t.intern(node), t.intern(from)}
}

// SetStable clears both open-slot marks of slot (CLUSTER SETSLOT <slot> STABLE).
func (t *Table) SetStable(slot int) {
	t.migrating[slot] = mark{}
	t.importing[slot] = mark{}
}

// Migrating returns the node holding a MIGRATING mark on slot and its destination.
func (t *Table) Migrating(slot int) (node, to string, ok bool) {
	m := t.migrating[slot]
	return t.id(m.node), t.id(m.peer), m.node != 0
}

// Importing returns the node holding an IMPORTING mark on slot and its source.
func (t *Table) Importing(slot int) (node, from string, ok bool) {
	m := t.importing[slot]
	return t.id(m.node), t.id(m.peer), m.node != 0
}

// Open returns the slots that carry a MIGRATING or IMPORTING mark, ascending.
func (t *Table) Open() []int {
	var open []int
	for slot := range Count {
		if t.migrating[slot].node != 0 || t.importing[slot].node != 0 {
			open = append(open, slot)
		}
	}
	return open
}

// Map returns, for every owner, its slots: the table as a plain value for comparisons.
func (t *Table) Map() map[string]Set {
	sets := make([]Set, len(t.ids)+1)
	for slot, o := range t.owner {
		sets[o].Add(slot)
	}
	m := map[string]Set{}
	for i, id := range t.ids {
		if t.counts[i+1] > 0 {
			m[id] = sets[i+1]
		}
	}
	return m
}
