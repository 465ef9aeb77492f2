// Package splitmix holds SplitMix64's finalizer, which the simulator's random streams and
// trace and the ring's probes share.
package splitmix

// Mix64 is SplitMix64's finalizer (Steele, Lea and Flood, "Fast Splittable Pseudorandom
// Number Generators", 2014): a bijection of uint64 with good avalanche, for deriving
// well-spread numbers from counters and seeds.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
