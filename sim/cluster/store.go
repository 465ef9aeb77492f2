package cluster

import (
	"slices"
	"sort"

	"github.com/kvplace/kvplace/slot"
)

// An entry is one key's value and the order it was added in (GETKEYSINSLOT returns a
// slot's keys newest first, as Redis's per-slot list does).
type entry struct {
	val value
	seq uint64
}

// undo restores a key to what it was before a write that is not yet on disk.
type undo struct {
	key     string
	val     value
	existed bool
	seq     uint64
}

// A store is database 0: the keys and their values, indexed by slot. With persistence on it
// keeps an undo log of writes made since the last fsync, so that a crash loses exactly
// them (appendfsync everysec).
type store struct {
	keys    map[string]entry
	bySlot  map[int]map[string]struct{} // a slot with no key has no entry
	seq     uint64
	durable bool
	undo    []undo
}

func newStore(durable bool) *store {
	return &store{keys: map[string]entry{}, bySlot: map[int]map[string]struct{}{}, durable: durable}
}

func (s *store) len() int { return len(s.keys) }

// values yields every value, in no order.
func (s *store) values(yield func(value) bool) {
	for _, e := range s.keys {
		if !yield(e.val) {
			return
		}
	}
}

func (s *store) get(key string) (value, bool) {
	e, ok := s.keys[key]
	return e.val, ok
}

func (s *store) remember(key string) {
	if !s.durable {
		return
	}
	e, ok := s.keys[key]
	s.undo = append(s.undo, undo{key: key, val: e.val, existed: ok, seq: e.seq})
}

func (s *store) set(key string, v value) {
	s.remember(key)
	old, ok := s.keys[key]
	if ok {
		s.keys[key] = entry{val: v, seq: old.seq}
	} else {
		s.seq++
		s.keys[key] = entry{val: v, seq: s.seq}
		s.indexKey(key)
	}
}

// replace puts v in place of key's value, which must exist, as the same write: what it
// changes (a skiplist's heights drawn when first sampled) was there all along, so it is
// not a write to undo, nor a new key.
func (s *store) replace(key string, v value) {
	e := s.keys[key]
	e.val = v
	s.keys[key] = e
}

func (s *store) del(key string) bool {
	if _, ok := s.keys[key]; !ok {
		return false
	}
	s.remember(key)
	delete(s.keys, key)
	sl := slot.Of(key)
	delete(s.bySlot[sl], key)
	if len(s.bySlot[sl]) == 0 {
		delete(s.bySlot, sl)
	}
	return true
}

// indexKey adds key to its slot's set.
func (s *store) indexKey(key string) {
	sl := slot.Of(key)
	m := s.bySlot[sl]
	if m == nil {
		m = map[string]struct{}{}
		s.bySlot[sl] = m
	}
	m[key] = struct{}{}
}

// inSlot returns up to n keys of slot, newest first.
func (s *store) inSlot(sl, n int) []string {
	m := s.bySlot[sl]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return s.keys[keys[i]].seq > s.keys[keys[j]].seq })
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

func (s *store) countInSlot(sl int) int { return len(s.bySlot[sl]) }

// all returns every key, sorted.
func (s *store) all() []string {
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// flush empties the store (a replica's full resynchronisation, FLUSHALL).
func (s *store) flush() {
	for _, k := range s.all() {
		s.del(k)
	}
}

// fsync makes every write so far durable.
func (s *store) fsync() { s.undo = s.undo[:0] }

// durableCopy returns the store as a crash now would leave it on disk: every write since
// the last fsync undone.
func (s *store) durableCopy() *store {
	c := newStore(s.durable)
	for k, e := range s.keys {
		c.keys[k] = e
	}
	for i := len(s.undo) - 1; i >= 0; i-- {
		u := s.undo[i]
		if u.existed {
			c.keys[u.key] = entry{val: u.val, seq: u.seq}
		} else {
			delete(c.keys, u.key)
		}
	}
	c.reindex()
	return c
}

// copyAll returns an independent copy (an RDB snapshot for a full resynchronisation).
func (s *store) copyAll() map[string]value {
	m := make(map[string]value, len(s.keys))
	for k, e := range s.keys {
		m[k] = e.val
	}
	return m
}

func (s *store) reindex() {
	s.bySlot = map[int]map[string]struct{}{}
	var maxSeq uint64
	for k, e := range s.keys {
		s.indexKey(k)
		maxSeq = max(maxSeq, e.seq)
	}
	s.seq = maxSeq
}

// load replaces the contents with snapshot, adding keys in sorted order. A collection read from
// a snapshot (an RDB, an AOF rewrite's base) has its table sized at once.
func (s *store) load(snapshot map[string]value) {
	s.keys = map[string]entry{}
	s.undo = s.undo[:0]
	keys := make([]string, 0, len(snapshot))
	for k := range snapshot {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		v := snapshot[k]
		v.presized = v.kind != kindString
		v.scattered = false
		v.heights = 0 // rdbLoadObject inserts every member anew
		s.keys[k] = entry{val: v, seq: uint64(i + 1)}
	}
	s.reindex()
}
