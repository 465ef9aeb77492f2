package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/dgryski/go-jump"
	rendezvous "github.com/dgryski/go-rendezvous"
	"github.com/golang/groupcache/consistenthash"
	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/ring"
	"github.com/kvplace/kvplace/slot"
	"github.com/mediocregopher/radix/v3"
	"github.com/serialx/hashring"
)

// Config sets the keys and how many timed rounds each contender gets.
type Config struct {
	Keys     int
	Seed     uint64
	Rounds   int
	Members  []int // ring sizes
	Points   []int // points per member compared at: the peers' defaults and kvplace's
	Progress io.Writer
}

// DefaultConfig: a million keys, three rounds, rings of 10, 100 and 1000 members at 1
// point per member (serialx/hashring's default), 50 (groupcache's HTTPPool default) and
// 160 (the usual ketama count, used throughout kvplace's experiments).
func DefaultConfig() Config {
	return Config{Keys: 1_000_000, Seed: 1, Rounds: 3, Members: []int{10, 100, 1000}, Points: []int{1, 50, 160}}
}

// A Row is one contender on one set of members.
type Row struct {
	Group    string  // "slot" or "ring"
	Members  int     // 0 for slot functions
	Points   int     // points per member on a ring; 0 when not a ring
	Name     string  // library and function
	Note     string  // what its setting is
	NsPerOp  float64 // fastest round
	Allocs   float64 // allocations per lookup
	Spread   float64 // σ/mean of keys per member; 0 for slot functions
	SpreadSE float64 // its standard error over the trials
	Bytes    int64   // heap held by the structure after it is built
	Ratio    float64 // kvplace's keys/s over this row's, against the kvplace row it is compared with; 1 for kvplace's rows
	Base     string  // which kvplace row that is
	// For a ring peer: kvplace's ring with as many points per member as fit in the memory
	// this row's structure holds, and its spread, classic and multi-probe (probes take no
	// memory).
	EqualMemoryPoints        int
	EqualMemorySpread        float64
	EqualMemorySpreadSE      float64
	EqualMemoryProbeSpread   float64
	EqualMemoryProbeSpreadSE float64
}

// probes is the multi-probe setting compared: Appleton and O'Reilly's 21, for a peak load
// near 1.05 times the mean.
const probes = 21

// Result is every row, in print order.
type Result struct {
	Config Config
	Rows   []Row
	Styles []StyleRow
}

// A StyleRow is the spread of kvplace's ring and groupcache's at one point per member, on
// members named in one style. At one point per member a ring is as even as its hash makes
// the members' positions, and CRC-32, being linear, places names that differ in a few
// characters in a pattern rather than at random: more or less even than random depending
// on how the names differ.
type StyleRow struct {
	Style                    string
	Members                  int
	Kvplace, KvplaceSE       float64
	Probed, ProbedSE         float64 // kvplace's ring with 21 probes
	Groupcache, GroupcacheSE float64
}

// nameStyles are ways clusters name their members; the first is the one the main table
// uses. Trial t (1 to spreadTrials) of n members is another cluster named alike.
var nameStyles = []struct {
	name  string
	names func(n, t int) []string
}{
	{"10.<t>.<i/250>.<i%250+1>:6379", members},
	{"127.0.<t>.1:<7000+i>", func(n, t int) []string {
		return named(n, func(i int) string { return fmt.Sprintf("127.0.%d.1:%d", t, 7000+i) })
	}},
	{"redis-<t>-<i>", func(n, t int) []string {
		return named(n, func(i int) string { return fmt.Sprintf("redis-%d-%d", t, i) })
	}},
	{"40 random hex digits (node IDs)", func(n, t int) []string {
		return named(n, func(i int) string {
			id := fmt.Sprint(t, "/", i)
			return fmt.Sprintf("%016x%016x%08x", xxhash.Sum64String(id+"a"), xxhash.Sum64String(id+"b"), uint32(xxhash.Sum64String(id+"c")))
		})
	}},
}

func named(n int, name func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = name(i)
	}
	return out
}

// contender is a lookup under test: time runs it over every key and returns a checksum
// that keeps the compiler from dropping the work; owners builds the same structure on
// another set of member names and returns its owner function (member index of a key), for
// the spread.
type contender struct {
	row    Row
	time   func(keys []string, bkeys [][]byte) uint64
	owners func(names []string) func(key string) int
}

