package slot

import (
	"strings"
	"unsafe"
)

// Count is the number of hash slots in a Redis Cluster (CLUSTER_SLOTS in src/cluster.h).
const Count = 16384

// mask keeps the low 14 bits of the CRC: slot = crc16 & 0x3FFF (keyHashSlot in src/cluster.c).
const mask = Count - 1

// crcTables holds CRC-16/XMODEM (poly 0x1021, init 0, not reflected) in slicing-by-8 form:
// crcTables[0] is the classic byte table of src/crc16.c, and crcTables[k][b] is the CRC of
// byte b followed by k zero bytes. Eight bytes then cost eight independent lookups instead
// of a chain of eight dependent ones.
var crcTables = func() (t [8][256]uint16) {
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
	for k := 1; k < 8; k++ {
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
func Of(key string) int { return int(crc16String(Tag(key)) & mask) }

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
