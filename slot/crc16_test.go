package slot_test

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kvplace/kvplace/slot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// bitwiseCRC16 is CRC-16/XMODEM one bit at a time, the definition the tables must agree with.
func bitwiseCRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func TestCRC16CheckValue(t *testing.T) {
	// The catalogued check value of CRC-16/XMODEM, also quoted in src/crc16.c.
	assert.Equal(t, uint16(0x31C3), slot.CRC16([]byte("123456789")))
	assert.Equal(t, uint16(0), slot.CRC16(nil))
}

func TestCRC16MatchesBitwise(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "bytes")
		if got, want := slot.CRC16(b), bitwiseCRC16(b); got != want {
			t.Fatalf("CRC16(%x) = %#04x, bitwise %#04x", b, got, want)
		}
	})
}

func TestOfKnownKeys(t *testing.T) {
	for key, want := range map[string]int{
		// The seed tutorial: MOVED 12706 for k1, redirected to slot 449 for k2.
		"k1": 12706,
		"k2": 449,
		// research/redis_cluster.md §1.2, computed with Redis's algorithm.
		"foo":                  12182,
		"bar":                  5061,
		"hello":                866,
		"{user1000}.following": 3443,
		"{user1000}.followers": 3443,
		"foo{bar}{zap}":        5061,
		"{foo}bar":             12182,
		"foo{}{bar}":           8363,
		"foo{{bar}}zap":        4015,
		"key9184688":           10923, // tests/unit/cluster/cli.tcl: first slot of node 3
		// go-redis internal/hashtag tests.
		"123456789": 12739,
		"{}foo":     9500,
		"foo{}":     5542,
	} {
		assert.Equal(t, want, slot.Of(key), "slot.Of(%q)", key)
		assert.Equal(t, want, slot.OfBytes([]byte(key)), "slot.OfBytes(%q)", key)
	}
}

func TestTag(t *testing.T) {
	for key, want := range map[string]string{
		"":                     "",
		"plain":                "plain",
		"{user1000}.following": "user1000",
		"foo{}{bar}":           "foo{}{bar}", // empty first tag: the whole key, no second look
		"foo{{bar}}zap":        "{bar",
		"foo{bar":              "foo{bar", // no closing brace
		"foo}bar{":             "foo}bar{",
		"a{b}c{d}":             "b",
		"{":                    "{",
		"{}":                   "{}",
		"{x}":                  "x",
	} {
		assert.Equal(t, want, slot.Tag(key), "slot.Tag(%q)", key)
	}
}

// TestOfMatchesRealKeyslotVectors checks every line of reference/keyslot-vectors.txt: hex
// keys (empty, binary, hash tags) and the slot a real Redis 7.0.15 CLUSTER KEYSLOT gave.
func TestOfMatchesRealKeyslotVectors(t *testing.T) {
	f, err := os.Open("testdata/keyslot-vectors.txt")
	require.NoError(t, err)
	defer f.Close()
	lines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		require.GreaterOrEqual(t, i, 0, "line %d: %q", lines+1, line)
		key, err := hex.DecodeString(line[:i])
		require.NoError(t, err, "line %d", lines+1)
		want, err := strconv.Atoi(line[i+1:])
		require.NoError(t, err, "line %d", lines+1)
		require.Equal(t, want, slot.OfBytes(key), "line %d: key %q", lines+1, key)
		lines++
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 5000, lines)
}

func TestOfStaysInRange(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.String().Draw(t, "key")
		if s := slot.Of(key); s < 0 || s >= slot.Count {
			t.Fatalf("slot.Of(%q) = %d, outside [0, %d)", key, s, slot.Count)
		}
	})
}

func TestOfAllocatesNothing(t *testing.T) {
	b := []byte("user:{42}:profile")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = slot.OfBytes(b) }))
}

// refSlot is CLUSTER KEYSLOT by its definition: the tag rule, then CRC-16 bit by bit.
func refSlot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	return int(bitwiseCRC16([]byte(key)) & 0x3FFF)
}

// TestOfMatchesDefinition: the fused tag scan and slicing-by-16 CRC agree with the
// definition for keys of every length, with braces anywhere (before, inside or after
// the first 16- and 8-byte words, and in the last bytes).
func TestOfMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alphabet := rapid.SampledFrom([]byte("ab{}\x00\xff7"))
		key := string(rapid.SliceOfN(alphabet, 0, 70).Draw(t, "key"))
		if got, want := slot.Of(key), refSlot(key); got != want {
			t.Fatalf("Of(%q) = %d, want %d", key, got, want)
		}
		if got, want := slot.OfBytes([]byte(key)), refSlot(key); got != want {
			t.Fatalf("OfBytes(%q) = %d, want %d", key, got, want)
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.String().Draw(t, "key")
		if got, want := slot.Of(key), refSlot(key); got != want {
			t.Fatalf("Of(%q) = %d, want %d", key, got, want)
		}
	})
}