// Run builds every contender, times them round-robin so that a slow moment of the
// machine hits all alike, and measures spread and memory.
func Run(cfg Config) (*Result, error) {
	if cfg.Keys < 1000 {
		return nil, fmt.Errorf("peers: keys %d: want at least 1000", cfg.Keys)
	}
	if cfg.Rounds < 1 {
		return nil, fmt.Errorf("peers: rounds %d: want at least 1", cfg.Rounds)
	}
	spec := experiments.KeySpec{Count: int64(cfg.Keys), Kind: experiments.Uniform, Seed: cfg.Seed}
	keys := make([]string, cfg.Keys)
	bkeys := make([][]byte, cfg.Keys)
	for i := range keys {
		keys[i] = spec.Key(int64(i))
		bkeys[i] = []byte(keys[i])
	}
	for i, k := range bkeys {
		if a, b := slot.OfBytes(k), int(radix.ClusterSlot(k)); a != b {
			return nil, fmt.Errorf("peers: key %q: slot.Of says %d, radix.ClusterSlot %d", keys[i], a, b)
		}
	}
	cs := slotContenders()
	for _, m := range cfg.Members {
		rc, err := ringContenders(m, cfg.Points)
		if err != nil {
			return nil, err
		}
		cs = append(cs, rc...)
	}
	best := make([]float64, len(cs))
	for r := range cfg.Rounds {
		for i, c := range cs {
			// Timed on a window of hotKeys keys, passed over until every key count is
			// reached: a client places a key it has just built, which is in cache. Streaming
			// a million distinct keys from memory would time the memory, the same for all.
			hot, hotb := keys[:min(hotKeys, len(keys))], bkeys[:min(hotKeys, len(keys))]
			passes := max(1, len(keys)/len(hot))
			var sink uint64
			start := time.Now()
			for range passes {
				sink += c.time(hot, hotb)
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(passes*len(hot))
			if sink == 42 { // never, in practice; keeps sink alive
				fmt.Fprint(io.Discard, sink)
			}
			if r == 0 || ns < best[i] {
				best[i] = ns
			}
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "peers: round %d/%d\n", r+1, cfg.Rounds)
		}
	}
	// The spread is estimated on up to spreadKeys keys: the sample's own noise is taken out
	// (see spread), and the rings are averaged over several member sets.
	sample := keys[:min(len(keys), spreadKeys)]
	res := &Result{Config: cfg}
	for i, c := range cs {
		row := c.row
		row.NsPerOp = best[i]
		ks, bs := keys[:1], bkeys[:1]
		row.Allocs = testing.AllocsPerRun(100, func() { c.time(ks, bs) })
		if c.owners != nil {
			row.Spread, row.SpreadSE = meanSpread(sample, row.Members, c.owners)
		}
		res.Rows = append(res.Rows, row)
	}
	for i := range res.Rows {
		row := &res.Rows[i]
		for _, base := range res.Rows {
			if base.Name == row.Base && base.Members == row.Members && base.Points == basePoints(*row) {
				row.Ratio = row.NsPerOp / base.NsPerOp
				if !kvplace(*row) && row.Points > 0 && base.Bytes > 0 {
					row.EqualMemoryPoints = ringPointsIn(row.Members, row.Bytes, max(row.Points, int(float64(row.Points)*float64(row.Bytes)/float64(base.Bytes))))
					v := row.EqualMemoryPoints
					row.EqualMemorySpread, row.EqualMemorySpreadSE = meanSpread(sample, row.Members, ringOwners(v, 1))
					row.EqualMemoryProbeSpread, row.EqualMemoryProbeSpreadSE = meanSpread(sample, row.Members, ringOwners(v, probes))
				}
			}
		}
	}
	for _, m := range cfg.Members {
		for _, st := range nameStyles {
			row := StyleRow{Style: st.name, Members: m}
			row.Kvplace, row.KvplaceSE = meanSpreadOf(sample, m, st.names, ringOwners(1, 1))
			row.Probed, row.ProbedSE = meanSpreadOf(sample, m, st.names, ringOwners(1, probes))
			row.Groupcache, row.GroupcacheSE = meanSpreadOf(sample, m, st.names, func(names []string) func(string) int {
				g := consistenthash.New(1, nil)
				g.Add(names...)
				return indexed(names, g.Get)
			})
			res.Styles = append(res.Styles, row)
		}
	}
	return res, nil
}

// kvplace reports whether a row is one of kvplace's own.
func kvplace(r Row) bool { return r.Name == ours || r.Name == oursProbed || r.Name == oursSlot }

