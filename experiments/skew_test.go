package experiments_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/slot"
)

// smallConfig is the default comparison scaled down to run in a few seconds.
func smallConfig() experiments.SkewConfig {
	cfg := experiments.DefaultSkewConfig()
	cfg.Keys.Count = 200_000
	cfg.TaggedKeys.Count = 100_000
	cfg.SweepKeys = 100_000
	cfg.MaxN = 10
	cfg.ClusterRequests = 10_000
	return cfg
}

func stage(t *testing.T, res *experiments.SkewResult, scheme, prefix string) experiments.Stage {
	t.Helper()
	for _, s := range res.Stages {
		if s.Scheme.String() == scheme && strings.HasPrefix(s.Stage, prefix) {
			return s
		}
	}
	t.Fatalf("no stage %q of %s", prefix, scheme)
	return experiments.Stage{}
}

// TestSkewReproducesTheLiterature checks the numbers issue 3 names against theory and the
// papers: modulo 3 → 4 moves 3/4, a ring about 1/4, the seed's 4096-slot reshard exactly
// its slots' keys (1/4); σ/mean of ring shares follows Lamping and Veach.
func TestSkewReproducesTheLiterature(t *testing.T) {
	t.Parallel() // CPU-bound; the package's heaviest tests share the cores
	res, err := experiments.RunSkew(smallConfig())
	require.NoError(t, err)

	assert.InDelta(t, 0.75, stage(t, res, "modulo", "4 masters").Moved, 0.005)
	assert.InDelta(t, 0.25, stage(t, res, "ring:1000", "4 masters").Moved, 0.025)
	assert.InDelta(t, 0.25, stage(t, res, "slots", "4 masters").Moved, 0.005)
	assert.InDelta(t, 0.25, stage(t, res, "slots:rebalance", "4 masters").Moved, 0.005)
	for _, s := range res.Stages {
		if s.Minimum > 0 {
			assert.Equal(t, 0.25, s.Minimum)
		}
	}
	// The seed's scale-in hands all 4096 slots to 6381: 8192 of 16384 slots, half the keys.
	back := stage(t, res, "slots", "3 masters: ")
	assert.InDelta(t, 0.5, float64(back.Keys[0])/200_000, 0.005)
	assert.InDelta(t, 1.5, back.KeySkew.MaxMean, 0.01)

	for _, l := range res.Law {
		assert.InDelta(t, 1/math.Sqrt(float64(l.VNodes)), l.CV, 0.07/math.Sqrt(float64(l.VNodes)), "V=%d", l.VNodes)
		if l.Lamping > 0 {
			assert.InEpsilon(t, l.Lamping, l.CV, 0.05, "V=%d against Lamping & Veach", l.VNodes)
		}
	}
	require.Len(t, res.Law, 4)

	for _, p := range res.SweepOf(mustScheme(t, "modulo")) {
		// From N to N+1 a key stays only if hash ≡ hash mod N and mod N+1: N/(N+1) move.
		assert.InDelta(t, float64(p.N)/float64(p.N+1), p.Moved, 0.005, "modulo %d → %d", p.N, p.N+1)
	}
	for _, p := range res.SweepOf(mustScheme(t, "slots")) {
		// reshard moves 16384/(N+1) slots, less redis-cli's rounding down per source.
		assert.InDelta(t, p.Minimum, p.Moved, 0.1*p.Minimum+0.004, "slots %d → %d", p.N, p.N+1)
	}
	require.Len(t, res.SweepOf(mustScheme(t, "ring:100")), 8)
}

// TestRingScaleOutMovesAQuarterOnAverage: one ring layout moves its joiner's random share;
// averaged over layouts (seeds name the members differently), 3 → 4 moves 1/4.
func TestRingScaleOutMovesAQuarterOnAverage(t *testing.T) {
	sum := 0.0
	const layouts = 12
	for i := range layouts {
		cfg := experiments.SkewConfig{
			Keys:    experiments.KeySpec{Count: 40_000, Kind: experiments.Uniform, Seed: uint64(i)},
			Schemes: []experiments.Scheme{mustScheme(t, "ring:100")},
			MinN:    3 + i, MaxN: 3 + i, SweepKeys: 40_000,
		}
		res, err := experiments.RunSkew(cfg)
		require.NoError(t, err)
		pt := res.Sweep[0]
		sum += pt.Moved / pt.Minimum
	}
	assert.InDelta(t, 1, sum/layouts, 0.04, "moved / minimum, averaged over %d layouts", layouts)
}

