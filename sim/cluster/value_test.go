package cluster

import (
	"bufio"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvplace/kvplace/internal/splitmix"
	"github.com/stretchr/testify/require"
)

// TestMemoryUsageMatchesRealRedis holds the model of MEMORY USAGE to what a real
// redis-server 7.0.15 answered for the same keys and values (calibration/memory-usage.txt,
// made by calibration/record-memory-usage.sh): strings of every encoding and size class
// from 1 byte to 100 MiB, hashes from one field to a million grown by HSET and restored
// by DUMP/RESTORE, and DEBUG POPULATE's values. The issue asks for 10 %; the model is
// exact on every line, and the test says by how much a line is off if one ever is not.
func TestMemoryUsageMatchesRealRedis(t *testing.T) {
	f, err := os.Open("calibration/memory-usage.txt")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") {
			continue
		}
		fs := strings.Fields(text)
		require.Len(t, fs, 5, "line %d", line)
		kind, key, enc := fs[0], fs[2], fs[4]
		size, err := strconv.Atoi(fs[1])
		require.NoError(t, err, "line %d", line)
		real, err := strconv.ParseInt(fs[3], 10, 64)
		require.NoError(t, err, "line %d", line)
		var v value
		switch kind {
		case "string":
			v = stringValue(strings.Repeat("x", size))
		case "int":
			v = stringValue(strings.TrimPrefix(key, "i:"))
		case "populate":
			v = stringValue(populateValue(2, size))
		default:
			name, restored := strings.CutPrefix(kind, "restored-")
			k := slices.Index(kindNames[:], name)
			require.Positive(t, k, "line %d: unknown kind %q", line, kind)
			v = value{kind: uint8(k), elems: size, presized: restored}
		}
		require.Equal(t, enc, v.encoding(), "line %d: %s", line, text)
		if v.skiplist() {
			// A skiplist's nodes have random heights, and a real server costs the members
			// from the first five: its answer must be one the model gives for some five.
			answers := skiplistAnswers(key, v)
			require.True(t, answers[real], "line %d: %s: not an answer of the model for any five heights (%d to %d)",
				line, text, slices.Min(slices.Collect(maps.Keys(answers))), slices.Max(slices.Collect(maps.Keys(answers))))
			lines++
			continue
		}
		got := memoryUsage(key, v, defaultSamples)
		off := float64(got-real) / float64(real)
		if v.kind == kindSet {
			// A set's table is counted twice while a doubling is rehashed, which ends when
			// the old table's non-empty buckets are moved: near that end, the server's
			// random hash seed decides (set:100 was 5664 in one recording and 5152 in the
			// next).
			require.InDelta(t, 0, off, 0.10, "line %d: %s: the model says %d, %+.1f%%", line, text, got, 100*off)
			lines++
			continue
		}
		require.Equal(t, real, got, "line %d: %s: the model says %d, %+.1f%%", line, text, got, 100*float64(got-real)/float64(real))
		lines++
	}
	require.NoError(t, sc.Err())
	require.Greater(t, lines, 30)
}

// lowest gives every skiplist node one level: the least MEMORY USAGE.
func lowest(int) int { return 1 }

// skiplistAnswers are MEMORY USAGE's possible answers for key holding the skiplist v: one
// for each heights its first five nodes can have, up to 12 levels (a node is higher with
// probability 4^-12, and five of them 2×10^-7).
func skiplistAnswers(key string, v value) map[int64]bool {
	answers := map[int64]bool{}
	var levels [defaultSamples]int
	var each func(i, from int)
	each = func(i, from int) {
		if i == len(levels) {
			answers[skiplistSize(v, defaultSamples, func(i int) int { return levels[i-1] })+keyEntrySize(key)] = true
			return
		}
		for l := from; l <= 12; l++ { // the order of the heights changes nothing
			levels[i] = l
			each(i+1, l)
		}
	}
	each(0, 1)
	return answers
}

// The heights of a skiplist's nodes are zslRandomLevel's: level l with probability
// 0.75·0.25^(l-1). A chi-square test over 100 000 nodes, levels 1 to 7 and the rest as one
// bin (7 degrees of freedom), must stay under 24.32, the 0.1 % critical value; being a
// fixed draw, it passes or fails the same way every run.
func TestSkiplistHeights(t *testing.T) {
	const nodes = 100000
	v := value{kind: kindZset, elems: nodes, heights: 0x9e3779b97f4a7c15}
	var count [9]int
	for i := 1; i <= nodes; i++ {
		count[min(v.level(i), 8)]++
	}
	chi2, p := 0.0, 0.75
	for l := 1; l <= 8; l++ {
		want := p
		if l == 8 {
			want = p / 0.75 // the tail
		}
		e := want * nodes
		chi2 += (float64(count[l]) - e) * (float64(count[l]) - e) / e
		p *= 0.25
	}
	require.Less(t, chi2, 24.32, "levels %v", count[1:])
	// The same node keeps its height, and another key's nodes have others.
	require.Equal(t, v.level(17), v.level(17))
	w := v
	w.heights++
	differ := 0
	for i := 1; i <= 100; i++ {
		if v.level(i) != w.level(i) {
			differ++
		}
	}
	require.Greater(t, differ, 20)
}

