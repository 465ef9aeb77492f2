package slot

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// CLIOrder returns the distinct slots of added in the order redis-cli 7.0 visits them when
// it keeps them in one of its hash tables keyed by the slot's decimal string, having
// added them in the order given (a slot added again only replaces its value). redis-cli's
// check lists open slots, and its fix repairs open and uncovered slots, in that order:
// the order of Redis's dict.c (buckets of a power-of-two table, each a chain with the
// newest entry first, grown one bucket at a time by incremental rehashing) under SipHash
// with the all-zero key that redis-cli never changes.
func CLIOrder(added []int) []int {
	var d cliDict
	for _, s := range added {
		d.add(strconv.Itoa(s))
	}
	var out []int
	for t := range 2 {
		for _, chain := range d.table[t] {
			for _, key := range chain {
				s, _ := strconv.Atoi(key)
				out = append(out, s)
			}
		}
		if d.rehashIdx < 0 {
			break
		}
	}
	return out
}

// A cliDict is dict.c's table of sds keys as Redis 7.0 builds it (dictAddRaw, dictReplace,
// _dictExpandIfNeeded, dictRehash), keeping only the keys. Each chain lists its bucket's
// entries head first.
type cliDict struct {
	table     [2][][]string
	used      [2]int
	rehashIdx int // -1 when not rehashing; table[1] is nil then
	started   bool
}

func (d *cliDict) rehashing() bool { return d.started && d.rehashIdx >= 0 }

// add is dictAddRaw (or dictReplace, for a key already there, which changes nothing the
// order depends on but still takes a rehash step).
func (d *cliDict) add(key string) {
	if !d.started {
		d.started, d.rehashIdx = true, -1
	}
	if d.rehashing() {
		d.rehash(1)
	}
	d.expandIfNeeded()
	h := dictHash(key)
	idx := 0
	for t := range 2 {
		idx = int(h & uint64(len(d.table[t])-1))
		for _, k := range d.table[t][idx] {
			if k == key {
				return
			}
		}
		if !d.rehashing() {
			break
		}
	}
	t := 0
	if d.rehashing() {
		t = 1
	}
	d.table[t][idx] = append([]string{key}, d.table[t][idx]...)
	d.used[t]++
}

// expandIfNeeded is _dictExpandIfNeeded with resizing allowed, as in redis-cli.
func (d *cliDict) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	if len(d.table[0]) == 0 {
		d.expand(4) // DICT_HT_INITIAL_SIZE
		return
	}
	if d.used[0] >= len(d.table[0]) {
		d.expand(d.used[0] + 1)
	}
}

// expand is _dictExpand: a table of the next power of two ≥ size, the first one directly,
// a later one as the target of an incremental rehash.
func (d *cliDict) expand(size int) {
	n := 4
	if size > 4 {
		n = 1 << bits.Len(uint(size-1))
	}
	if n == len(d.table[0]) {
		return
	}
	if len(d.table[0]) == 0 {
		d.table[0] = make([][]string, n)
		return
	}
	d.table[1] = make([][]string, n)
	d.rehashIdx = 0
}

// rehash is dictRehash: move n non-empty buckets of table 0 to table 1, each chain's
// entries pushed one by one onto the heads of their new buckets, visiting at most 10n empty
// buckets; when table 0 is empty, table 1 takes its place.
func (d *cliDict) rehash(n int) {
	empty := n * 10
	for ; n > 0 && d.used[0] != 0; n-- {
		for len(d.table[0][d.rehashIdx]) == 0 {
			d.rehashIdx++
			if empty--; empty == 0 {
				return
			}
		}
		for _, key := range d.table[0][d.rehashIdx] {
			h := int(dictHash(key) & uint64(len(d.table[1])-1))
			d.table[1][h] = append([]string{key}, d.table[1][h]...)
			d.used[0]--
			d.used[1]++
		}
		d.table[0][d.rehashIdx] = nil
		d.rehashIdx++
	}
	if d.used[0] == 0 {
		d.table[0], d.used[0] = d.table[1], d.used[1]
		d.table[1], d.used[1] = nil, 0
		d.rehashIdx = -1
	}
}

// dictHash is dictGenHashFunction: Redis's SipHash-1-2 (siphash.c) of key under the
// all-zero 16-byte seed.
func dictHash(key string) uint64 {
	v0 := uint64(0x736f6d6570736575)
	v1 := uint64(0x646f72616e646f6d)
	v2 := uint64(0x6c7967656e657261)
	v3 := uint64(0x7465646279746573)
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	b := []byte(key)
	n := len(b) - len(b)%8
	for i := 0; i < n; i += 8 {
		m := binary.LittleEndian.Uint64(b[i:])
		v3 ^= m
		round()
		v0 ^= m
	}
	last := uint64(len(b)) << 56
	for i := len(b) - 1; i >= n; i-- {
		last |= uint64(b[i]) << (8 * (i - n))
	}
	v3 ^= last
	round()
	v0 ^= last
	v2 ^= 0xff
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