// ringOwners builds kvplace's ring of v points per member and the given probes on a set of
// names, for meanSpread.
func ringOwners(v, probes int) func(names []string) func(string) int {
	return func(names []string) func(string) int {
		r, _ := ring.New(names, ring.Config{VNodes: v, Probes: probes}) // v ≥ 1, probes ≥ 0, names ≠ ∅: cannot fail
		return r.Index
	}
}

// basePoints is the points per member of the kvplace row a row is compared with: the same
// for rings, kvplace's 160 for the hashes that are not rings.
func basePoints(r Row) int {
	if r.Group == "ring" && r.Points == 0 {
		return 160
	}
	return r.Points
}

const (
	ours       = "kvplace ring.Owner"
	oursProbed = "kvplace multi-probe"
	oursSlot   = "kvplace slot.Of"
	noteRing   = "points per member"
	noteEqual  = "same points as kvplace"
)

func slotContenders() []contender {
	return []contender{
		{row: Row{Group: "slot", Name: oursSlot, Note: "slicing-by-16 CRC16, tag scan in the same pass", Base: oursSlot},
			time: func(_ []string, bkeys [][]byte) uint64 {
				var s uint64
				for _, k := range bkeys {
					s += uint64(slot.OfBytes(k))
				}
				return s
			}},
		{row: Row{Group: "slot", Name: "radix/v3 ClusterSlot", Note: "byte-at-a-time CRC16 table", Base: oursSlot},
			time: func(_ []string, bkeys [][]byte) uint64 {
				var s uint64
				for _, k := range bkeys {
					s += uint64(radix.ClusterSlot(k))
				}
				return s
			}},
	}
}

// members names n members by address; trial t gives another set of names, so that the
// spread can be averaged over independent rings.
func members(n, t int) []string {
	return named(n, func(i int) string { return fmt.Sprintf("10.%d.%d.%d:6379", t, i/250, i%250+1) })
}

// indexed turns a function naming a key's member into one giving its index in names.
func indexed(names []string, owner func(string) string) func(string) int {
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	return func(k string) int { return index[owner(k)] }
}

// newHashring builds serialx/hashring's ring: its default (one point per member) for
// v = 1, else v points per member through its weights.
func newHashring(names []string, v int) *hashring.HashRing {
	if v == 1 {
		return hashring.New(names)
	}
	w := map[string]int{}
	for _, n := range names {
		w[n] = v
	}
	return hashring.NewWithWeights(w)
}