// MEMORY USAGE samples as SAMPLES says: the default five nodes give one of the answers a
// real server can, and SAMPLES 0 costs every node, which for 100 000 nodes lands within
// 0.1 % of the expectation (5.34 bytes of height per node above the lowest, whose
// standard error here is 0.01 %).
func TestMemoryUsageSamples(t *testing.T) {
	key := "zset:big"
	for seed := uint64(1); seed <= 20; seed++ {
		v := value{kind: kindZset, elems: 100000, heights: splitmix.Mix64(seed)}
		require.True(t, skiplistAnswers(key, v)[memoryUsage(key, v, defaultSamples)], "seed %d", seed)
		all := memoryUsage(key, v, 0)
		require.Equal(t, all, memoryUsage(key, v, 1<<30), "SAMPLES beyond the length is every node")
		// Every node at level 1 gives the least answer; each costs 16 bytes a level more
		// and 24 more at level 7 (136 bytes rounds up to 160), on average 16/3 + 0.0073.
		least := skiplistSize(v, 100000, lowest) + keyEntrySize(key)
		require.InEpsilon(t, float64(least)+5.34*100000, float64(all), 0.001, "seed %d", seed)
	}
	// A list's five sampled quicklist nodes are full but for the last: sampling one or
	// every node changes the answer only through the last node.
	list := value{kind: kindList, elems: 100000}
	require.Equal(t, memoryUsage("l", list, 1), memoryUsage("l", list, 5))
	require.NotEqual(t, memoryUsage("l", list, 0), memoryUsage("l", list, 5))
}

// TestSkiplistUsageMatchesRecording holds the skiplist's random MEMORY USAGE to 40 real
// ones (calibration/skiplist-usage.txt, made by calibration/record-skiplist-usage.sh):
//   - every real default answer is one the model gives for some five heights;
//   - their spread over 320 000-byte steps above the least (bins 0, 1, 2, 3, 4 and more)
//     agrees with the model's over 20 000 keys: chi-square under 18.47, the 0.1 % critical
//     value for 4 degrees of freedom;
//   - the SAMPLES 0 answers' mean is the model's within four standard errors.
func TestSkiplistUsageMatchesRecording(t *testing.T) {
	f, err := os.Open("calibration/skiplist-usage.txt")
	require.NoError(t, err)
	defer f.Close()
	const members, key, step = 100000, "z", 320000
	least := skiplistSize(value{kind: kindZset, elems: members}, defaultSamples, lowest) + keyEntrySize(key)
	bin := func(usage int64) int { return min(int((usage-least+1)/step), 4) }
	var real [5]float64
	var all []float64
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fs := strings.Fields(sc.Text())
		require.Len(t, fs, 3, "line %d", line)
		usage, err := strconv.ParseInt(fs[1], 10, 64)
		require.NoError(t, err, "line %d", line)
		every, err := strconv.ParseFloat(fs[2], 64)
		require.NoError(t, err, "line %d", line)
		require.True(t, skiplistAnswers(key, value{kind: kindZset, elems: members})[usage],
			"line %d: %d is not an answer of the model for any five heights", line, usage)
		real[bin(usage)]++
		all = append(all, every)
	}
	require.NoError(t, sc.Err())
	require.Len(t, all, 40)

	const keys = 20000
	var model [5]float64
	var modelAll []float64
	for i := range keys {
		v := value{kind: kindZset, elems: members, heights: splitmix.Mix64(uint64(i) + 1)}
		model[bin(memoryUsage(key, v, defaultSamples))]++
		if i < 100 {
			modelAll = append(modelAll, float64(memoryUsage(key, v, 0)))
		}
	}
	chi2 := 0.0
	for b := range real {
		e := model[b] / keys * float64(len(all))
		chi2 += (real[b] - e) * (real[b] - e) / e
	}
	require.Less(t, chi2, 18.47, "real %v, model per %d %v", real, keys, model)

	// mean is xs's mean and its variance (the square of its standard error).
	mean := func(xs []float64) (m, v float64) {
		for _, x := range xs {
			m += x
		}
		m /= float64(len(xs))
		for _, x := range xs {
			v += (x - m) * (x - m)
		}
		return m, v / float64(len(xs)-1) / float64(len(xs))
	}
	rm, rv := mean(all)
	mm, mv := mean(modelAll)
	t.Logf("default: real %v, model %v of %d; SAMPLES 0: real mean %.0f, the model's %.0f", real, model, keys, rm, mm)
	require.Less(t, math.Abs(rm-mm), 4*math.Sqrt(rv+mv), "SAMPLES 0: real mean %.0f, the model's %.0f", rm, mm)
}

func TestMallocSizeClasses(t *testing.T) {
	for n, want := range map[int]int{1: 8, 8: 8, 9: 16, 17: 32, 128: 128, 129: 160, 160: 160, 161: 192,
		1024: 1024, 1025: 1280, 16390: 20480, 104857610: 117440512} {
		require.Equal(t, want, mallocSize(n), "mallocSize(%d)", n)
	}
}

func TestLoadStringIsFixedAndIncompressible(t *testing.T) {
	a, b := LoadString(1000), LoadString(1000)
	require.Equal(t, a, b)
	require.Equal(t, a[:10], LoadString(10))
	seen := map[byte]int{}
	for i := range len(a) {
		seen[a[i]]++
	}
	require.Greater(t, len(seen), 60, "drawn from all 64 letters, digits and signs")
}

// The memory recorder is a shell script with its own copies of the `load` scripts: they
// must be the simulator's, or the recording measures other values.
func TestMemoryRecorderWritesWhatLoadWrites(t *testing.T) {
	text, err := os.ReadFile("calibration/record-memory-usage.sh")
	require.NoError(t, err)
	for name, script := range LoadScripts {
		require.Contains(t, string(text), script, "record-memory-usage.sh writes a %s as `load %s` does", name, name)
	}
}
