package experiments

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"

	"github.com/kvplace/kvplace/ring"
)

// SkewConfig configures RunSkew.
type SkewConfig struct {
	// Start is the cluster the scale-out, workload and crash measurements start from: the
	// seed tutorial's by default (zero value too), or a user's from its CLUSTER NODES.
	Start      StartCluster `json:"start"`
	Keys       KeySpec      `json:"keys"`        // keys of the seed scale-out and workload measurements
	TaggedKeys KeySpec      `json:"tagged_keys"` // hash-tagged keys for the workload comparison
	SweepKeys  int64        `json:"sweep_keys"`  // keys per cluster size in the N → N+1 sweep
	Schemes    []Scheme     `json:"schemes"`
	MinN       int          `json:"min_n"` // the sweep goes from MinN → MinN+1 ...
	MaxN       int          `json:"max_n"` // ... to MaxN → MaxN+1 members
	VNodes     []int        `json:"vnodes"`
	LawMembers int          `json:"law_members"` // ring size for the σ/mean-against-V law
	// ClusterRequests is how many GETs, drawn by the weights of Keys, the simulated cluster
	// serves in the last measurement; 0 skips it.
	ClusterRequests int `json:"cluster_requests"`
	Workers         int `json:"-"`
	Progress        io.Writer
}

// DefaultSizes is the skew experiment's key sizes unless told otherwise: a Pareto tail of
// at least 100 bytes with exponent 1.2, so that the mean is 600 bytes and one key in a
// million holds about 10 MB. It is an assumption chosen to show what a heavy tail does to
// memory, not a measured workload: give yours with -size file:PATH (redis-cli --memkeys,
// or KEY BYTES lines).
var DefaultSizes = SizeSpec{Dist: SizePareto, Bytes: 100, Alpha: 1.2}

// DefaultSkewConfig is what `go run ./experiments/skew` runs with no flags.
func DefaultSkewConfig() SkewConfig {
	schemes, _ := ParseSchemes("modulo,ring:1,ring:10,ring:100,ring:1000,ring:1:21,slots,slots:rebalance")
	return SkewConfig{
		Start:      SeedCluster(),
		Keys:       KeySpec{Count: 1_000_000, Kind: Uniform, Seed: 1, Zipf: 1, Size: DefaultSizes},
		TaggedKeys: KeySpec{Count: 1_000_000, Kind: Tagged, Tags: 100, Seed: 1, Size: DefaultSizes},
		SweepKeys:  200_000,
		Schemes:    schemes,
		MinN:       3,
		MaxN:       64,
		VNodes:     []int{1, 10, 100, 1000},
		LawMembers: 1000,

		ClusterRequests: 50_000,
	}
}

// Validate reports a configuration RunSkew cannot run, naming the faulty setting.
func (c SkewConfig) Validate() error {
	if err := c.Start.Validate(); err != nil {
		return err
	}
	if err := c.Keys.Validate(); err != nil {
		return err
	}
	if c.TaggedKeys.Count > 0 || c.TaggedKeys.File != "" {
		if err := c.TaggedKeys.Validate(); err != nil {
			return fmt.Errorf("tagged %w", err)
		}
	}
	if len(c.Schemes) == 0 {
		return errors.New("skew: no schemes to compare")
	}
	if c.MaxN > 0 || c.MinN > 0 {
		if c.MinN < 3 || c.MaxN < c.MinN {
			return fmt.Errorf("skew: sweep %d..%d: it needs 3 ≤ min ≤ max (Redis Cluster needs 3 masters)", c.MinN, c.MaxN)
		}
		if c.SweepKeys <= 0 {
			return fmt.Errorf("skew: %d sweep keys: at least one is needed", c.SweepKeys)
		}
	}
	for _, v := range c.VNodes {
		if v < 1 {
			return fmt.Errorf("skew: %d virtual nodes: each member needs at least one", v)
		}
	}
	if len(c.VNodes) > 0 && c.LawMembers < 2 {
		return fmt.Errorf("skew: %d law members: σ/mean needs at least two", c.LawMembers)
	}
	return nil
}

// A Stage is one scheme at one membership of the seed's 3 → 4 → 3 masters.
type Stage struct {
	Scheme  Scheme    `json:"scheme"`
	Stage   string    `json:"stage"`
	Members []string  `json:"members"`
	Keys    []int64   `json:"keys"` // keys per member, in Members order
	Load    []float64 `json:"load"` // request share per member (sums to 1)
	KeySkew Skew      `json:"key_skew"`
	Moved   float64   `json:"moved"`   // fraction of keys whose owner changed since the previous stage
	Minimum float64   `json:"minimum"` // the least any scheme must move for this change
	// With sizes (Keys.Size): bytes per member, their skew, and the fraction of all bytes
	// whose owner changed since the previous stage.
	Bytes      []int64  `json:"bytes,omitempty"`
	ByteSkew   *Skew    `json:"byte_skew,omitempty"`
	MovedBytes *float64 `json:"moved_bytes,omitempty"`
}

