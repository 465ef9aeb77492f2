package ring

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/cespare/xxhash/v2"
	"github.com/kvplace/kvplace/internal/splitmix"
)

// maxPoints bounds the size of a ring (points are 12 bytes each, plus the jump table).
const maxPoints = 1 << 26

// Config describes a ring.
type Config struct {
	// VNodes is the number of points (virtual nodes) a member of weight 1 places on the
	// ring. A member's share of the keyspace varies with a relative standard deviation of
	// about 1/√VNodes. It must be at least 1.
	VNodes int

	// Weights optionally sets members' weights; a member not listed weighs 1. A member of
	// weight w places round(w·VNodes) points (at least one if w > 0), so its expected share
	// is proportional to w. A weight of 0 keeps a member on the ring with no keys.
	Weights map[string]float64

	// Hash is the 64-bit hash of keys and of points; nil means xxHash64. Point j of member
	// m is at Hash(m + "-" + decimal(j)), an encoding in which no two points of different
	// members can share a name. A custom hash lets tests place points by hand.
	Hash func(string) uint64

	// Probes, when above 1, makes the ring multi-probe (Appleton and O'Reilly, "Multi-Probe
	// Consistent Hashing", 2015): a key is looked up at Probes positions, its hash h and
	// Probes-1 more drawn from it (probe i is at Mix(h + i·φ), φ = 2^64/golden ratio, Mix the
	// SplitMix64 finaliser), and goes to the point nearest clockwise to any of them. A point
	// after a long arc then catches fewer keys than its arc holds, and one after a short arc
	// more, so shares even out: at one point per member of 100 to 1000, σ/mean falls from
	// about 1 to 0.6, 0.33, 0.2 and 0.14 at 2, 5, 11 and 21 probes, where 1/√V points would
	// need V = 3, 9, 25 and 50, and the busiest member carries about 1 + 1/(Probes−1) times
	// the mean (1.05 at 21; what is left of the spread is members whose point follows a very
	// short arc, which carry less). The ring's memory stays that of its points; each lookup
	// costs Probes searches. Adding a member still moves keys only to it, and removing one
	// only its keys; weights still scale shares, through the points. 0 or 1 is the classic
	// ring.
	Probes int
}

// A Ring is a consistent-hash ring: each member owns the keys whose hash falls on the arc
// ending at one of its points, walking clockwise. It is immutable; Join and Leave build new
// rings, and the keys that move are those whose owner differs.
//
// The ring depends only on the set of members, never on the order they were given or
// added: points that hash equal are ordered by member name, then point number.
type Ring struct {
	cfg     Config
	members []string  // sorted
	weights []float64 // weights[i] is members[i]'s
	points  []uint64  // sorted point hashes
	scan    []uint64  // points and a MaxUint64 sentinel after them, in the same array
	owners  []uint32  // owners[p] is the member index of points[p]; owners[len(points)] is owners[0]
	ends    []uint64  // points and, after them, points[0]: the point a slot ends at (see slot)
	jump    []uint32  // jump[b] = first p with points[p]>>shift >= b; len 2^k+1
	shift   uint
	xx      bool // cfg.Hash is the default, xxHash64
	probes  int  // cfg.Probes, at least 1
}

// New builds a ring of members.
func New(members []string, cfg Config) (*Ring, error) {
	if len(members) == 0 {
		return nil, errors.New("ring: no members")
	}
	if cfg.VNodes < 1 {
		return nil, fmt.Errorf("ring: VNodes is %d: each member needs at least one virtual node", cfg.VNodes)
	}
	if cfg.Probes < 0 {
		return nil, fmt.Errorf("ring: Probes is %d: it must be at least 0 (0 and 1 both mean one position a key)", cfg.Probes)
	}
	if len(members) > math.MaxUint32 {
		return nil, fmt.Errorf("ring: %d members is too many", len(members))
	}
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	for i, m := range sorted {
		if m == "" {
			return nil, errors.New("ring: a member has an empty name")
		}
		if i > 0 && sorted[i-1] == m {
			return nil, fmt.Errorf("ring: member %q is given twice", m)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Weights)) {
		if _, found := slices.BinarySearch(sorted, name); !found {
			return nil, fmt.Errorf("ring: a weight is given for %q, which is not a member", name)
		}
	}
	r := &Ring{cfg: cfg, members: sorted, weights: make([]float64, len(sorted)), probes: max(cfg.Probes, 1)}
	r.cfg.Weights = maps.Clone(cfg.Weights)
	if r.cfg.Hash == nil {
		r.cfg.Hash, r.xx = xxhash.Sum64String, true
	}
	total, positive := 0, false
	for i, m := range sorted {
		w, ok := cfg.Weights[m]
		if !ok {
			w = 1
		}
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return nil, fmt.Errorf("ring: the weight of %q is %v: weights must be finite and at least 0", m, w)
		}
		r.weights[i] = w
		positive = positive || w > 0
		total += r.pointsOf(i)
		if total > maxPoints {
			return nil, fmt.Errorf("ring: more than %d points; lower VNodes or the weights", maxPoints)
		}
	}
	if !positive {
		return nil, errors.New("ring: every member weighs 0, so no member can own a key")
	}
	r.build(total)
	return r, nil
}