func TestCrashSemantics(t *testing.T) {
	cfg := smallConfig()
	cfg.MaxN, cfg.MinN, cfg.VNodes, cfg.TaggedKeys = 0, 0, nil, experiments.KeySpec{}
	res, err := experiments.RunSkew(cfg)
	require.NoError(t, err)
	get := func(scheme string, replica bool) experiments.Crash {
		for _, c := range res.Crashes {
			if c.Scheme.String() == scheme && c.Replica == replica {
				return c
			}
		}
		t.Fatalf("no crash row for %s", scheme)
		return experiments.Crash{}
	}
	// Slots: the replica is promoted, a third of the keys change owner, none is copied.
	c := get("slots", true)
	assert.InDelta(t, 1.0/3, c.OwnerChanged, 0.01)
	assert.Zero(t, c.Copied)
	assert.Zero(t, c.Lost)
	// Without a replica the slots are unserved and the keys were only on the dead master.
	c = get("slots", false)
	assert.Zero(t, c.OwnerChanged)
	assert.InDelta(t, 1.0/3, c.Unserved, 0.01)
	assert.Equal(t, c.Unserved, c.Lost)
	// A ring's next member already holds the replica: nothing to copy.
	c = get("ring:1000", true)
	assert.Zero(t, c.Copied)
	assert.Zero(t, c.Lost)
	// modulo renumbers: 2/3 of the keys change owner; with one replica on member i+1, half
	// of those find their copy there.
	c = get("modulo", true)
	assert.InDelta(t, 2.0/3, c.OwnerChanged, 0.01)
	assert.InDelta(t, 1.0/3, c.Copied, 0.01)
	assert.Zero(t, c.Lost)
	c = get("modulo", false)
	assert.InDelta(t, 1.0/3, c.Lost, 0.01)
}

// TestClusterLoadMatchesThePartitionAnalysis: the Zipf requests served by the simulated
// cluster land on each master in the share the slot map and the key weights predict,
// within sampling noise; none fails on a healthy cluster, and the hottest key draws the
// share Zipf(1) gives the first of n keys, 1/H(n).
func TestClusterLoadMatchesThePartitionAnalysis(t *testing.T) {
	cfg := smallConfig()
	cfg.Schemes, _ = experiments.ParseSchemes("slots")
	cfg.TaggedKeys.Count, cfg.MinN, cfg.MaxN, cfg.VNodes = 0, 0, 0, nil
	cfg.ClusterRequests = 30_000
	res, err := experiments.RunSkew(cfg)
	require.NoError(t, err)
	cl := res.ClusterLoad
	require.NotNil(t, cl)
	assert.Equal(t, []string{"127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383"}, cl.Masters)
	assert.Equal(t, []string{"0-5460", "5461-10922", "10923-16383"}, cl.Slots)
	assert.Zero(t, cl.Failed)
	sum := 0.0
	for j := range cl.Masters {
		sigma := math.Sqrt(cl.Expected[j] * (1 - cl.Expected[j]) / float64(cl.Requests))
		assert.InDelta(t, cl.Expected[j], cl.Measured[j], 4*sigma, "%s", cl.Masters[j])
		sum += cl.Measured[j]
	}
	assert.InDelta(t, 1, sum, 1e-9)
	h := 0.0
	for i := 1; i <= int(cfg.Keys.Count); i++ {
		h += 1 / float64(i)
	}
	assert.InDelta(t, 1/h, cl.HotShare, 4*math.Sqrt(1/h*(1-1/h)/float64(cl.Requests)))
	assert.Equal(t, slot.Of(cl.HotKey), slot.Of(experiments.KeySpec{Kind: experiments.Uniform, Seed: cfg.Keys.Seed}.Key(0)), "the hottest key is key 0")
}

