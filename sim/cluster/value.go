package cluster

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/kvplace/kvplace/internal/splitmix"
)

// Kinds of value a key holds: a string, or one of the collections a runbook's `load`
// writes one element at a time (hash, list, set, zset).
const (
	kindString uint8 = iota
	kindHash
	kindList
	kindSet
	kindZset
	numKinds
)

// kindNames are what TYPE answers for each kind, and the words `load` takes.
var kindNames = [numKinds]string{"string", "hash", "list", "set", "zset"}

// A value is what a key holds: a string, or a collection written the way `load` writes
// one (LoadScripts: elements 1…N, each from its index), kept as its element count so that
// a collection of millions of elements costs the simulator a few words.
type value struct {
	kind uint8
	str  string // a string's bytes
	// elems is a collection's element count: a hash's fields, a list's, set's or sorted
	// set's members.
	elems int
	// presized is set for a collection whose table was sized for its length at once (read
	// from an RDB, restored by MIGRATE) rather than grown one write at a time: the two
	// differ in MEMORY USAGE, as on a real server.
	presized bool
	// scattered is set for a hash a script wrote while the node streamed to a replica: a
	// MIGRATE serializes and frees it more slowly (costs.scattered). A copy made by RESTORE,
	// an RDB or a replica's EXEC is not.
	scattered bool
	// heights keys the random heights zslRandomLevel gave a skiplist's nodes (level), which
	// MEMORY USAGE samples. It is drawn from the node's stream the first time they are
	// sampled, and is 0 until then; a skiplist built anew (converted from a listpack,
	// restored, read from an RDB, or a replica's own copy) starts undrawn, as its heights
	// are new.
	heights uint64
}

func stringValue(s string) value { return value{kind: kindString, str: s} }

// typeName is what TYPE answers.
func (v value) typeName() string { return kindNames[v.kind] }

// LoadScripts are the scripts a runbook's `load KIND KEY N` runs for each collection kind,
// with KEY their one key and N their one argument: each makes the collection hold
// elements 1…N, one write each, as a loop of those writes would, in one call. A hash gets
// fields field:i holding value:i (HSET), a list the values value:i pushed in order (RPUSH
// from its length on, so that loading again grows it as it does the others), a set the
// members member:i (SADD), a sorted set the members member:i scored i (ZADD). The
// simulator runs exactly these scripts and no other.
var LoadScripts = map[string]string{
	"hash": LoadHashScript,
	"list": "for i=redis.call('LLEN', KEYS[1])+1,tonumber(ARGV[1]) do redis.call('RPUSH', KEYS[1], 'value:'..i) end",
	"set":  "for i=1,tonumber(ARGV[1]) do redis.call('SADD', KEYS[1], 'member:'..i) end",
	"zset": "for i=1,tonumber(ARGV[1]) do redis.call('ZADD', KEYS[1], i, 'member:'..i) end",
}

// elemCommand is the write that adds one element of a collection of kind k.
var elemCommand = [numKinds]string{kindHash: "HSET", kindList: "RPUSH", kindSet: "SADD", kindZset: "ZADD"}

func setMember(i int) string { return "member:" + strconv.Itoa(i) }

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
	switch v.kind {
	case kindString:
		switch {
		case isLongLong(v.str):
			return "int"
		case len(v.str) <= embstrSizeLimit:
			return "embstr"
		}
		return "raw"
	case kindList:
		return "quicklist" // every list, in 7.0; listpack lists came in 7.2
	case kindSet:
		return "hashtable" // member:i is not an integer, so never an intset
	case kindZset:
		if v.listpack() {
			return "listpack"
		}
		return "skiplist"
	}
	if v.listpack() {
		return "listpack"
	}
	return "hashtable"
}

// listpack reports whether v is a hash or a sorted set small enough to be kept as one
// listpack (hash-max-listpack-entries and -value; zset-max-listpack-entries and -value).
// Lists are listpacks inside a quicklist, and are not counted here.
func (v value) listpack() bool {
	switch v.kind {
	case kindHash:
		return v.elems <= hashMaxListpackEntries && len(hashValue(v.elems)) <= hashMaxListpackValue
	case kindZset:
		return v.elems <= zsetMaxListpackEntries && len(setMember(v.elems)) <= zsetMaxListpackValue
	}
	return false
}

func hashField(i int) string { return "field:" + strconv.Itoa(i) }
func hashValue(i int) string { return "value:" + strconv.Itoa(i) }

