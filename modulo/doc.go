// Package modulo is the simplest key placement, hash(key) % N: even, stateless, and the
// worst possible on membership changes, since going from N to N+1 members moves N/(N+1) of
// the keys (1 − min(N,M)/lcm(N,M) from N to M).
//
//	m, _ := modulo.New([]string{"a", "b", "c"}, nil)
//	m.Owner("k1")
//
// It uses the same default hash as package ring (xxHash64), so comparisons between the two
// measure the scheme, not the hash.
package modulo
