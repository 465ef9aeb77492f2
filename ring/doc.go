// Package ring is consistent hashing with virtual nodes (Karger et al. 1997): members place
// points on a 64-bit circle and own the keys that hash onto the arcs ending at their
// points. Adding a member moves keys only to it, and removing one moves only its keys.
//
//	r, _ := ring.New([]string{"a", "b", "c"}, ring.Config{VNodes: 160})
//	r.Owner("k1")           // one of a, b, c; no allocation
//	r.Successors("k1", 2)   // the owner and where a replica goes
//	r2, _ := r.Join("d")    // a new ring; keys move only to d
//
// With V points per member a member's share of the keys has a relative standard deviation
// of about 1/√V: 0.315, 0.0997, 0.0316 for V = 10, 100, 1000 (Lamping and Veach 2014).
// Weights scale a member's points, and Bounded adds load bounds. Config.Probes makes the ring
// multi-probe (Appleton and O'Reilly 2015): a key is looked up at several positions and
// taken by the nearest point after any of them, which evens shares out without more points,
// at the price of a search per probe: at one point per member, 21 probes give the σ/mean
// of about 50 points.
//
// Lookups use a jump table over the high bits of the hash, so Owner costs one hash and
// about one probe whatever the size of the ring.
package ring
