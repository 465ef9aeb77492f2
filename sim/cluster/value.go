package cluster

import (
	"math/bits"
	"strconv"

	"github.com/kvplace/kvplace/internal/splitmix"
)

// Kinds of value a key holds.
const (
	kindString uint8 = iota
	kindHash
)

// A value is what a key holds: a string, or a hash written the way `load hash` writes one
// (fields field:1…field:N holding value:1…value:N), kept as its field count so that a
// hash of millions of fields costs the simulator a few words.
type value struct {
	kind uint8
	str  string // a string's bytes
	// fields is a hash's field count.
	fields int
	// presized is set for a hash whose table was sized for its length at once (read from
	// an RDB, restored by MIGRATE) rather than grown one HSET at a time: the two differ in
	// MEMORY USAGE, as on a real server.
	presized bool
	// scattered is set for a hash a script wrote while the node streamed to a replica: a
	// MIGRATE serializes and frees it more slowly (costs.scattered). A copy made by RESTORE,
	// an RDB or a replica's EXEC is not.
	scattered bool
}

func stringValue(s string) value { return value{kind: kindString, str: s} }

// typeName is what TYPE answers.
func (v value) typeName() string {
	if v.kind == kindHash {
		return "hash"
	}
	return "string"
}

// Redis 7.0's defaults and sizes (config.c, server.h, dict.h; x86-64).
const (
	hashMaxListpackEntries = 512 // hash-max-listpack-entries
	hashMaxListpackValue   = 64  // hash-max-listpack-value
	embstrSizeLimit        = 44  // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
	sizeofRobj             = 16
	sizeofDict             = 56
	sizeofDictEntry        = 24
	clusterEntryMetadata   = 16 // clusterDictEntryMetadata: the slot's key list links
	dictInitialSize        = 4  // DICT_HT_INITIAL_SIZE
)

// LoadHashScript is the script a runbook's `load hash KEY FIELDS` runs, with KEY its one
// key and FIELDS its one argument: it writes the hash one HSET at a time, as a loop of
// HSETs would, in one call. The simulator runs exactly this script and no other.
const LoadHashScript = "for i=1,tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'field:'..i, 'value:'..i) end"

// LoadString returns the n bytes a runbook's `load string KEY n` writes: letters and
// digits drawn from a fixed sequence, the same on every run and for every key. They do
// not compress, as most real payloads do not: RDB's LZF compression, which MIGRATE's DUMP
// payload goes through, would otherwise shrink a repeated byte to almost nothing and
// make its migration look cheap.
func LoadString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
	b := make([]byte, n)
	var x uint64
	for i := 0; i < n; i += 10 {
		x = splitmix.Mix64(uint64(i) + 0x6b7670)
		for j := i; j < min(i+10, n); j++ {
			b[j] = alphabet[x&63]
			x >>= 6
		}
	}
	return string(b)
}

// mallocSize is jemalloc 5.3's usable size for a request of n bytes (zmalloc_size), with
// the 16-byte quantum of the jemalloc Debian's redis-server links: 8, then 16, 32, 48 …
// 128, and from there four classes per doubling. (Redis's bundled jemalloc uses an 8-byte
// quantum, which differs only below 128 bytes, by at most 8.)
func mallocSize(n int) int {
	switch {
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	}
	// Classes between 2^k and 2^(k+1) are spaced 2^(k-2) apart.
	k := bits.Len(uint(n-1)) - 1
	step := 1 << (k - 2)
	return (n + step - 1) &^ (step - 1)
}

// sdsAlloc is the allocation of an sds string of length n (sdsnewlen: the smallest header
// that holds the length, the bytes and a terminating zero).
func sdsAlloc(n int) int {
	hdr := 9
	switch {
	case n < 32:
		hdr = 1
	case n < 256:
		hdr = 3
	case n < 1<<16:
		hdr = 5
	}
	return mallocSize(hdr + n + 1)
}