// pointsOf returns how many points member i places, or maxPoints+1 for more than a ring
// may have: weight × VNodes can be past what an int holds (VNodes math.MaxInt, a weight
// of 1e300), and converting it would wrap to a ring of one point.
func (r *Ring) pointsOf(i int) int {
	w := r.weights[i]
	if w == 0 {
		return 0
	}
	p := math.Round(w * float64(r.cfg.VNodes))
	if p > maxPoints {
		return maxPoints + 1
	}
	return max(1, int(p))
}

func (r *Ring) build(total int) {
	type point struct {
		hash   uint64
		member uint32
		j      int
	}
	pts := make([]point, 0, total)
	for i, m := range r.members {
		for j := range r.pointsOf(i) {
			pts = append(pts, point{r.cfg.Hash(m + "-" + strconv.Itoa(j)), uint32(i), j})
		}
	}
	slices.SortFunc(pts, func(a, b point) int {
		switch {
		case a.hash != b.hash:
			if a.hash < b.hash {
				return -1
			}
			return 1
		case a.member != b.member:
			return int(a.member) - int(b.member)
		}
		return a.j - b.j
	})
	r.scan = make([]uint64, len(pts)+1)
	r.scan[len(pts)] = math.MaxUint64
	r.points = r.scan[:len(pts)]
	r.owners = make([]uint32, len(pts)+1)
	for p, pt := range pts {
		r.points[p], r.owners[p] = pt.hash, pt.member
	}
	r.owners[len(pts)] = r.owners[0]
	r.ends = append(slices.Clone(r.points), r.points[0])
	// The jump table has about one bucket per point, so a lookup reads one bucket bound and
	// scans about one point instead of binary-searching the whole ring.
	k := min(max(bits.Len(uint(len(pts))), 1), 24)
	r.shift = uint(64 - k)
	r.jump = make([]uint32, 1<<k+1)
	p := 0
	for b := range r.jump {
		for p < len(r.points) && r.points[p]>>r.shift < uint64(b) {
			p++
		}
		r.jump[b] = uint32(p)
	}
}

// position returns the index of the first point at or clockwise after h.
func (r *Ring) position(h uint64) int {
	if p := r.slot(h); p < len(r.points) {
		return p
	}
	return 0
}

// slot is position without the wrap past the top of the circle: len(points) for an h
// after the last point. ends and owners have an entry there, the first point's, so that
// a lookup needs no branch for the wrap, which on a ring of a few points is taken often
// enough, and unpredictably enough, to cost more than the rest of the lookup.
func (r *Ring) slot(h uint64) int {
	p := int(r.jump[h>>r.shift])
	// The first step without a branch: whether the bucket's first point is before h is a
	// coin toss the processor would mispredict half the time. The points after a bucket
	// are past h, and the sentinel ends the array, so the loop needs no other bound; it
	// runs only when a bucket holds two points or more before h, which is rare.
	_, before := bits.Sub64(r.scan[p], h, 0)
	p += int(before)
	for r.scan[p] < h {
		p++
	}
	return p
}

// phi is 2^64 divided by the golden ratio: the step between a key's probes before mixing.
const phi = 0x9e3779b97f4a7c15

// probe is the position of probe i of a key whose hash is h: h itself, then h + i·φ mixed.
func probe(h uint64, i int) uint64 {
	if i == 0 {
		return h
	}
	return splitmix.Mix64(h + uint64(i)*phi)
}

// locate returns the slot (see slot) of the point that owns hash h: the first point at
// or after h, or, on a multi-probe ring, the point nearest after any of h's probes.
func (r *Ring) locate(h uint64) int {
	if r.probes == 1 {
		return r.slot(h)
	}
	return r.nearest(h)
}

// nearest is locate on a multi-probe ring. Distances are taken modulo 2^64, so the probe
// whose next point is the first one, past the top of the circle, comes out right; of two
// probes as near, the earlier counts.
func (r *Ring) nearest(h uint64) int {
	best := r.slot(h)
	dist := r.ends[best] - h
	for i := 1; i < r.probes; i++ {
		q := probe(h, i)
		p := r.slot(q)
		d := r.ends[p] - q
		if d < dist {
			best = p
		}
		dist = min(dist, d)
	}
	return best
}

