package sim

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/kvplace/kvplace/internal/splitmix"
)

// A Stream is a named source of random numbers: a counter run through SplitMix64, keyed
// by a hash of the run's root seed and the stream's name. Two streams with different
// names are independent, and a stream's draws depend only on the seed, its name and how
// many draws it has made, so adding a node or a link never changes what another draws.
// A Stream is 16 bytes and never allocates.
type Stream struct {
	key, n uint64
}

// NewStream returns the stream called name under the root seed.
func NewStream(seed uint64, name string) Stream {
	return Stream{key: Mix64(seed ^ hashString(name))}
}

// hashString is FNV-1a 64 of s, finished with a mixer.
func hashString(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return Mix64(h)
}

// Mix64 is SplitMix64's finalizer: a bijection of uint64 with good avalanche, for
// deriving well-spread numbers from counters and seeds.
func Mix64(x uint64) uint64 { return splitmix.Mix64(x) }

// Uint64 returns the next 64 random bits.
func (s *Stream) Uint64() uint64 {
	s.n++
	return Mix64(s.key + s.n*0x9e3779b97f4a7c15)
}

// Float64 returns a number in [0, 1).
func (s *Stream) Float64() float64 { return float64(s.Uint64()>>11) / (1 << 53) }

// IntN returns a number in [0, n); n must be positive.
func (s *Stream) IntN(n int) int {
	if n <= 0 {
		panic("sim: Stream.IntN with n <= 0")
	}
	hi, _ := bits.Mul64(s.Uint64(), uint64(n)) // Lemire's multiply-shift; bias < n/2^64
	return int(hi)
}

// Chance returns true with probability p.
func (s *Stream) Chance(p float64) bool { return p > 0 && s.Float64() < p }

// NormFloat64 returns a standard normal deviate (Box–Muller).
func (s *Stream) NormFloat64() float64 {
	u := 1 - s.Float64() // (0, 1]
	v := s.Float64()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// Draws returns how many numbers the stream has produced.
func (s *Stream) Draws() uint64 { return s.n }

// Rand returns a *rand.Rand drawing from s, for code that wants math/rand/v2's helpers
// (Perm, Shuffle...). It shares s's position: draws through either advance both.
func (s *Stream) Rand() *rand.Rand { return rand.New(s) }