func TestSkewIsDeterministic(t *testing.T) {
	t.Parallel() // CPU-bound; the package's heaviest tests share the cores
	cfg := smallConfig()
	cfg.MaxN = 5
	var outs []string
	for _, workers := range []int{1, 2, 3} {
		cfg.Workers = workers
		res, err := experiments.RunSkew(cfg)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, res.WriteJSON(&b))
		require.NoError(t, res.WriteTable(&b))
		outs = append(outs, b.String())
	}
	assert.Equal(t, outs[0], outs[1], "1 and 2 workers")
	assert.Equal(t, outs[0], outs[2], "1 and 3 workers")

	cfg.Keys.Seed = 99
	res, err := experiments.RunSkew(cfg)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, res.WriteJSON(&b))
	assert.NotEqual(t, outs[0][:len(b.String())/2], b.String()[:len(b.String())/2], "another seed gives other keys")
}

func TestKeysFromAFile(t *testing.T) {
	spec := experiments.KeySpec{Count: 5000, Kind: experiments.Tagged, Tags: 7, Seed: 3}
	var b strings.Builder
	for i := range spec.Count {
		b.WriteString(spec.Key(i) + "\r\n")
	}
	path := filepath.Join(t.TempDir(), "keys.txt")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))

	one := func(keys experiments.KeySpec) experiments.Stage {
		cfg := experiments.SkewConfig{Keys: keys, Schemes: []experiments.Scheme{mustScheme(t, "slots"), mustScheme(t, "ring:10")}}
		res, err := experiments.RunSkew(cfg)
		require.NoError(t, err)
		return res.Stages[4]
	}
	fromFile := one(experiments.KeySpec{File: path})
	generated := one(spec)
	assert.Equal(t, generated.Keys, fromFile.Keys, "the same keys read back from a file land on the same masters")
}

func TestKeysAreDistinctAndStable(t *testing.T) {
	spec := experiments.KeySpec{Count: 100000, Kind: experiments.Uniform, Seed: 7}
	seen := map[string]bool{}
	for i := range spec.Count {
		k := spec.Key(i)
		require.False(t, seen[k], "key %d = %q repeats", i, k)
		seen[k] = true
	}
	assert.Equal(t, "key:", spec.Key(0)[:4])
	assert.Len(t, spec.Key(0), 20)
	tagged := experiments.KeySpec{Count: 10, Kind: experiments.Tagged, Tags: 3, Seed: 7}
	tags := map[int]bool{}
	for i := range int64(1000) {
		tags[slot.Of(tagged.Key(i))] = true
	}
	assert.Len(t, tags, 3, "3 tags, 3 slots")
	assert.Equal(t, spec.Key(12345), experiments.KeySpec{Count: 1, Kind: experiments.Uniform, Seed: 7}.Key(12345), "a key depends on its index and the seed only")
}

func TestBadConfigurationsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		edit func(*experiments.SkewConfig)
		want string
	}{
		{func(c *experiments.SkewConfig) { c.Keys.Count = 0 }, "keys: count 0: at least one key is needed"},
		{func(c *experiments.SkewConfig) { c.Keys.Kind = "zipfy" }, `keys: kind "zipfy": want "uniform" or "tagged"`},
		{func(c *experiments.SkewConfig) { c.Keys.Zipf = -1 }, "keys: zipf exponent -1: it must be a finite number ≥ 0"},
		{func(c *experiments.SkewConfig) { c.TaggedKeys.Tags = 0 }, "tagged keys: 0 tags: tagged keys need at least one tag"},
		{func(c *experiments.SkewConfig) { c.Keys.File = "/no/such/file" }, "keys: stat /no/such/file: no such file or directory"},
		{func(c *experiments.SkewConfig) { c.Schemes = nil }, "skew: no schemes to compare"},
		{func(c *experiments.SkewConfig) { c.MinN = 2 }, "skew: sweep 2..64: it needs 3 ≤ min ≤ max (Redis Cluster needs 3 masters)"},
		{func(c *experiments.SkewConfig) { c.SweepKeys = 0 }, "skew: 0 sweep keys: at least one is needed"},
		{func(c *experiments.SkewConfig) { c.VNodes = []int{0} }, "skew: 0 virtual nodes: each member needs at least one"},
	} {
		cfg := experiments.DefaultSkewConfig()
		tc.edit(&cfg)
		_, err := experiments.RunSkew(cfg)
		assert.EqualError(t, err, tc.want)
	}
	for text, want := range map[string]string{
		"ring":       `scheme "ring": ring needs its virtual nodes per member, a whole number ≥ 1, as in ring:100`,
		"ring:0":     `scheme "ring:0": ring needs its virtual nodes per member, a whole number ≥ 1, as in ring:100`,
		"ring:1:0":   `scheme "ring:1:0": a multi-probe ring needs its probes per key after the virtual nodes, a whole number ≥ 1, as in ring:1:21`,
		"ring:1:":    `scheme "ring:1:": a multi-probe ring needs its probes per key after the virtual nodes, a whole number ≥ 1, as in ring:1:21`,
		"ring:x:21":  `scheme "ring:x:21": ring needs its virtual nodes per member, a whole number ≥ 1, as in ring:100`,
		"jump":       `scheme "jump": want modulo, ring:<vnodes>, ring:<vnodes>:<probes>, slots or slots:rebalance`,
		"slots:fix":  `scheme "slots:fix": want modulo, ring:<vnodes>, ring:<vnodes>:<probes>, slots or slots:rebalance`,
		"modulo:2":   `scheme "modulo:2": want modulo, ring:<vnodes>, ring:<vnodes>:<probes>, slots or slots:rebalance`,
		"modulo,,ri": `scheme "": want modulo, ring:<vnodes>, ring:<vnodes>:<probes>, slots or slots:rebalance`,
	} {
		_, err := experiments.ParseSchemes(text)
		assert.EqualError(t, err, want, text)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	cfg := experiments.SkewConfig{Keys: experiments.KeySpec{File: empty}, Schemes: []experiments.Scheme{mustScheme(t, "modulo")}}
	_, err := experiments.RunSkew(cfg)
	assert.EqualError(t, err, fmt.Sprintf("keys: %s holds no keys", empty))
}

func mustScheme(t *testing.T, text string) experiments.Scheme {
	t.Helper()
	s, err := experiments.ParseScheme(text)
	require.NoError(t, err)
	return s
}

// TestMultiProbeRingEvensSharesAndMovesTheMinimum: the scheme ring:1:21 is a multi-probe
// ring: over scale-outs from 10 to 30 members its keys spread several times more evenly
// than ring:1's, and a scale-out moves about the minimum 1/(N+1) of the keys, as an even
// consistent hash should.
func TestMultiProbeRingEvensSharesAndMovesTheMinimum(t *testing.T) {
	cfg := experiments.SkewConfig{
		Keys:    experiments.KeySpec{Count: 60_000, Kind: experiments.Uniform, Seed: 1},
		Schemes: []experiments.Scheme{mustScheme(t, "ring:1"), mustScheme(t, "ring:1:21")},
		MinN:    10, MaxN: 30, SweepKeys: 60_000,
	}
	res, err := experiments.RunSkew(cfg)
	require.NoError(t, err)
	mean := func(scheme string, f func(experiments.SweepPoint) float64) float64 {
		pts := res.SweepOf(mustScheme(t, scheme))
		require.NotEmpty(t, pts)
		sum := 0.0
		for _, p := range pts {
			sum += f(p)
		}
		return sum / float64(len(pts))
	}
	cv := func(p experiments.SweepPoint) float64 { return p.KeySkew.CV }
	moved := func(p experiments.SweepPoint) float64 { return p.Moved / p.Minimum }
	t.Logf("σ/mean: ring:1 %.3f, ring:1:21 %.3f; moved/minimum: %.3f, %.3f", mean("ring:1", cv), mean("ring:1:21", cv), mean("ring:1", moved), mean("ring:1:21", moved))
	assert.Less(t, mean("ring:1:21", cv), mean("ring:1", cv)/4)
	assert.InDelta(t, 1, mean("ring:1:21", moved), 0.1)
	assert.Equal(t, "ring:1:21", mustScheme(t, "ring:1:21").String())
}