// A Workload is the skew one scheme shows on one kind of key or request mix.
type Workload struct {
	Scheme   Scheme    `json:"scheme"`
	Workload string    `json:"workload"`
	Members  []string  `json:"members"`
	Share    []float64 `json:"share"` // fraction of keys or requests per member
	Skew     Skew      `json:"skew"`
}

// A Crash is what happens to keys when a master fails.
type Crash struct {
	Scheme       Scheme  `json:"scheme"`
	Replica      bool    `json:"replica"`       // one replica of every key existed
	OwnerChanged float64 `json:"owner_changed"` // keys now served by another node
	Copied       float64 `json:"copied"`        // keys whose new owner had no copy and must fetch one
	Lost         float64 `json:"lost"`          // keys whose every copy was on the failed node: gone unless it returns
	Unserved     float64 `json:"unserved"`      // keys no node serves afterwards
}

// A LawPoint is the spread of members' exact keyspace shares on a ring of V virtual nodes.
type LawPoint struct {
	VNodes  int     `json:"vnodes"`
	CV      float64 `json:"sigma_over_mean"`
	Theory  float64 `json:"one_over_sqrt_v"`
	Lamping float64 `json:"lamping_veach,omitempty"` // Lamping & Veach 2014's table, where it has V
}

// A SweepPoint is the scale-out N → N+1 of one scheme.
type SweepPoint struct {
	Scheme  Scheme  `json:"scheme"`
	N       int     `json:"n"`
	Moved   float64 `json:"moved"`
	Minimum float64 `json:"minimum"`  // 1/(N+1)
	KeySkew Skew    `json:"key_skew"` // at N members
	// With sizes: the skew of bytes at N members and the fraction of bytes moved.
	ByteSkew   *Skew    `json:"byte_skew,omitempty"`
	MovedBytes *float64 `json:"moved_bytes,omitempty"`
}

// SkewResult is everything RunSkew measured.
type SkewResult struct {
	Config    SkewConfig   `json:"config"`
	Stages    []Stage      `json:"seed_stages"`
	Workloads []Workload   `json:"workloads"`
	Crashes   []Crash      `json:"crashes"`
	Law       []LawPoint   `json:"vnode_law"`
	Sweep     []SweepPoint `json:"sweep"`

	ClusterLoad *ClusterLoad `json:"cluster_load,omitempty"`
}

// lampingVeach is the σ/mean column of Lamping and Veach 2014 (1000 buckets).
var lampingVeach = map[int]float64{10: 0.3151810, 100: 0.0996996, 1000: 0.0315723}

// RunSkew measures skew and movement of every scheme: the seed's 3 → 4 → 3 masters on
// cfg.Keys (request load from their Zipf weights), hash-tagged keys, a master crash with
// and without replicas, the σ/mean-against-V law, and the N → N+1 sweep.
func RunSkew(cfg SkewConfig) (*SkewResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	res := &SkewResult{Config: cfg}
	if err := res.seed(cfg); err != nil {
		return nil, err
	}
	if cfg.TaggedKeys.Count > 0 || cfg.TaggedKeys.File != "" {
		if err := res.tagged(cfg); err != nil {
			return nil, err
		}
	}
	if err := res.crash(cfg); err != nil {
		return nil, err
	}
	if err := res.law(cfg); err != nil {
		return nil, err
	}
	if cfg.MaxN > 0 {
		if err := res.sweep(cfg); err != nil {
			return nil, err
		}
	}
	if err := res.clusterLoad(cfg); err != nil {
		return nil, err
	}
	return res, nil
}

