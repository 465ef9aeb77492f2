package sim

import "testing"

// TestTraceHashSeesEveryField: changing any one field of a record, swapping two fields of
// the same type, or swapping two records changes the running hash. (Node and Peer are
// packed as 32 bits each: node indexes are far smaller.)
func TestTraceHashSeesEveryField(t *testing.T) {
	hash := func(rs ...Record) uint64 {
		var tr Trace
		for _, r := range rs {
			tr.add(r)
		}
		return tr.Hash()
	}
	base := Record{At: 1500, Node: 2, Kind: KTimer, ID: 7, Cause: 9, Peer: 4, Detail: "marked 6381 as PFAIL"}
	variants := map[string]func(r *Record){
		"at":           func(r *Record) { r.At++ },
		"node":         func(r *Record) { r.Node++ },
		"kind":         func(r *Record) { r.Kind = KNote },
		"id":           func(r *Record) { r.ID++ },
		"cause":        func(r *Record) { r.Cause++ },
		"peer":         func(r *Record) { r.Peer = -1 },
		"detail":       func(r *Record) { r.Detail = "marked 6382 as PFAIL" },
		"node, peer":   func(r *Record) { r.Node, r.Peer = r.Peer, r.Node },
		"id, cause":    func(r *Record) { r.ID, r.Cause = r.Cause, r.ID },
		"high bits":    func(r *Record) { r.At += 1 << 62 },
		"send, detail": func(r *Record) { r.Kind, r.Detail = KSend, "" },
	}
	seen := map[uint64]string{hash(base): "base"}
	for name, change := range variants {
		r := base
		change(&r)
		h := hash(r)
		if other, dup := seen[h]; dup {
			t.Errorf("%s: same hash as %s", name, other)
		}
		seen[h] = name
	}
	other := base
	other.ID = 8
	if hash(base, other) == hash(other, base) {
		t.Error("two records in either order hash alike")
	}
}