// memoryUsage is MEMORY USAGE's answer for key holding v in a cluster node's database
// (memoryCommand and objectComputeSize), sampling as SAMPLES samples does (0 for every
// element): the value object, the key's sds, and its dictionary entry with the cluster's
// slot metadata. A hash table's elements are costed from a sample, as Redis does; here
// every element of a `load hash` hash has the same allocation sizes, so the sample is
// exact. A skiplist's is not: see objectSize.
func memoryUsage(key string, v value, samples int) int64 {
	return objectSize(v, samples) + keyEntrySize(key)
}

// keyEntrySize is what MEMORY USAGE adds to the value's size for its key: the key's sds and
// its dictionary entry with the cluster's slot metadata.
func keyEntrySize(key string) int64 {
	return int64(sdsAlloc(len(key)) + sizeofDictEntry + clusterEntryMetadata)
}

// defaultSamples is MEMORY USAGE's SAMPLES when none is given (OBJ_COMPUTE_SIZE_DEF_SAMPLES).
const defaultSamples = 5

func objectSize(v value, samples int) int64 {
	n := v.elems
	if samples == 0 || samples > n {
		samples = n
	}
	switch {
	case v.kind == kindString:
		switch v.encoding() {
		case "int":
			return sizeofRobj
		case "embstr":
			return int64(mallocSize(sizeofRobj + 3 + len(v.str) + 1))
		}
		return sizeofRobj + int64(sdsAlloc(len(v.str)))
	case v.listpack():
		return sizeofRobj + int64(mallocSize(listpackBytes(v)))
	case v.kind == kindList:
		return sizeofRobj + sizeofQuicklist + quicklistNodesSize(n, samples)
	case v.kind == kindSet:
		// Grown one SADD at a time, which rehashes one bucket per add (dictAddRaw).
		elem := int64(sdsAlloc(len(setMember(n))) + sizeofDictEntry)
		return sizeofRobj + sizeofDict + 8*tableSlots(n, v.presized, 1) + elem*int64(n)
	case v.kind == kindZset:
		return skiplistSize(v, samples, v.level)
	}
	elem := int64(sdsAlloc(len(hashField(n))) + sdsAlloc(len(hashValue(n))) + sizeofDictEntry)
	return sizeofRobj + sizeofDict + 8*hashSlots(n, v.presized) + elem*int64(n)
}

// skiplistSize is objectSize for a skiplist, sampling its first samples nodes, of which
// level(i) gives the i-th's height.
func skiplistSize(v value, samples int, level func(i int) int) int64 {
	// The nodes are sampled from the lowest score up, members 1, 2, …: each its member's
	// sds, its dict entry and its node.
	elesize := 0
	for i := 1; i <= samples; i++ {
		elesize += sdsAlloc(len(setMember(i))) + sizeofDictEntry + mallocSize(skiplistNode(level(i)))
	}
	// zslCreate's header is a node at every level. ZADD to a skiplist looks the member up
	// and then adds it: two rehash steps.
	fixed := sizeofRobj + sizeofZset + sizeofZskiplist + sizeofDict + int64(mallocSize(skiplistNode(zskiplistMaxLevel))) +
		8*tableSlots(v.elems, v.presized, 2)
	// asize += (double)elesize/samples*dictSize(d), truncated back to a size_t.
	return int64(float64(fixed) + float64(elesize)/float64(samples)*float64(v.elems))
}

// skiplistNode is the size of a skiplist node of the given height: the member, score and
// backward pointer, and a forward pointer and span per level (zslCreateNode).
func skiplistNode(level int) int { return 24 + 16*level }

// level is the height zslRandomLevel gave the skiplist's i-th node (from 1, in score
// order): one more level while random() < ZSKIPLIST_P*RAND_MAX, up to ZSKIPLIST_MAXLEVEL.
// The draws come from v.heights, so a node keeps its height however often it is sampled.
func (v value) level(i int) int {
	const threshold = 536870911 // (int)(0.25 * 2147483647)
	level := 1
	for d := uint64(0); level < zskiplistMaxLevel; d++ {
		r := splitmix.Mix64(v.heights ^ splitmix.Mix64(uint64(i)<<8|d/2))
		if d%2 == 1 {
			r >>= 32
		}
		if r&0x7fffffff >= threshold { // random() is 31 bits
			break
		}
		level++
	}
	return level
}

// skiplist reports whether v is a sorted set kept as a skiplist, whose nodes have heights.
func (v value) skiplist() bool { return v.kind == kindZset && !v.listpack() }