// ringPointsIn returns the most points per member a kvplace ring of m members can have in
// bytes of heap (at least 1), searching from guess: rings built and measured, since a
// ring's bytes are not proportional to its points (each member costs some on its own).
func ringPointsIn(m int, bytes int64, guess int) int {
	names := members(m, 0)
	fits := func(v int) bool {
		_, b := held(func() any {
			r, _ := ring.New(names, ring.Config{VNodes: v}) // v ≥ 1 and names ≠ ∅: cannot fail
			return r
		})
		return b <= bytes
	}
	// Bracket the answer, lo fitting and hi not, then bisect.
	lo, hi := max(guess, 1), max(guess, 1)+1
	for lo > 1 && !fits(lo) {
		hi, lo = lo, lo/2
	}
	for fits(hi) {
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// held returns the heap that build's result holds, measured around it. The heap also moves
// with what the runtime and other goroutines allocate and free meanwhile, by some tens of
// kilobytes (a first measurement once read -23 064 bytes for a ring that holds 8 680), so a
// structure under a mebibyte is measured three times and the median kept.
func held(build func() any) (any, int64) {
	measure := func() (any, int64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		v := build()
		runtime.GC()
		runtime.ReadMemStats(&after)
		return v, int64(after.HeapAlloc) - int64(before.HeapAlloc)
	}
	v, b := measure()
	if b >= 1<<20 {
		return v, b
	}
	sizes := []int64{b, 0, 0}
	for i := 1; i < len(sizes); i++ {
		v = nil
		v, sizes[i] = measure()
	}
	slices.Sort(sizes)
	return v, sizes[1]
}

func ringContenders(m int, points []int) ([]contender, error) {
	names := members(m, 0)
	var cs []contender
	for _, v := range points {
		// At one point per member, where a classic ring is least even, kvplace's ring is
		// also timed multi-probe: as even as many points, in the memory of one.
		settings := []int{1}
		if v == 1 {
			settings = []int{1, 5, probes}
		}
		for _, k := range settings {
			rv, bytes := held(func() any {
				r, err := ring.New(names, ring.Config{VNodes: v, Probes: k})
				if err != nil {
					return err
				}
				return r
			})
			r, ok := rv.(*ring.Ring)
			if !ok {
				return nil, fmt.Errorf("peers: ring of %d members at %d points, %d probes: %v", m, v, k, rv)
			}
			row := Row{Group: "ring", Members: m, Points: v, Name: ours, Note: "xxHash64, jump table", Bytes: bytes, Base: ours}
			if k > 1 {
				row.Name, row.Note = oursProbed, fmt.Sprintf("%d probes, xxHash64, jump table", k)
			}
			cs = append(cs, contender{
				row: row,
				time: func(keys []string, _ [][]byte) uint64 {
					var s uint64
					for _, k := range keys {
						s += uint64(len(r.Owner(k)))
					}
					return s
				},
				owners: ringOwners(v, k),
			})
		}

		gv, bytes := held(func() any { g := consistenthash.New(v, nil); g.Add(names...); return g })
		g := gv.(*consistenthash.Map)
		note := noteEqual
		if v == 50 {
			note = "its default (groupcache HTTPPool)"
		}
		cs = append(cs, contender{
			row: Row{Group: "ring", Members: m, Points: v, Name: "groupcache consistenthash", Note: note + ", CRC-32", Bytes: bytes, Base: ours},
			time: func(keys []string, _ [][]byte) uint64 {
				var s uint64
				for _, k := range keys {
					s += uint64(len(g.Get(k)))
				}
				return s
			},
			owners: func(names []string) func(string) int {
				g := consistenthash.New(v, nil)
				g.Add(names...)
				return indexed(names, g.Get)
			},
		})

		hv, bytes := held(func() any { return newHashring(names, v) })
		h := hv.(*hashring.HashRing)
		note = noteEqual
		if v == 1 {
			note = "its default"
		}
		cs = append(cs, contender{
			row: Row{Group: "ring", Members: m, Points: v, Name: "serialx hashring", Note: note + ", MD5", Bytes: bytes, Base: ours},
			time: func(keys []string, _ [][]byte) uint64 {
				var s uint64
				for _, k := range keys {
					n, _ := h.GetNode(k)
					s += uint64(len(n))
				}
				return s
			},
			owners: func(names []string) func(string) int {
				h := newHashring(names, v)
				return indexed(names, func(k string) string { n, _ := h.GetNode(k); return n })
			},
		})
	}
	cs = append(cs, contender{
		row: Row{Group: "ring", Members: m, Name: "go-jump Hash", Note: "not a ring: xxHash64 then jump hash", Base: ours},
		time: func(keys []string, _ [][]byte) uint64 {
			var s uint64
			for _, k := range keys {
				s += uint64(len(names[jump.Hash(xxhash.Sum64String(k), m)]))
			}
			return s
		},
		owners: func(names []string) func(string) int {
			return func(k string) int { return int(jump.Hash(xxhash.Sum64String(k), len(names))) }
		},
	})
	rv, bytes := held(func() any { return rendezvous.New(names, xxhash.Sum64String) })
	rz := rv.(*rendezvous.Rendezvous)
	cs = append(cs, contender{
		row: Row{Group: "ring", Members: m, Name: "go-rendezvous Lookup", Note: "not a ring: highest random weight, xxHash64", Bytes: bytes, Base: ours},
		time: func(keys []string, _ [][]byte) uint64 {
			var s uint64
			for _, k := range keys {
				s += uint64(len(rz.Lookup(k)))
			}
			return s
		},
		owners: func(names []string) func(string) int {
			rz := rendezvous.New(names, xxhash.Sum64String)
			return indexed(names, rz.Lookup)
		},
	})
	return cs, nil
}

// spreadTrials is how many independent sets of member names each spread is averaged over:
// one ring is one random draw, and σ/mean of two rings with the same points differs by
// chance by about as much as it differs between libraries.
const spreadTrials = 8

// hotKeys is the window of keys the timing passes over again and again.
const hotKeys = 4096

// spreadKeys bounds the keys the spread is counted on.
const spreadKeys = 400_000

// meanSpread is the spread of keys per member, averaged over spreadTrials rings built on
// different member names, and the standard error of that mean.
func meanSpread(keys []string, m int, owners func([]string) func(string) int) (mean, se float64) {
	return meanSpreadOf(keys, m, members, owners)
}

// meanSpreadOf is meanSpread on members named by names.
func meanSpreadOf(keys []string, m int, names func(n, t int) []string, owners func([]string) func(string) int) (mean, se float64) {
	var xs [spreadTrials]float64
	for t := range xs {
		xs[t] = spread(keys, m, owners(names(m, t+1)))
		mean += xs[t] / spreadTrials
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss/(spreadTrials-1)) / math.Sqrt(spreadTrials)
}

// spread is the σ/mean of the share of the keyspace per member, estimated from the
// number of keys per member: the variance of the counts, less the multinomial variance
// that placing a finite number of keys adds by itself (about mean/mean² = m/keys), so
// that the figure is the structure's own and not the sample's.
func spread(keys []string, m int, owner func(string) int) float64 {
	counts := make([]float64, m)
	for _, k := range keys {
		counts[owner(k)]++
	}
	mean := float64(len(keys)) / float64(m)
	var ss float64
	for _, c := range counts {
		ss += (c - mean) * (c - mean)
	}
	v := ss/float64(m)/(mean*mean) - 1/mean
	return math.Sqrt(max(v, 0))
}

// WriteTable prints the rows and the verdict on each target.
func (res *Result) WriteTable(w io.Writer) error {
	c := res.Config
	fmt.Fprintf(w, "kvplace against peer libraries on %d keys \"key:<16 hex digits>\" (seed %d), fastest of %d interleaved rounds, %s/%s, %s\n\n",
		c.Keys, c.Seed, c.Rounds, runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "%6s %-26s %-46s %8s %10s %6s %8s %10s  %s\n", "points", "library", "setting", "ns/key", "kvplace ×", "allocs", "σ/mean", "bytes", "kvplace in the same bytes")
	last := -1
	for _, r := range res.Rows {
		if r.Members != last {
			if r.Group == "slot" {
				fmt.Fprintln(w, "slot: the hash slot of a key (CLUSTER KEYSLOT)")
			} else {
				fmt.Fprintf(w, "\nring: the owner of a key among %d members\n", r.Members)
			}
			last = r.Members
		}
		points, sp, bytes := "", "", ""
		if r.Points > 0 {
			points = fmt.Sprint(r.Points)
		}
		if r.Group == "ring" {
			sp = fmt.Sprintf("%.4f", r.Spread)
		}
		if r.Bytes > 0 {
			bytes = fmt.Sprint(r.Bytes)
		}
		ratio := fmt.Sprintf("%.2f", r.Ratio)
		if kvplace(r) {
			ratio = "-"
		}
		eq := ""
		if r.EqualMemoryPoints > 0 {
			eq = fmt.Sprintf("%d points: σ/mean %.4f, with %d probes %.4f", r.EqualMemoryPoints, r.EqualMemorySpread, probes, r.EqualMemoryProbeSpread)
		}
		fmt.Fprintf(w, "%6s %-26s %-46s %8.1f %10s %6.0f %8s %10s  %s\n", points, r.Name, r.Note, r.NsPerOp, ratio, r.Allocs, sp, bytes, eq)
	}
	fmt.Fprintln(w, "\nkvplace ×: how many times more keys per second kvplace's row places than this one (at the same points per member;")
	fmt.Fprintln(w, "against kvplace at 160 for go-jump and go-rendezvous); σ/mean: spread of each member's share of the keys, averaged")
	fmt.Fprintf(w, "over %d rings on other member names, less the spread the finite sample of keys adds; bytes: heap the structure holds;\n", spreadTrials)
	fmt.Fprintf(w, "kvplace in the same bytes: kvplace's ring with the points per member that fit in this row's bytes, and its spread, classic\n")
	fmt.Fprintf(w, "and with %d probes (Config.Probes: more lookup time, no more memory); kvplace multi-probe: that ring at one point per member\n", probes)
	if len(res.Styles) > 0 {
		fmt.Fprintf(w, "\nspread at one point per member, by how the members are named (σ/mean, mean of %d clusters named alike ± its standard error)\n", spreadTrials)
		fmt.Fprintf(w, "%7s  %-32s %17s %17s %17s\n", "members", "names", "kvplace ring", fmt.Sprintf("%d probes", probes), "groupcache")
		for _, r := range res.Styles {
			fmt.Fprintf(w, "%7d  %-32s %8.4f ± %.4f %8.4f ± %.4f %8.4f ± %.4f\n", r.Members, r.Style, r.Kvplace, r.KvplaceSE, r.Probed, r.ProbedSE, r.Groupcache, r.GroupcacheSE)
		}
	}
	fmt.Fprintln(w)
	for _, line := range res.Verdicts() {
		fmt.Fprintln(w, line)
	}
	return nil
}

// Verdicts checks the targets of issue 8: slot.Of at least 3× radix's ClusterSlot; Owner
// at least 4× the fastest ring peer at the same points per member, with no allocation;
// no ring peer more evenly spread than kvplace's ring given the same memory.
func (res *Result) Verdicts() []string {
	var out []string
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	for _, r := range res.Rows {
		if r.Group == "slot" && r.Name != oursSlot {
			out = append(out, fmt.Sprintf("slot.Of vs %s: %.2f× the keys/s (target 3×: %s)", r.Name, r.Ratio, mark(r.Ratio >= 3)))
		}
	}
	worst, worstAt := math.Inf(1), ""
	allocs := 0.0
	// A peer is more even than kvplace only beyond chance: by more than twice the standard
	// error of the difference. kvplace's best in the same bytes is its classic ring or the
	// same ring with probes, which take lookup time but no memory; peers more even than the
	// classic ring alone are listed too.
	beats := func(peer, peerSE, ours, oursSE float64) bool { return ours-peer > 2*math.Hypot(peerSE, oursSE) }
	var evenness, classic []string
	for _, r := range res.Rows {
		if r.Group != "ring" || r.Points == 0 {
			continue
		}
		if kvplace(r) {
			allocs = max(allocs, r.Allocs)
			continue
		}
		if r.Ratio < worst {
			worst, worstAt = r.Ratio, fmt.Sprintf("%s, %d members, %d points", r.Name, r.Members, r.Points)
		}
		if r.EqualMemoryPoints == 0 {
			continue
		}
		line := fmt.Sprintf("%s at %d members, %d points (%d bytes): σ/mean %.4f, kvplace's %.4f at %d points, %.4f with %d probes",
			r.Name, r.Members, r.Points, r.Bytes, r.Spread, r.EqualMemorySpread, r.EqualMemoryPoints, r.EqualMemoryProbeSpread, probes)
		if beats(r.Spread, r.SpreadSE, r.EqualMemorySpread, r.EqualMemorySpreadSE) {
			classic = append(classic, line)
			if beats(r.Spread, r.SpreadSE, r.EqualMemoryProbeSpread, r.EqualMemoryProbeSpreadSE) {
				evenness = append(evenness, line)
			}
		}
	}
	if worstAt != "" {
		out = append(out, fmt.Sprintf("ring.Owner vs the fastest ring peer at the same points: at least %.2f× (%s; target 4×: %s)", worst, worstAt, mark(worst >= 4)))
	}
	out = append(out, fmt.Sprintf("ring.Owner allocations per lookup, classic and multi-probe: %.0f (target 0: %s)", allocs, mark(allocs == 0)))
	if len(evenness) == 0 {
		out = append(out, fmt.Sprintf("spread: no ring peer is more even than kvplace's ring in the same memory, classic or with %d probes, beyond twice the standard error (target: met)", probes))
	} else {
		out = append(out, fmt.Sprintf("spread: ring peers more even than kvplace's ring in the same memory, classic or with %d probes (target: NOT met):", probes))
		for _, e := range evenness {
			out = append(out, "  "+e)
		}
	}
	if len(classic) > 0 {
		out = append(out, "  more even than the classic ring alone in the same memory:")
		for _, e := range classic {
			out = append(out, "    "+e)
		}
	}
	if len(res.Styles) > 0 {
		count := func(ours, oursSE func(StyleRow) float64) string {
			var we, they int
			for _, r := range res.Styles {
				switch {
				case beats(r.Groupcache, r.GroupcacheSE, ours(r), oursSE(r)):
					they++
				case beats(ours(r), oursSE(r), r.Groupcache, r.GroupcacheSE):
					we++
				}
			}
			return fmt.Sprintf("groupcache more even in %d, kvplace in %d, neither beyond twice the standard error in %d", they, we, len(res.Styles)-they-we)
		}
		out = append(out, fmt.Sprintf("spread at one point per member over %d naming styles and sizes: against the classic ring, %s; against %d probes, %s",
			len(res.Styles),
			count(func(r StyleRow) float64 { return r.Kvplace }, func(r StyleRow) float64 { return r.KvplaceSE }),
			probes,
			count(func(r StyleRow) float64 { return r.Probed }, func(r StyleRow) float64 { return r.ProbedSE })))
	}
	return out
}
