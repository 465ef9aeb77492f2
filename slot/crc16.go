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

// crcTab points at crcTables. Reading the tables through a pointer variable, rather than
// through the global's address, lets the compiler keep the base in a register, so that
// each lookup is one instruction (base + k×512 + 2×byte) instead of two.
var crcTab = &crcTables

// Of returns the hash slot of key, exactly as CLUSTER KEYSLOT does: CRC-16/XMODEM of the
// key's hash tag, or of the whole key when it has none, masked to 14 bits.
//
// Most keys have no '{', so Of computes the CRC of the whole key and looks for '{' in the
// same pass, instead of scanning the key for a tag first and reading it again for the
// CRC. A key that has a '{' goes the tag path. Keys shorter than eight bytes go a byte
// at a time. Longer ones go sixteen bytes at a time, then eight, then the last zero to
// seven bytes in one step:
//   - each group of bytes is tested for '{' as machine words (the last bytes as the top of
//     the key's last word, which may overlap bytes already hashed);
//   - each byte is read from memory and looked up in the table of the zero bytes that
//     follow it in its group (slicing-by-16), so the lookups are independent of each
//     other and only the first two of a group depend on the CRC so far;
//   - the lookups are XORed as a balanced tree, not a left-to-right chain, so that a
//     group's result is a few XORs deep.
func Of(key string) int {
	n := len(key)
	// Declared here, ahead of every goto tagged. The key's bytes are read through array
	// pointers at offsets the loops keep in range: with no bounds checks left, Of calls
	// nothing and runs without a stack frame, a saving every key gets.
	var (
		crc uint16
		i   int
		t   = crcTab
		p   = unsafe.Pointer(unsafe.StringData(key))
	)
	if n < 8 {
		for i := 0; i < n; i++ {
			c := key[i]
			if c == '{' {
				goto tagged
			}
			crc = crc<<8 ^ crcTables[0][c^byte(crc>>8)]
		}
		return int(crc & mask)
	}
	for ; i+16 <= n; i += 16 {
		b := (*[16]byte)(unsafe.Add(p, i))
		if hasByte(le64(b[:8]), '{') || hasByte(le64(b[8:]), '{') {
			goto tagged
		}
		crc = (t[15][b[0]^byte(crc>>8)] ^ t[14][b[1]^byte(crc)]) ^
			(((t[13][b[2]] ^ t[12][b[3]]) ^ (t[11][b[4]] ^ t[10][b[5]])) ^
				((t[9][b[6]] ^ t[8][b[7]]) ^ (t[7][b[8]] ^ t[6][b[9]])) ^
				((t[5][b[10]] ^ t[4][b[11]]) ^ (t[3][b[12]] ^ t[2][b[13]])) ^
				(t[1][b[14]] ^ t[0][b[15]]))
	}
	if i+8 <= n {
		b := (*[8]byte)(unsafe.Add(p, i))
		if hasByte(le64(b[:]), '{') {
			goto tagged
		}
		crc = (t[7][b[0]^byte(crc>>8)] ^ t[6][b[1]^byte(crc)]) ^
			(((t[5][b[2]] ^ t[4][b[3]]) ^ (t[3][b[4]] ^ t[2][b[5]])) ^ (t[1][b[6]] ^ t[0][b[7]]))
		i += 8
	}
	// The last r < 8 bytes are the top r of the key's last eight, e[8-r:].
	if r := uint(n - i); r > 0 {
		e := (*[8]byte)(unsafe.Add(p, n-8))
		if hasByte(le64(e[:])>>((8-r)*8), '{') {
			goto tagged
		}
		switch r {
		case 1:
			crc = crc<<8 ^ t[0][e[7]^byte(crc>>8)]
		case 2:
			crc = t[1][e[6]^byte(crc>>8)] ^ t[0][e[7]^byte(crc)]
		case 3:
			crc = (t[2][e[5]^byte(crc>>8)] ^ t[1][e[6]^byte(crc)]) ^ t[0][e[7]]
		case 4:
			crc = (t[3][e[4]^byte(crc>>8)] ^ t[2][e[5]^byte(crc)]) ^ (t[1][e[6]] ^ t[0][e[7]])
		case 5:
			crc = (t[4][e[3]^byte(crc>>8)] ^ t[3][e[4]^byte(crc)]) ^ (t[2][e[5]] ^ t[1][e[6]] ^ t[0][e[7]])
		case 6:
			crc = (t[5][e[2]^byte(crc>>8)] ^ t[4][e[3]^byte(crc)]) ^
				((t[3][e[4]] ^ t[2][e[5]]) ^ (t[1][e[6]] ^ t[0][e[7]]))
		case 7:
			crc = (t[6][e[1]^byte(crc>>8)] ^ t[5][e[2]^byte(crc)]) ^
				((t[4][e[3]] ^ t[3][e[4]]) ^ (t[2][e[5]] ^ t[1][e[6]] ^ t[0][e[7]]))
		}
	}
	return int(crc & mask)

tagged:
	// A '{': hash the tag, or the whole key when it has none (see Tag), a byte at a time.
	lo, hi := 0, n
	for i := 0; i < n; i++ {
		if key[i] == '{' {
			for j := i + 1; j < n; j++ {
				if key[j] == '}' {
					if j > i+1 {
						lo, hi = i+1, j
					}
					break
				}
			}
			break
		}
	}
	crc = 0
	for k := lo; k < hi; k++ {
		crc = crc<<8 ^ crcTables[0][*(*byte)(unsafe.Add(p, k))^byte(crc>>8)]
	}
	return int(crc & mask)
}

// le64 reads eight bytes as a little-endian word.
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// hasByte reports whether any of the eight bytes of w is b: the classic test for a zero
// byte, on w with b XORed into every byte.
func hasByte(w uint64, b byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	x := w ^ lo*uint64(b)
	return (x-lo)&^x&hi != 0
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
