package slot

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

// Count is the number of hash slots in a Redis Cluster (CLUSTER_SLOTS in src/cluster.h).
const Count = 16384

// mask keeps the low 14 bits of the CRC: slot = crc16 & 0x3FFF (keyHashSlot in src/cluster.c).
const mask = Count - 1

// crcTables holds CRC-16/XMODEM (poly 0x1021, init 0, not reflected) in slicing-by-16 form:
// crcTables[0] is the classic byte table of src/crc16.c, and crcTables[k][b] is the CRC of
// byte b followed by k zero bytes. Sixteen bytes then cost sixteen independent lookups
// instead of a chain of sixteen dependent ones (8 KiB, well inside a level-1 cache).
var crcTables = func() (t [16][256]uint16) {
	for b := range 256 {
		crc := uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[0][b] = crc
	}
	for k := 1; k < len(t); k++ {
		for b := range 256 {
			prev := t[k-1][b]
			t[k][b] = prev<<8 ^ t[0][prev>>8]
		}
	}
	return t
}()

// CRC16 returns the CRC-16/XMODEM checksum of b, the variant Redis Cluster uses
// (check value 0x31C3 for "123456789").
func CRC16(b []byte) uint16 { return crc16String(string(b)) }

// crc16String is CRC16 on a string, so that Of does not copy its key.
func crc16String(s string) uint16 {
	var crc uint16
	t := &crcTables
	for len(s) >= 8 {
		crc = t[7][s[0]^byte(crc>>8)] ^ t[6][s[1]^byte(crc)] ^
			t[5][s[2]] ^ t[4][s[3]] ^ t[3][s[4]] ^ t[2][s[5]] ^ t[1][s[6]] ^ t[0][s[7]]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ t[0][byte(crc>>8)^s[i]]
	}
	return crc
}

// Of returns the hash slot of key, exactly as CLUSTER KEYSLOT does: CRC-16/XMODEM of the
// key's hash tag, or of the whole key when it has none, masked to 14 bits.
//
// Most keys have no '{', so Of computes the CRC of the whole key and looks for '{' in the
// same pass, instead of scanning the key for a tag first and reading it again for the
// CRC: sixteen bytes at a time, two machine words tested for '{' and fed to the
// slicing-by-16 tables, then eight; then the last bytes in one step, each through the table of the zero bytes that
// follow it, so that they too are independent lookups rather than a chain. A key that has
// a '{' goes the tag path.
func Of(key string) int {
	t := &crcTables
	var crc uint16
	n := len(key)
	i := 0
	if n >= 8 {
		p := unsafe.Pointer(unsafe.StringData(key))
		for ; i+16 <= n; i += 16 {
			w, v := loadLE64(unsafe.Add(p, i)), loadLE64(unsafe.Add(p, i+8))
			if hasByte(w, '{') || hasByte(v, '{') {
				return ofTagged(key)
			}
			crc = t[15][byte(w)^byte(crc>>8)] ^ t[14][byte(w>>8)^byte(crc)] ^
				t[13][byte(w>>16)] ^ t[12][byte(w>>24)] ^ t[11][byte(w>>32)] ^ t[10][byte(w>>40)] ^ t[9][byte(w>>48)] ^ t[8][byte(w>>56)] ^
				t[7][byte(v)] ^ t[6][byte(v>>8)] ^ t[5][byte(v>>16)] ^ t[4][byte(v>>24)] ^ t[3][byte(v>>32)] ^ t[2][byte(v>>40)] ^ t[1][byte(v>>48)] ^ t[0][byte(v>>56)]
		}
		if i+8 <= n {
			w := loadLE64(unsafe.Add(p, i))
			if hasByte(w, '{') {
				return ofTagged(key)
			}
			crc = t[7][byte(w)^byte(crc>>8)] ^ t[6][byte(w>>8)^byte(crc)] ^
				t[5][byte(w>>16)] ^ t[4][byte(w>>24)] ^ t[3][byte(w>>32)] ^ t[2][byte(w>>40)] ^ t[1][byte(w>>48)] ^ t[0][byte(w>>56)]
			i += 8
		}
	}
	tail := key[i:]
	for j := 0; j < len(tail); j++ {
		if tail[j] == '{' {
			return ofTagged(key)
		}
	}
	switch r := len(tail); r {
	case 0:
	case 1:
		crc = crc<<8 ^ t[0][tail[0]^byte(crc>>8)]
	default:
		c := t[r-1][tail[0]^byte(crc>>8)] ^ t[r-2][tail[1]^byte(crc)]
		for j := 2; j < r; j++ {
			c ^= t[r-1-j][tail[j]]
		}
		crc = c
	}
	return int(crc & mask)
}

// ofTagged is Of for a key that has a '{'.
func ofTagged(key string) int { return int(crc16String(Tag(key)) & mask) }

// hasByte reports whether any of the eight bytes of w is b: the classic test for a zero
// byte, on w with b XORed into every byte.
func hasByte(w uint64, b byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	x := w ^ lo*uint64(b)
	return (x-lo)&^x&hi != 0
}

// loadLE64 reads eight bytes at p as a little-endian word.
func loadLE64(p unsafe.Pointer) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(p), 8))
}

// OfBytes is Of for a key held in a byte slice. It neither copies nor keeps key.
func OfBytes(key []byte) int { return Of(unsafe.String(unsafe.SliceData(key), len(key))) }

// Tag returns the part of key that Redis hashes to find its slot. Redis looks for the first
// '{' and the first '}' after it; when both exist with at least one byte between them, only
// those bytes are hashed ("{user1000}.following" hashes "user1000", "foo{{bar}}" hashes
// "{bar"). Otherwise, including for an empty tag "{}", the whole key is hashed.
func Tag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 { // no '}', or "{}" with nothing inside
		return key
	}
	return key[open+1 : open+1+end]
}
