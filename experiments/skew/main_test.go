package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var small = []string{"-keys", "20000", "-sweep-keys", "20000", "-max-n", "6", "-law-members", "50", "-q"}

func TestTableAndFigures(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	require.NoError(t, run(append(small, "-out", dir), &out, &errs))
	for _, want := range []string{
		"1. The seed tutorial's scale-out and scale-in, 3 → 4 → 3 masters",
		"2. Skew by workload at 4 masters",
		"3. A master crashes",
		"4. Virtual nodes",
		"5. Scale-out N → N+1",
		"Figures: " + filepath.Join(dir, "skew-load.png"),
	} {
		assert.Contains(t, out.String(), want)
	}
	assert.Empty(t, errs.String(), "-q keeps stderr quiet")
	for _, name := range []string{"skew-load", "skew-vnodes", "skew-moved", "skew-memory"} {
		for _, ext := range []string{".png", ".svg"} {
			info, err := os.Stat(filepath.Join(dir, name+ext))
			require.NoError(t, err)
			assert.Greater(t, info.Size(), int64(1000), name+ext)
		}
	}
}

// Sizes from a file of redis-cli --memkeys output give bytes beside keys, in the table, the
// JSON and the CSV; -size none gives keys only.
func TestSizes(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(append(small, "-size", "file:../testdata/memkeys.txt", "-out", ""), &out, &bytes.Buffer{}))
	assert.Contains(t, out.String(), "sizes file:../testdata/memkeys.txt)")
	assert.Contains(t, out.String(), "MB per master")
	assert.Contains(t, out.String(), "bytes, sizes file:../testdata/memkeys.txt")

	var js bytes.Buffer
	require.NoError(t, run(append(small, "-json"), &js, &bytes.Buffer{}))
	var res struct {
		Stages []struct {
			Keys       []int64  `json:"keys"`
			Bytes      []int64  `json:"bytes"`
			MovedBytes *float64 `json:"moved_bytes"`
			ByteSkew   *struct {
				MaxMean float64 `json:"max_over_mean"`
			} `json:"byte_skew"`
		} `json:"seed_stages"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &res))
	require.NotEmpty(t, res.Stages)
	assert.Len(t, res.Stages[0].Bytes, len(res.Stages[0].Keys), "the default sizes: bytes per master")
	assert.NotNil(t, res.Stages[1].MovedBytes)
	assert.GreaterOrEqual(t, res.Stages[0].ByteSkew.MaxMean, 1.0)

	out.Reset()
	require.NoError(t, run(append(small, "-size", "none", "-out", ""), &out, &bytes.Buffer{}))
	assert.NotContains(t, out.String(), "MB per master")
}

func TestJSON(t *testing.T) {
	var out, errs bytes.Buffer
	require.NoError(t, run(append(small, "-json", "-out", ""), &out, &errs))
	var res struct {
		Stages []struct {
			Scheme string  `json:"scheme"`
			Moved  float64 `json:"moved"`
		} `json:"seed_stages"`
		Sweep []json.RawMessage `json:"sweep"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	assert.Equal(t, "modulo", res.Stages[0].Scheme)
	// Eight default schemes (modulo, four rings, the multi-probe ring, two slot policies),
	// each at four sizes.
	assert.Equal(t, 8*4, len(res.Sweep))
}