// isLongLong reports whether Redis would store s as an integer (string2l: at most 20
// bytes, no leading zeros or plus sign, within int64).
func isLongLong(s string) bool {
	if len(s) == 0 || len(s) > 20 || (len(s) > 1 && s[0] == '0') || s[0] == '+' {
		return false
	}
	if s == "-" || (len(s) > 1 && s[0] == '-' && s[1] == '0') {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// encoding is what OBJECT ENCODING answers.
func (v value) encoding() string {
	if v.kind == kindHash {
		if v.listpack() {
			return "listpack"
		}
		return "hashtable"
	}
	switch {
	case isLongLong(v.str):
		return "int"
	case len(v.str) <= embstrSizeLimit:
		return "embstr"
	}
	return "raw"
}

func (v value) listpack() bool {
	return v.fields <= hashMaxListpackEntries && len(hashValue(v.fields)) <= hashMaxListpackValue
}

func hashField(i int) string { return "field:" + strconv.Itoa(i) }
func hashValue(i int) string { return "value:" + strconv.Itoa(i) }

// memoryUsage is MEMORY USAGE's answer for key holding v in a cluster node's database
// (memoryCommand and objectComputeSize): the value object, the key's sds, and its
// dictionary entry with the cluster's slot metadata. A hash table's elements are costed
// from a sample, as Redis's default of five samples does; here every element of a
// `load hash` hash has the same allocation sizes, so the sample is exact.
func memoryUsage(key string, v value) int64 {
	return objectSize(v) + int64(sdsAlloc(len(key))+sizeofDictEntry+clusterEntryMetadata)
}

func objectSize(v value) int64 {
	if v.kind == kindString {
		switch v.encoding() {
		case "int":
			return sizeofRobj
		case "embstr":
			return int64(mallocSize(sizeofRobj + 3 + len(v.str) + 1))
		}
		return sizeofRobj + int64(sdsAlloc(len(v.str)))
	}
	n := v.fields
	if v.listpack() {
		return sizeofRobj + int64(mallocSize(listpackBytes(n)))
	}
	elem := int64(sdsAlloc(len(hashField(n))) + sdsAlloc(len(hashValue(n))) + sizeofDictEntry)
	return sizeofRobj + sizeofDict + 8*hashSlots(n, v.presized) + elem*int64(n)
}

// listpackBytes is the size of a listpack holding hash fields 1..n and their values: a
// 6-byte header, each string entry as its encoding byte(s), its bytes and its back
// length, and the end byte (listpack.c).
func listpackBytes(n int) int {
	size := 6 + 1
	for i := 1; i <= n; i++ {
		size += lpEntry(len(hashField(i))) + lpEntry(len(hashValue(i)))
	}
	return size
}

func lpEntry(l int) int {
	enc := 1 // LP_ENCODING_6BIT_STR
	if l >= 64 {
		enc = 2 // LP_ENCODING_12BIT_STR
	}
	body := enc + l
	back := 1
	for x := body >> 7; x > 0; x >>= 7 {
		back++
	}
	return body + back
}

// hashSlots is the bucket count of a hash table holding n fields. Presized, it is the
// power of two that holds them (dictExpand on load). Grown one HSET at a time, the table
// was made at the conversion from listpack for 513 entries and doubled each time it
// filled (_dictExpandIfNeeded), and right after a doubling both tables are counted until
// incremental rehashing has moved every bucket: each HSET looks the field up and adds it,
// two rehash steps, and about 1 − 1/e of the old table's buckets hold entries to move.
func hashSlots(n int, presized bool) int64 {
	if presized {
		return int64(nextPower(n))
	}
	size := nextPower(hashMaxListpackEntries + 1)
	for n > size {
		size *= 2
	}
	old := size / 2
	if old >= nextPower(hashMaxListpackEntries+1) && 2*(n-old) < old*632/1000 {
		return int64(size + old)
	}
	return int64(size)
}

func nextPower(n int) int {
	s := dictInitialSize
	for s < n {
		s *= 2
	}
	return s
}

// populateValue is the value DEBUG POPULATE gives its j-th key: "value:j", or with a size,
// that many bytes starting with as much of "value:j" as fits, the rest zeros.
func populateValue(j, size int) string {
	s := "value:" + strconv.Itoa(j)
	if size == 0 {
		return s
	}
	b := make([]byte, size)
	copy(b, s)
	return string(b)
}
