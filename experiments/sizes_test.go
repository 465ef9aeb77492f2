package experiments

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]SizeSpec{
		"":                        {},
		"none":                    {},
		"fixed:1000":              {Dist: SizeFixed, Bytes: 1000},
		"fixed:1kb":               {Dist: SizeFixed, Bytes: 1024},
		"fixed:2k":                {Dist: SizeFixed, Bytes: 2000},
		"lognormal:1mb:1.5":       {Dist: SizeLogNormal, Bytes: 1 << 20, Sigma: 1.5},
		"pareto:100:1.2":          {Dist: SizePareto, Bytes: 100, Alpha: 1.2},
		"file:testdata/sizes.txt": {Dist: SizeFile, File: "testdata/sizes.txt"},
	} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		if in != "" && !strings.HasSuffix(in, "b") && !strings.HasSuffix(in, "k") && !strings.Contains(in, "mb") {
			assert.Equal(t, in, got.String())
		}
	}
	for in, msg := range map[string]string{
		"huge":              `size "huge": want fixed:BYTES, lognormal:MEDIAN:SIGMA, pareto:MIN:ALPHA or file:PATH`,
		"fixed":             `size "fixed": want fixed:BYTES`,
		"fixed:-3":          `size "fixed:-3": "-3" is not a size in bytes (a positive number, with k, kb, m, mb, g or gb)`,
		"fixed:1tb":         `size "fixed:1tb": "1tb" is not a size in bytes (a positive number, with k, kb, m, mb, g or gb)`,
		"fixed:1gb":         `size fixed:1073741824: want 1 to 536870912 bytes (proto-max-bulk-len)`,
		"pareto:100":        `size "pareto:100": want pareto:MIN:ALPHA (e.g. pareto:100:1.2)`,
		"pareto:100:0":      `size pareto:100:0: alpha 0: want more than 0, at most 100 (below 1 the mean is infinite but for the 512 MB cap)`,
		"lognormal:100:x":   `size "lognormal:100:x": want lognormal:MEDIAN:SIGMA (e.g. lognormal:1kb:1.5)`,
		"lognormal:100:-1":  `size lognormal:100:-1: sigma -1: want 0 to 10`,
		"file:":             `size "file:": want file:PATH`,
		"file:no/such/file": `size: stat no/such/file: no such file or directory`,
	} {
		_, err := ParseSize(in)
		assert.EqualError(t, err, msg, in)
	}
}

// Each distribution draws what it says, the same for the same seed and key.
func TestSizeDistributions(t *testing.T) {
	const n = 200_000
	draw := func(z SizeSpec, seed uint64) []int64 {
		s, err := z.newSizer(seed)
		require.NoError(t, err)
		out := make([]int64, n)
		for i := range out {
			out[i] = s.of(int64(i))
		}
		return out
	}
	fixed := draw(SizeSpec{Dist: SizeFixed, Bytes: 512}, 1)
	assert.Equal(t, int64(512), slices.Min(fixed))
	assert.Equal(t, int64(512), slices.Max(fixed))

	logn := SizeSpec{Dist: SizeLogNormal, Bytes: 1000, Sigma: 1}
	a := draw(logn, 1)
	assert.Equal(t, a, draw(logn, 1), "the same seed, the same sizes")
	assert.NotEqual(t, a, draw(logn, 2))
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	assert.InEpsilon(t, 1000, float64(sorted[n/2]), 0.02, "the median")
	// One σ above the median: e¹ times it, at the 84.13th percentile.
	assert.InEpsilon(t, 1000*math.E, float64(sorted[int(0.8413*n)]), 0.03)

	par := SizeSpec{Dist: SizePareto, Bytes: 100, Alpha: 1.2}
	p := draw(par, 1)
	assert.Equal(t, int64(100), slices.Min(p))
	for _, x := range []float64{1000, 10000} {
		above := 0
		for _, s := range p {
			if float64(s) > x {
				above++
			}
		}
		want := math.Pow(100/x, 1.2)
		assert.InEpsilon(t, want, float64(above)/n, 0.1, "P(size > %g)", x)
	}
	assert.LessOrEqual(t, slices.Max(draw(SizeSpec{Dist: SizePareto, Bytes: 1e6, Alpha: 0.1}, 1)), int64(MaxKeyBytes), "the cap")
}