// Sizes of the structures behind lists and sorted sets (quicklist.h, server.h; x86-64).
const (
	sizeofQuicklist     = 40 // head, tail, count, len and the bit fields
	sizeofQuicklistNode = 40 // prev, next, entry, sz and the bit fields
	sizeofZset          = 16
	sizeofZskiplist     = 32
	// listMaxListpackSize is list-max-listpack-size's default, -2: a quicklist node's
	// listpack grows to 8 kB (optimization_level[1]), and takes an element while its size,
	// the element's length and SIZE_ESTIMATE_OVERHEAD (8) stay within it.
	listMaxListpackSize    = 8192
	sizeEstimateOverhead   = 8
	zsetMaxListpackEntries = 128 // zset-max-listpack-entries
	zsetMaxListpackValue   = 64  // zset-max-listpack-value
	zskiplistMaxLevel      = 32  // ZSKIPLIST_MAXLEVEL
)

// quicklistNodesSize is what objectComputeSize counts for the nodes of a list of n
// elements (quicklistNodes): the average of the first samples nodes, each its struct and
// its listpack's allocation, times the number of nodes.
func quicklistNodesSize(n, samples int) int64 {
	sum, sampled, nodes := 0, 0, 0
	quicklistNodes(n, func(lp int) {
		if sampled < samples {
			sum += sizeofQuicklistNode + mallocSize(lp)
			sampled++
		}
		nodes++
	})
	if nodes == 0 {
		return 0
	}
	return int64(float64(sum) / float64(sampled) * float64(nodes))
}

// quicklistNodes calls node with the listpack size of each node, in order, of a list of
// the values value:1…value:n pushed one at a time: RPUSH opens a new node when the last
// one cannot take the value (_quicklistNodeAllowInsert).
func quicklistNodes(n int, node func(lpBytes int)) {
	lp := 0 // the bytes of the last node's listpack
	for i := 1; i <= n; i++ {
		l := 6 + digits(i) // value:i
		if lp == 0 || lp+l+sizeEstimateOverhead > listMaxListpackSize {
			if lp > 0 {
				node(lp)
			}
			lp = 7 // an empty listpack: its header and its end byte
		}
		lp += lpEntry(l)
	}
	if lp > 0 {
		node(lp)
	}
}

// tableSlots is dictSlots, the buckets MEMORY USAGE counts, of the hash table of a set or
// a sorted set of n members. Presized (loaded from an RDB or a RESTORE payload), it is
// the power of two that holds them. Grown one add at a time, the table doubled when it
// was full (_dictExpandIfNeeded), and right after a doubling both tables are counted
// until incremental rehashing has moved every non-empty bucket of the old one, steps a
// write (one for SADD, two for ZADD: a lookup and an add).
func tableSlots(n int, presized bool, steps int) int64 {
	size := nextPower(n)
	old := size / 2
	if presized || old < dictInitialSize {
		return int64(size)
	}
	// The add that found the old table full expanded it; the adds after it rehashed.
	if float64(steps*(n-old-1)) < nonEmptyBuckets(old) {
		return int64(size + old)
	}
	return int64(size)
}

// nonEmptyBuckets is the expected number of buckets that hold an entry, in a table of
// size buckets holding size entries spread by a good hash.
func nonEmptyBuckets(size int) float64 {
	return float64(size) * (1 - math.Pow(1-1/float64(size), float64(size)))
}

// listpackBytes is the size of the listpack of a hash (fields 1..n and their values) or a
// sorted set (members 1..n, each followed by its score, an integer): a 6-byte header,
// each entry as its encoding byte(s), its bytes and its back length, and the end byte
// (listpack.c).
func listpackBytes(v value) int {
	size := 6 + 1
	for i := 1; i <= v.elems; i++ {
		if v.kind == kindZset {
			size += lpEntry(len(setMember(i))) + lpIntEntry(int64(i))
			continue
		}
		size += lpEntry(len(hashField(i))) + lpEntry(len(hashValue(i)))
	}
	return size
}

// lpIntEntry is the size of an integer entry (lpEncodeIntegerGetType), its back length
// included.
func lpIntEntry(x int64) int {
	switch {
	case x >= 0 && x <= 127:
		return 2
	case x >= -4096 && x <= 4095:
		return 3
	case x >= -1<<15 && x < 1<<15:
		return 4
	case x >= -1<<23 && x < 1<<23:
		return 5
	case x >= -1<<31 && x < 1<<31:
		return 6
	}
	return 10
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