// Owner returns the member that owns key. It does not allocate.
//
// The zero Ring has no member: its Owner is "" and its Index -1.
func (r *Ring) Owner(key string) string {
	if len(r.points) == 0 {
		return ""
	}
	return r.members[r.owners[r.locate(r.hash(key))]]
}

// Index returns the position in Members of key's owner, -1 on the zero Ring.
func (r *Ring) Index(key string) int {
	if len(r.points) == 0 {
		return -1
	}
	return r.IndexAt(r.hash(key))
}

// hash is cfg.Hash, called directly when it is the default: a direct call costs less than
// one through a function value, a few percent of a lookup.
func (r *Ring) hash(key string) uint64 {
	if r.xx {
		return xxhash.Sum64String(key)
	}
	return r.cfg.Hash(key)
}

// Members returns the members, sorted by name.
func (r *Ring) Members() []string { return slices.Clone(r.members) }

// Len returns the number of members.
func (r *Ring) Len() int { return len(r.members) }

// Points returns the number of points on the ring.
func (r *Ring) Points() int { return len(r.points) }

// Probes returns how many positions a key is looked up at: 1 on a classic ring.
func (r *Ring) Probes() int { return r.probes }

// Weight returns member's weight, or 0 if it is not a member.
func (r *Ring) Weight(member string) float64 {
	if i, ok := slices.BinarySearch(r.members, member); ok {
		return r.weights[i]
	}
	return 0
}

// Successors returns up to n distinct members in the order they would own key as the ones
// before them fail: the owner first, then where its replicas go. On a classic ring these are
// the members met walking clockwise from the key; on a multi-probe ring, the members ranked
// by how near after any probe their first point lies.
func (r *Ring) Successors(key string, n int) []string {
	return r.AppendSuccessors(nil, key, n)
}

// AppendSuccessors is Successors appending to dst; it does not allocate when dst has room.
func (r *Ring) AppendSuccessors(dst []string, key string, n int) []string {
	start := len(dst)
	if n <= 0 {
		return dst
	}
	r.successors(r.hash(key),
		func(m int) bool { return slices.Contains(dst[start:], r.members[m]) },
		func(m int) bool { dst = append(dst, r.members[m]); return len(dst)-start == n })
	return dst
}

// successors offers take the members, as positions in members, in the order they would own
// h as the ones before them fail, until take reports it is done or every member has been
// offered. seen reports whether this call has offered a member already, so it is false for
// all until take is first called.
//
// On a classic ring that order is the walk clockwise from h. On a multi-probe ring each
// place is found as the owner is: every probe walks clockwise to the first point of a member
// not yet offered, and the nearest of those wins. The first member offered is the owner,
// and the member offered after the first j is the owner on the ring without those j, so
// a key's replicas are where it goes when its owners fail.
func (r *Ring) successors(h uint64, seen func(member int) bool, take func(member int) (done bool)) {
	if r.probes == 1 {
		p := r.position(h)
		for range r.points {
			if m := int(r.owners[p]); !seen(m) && take(m) {
				return
			}
			if p++; p == len(r.points) {
				p = 0
			}
		}
		return
	}
	// Each probe keeps a cursor on the first point at or after it whose member has not been
	// offered. Before the first offer none has; after each, only the cursors on the offered
	// member's points move on, so a rank costs a comparison per probe.
	var qbuf [32]uint64
	var pbuf [32]int
	qs, ps := qbuf[:0], pbuf[:0]
	if r.probes > len(qbuf) {
		qs, ps = make([]uint64, 0, r.probes), make([]int, 0, r.probes) // only past 32 probes
	}
	for i := range r.probes {
		q := probe(h, i)
		qs, ps = append(qs, q), append(ps, r.position(q))
	}
	for range r.members {
		best, dist := -1, uint64(0)
		for i, q := range qs {
			if ps[i] >= 0 {
				if d := r.points[ps[i]] - q; best < 0 || d < dist {
					best, dist = int(r.owners[ps[i]]), d
				}
			}
		}
		if best < 0 || take(best) {
			return
		}
		for i, p := range ps {
			if p < 0 || int(r.owners[p]) != best {
				continue
			}
			ps[i] = -1 // unless a point of a member not yet offered lies ahead
			for range r.points {
				if p++; p == len(r.points) {
					p = 0
				}
				if !seen(int(r.owners[p])) {
					ps[i] = p
					break
				}
			}
		}
	}
}