func TestSameSeedSameBytes(t *testing.T) {
	var a, b bytes.Buffer
	dirA, dirB := t.TempDir(), t.TempDir()
	require.NoError(t, run(append(small, "-out", dirA), &a, &bytes.Buffer{}))
	require.NoError(t, run(append(small, "-out", dirB), &b, &bytes.Buffer{}))
	assert.Equal(t, strings.ReplaceAll(a.String(), dirA, "DIR"), strings.ReplaceAll(b.String(), dirB, "DIR"))
	for _, f := range []string{"skew-load.png", "skew-moved.svg", "skew-vnodes.png", "skew-memory.png"} {
		x, err := os.ReadFile(filepath.Join(dirA, f))
		require.NoError(t, err)
		y, err := os.ReadFile(filepath.Join(dirB, f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(x, y), "%s differs between two runs", f)
	}
}

func TestBadFlags(t *testing.T) {
	for args, want := range map[string]string{
		"-schemes ring:x": `scheme "ring:x": ring needs its virtual nodes per member, a whole number ≥ 1, as in ring:100`,
		"-vnodes 1,x":     `-vnodes "1,x": "x" is not a whole number`,
		"-keys -5":        "keys: count -5: at least one key is needed",
		"-min-n 1":        "skew: sweep 1..64: it needs 3 ≤ min ≤ max (Redis Cluster needs 3 masters)",
		"extra":           `unexpected argument "extra"`,
		"-size pareto:1":  `-size "pareto:1": want pareto:MIN:ALPHA (e.g. pareto:100:1.2)`,
		"-size file:nope": `-size: stat nope: no such file or directory`,
	} {
		err := run(append(strings.Fields(args), "-q", "-out", ""), &bytes.Buffer{}, &bytes.Buffer{})
		assert.EqualError(t, err, want, args)
	}
	err := run([]string{"-no-such-flag"}, &bytes.Buffer{}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "flag provided but not defined: -no-such-flag")
}

// -json writes no figures unless -out asks for them: a program reading the JSON finds no
// out/ folder made beside it.
func TestJSONWritesNoFigures(t *testing.T) {
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	require.NoError(t, run(append(small, "-json", "-q"), &out, &bytes.Buffer{}))
	assert.True(t, strings.HasPrefix(out.String(), "{"), "JSON on stdout")
	_, err := os.Stat("out")
	assert.True(t, os.IsNotExist(err), "-json made %v", err)
	dir := filepath.Join(t.TempDir(), "figs")
	require.NoError(t, run(append(small, "-json", "-q", "-out", dir), &bytes.Buffer{}, &bytes.Buffer{}))
	_, err = os.Stat(filepath.Join(dir, "skew-load.png"))
	assert.NoError(t, err, "-json with -out writes the figures")
}

// TestCSVHoldsTheJSONsNumbers: -csv writes every number of the run through encoding/csv,
// one a row, and they are the JSON's, exactly; it writes no figures unless -out asks, and
// excludes -json.
func TestCSVHoldsTheJSONsNumbers(t *testing.T) {
	t.Chdir(t.TempDir())
	var js, cs bytes.Buffer
	require.NoError(t, run(append(small, "-json"), &js, &bytes.Buffer{}))
	require.NoError(t, run(append(small, "-csv"), &cs, &bytes.Buffer{}))
	_, err := os.Stat("out")
	assert.True(t, os.IsNotExist(err), "-csv made %v", err)

	rows, err := csv.NewReader(&cs).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"table", "scheme", "case", "member", "metric", "value"}, rows[0])
	got := map[string]string{}
	count := map[string]int{}
	for _, r := range rows[1:] {
		got[strings.Join(r[:5], "|")] = r[5]
		count[r[0]]++
	}
	var res struct {
		Stages []struct {
			Scheme  string    `json:"scheme"`
			Stage   string    `json:"stage"`
			Members []string  `json:"members"`
			Keys    []int64   `json:"keys"`
			Bytes   []int64   `json:"bytes"`
			Load    []float64 `json:"load"`
			Moved   float64   `json:"moved"`
		} `json:"seed_stages"`
		Sweep []struct {
			Scheme  string  `json:"scheme"`
			N       int     `json:"n"`
			Moved   float64 `json:"moved"`
			KeySkew struct {
				CV float64 `json:"sigma_over_mean"`
			} `json:"key_skew"`
		} `json:"sweep"`
		Crashes []json.RawMessage `json:"crashes"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &res))
	for _, st := range res.Stages {
		for i, m := range st.Members {
			assert.Equal(t, strconv.FormatInt(st.Keys[i], 10), got["stage|"+st.Scheme+"|"+st.Stage+"|"+m+"|keys"])
			assert.Equal(t, strconv.FormatInt(st.Bytes[i], 10), got["stage|"+st.Scheme+"|"+st.Stage+"|"+m+"|bytes"])
			assert.Equal(t, st.Load[i], parse(t, got["stage|"+st.Scheme+"|"+st.Stage+"|"+m+"|load"]))
		}
		assert.Equal(t, st.Moved, parse(t, got["stage|"+st.Scheme+"|"+st.Stage+"||moved"]))
	}
	for _, sp := range res.Sweep {
		k := "sweep|" + sp.Scheme + "|" + strconv.Itoa(sp.N) + "||"
		assert.Equal(t, sp.Moved, parse(t, got[k+"moved"]), k)
		assert.Equal(t, sp.KeySkew.CV, parse(t, got[k+"key_skew.sigma_over_mean"]), k)
	}
	assert.Equal(t, 4*len(res.Crashes), count["crash"], "four numbers per crash")
	assert.Equal(t, 9*len(res.Sweep), count["sweep"], "nine numbers per sweep point: five of keys, four of bytes (the default sizes)")
	assert.Positive(t, count["workload"])
	assert.Positive(t, count["vnode_law"])
	assert.Positive(t, count["cluster_load"])

	assert.EqualError(t, run(append(small, "-csv", "-json"), &bytes.Buffer{}, &bytes.Buffer{}), "-csv and -json exclude each other")
}

func parse(t *testing.T, s string) float64 {
	t.Helper()
	x, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, "%q", s)
	return x
}

// -nodes FILE starts every measurement from that cluster; -addr reads it from a live node.
func TestYourCluster(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(append(small, "-nodes", "../../slot/testdata/uneven-cluster-nodes.txt", "-out", ""), &out, &bytes.Buffer{}))
	assert.Contains(t, out.String(), "1. Scale-out and scale-in of the cluster in ../../slot/testdata/uneven-cluster-nodes.txt, 4 → 5 → 4 masters")
	assert.Contains(t, out.String(), "6. The same Zipf requests on a simulated copy of the cluster in ../../slot/testdata/uneven-cluster-nodes.txt")
	assert.Regexp(t, `10\.0\.0\.1:7000\s+0-3000,9000-9999\s+`, out.String())

	err := run([]string{"-nodes", "a", "-addr", "b"}, &bytes.Buffer{}, &bytes.Buffer{})
	assert.True(t, command.IsUsage(err), "%v", err)
	dir := t.TempDir()
	bad := filepath.Join(dir, "nodes.txt")
	require.NoError(t, os.WriteFile(bad, []byte("# mine\nnot a cluster nodes line\n"), 0o644))
	assert.EqualError(t, run([]string{"-nodes", bad, "-q"}, &bytes.Buffer{}, &bytes.Buffer{}), bad+`:2: slot: short CLUSTER NODES line "not a cluster nodes line"`)
}

func TestYourLiveCluster(t *testing.T) {
	_, addrs := livetest.CreateCluster(t, 3, 0, "--cluster-node-timeout", "5000")
	var out bytes.Buffer
	require.NoError(t, run(append(small, "-addr", addrs[1], "-out", "", "-cluster-requests", "0"), &out, &bytes.Buffer{}))
	assert.Contains(t, out.String(), "1. Scale-out and scale-in of the cluster in "+addrs[1]+", 3 → 4 → 3 masters")
	assert.Regexp(t, `(?m)^slots\s+3\s`, out.String())
	err := run([]string{"-addr", "127.0.0.1:1", "-q"}, &bytes.Buffer{}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "-addr 127.0.0.1:1: dial tcp 127.0.0.1:1")
}