// seed measures 3 → 4 → 3 masters for every scheme in one pass over cfg.Keys.
func (res *SkewResult) seed(cfg SkewConfig) error {
	m := &measure{}
	start := cfg.Start.withDefaults()
	for _, s := range cfg.Schemes {
		three, err := startLayout(s, start)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		four, err := three.join(start.Joiner)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		back, err := four.leave(start.Joiner)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		base := len(m.stages)
		m.stages = append(m.stages, three, four, back)
		m.pairs = append(m.pairs, pair{a: base, b: base + 1}, pair{a: base + 1, b: base + 2})
		// hash % N and rings depend on the members alone, so back at the same three they
		// place every key as at the start; slots depend on how the reshards went.
		same := own
		if !s.planned() && slices.Equal(three.holders(), back.holders()) {
			same = reuse{from: base}
		}
		m.same = append(m.same, own, own, same)
	}
	n := len(start.Masters)
	t, err := m.run(cfg.Keys, cfg.Workers, cfg.Progress, fmt.Sprintf("%d → %d → %d masters", n, n+1, n))
	if err != nil {
		return err
	}
	names := []string{
		fmt.Sprintf("%d masters", n),
		fmt.Sprintf("%d masters: %s joined", n+1, start.Joiner),
		fmt.Sprintf("%d masters: %s left", n, start.Joiner),
	}
	minimum := []float64{0, 1 / float64(n+1), 1 / float64(n+1)}
	for i, s := range cfg.Schemes {
		for j := range 3 {
			st := Stage{
				Scheme:  s,
				Stage:   names[j],
				Members: m.stages[3*i+j].members(),
				Keys:    t.keys[3*i+j],
				Load:    normalise(t.load[3*i+j], t.weight),
				KeySkew: skewOf(floats(t.keys[3*i+j])),
				Minimum: minimum[j],
			}
			if j > 0 {
				st.Moved = float64(t.moved[2*i+j-1]) / float64(t.total)
			}
			if cfg.Keys.Size.Sized() {
				st.Bytes = t.bytes[3*i+j]
				bs := skewOf(floats(st.Bytes))
				st.ByteSkew = &bs
				if j > 0 {
					mb := float64(t.movedB[2*i+j-1]) / float64(t.totalB)
					st.MovedBytes = &mb
				}
			}
			res.Stages = append(res.Stages, st)
		}
		four := m.stages[3*i+1]
		res.Workloads = append(res.Workloads,
			Workload{Scheme: s, Workload: "uniform keys", Members: four.members(), Share: normalise(floats(t.keys[3*i+1]), float64(t.total)), Skew: skewOf(floats(t.keys[3*i+1]))},
		)
		if cfg.Keys.Zipf > 0 {
			res.Workloads = append(res.Workloads, Workload{
				Scheme: s, Workload: fmt.Sprintf("Zipf(%g) requests", cfg.Keys.Zipf), Members: four.members(),
				Share: normalise(t.load[3*i+1], t.weight), Skew: skewOf(t.load[3*i+1]),
			})
		}
		if cfg.Keys.Size.Sized() {
			b := floats(t.bytes[3*i+1])
			res.Workloads = append(res.Workloads, Workload{
				Scheme: s, Workload: bytesLabel(cfg.Keys), Members: four.members(),
				Share: normalise(b, float64(t.totalB)), Skew: skewOf(b),
			})
		}
	}
	return nil
}

// bytesLabel names the workload of keys' bytes.
func bytesLabel(k KeySpec) string {
	if k.ownSizes() {
		return "bytes, each key's own"
	}
	return "bytes, sizes " + k.Size.String()
}

func normalise(xs []float64, total float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x / total
	}
	return out
}

// tagged measures skew of hash-tagged keys once the joiner has joined (4 masters in the
// seed's cluster).
func (res *SkewResult) tagged(cfg SkewConfig) error {
	m := &measure{}
	start := cfg.Start.withDefaults()
	for _, s := range cfg.Schemes {
		three, err := startLayout(s, start)
		if err != nil {
			return err
		}
		four, err := three.join(start.Joiner)
		if err != nil {
			return err
		}
		m.stages = append(m.stages, four)
	}
	t, err := m.run(cfg.TaggedKeys, cfg.Workers, cfg.Progress, "hash-tagged keys")
	if err != nil {
		return err
	}
	label := "keys in " + strconv.Itoa(cfg.TaggedKeys.Tags) + " hash tags"
	if cfg.TaggedKeys.File != "" {
		label = "keys from " + cfg.TaggedKeys.File
	}
	for i, s := range cfg.Schemes {
		res.Workloads = append(res.Workloads, Workload{
			Scheme: s, Workload: label, Members: m.stages[i].members(),
			Share: normalise(floats(t.keys[i]), float64(t.total)), Skew: skewOf(floats(t.keys[i])),
		})
		if cfg.TaggedKeys.Size.Sized() {
			b := floats(t.bytes[i])
			res.Workloads = append(res.Workloads, Workload{
				Scheme: s, Workload: label + ", " + bytesLabel(cfg.TaggedKeys), Members: m.stages[i].members(),
				Share: normalise(b, float64(t.totalB)), Skew: skewOf(b),
			})
		}
	}
	return nil
}