// Hash returns the position of key on the ring: Config.Hash of key, xxHash64 by default.
// A key hashed once can then be placed on several rings that share the hash function
// with IndexAt and AppendSuccessorIndexesAt.
func (r *Ring) Hash(key string) uint64 { return r.hash(key) }

// IndexAt is Index for a key whose Hash is h.
func (r *Ring) IndexAt(h uint64) int {
	if len(r.points) == 0 {
		return -1
	}
	return int(r.owners[r.locate(h)])
}

// AppendSuccessorIndexesAt is AppendSuccessors for a key whose Hash is h, giving positions
// in Members instead of names.
func (r *Ring) AppendSuccessorIndexesAt(dst []int, h uint64, n int) []int {
	start := len(dst)
	if n <= 0 {
		return dst
	}
	r.successors(h,
		func(m int) bool { return slices.Contains(dst[start:], m) },
		func(m int) bool { dst = append(dst, m); return len(dst)-start == n })
	return dst
}

// Share returns each member's exact fraction of the 64-bit hash space: the lengths of the
// arcs its points end. This is the load a perfectly uniform key set would put on it,
// without sampling noise. On a multi-probe ring it is the fraction a point wins when a
// key's probes fall independently and uniformly (see probedShares).
func (r *Ring) Share() map[string]float64 {
	share := make(map[string]float64, len(r.members))
	for _, m := range r.members {
		share[m] = 0
	}
	if len(r.points) == 1 {
		share[r.members[r.owners[0]]] = 1
		return share
	}
	arcs := make([]float64, len(r.points))
	for p, h := range r.points {
		prev := r.points[(p+len(r.points)-1)%len(r.points)]
		arcs[p] = float64(h-prev) / (1 << 64) // modulo 2^64: the wrap-around arc comes out right
	}
	if r.probes > 1 {
		arcs = probedShares(arcs, r.probes)
	}
	for p, a := range arcs {
		share[r.members[r.owners[p]]] += a
	}
	return share
}

// probedShares turns the arcs before each point (fractions of the circle) into the
// fraction of keys each point wins with k probes. A probe falls in the arc before point p
// with probability a_p and then lies uniformly up to a_p before it, so a probe's distance
// to its next point exceeds x with probability S(x) = Σ max(a_p − x, 0), and point p wins
// with probability k ∫₀^a_p S(x)^(k−1) dx: one of the k probes lies x before p and the
// others farther from their points. Between two consecutive arc lengths, S is linear with
// slope −m, m the arcs still longer, so each piece integrates to (S(lo)^k − S(hi)^k)/m;
// a point's share sums the pieces up to its own arc.
func probedShares(arcs []float64, k int) []float64 {
	order := make([]int, len(arcs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(arcs[i], arcs[j]) })
	shares := make([]float64, len(arcs))
	longer := 0.0 // the sum of the arcs not yet passed
	for _, a := range arcs {
		longer += a
	}
	s, won, x := 1.0, 0.0, 0.0 // S(x), the share a point whose arc is x wins, and x
	for j, p := range order {
		m := float64(len(arcs) - j)
		if b := arcs[p]; b > x {
			next := max(longer-m*b, 0)
			won += (math.Pow(s, float64(k)) - math.Pow(next, float64(k))) / m
			s, x = next, b
		}
		shares[p] = won
		longer -= arcs[p]
	}
	return shares
}

// Join returns the ring after member joins at weight 1.
func (r *Ring) Join(member string) (*Ring, error) { return r.JoinWeighted(member, 1) }

// JoinWeighted returns the ring after member joins at weight.
func (r *Ring) JoinWeighted(member string, weight float64) (*Ring, error) {
	if _, found := slices.BinarySearch(r.members, member); found {
		return nil, fmt.Errorf("ring: %q is already a member", member)
	}
	cfg := r.cfg
	cfg.Weights = maps.Clone(r.cfg.Weights)
	if cfg.Weights == nil {
		cfg.Weights = map[string]float64{}
	}
	cfg.Weights[member] = weight
	return New(append(slices.Clone(r.members), member), cfg)
}

// Leave returns the ring after member leaves.
func (r *Ring) Leave(member string) (*Ring, error) {
	i, found := slices.BinarySearch(r.members, member)
	if !found {
		return nil, fmt.Errorf("ring: %q is not a member", member)
	}
	if len(r.members) == 1 {
		return nil, fmt.Errorf("ring: cannot remove %q, the last member", member)
	}
	cfg := r.cfg
	cfg.Weights = maps.Clone(r.cfg.Weights)
	delete(cfg.Weights, member)
	return New(slices.Delete(slices.Clone(r.members), i, i+1), cfg)
}
