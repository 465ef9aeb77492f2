package modulo

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// A Modulo places a key on member hash(key) % N. It is immutable: Join and Leave build
// new values.
type Modulo struct {
	members []string
	hash    func(string) uint64
	n       uint64
}

// New returns the partitioner for members, in the order given: member i owns the keys whose
// hash is i modulo len(members). hash is the 64-bit key hash; nil means xxHash64, the ring
// package's default, so the two schemes differ only in how they use the hash.
func New(members []string, hash func(string) uint64) (*Modulo, error) {
	if len(members) == 0 {
		return nil, errors.New("modulo: no members")
	}
	seen := make(map[string]bool, len(members))
	for _, m := range members {
		if m == "" {
			return nil, errors.New("modulo: a member has an empty name")
		}
		if seen[m] {
			return nil, fmt.Errorf("modulo: member %q is given twice", m)
		}
		seen[m] = true
	}
	if hash == nil {
		hash = xxhash.Sum64String
	}
	return &Modulo{members: slices.Clone(members), hash: hash, n: uint64(len(members))}, nil
}

// Owner returns the member that owns key.
//
// The zero Modulo has no member: its Owner is "" and its Index -1; Join gives it its first.
func (m *Modulo) Owner(key string) string {
	if m.n == 0 {
		return ""
	}
	return m.members[m.IndexAt(m.hash(key))]
}

// Index returns the position in Members of key's owner, -1 on the zero Modulo.
func (m *Modulo) Index(key string) int {
	if m.n == 0 {
		return -1
	}
	return m.IndexAt(m.hash(key))
}

// Hash returns the hash of key the partitioner takes modulo N (xxHash64 by default); a key
// hashed once can be placed by several partitioners that share the hash with IndexAt.
func (m *Modulo) Hash(key string) uint64 { return m.hash(key) }

// IndexAt is Index for a key whose Hash is h.
func (m *Modulo) IndexAt(h uint64) int {
	if m.n == 0 {
		return -1
	}
	return int(h % m.n)
}

// Members returns the members in their numbering order.
func (m *Modulo) Members() []string { return slices.Clone(m.members) }

// Len returns the number of members.
func (m *Modulo) Len() int { return len(m.members) }

// Join returns the partitioner after member joins as number N (the end of the list).
func (m *Modulo) Join(member string) (*Modulo, error) {
	return New(append(slices.Clone(m.members), member), m.hash)
}

// Leave returns the partitioner after member leaves: the others keep their relative order
// and are renumbered 0..N-2, which is what moves most keys.
func (m *Modulo) Leave(member string) (*Modulo, error) {
	i := slices.Index(m.members, member)
	if i < 0 {
		return nil, fmt.Errorf("modulo: %q is not a member", member)
	}
	if len(m.members) == 1 {
		return nil, fmt.Errorf("modulo: cannot remove %q, the last member", member)
	}
	return New(slices.Delete(slices.Clone(m.members), i, i+1), m.hash)
}