// crash measures the failure of the start cluster's first master, with and without a
// replica of every key.
func (res *SkewResult) crash(cfg SkewConfig) error {
	m := &measure{}
	start := cfg.Start.withDefaults()
	for _, s := range cfg.Schemes {
		plain, err := startLayout(s, start)
		if err != nil {
			return err
		}
		base := len(m.stages)
		for _, l := range []layout{plain.replicated(), plain} {
			after, err := l.crash(start.Masters[0])
			if err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			m.pairs = append(m.pairs, pair{a: len(m.stages), b: len(m.stages) + 1, crash: true})
			m.stages = append(m.stages, l, after)
		}
		// hash % N and rings own keys alike with or without replicas, which they keep on the
		// same nodes, so the bare pair reuses the replicated pair's owners; slots keep
		// replicas on nodes of their own.
		holders := func(i int) []string { return m.stages[i].holders() }
		if !s.planned() && slices.Equal(holders(base), holders(base+2)) && slices.Equal(holders(base+1), holders(base+3)) {
			m.same = append(m.same, own, own, reuse{from: base, ownerOnly: true}, reuse{from: base + 1, ownerOnly: true})
		} else {
			m.same = append(m.same, own, own, own, own)
		}
	}
	spec := cfg.Keys
	spec.Zipf = 0
	t, err := m.run(spec, cfg.Workers, cfg.Progress, "a master crashes")
	if err != nil {
		return err
	}
	n := float64(t.total)
	for i, s := range cfg.Schemes {
		for j, replica := range []bool{true, false} {
			p := 2*i + j
			res.Crashes = append(res.Crashes, Crash{
				Scheme: s, Replica: replica,
				OwnerChanged: float64(t.moved[p]) / n,
				Copied:       float64(t.copied[p]) / n,
				Lost:         float64(t.lost[p]) / n,
				Unserved:     float64(t.orphaned[p]) / n,
			})
		}
	}
	return nil
}

// law computes σ/mean of exact keyspace shares on rings of cfg.LawMembers members.
func (res *SkewResult) law(cfg SkewConfig) error {
	for _, v := range cfg.VNodes {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "σ/mean law: ring of %d members × %d virtual nodes\n", cfg.LawMembers, v)
		}
		members := make([]string, cfg.LawMembers)
		for i := range members {
			members[i] = "node-" + strconv.Itoa(i)
		}
		r, err := ring.New(members, ring.Config{VNodes: v})
		if err != nil {
			return err
		}
		share := r.Share()
		xs := make([]float64, 0, len(share))
		for _, m := range members {
			xs = append(xs, share[m])
		}
		res.Law = append(res.Law, LawPoint{VNodes: v, CV: skewOf(xs).CV, Theory: 1 / math.Sqrt(float64(v)), Lamping: lampingVeach[v]})
	}
	return nil
}

// sweep measures N → N+1 for every N in [MinN, MaxN].
func (res *SkewResult) sweep(cfg SkewConfig) error {
	spec := KeySpec{Count: cfg.SweepKeys, Kind: Uniform, Seed: cfg.Keys.Seed}
	if !cfg.Keys.ownSizes() {
		spec.Size = cfg.Keys.Size
	}
	for n := cfg.MinN; n <= cfg.MaxN; n++ {
		members := make([]string, n)
		for i := range members {
			members[i] = "node-" + strconv.Itoa(i+1)
		}
		joiner := "node-" + strconv.Itoa(n+1)
		m := &measure{}
		for _, s := range cfg.Schemes {
			before, err := s.newLayout(members)
			if err != nil {
				return err
			}
			after, err := before.join(joiner)
			if err != nil {
				return err
			}
			m.pairs = append(m.pairs, pair{a: len(m.stages), b: len(m.stages) + 1})
			m.stages = append(m.stages, before, after)
		}
		t, err := m.run(spec, cfg.Workers, nil, "")
		if err != nil {
			return err
		}
		if cfg.Progress != nil && (n == cfg.MaxN || n%8 == 0) {
			fmt.Fprintf(cfg.Progress, "sweep: %d → %d members\n", n, n+1)
		}
		for i, s := range cfg.Schemes {
			pt := SweepPoint{
				Scheme: s, N: n, Moved: float64(t.moved[i]) / float64(t.total), Minimum: 1 / float64(n+1),
				KeySkew: skewOf(floats(t.keys[2*i])),
			}
			if spec.Size.Sized() {
				bs := skewOf(floats(t.bytes[2*i]))
				mb := float64(t.movedB[i]) / float64(t.totalB)
				pt.ByteSkew, pt.MovedBytes = &bs, &mb
			}
			res.Sweep = append(res.Sweep, pt)
		}
	}
	return nil
}

// SweepOf returns the sweep points of one scheme, by N.
func (res *SkewResult) SweepOf(s Scheme) []SweepPoint {
	var out []SweepPoint
	for _, p := range res.Sweep {
		if p.Scheme == s {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b SweepPoint) int { return a.N - b.N })
	return out
}
