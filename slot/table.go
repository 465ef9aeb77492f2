package slot

import (
	"fmt"
	"slices"
)

// A Table records which node serves each of the 16384 slots, and which slots are open:
// marked MIGRATING on the node giving them away or IMPORTING on the node receiving them.
// The zero value is not usable; call NewTable.
//
// Node IDs are interned: the table stores a small index per slot, so a table costs about
// 100 KiB whatever the IDs look like.
type Table struct {
	ids    []string          // ids[i-1] is the node with index i; index 0 means "none"
	index  map[string]uint16 // id -> index
	counts []int             // counts[i] = slots owned by index i

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
		panic("slot: more than 65535 node IDs in one table")
	}
	t.ids = append(t.ids, id)
	t.counts = append(t.counts, 0)
	i := uint16(len(t.ids))
	t.index[id] = i
	return i
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
