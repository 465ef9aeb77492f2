package ring

import (
	"fmt"
	"math"
)

// Bounded places keys on a ring with bounded loads (Mirrokni, Thorup, Zadimoghaddam,
// "Consistent Hashing with Bounded Loads", SODA 2018): a key goes to the first of its
// successors (clockwise from its position, on a classic ring) whose load is below its
// capacity, ⌈c·(m+1)·w/W⌉ once the key is counted, for m keys already placed and a member of weight w out of W in all. No member
// ever holds more than c times its fair share; the price is that keys move more on
// membership changes, by a factor O(1/ε²) for c = 1+ε.
//
// Unlike a Ring, a Bounded placement depends on the order keys arrive in: it is a process,
// not a function of the key.
type Bounded struct {
	r      *Ring
	c      float64
	loads  []int64
	placed int64
	weight float64 // total weight
	// full[m] == stamp marks member m as found full while placing the current key.
	full  []uint64
	stamp uint64
}

// Bounded returns an empty bounded-load placement on r with load factor c > 1.
func (r *Ring) Bounded(c float64) (*Bounded, error) {
	if !(c > 1) || math.IsInf(c, 0) {
		return nil, fmt.Errorf("ring: load factor %v: it must be a finite number above 1", c)
	}
	b := &Bounded{r: r, c: c, loads: make([]int64, len(r.members)), full: make([]uint64, len(r.members))}
	for _, w := range r.weights {
		b.weight += w
	}
	return b, nil
}

func (b *Bounded) capacity(member int) int64 {
	return int64(math.Ceil(b.c * float64(b.placed+1) * b.r.weights[member] / b.weight))
}

// Place assigns key to its member and counts it in that member's load.
func (b *Bounded) Place(key string) string {
	return b.r.members[b.PlaceIndex(key)]
}

// PlaceIndex is Place returning the member's position in the ring's Members: the first of
// the key's successors (see Ring.Successors) below its capacity.
func (b *Bounded) PlaceIndex(key string) int {
	b.stamp++
	placed := -1
	b.r.successors(b.r.hash(key),
		func(m int) bool { return b.full[m] == b.stamp },
		func(m int) bool {
			if b.loads[m] < b.capacity(m) {
				placed = m
				return true
			}
			b.full[m] = b.stamp
			return false
		})
	if placed < 0 {
		// Capacities add up to c·(placed+1) > placed, so some member always has room.
		panic("ring: bounded placement found no member below capacity")
	}
	b.loads[placed]++
	b.placed++
	return placed
}

// Loads returns how many keys each member holds, in the order of the ring's Members.
func (b *Bounded) Loads() []int64 { return append([]int64(nil), b.loads...) }