// testdata/{memkeys,bigkeys,sizes}.txt are one real keyspace as redis-cli 7.0.15 described
// it (record-sizes.sh): the --memkeys summary and the key-by-key MEMORY USAGE lines hold
// the same keys and bytes.
func TestSizeFilesFromRealRedisCli(t *testing.T) {
	read := func(name string) (keys []string, sizes []SizedKey) {
		f, err := os.Open(filepath.Join("testdata", name))
		require.NoError(t, err)
		defer f.Close()
		require.NoError(t, readSizeFile(f, name, func(k string, e SizedKey) error {
			keys, sizes = append(keys, k), append(sizes, e)
			return nil
		}))
		return keys, sizes
	}
	sum := func(sizes []SizedKey) (total int64, byType map[string]int64) {
		byType = map[string]int64{}
		for _, e := range sizes {
			total += e.Bytes
			byType[e.Type] += e.Bytes
		}
		return total, byType
	}
	keys, lines := read("sizes.txt")
	require.Len(t, lines, 105)
	assert.Equal(t, "big:hash", keys[0])
	assert.Equal(t, SizedKey{Bytes: 64304, Type: "hash", Elements: 1000}, lines[0])
	_, summary := read("memkeys.txt")
	require.Len(t, summary, 105)
	tl, bl := sum(lines)
	ts, bs := sum(summary)
	assert.Equal(t, tl, ts)
	assert.Equal(t, bl, bs)
	assert.Equal(t, int64(174832), bs["string"], "memkeys.txt's strings")
	assert.Contains(t, slices.Collect(func(yield func(int64) bool) {
		for _, e := range summary {
			if !yield(e.Bytes) {
				return
			}
		}
	}), int64(114744), "the biggest string, as it is")

	f, err := os.Open("testdata/bigkeys.txt")
	require.NoError(t, err)
	defer f.Close()
	err = readSizeFile(f, "bigkeys.txt", func(string, SizedKey) error { return nil })
	assert.EqualError(t, err, "bigkeys.txt:32: redis-cli --bigkeys counts a hash's fields, not its bytes; give the output of redis-cli --memkeys")
}

func TestSizeFileErrorsNameTheLine(t *testing.T) {
	for text, msg := range map[string]string{
		"a 10\nb (nil)\n": `f.txt:2: "(nil)" is not a size in bytes (was the key deleted between SCAN and MEMORY USAGE?)`,
		"a 10\n\nc\n":     `f.txt:3: "c": want KEY BYTES [TYPE ELEMENTS]`,
		"a 10 hash x\n":   `f.txt:1: "x" is not a count of elements`,
		"a -5 string 3\n": `f.txt:1: "-5" is not a size in bytes`,
		"\n\n":            `size: f.txt holds no sizes`,
		"\n# Scanning the entire keyspace to find biggest keys as well as\n": `size: f.txt is redis-cli output with no summary of keys (was the scan cut short?)`,
	} {
		err := readSizeFile(strings.NewReader(text), "f.txt", func(string, SizedKey) error { return nil })
		assert.EqualError(t, err, msg, "%q", text)
	}
	var keys []string
	require.NoError(t, readSizeFile(strings.NewReader("my key 10\nuser:{1} x 64 string 20\r\n"), "f.txt", func(k string, e SizedKey) error {
		keys = append(keys, k)
		return nil
	}))
	assert.Equal(t, []string{"my key", "user:{1} x"}, keys, "keys may hold spaces")
}

// Keys read with their own sizes: every byte is counted once, on some member, and what
// moves is at most all of it.
func TestSkewInBytes(t *testing.T) {
	cfg := DefaultSkewConfig()
	cfg.Keys = KeySpec{File: "testdata/sizes.txt", Size: SizeSpec{Dist: SizeFile, File: "testdata/sizes.txt"}}
	cfg.TaggedKeys, cfg.MinN, cfg.MaxN, cfg.VNodes, cfg.ClusterRequests = KeySpec{}, 0, 0, nil, 0
	res, err := RunSkew(cfg)
	require.NoError(t, err)
	const total = 239544 // testdata/memkeys.txt's bytes
	for _, st := range res.Stages {
		var sum int64
		for _, b := range st.Bytes {
			sum += b
		}
		assert.Equal(t, int64(total), sum, "%s %s", st.Scheme, st.Stage)
		require.NotNil(t, st.ByteSkew)
		if st.MovedBytes != nil {
			assert.GreaterOrEqual(t, *st.MovedBytes, 0.0)
			assert.LessOrEqual(t, *st.MovedBytes, 1.0)
		}
	}
	// The 100 kB string and the 64 kB hash are two thirds of the bytes: whichever member
	// holds the string holds at least 114744 of them.
	for _, st := range res.Stages {
		assert.GreaterOrEqual(t, slices.Max(st.Bytes), int64(114744), "%s %s", st.Scheme, st.Stage)
	}
	assert.Contains(t, cfg.Keys.String(), "each its own size")

	cfg.Keys.File = "testdata/memkeys.txt"
	cfg.Keys.Size.File = cfg.Keys.File
	_, err = RunSkew(cfg)
	assert.EqualError(t, err, "keys: testdata/memkeys.txt is a redis-cli summary, which names only the biggest key of each type; keys with their own sizes need KEY BYTES lines")
}
