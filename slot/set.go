package slot

import (
	"fmt"
	"iter"
	"math/bits"
	"strconv"
	"strings"
)

// A Range is the closed interval of slots [Lo, Hi].
type Range struct{ Lo, Hi int }

// Len returns the number of slots in r.
func (r Range) Len() int { return r.Hi - r.Lo + 1 }

// String formats r the way CLUSTER NODES does: "5461" for one slot, "0-5460" for more.
func (r Range) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(r.Lo)
	}
	return strconv.Itoa(r.Lo) + "-" + strconv.Itoa(r.Hi)
}

// A Set is a set of hash slots. The zero value is empty and ready to use; Sets compare
// with ==.
type Set struct{ w [Count / 64]uint64 }

// SetOf returns the set holding the given ranges. It panics on a range outside [0, Count);
// use Parse for input that has not been checked.
func SetOf(rs ...Range) Set {
	var s Set
	for _, r := range rs {
		s.AddRange(r.Lo, r.Hi)
	}
	return s
}

// Add puts slot (in [0, Count)) into s.
func (s *Set) Add(slot int) { s.w[slot>>6] |= 1 << (slot & 63) }

// Remove takes slot out of s.
func (s *Set) Remove(slot int) { s.w[slot>>6] &^= 1 << (slot & 63) }

// Has reports whether slot is in s.
func (s *Set) Has(slot int) bool { return s.w[slot>>6]&(1<<(slot&63)) != 0 }

// AddRange puts the slots lo..hi (inclusive) into s.
func (s *Set) AddRange(lo, hi int) {
	for slot := lo; slot <= hi; slot++ {
		s.Add(slot)
	}
}

// AddSet puts every slot of o into s.
func (s *Set) AddSet(o Set) {
	for i := range s.w {
		s.w[i] |= o.w[i]
	}
}

// RemoveSet takes every slot of o out of s.
func (s *Set) RemoveSet(o Set) {
	for i := range s.w {
		s.w[i] &^= o.w[i]
	}
}

// Intersects reports whether s and o share a slot.
func (s *Set) Intersects(o Set) bool {
	for i := range s.w {
		if s.w[i]&o.w[i] != 0 {
			return true
		}
	}
	return false
}

// Len returns the number of slots in s.
func (s *Set) Len() int {
	n := 0
	for _, w := range s.w {
		n += bits.OnesCount64(w)
	}
	return n
}

// All yields the slots of s in ascending order.
func (s *Set) All() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i, w := range s.w {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				if !yield(i<<6 | b) {
					return
				}
				w &= w - 1
			}
		}
	}
}

// Ranges returns s as ascending, maximal runs of consecutive slots.
func (s *Set) Ranges() []Range {
	var rs []Range
	for slot := range s.All() {
		if n := len(rs); n > 0 && rs[n-1].Hi == slot-1 {
			rs[n-1].Hi = slot
			continue
		}
		rs = append(rs, Range{slot, slot})
	}
	return rs
}

// String formats s as comma-separated ranges, "0-1364,5461-6826", the form Parse reads
// back. The empty set is "".
func (s Set) String() string { return s.format(",", "", "") }

// Spaced formats s as CLUSTER NODES prints a node's slots: "0-1364 5461-6826".
func (s Set) Spaced() string { return s.format(" ", "", "") }

// Bracketed formats s as redis-cli --cluster check prints a node's slots:
// "[0-1364],[5461-6826]".
func (s Set) Bracketed() string { return s.format(",", "[", "]") }

func (s *Set) format(sep, open, close string) string {
	var b strings.Builder
	for i, r := range s.Ranges() {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(open)
		b.WriteString(r.String())
		b.WriteString(close)
	}
	return b.String()
}

// Parse reads a set of slots written in any of the forms Redis tools print: "0-5460",
// "[0-1364],[5461-6826]", "5461", "0-6826 10923-12287" (commas and spaces both separate).
// The empty string is the empty set. A malformed, reversed, out-of-range or overlapping
// range is an error that quotes it.
func Parse(text string) (Set, error) {
	rs, err := ParseRanges(text)
	if err != nil {
		return Set{}, err
	}
	return SetOf(rs...), nil
}

// ParseRanges is Parse returning the ranges in the order written.
func ParseRanges(text string) ([]Range, error) {
	var (
		rs    []Range
		seen  Set
		items []string
	)
	items = strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	for _, item := range items {
		r, err := parseRange(item)
		if err != nil {
			return nil, err
		}
		for slot := r.Lo; slot <= r.Hi; slot++ {
			if seen.Has(slot) {
				return nil, fmt.Errorf("slot: range %q overlaps %q: slot %d is given twice", item, overlapping(rs, slot).String(), slot)
			}
		}
		seen.AddRange(r.Lo, r.Hi)
		rs = append(rs, r)
	}
	return rs, nil
}

func overlapping(rs []Range, slot int) Range {
	for _, r := range rs {
		if r.Lo <= slot && slot <= r.Hi {
			return r
		}
	}
	panic("slot: overlap without an overlapped range")
}

func parseRange(item string) (Range, error) {
	inner := item
	if strings.HasPrefix(inner, "[") || strings.HasSuffix(inner, "]") {
		if !strings.HasPrefix(inner, "[") || !strings.HasSuffix(inner, "]") || len(inner) < 2 {
			return Range{}, fmt.Errorf("slot: malformed range %q: unbalanced brackets", item)
		}
		inner = inner[1 : len(inner)-1]
	}
	loText, hiText, isRange := strings.Cut(inner, "-")
	lo, err := parseSlot(item, loText)
	if err != nil {
		return Range{}, err
	}
	hi := lo
	if isRange {
		if hi, err = parseSlot(item, hiText); err != nil {
			return Range{}, err
		}
	}
	if hi < lo {
		return Range{}, fmt.Errorf("slot: range %q is reversed (%d > %d)", item, lo, hi)
	}
	return Range{lo, hi}, nil
}

func parseSlot(item, digits string) (int, error) {
	if digits == "" || len(digits) > 6 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, fmt.Errorf("slot: malformed range %q: %q is not a slot number", item, digits)
	}
	n, _ := strconv.Atoi(digits) // at most 6 digits: cannot overflow
	if n >= Count {
		return 0, fmt.Errorf("slot: range %q: slot %d is out of range 0-%d", item, n, Count-1)
	}
	return n, nil
}
