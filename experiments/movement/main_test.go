package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvplace/kvplace/internal/command"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunPrintsTableSeedAndFigures(t *testing.T) {
	var out, errs bytes.Buffer
	dir := t.TempDir()
	require.NoError(t, run([]string{"-to", "4", "-keys", "1000", "-schemes", "ring:10,slots", "-out", dir}, &out, &errs))
	assert.Contains(t, out.String(), "seed 1")
	assert.Contains(t, out.String(), "ring:10         scale            join    127.0.0.1:6384")
	assert.Contains(t, out.String(), "Figures: "+dir+"/movement-scale.png")
	assert.FileExists(t, dir+"/movement-crash.svg")
	assert.Contains(t, errs.String(), "movement: seed 1,", "the seed is printed")
	assert.NotContains(t, errs.String(), "slots      crash-no-replica", "progress goes to a terminal only, not to a buffer")
}

func TestJSON(t *testing.T) {
	var out, errs bytes.Buffer
	require.NoError(t, run([]string{"-to", "4", "-keys", "500", "-schemes", "modulo", "-json", "-out", "", "-q"}, &out, &errs))
	var got struct {
		Steps     []map[string]any `json:"steps"`
		Summaries []map[string]any `json:"summaries"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	assert.Len(t, got.Steps, 6)
	assert.Len(t, got.Summaries, 3)
	assert.Empty(t, errs.String(), "-q: nothing on stderr")
}

func TestBadFlags(t *testing.T) {
	var out, errs bytes.Buffer
	assert.ErrorContains(t, run([]string{"-schemes", "hash", "-q"}, &out, &errs), `scheme "hash"`)
	assert.ErrorContains(t, run([]string{"-from", "1", "-q"}, &out, &errs), "at least 3 masters")
	assert.ErrorContains(t, run([]string{"extra"}, &out, &errs), `unexpected argument "extra"`)
	assert.Error(t, run([]string{"-outage", "soon"}, &out, &errs))
	assert.ErrorContains(t, run([]string{"-live", "-schemes", "slots,modulo", "-q"}, &out, &errs), "-live runs slots and slots:rebalance")
	assert.ErrorContains(t, run([]string{"-max-redirects", "-3", "-q"}, &out, &errs), "max-redirects -3")
}

// -csv prints one row per step through encoding/csv, the table's columns, and no figures.
func TestCSV(t *testing.T) {
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	require.NoError(t, run([]string{"-to", "4", "-keys", "500", "-schemes", "modulo", "-csv", "-q"}, &out, &bytes.Buffer{}))
	rows, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 7, "a header and 6 steps")
	assert.Equal(t, []string{"scheme", "part", "event", "node", "masters", "stored_keys", "moved_keys", "minimum_keys", "moved_bytes",
		"settle_ms", "window_ms", "requests", "failed", "redirected", "missed_reads", "acked_writes", "lost_writes"}, rows[0])
	assert.Equal(t, []string{"modulo", "scale", "join", "127.0.0.1:6384", "4"}, rows[1][:5])
	_, err = os.Stat("out")
	assert.True(t, os.IsNotExist(err), "-csv wrote figures")
	err = run([]string{"-csv", "-json", "-q"}, &bytes.Buffer{}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "-csv and -json exclude each other")
}

// -nodes FILE scales and crashes a simulated copy of that cluster: from its own masters
// and slot ranges, with the slot schemes only.
func TestYourCluster(t *testing.T) {
	var out, errs bytes.Buffer
	args := []string{"-nodes", "../../slot/testdata/uneven-cluster-nodes.txt", "-to", "6", "-keys", "500", "-outage", "5s", "-rate", "200", "-out", "", "-q"}
	require.NoError(t, run(args, &out, &errs), errs.String())
	assert.Contains(t, out.String(), "5 → 6 → 5 masters")
	assert.Regexp(t, `(?m)^slots\s+scale\s+join\s+10\.0\.0\.1:7005\s+6\s`, out.String())
	assert.Regexp(t, `(?m)^slots:rebalance\s+crash-replica\s+kill\s+10\.0\.0\.1:7000\s`, out.String())

	err := run(append(args, "-from", "3"), &out, &errs)
	assert.True(t, command.IsUsage(err), "%v", err)
	assert.ErrorContains(t, run(append(args, "-schemes", "ring:100"), &out, &errs), "scheme ring:100: a cluster of your own places keys by its slots")
}

// -keys-file stores a user's keys (redis-cli --scan output) instead of key:0, key:1, …;
// a key listed twice is an error naming the line.
func TestKeysFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.txt")
	var keys strings.Builder
	for i := range 300 {
		fmt.Fprintf(&keys, "user:{%d}:profile\r\n", i)
	}
	require.NoError(t, os.WriteFile(path, []byte(keys.String()), 0o644))
	var out, errs bytes.Buffer
	require.NoError(t, run([]string{"-keys-file", path, "-to", "4", "-schemes", "slots", "-outage", "5s", "-rate", "200", "-out", "", "-q"}, &out, &errs), errs.String())
	assert.Contains(t, out.String(), "300 keys (from "+path+") of 100 bytes stored first")
	assert.Regexp(t, `(?m)^slots\s+crash-replica\s+kill\s+127\.0\.0\.1:6381\s+3\s+\d+\s+0\s+0\s+-\s+0\.00\s+\S+\s+\d+\s+\d+\s+0\s+0\s+0$`, out.String(), "nothing missed or lost")

	require.NoError(t, os.WriteFile(path, []byte("a\nb\na\n"), 0o644))
	assert.EqualError(t, run([]string{"-keys-file", path, "-q", "-out", ""}, &out, &errs), path+`:3: key "a" is listed already, at line 1`)
	err := run([]string{"-keys-file", path, "-keys", "5", "-q"}, &out, &errs)
	assert.True(t, command.IsUsage(err), "%v", err)
}

// -size draws each stored value's length: the keys then weigh what the distribution says,
// the moved bytes follow, the header names the distribution, and the JSON carries it.
// Bad sizes, and -size with -value-size, are usage errors.
func TestSizes(t *testing.T) {
	moved := func(args ...string) (moved, keys int64, dist string) {
		var out bytes.Buffer
		base := []string{"-to", "4", "-keys", "1000", "-schemes", "slots", "-writes", "0", "-json", "-q"}
		require.NoError(t, run(append(base, args...), &out, &bytes.Buffer{}))
		var got struct {
			Config struct {
				Size map[string]any `json:"size"`
			} `json:"config"`
			Steps []struct {
				Event string `json:"event"`
				Moved int64  `json:"moved_keys"`
				Bytes int64  `json:"moved_bytes"`
			} `json:"steps"`
		}
		require.NoError(t, json.Unmarshal(out.Bytes(), &got))
		require.Equal(t, "join", got.Steps[0].Event)
		return got.Steps[0].Bytes, got.Steps[0].Moved, fmt.Sprint(got.Config.Size["dist"])
	}
	fixed, keys, dist := moved()
	assert.Equal(t, "<nil>", dist, "no -size, no size in the JSON")
	thousand, keys1000, dist := moved("-size", "fixed:1000")
	assert.Equal(t, "fixed", dist)
	assert.InEpsilon(t, keys, keys1000, 0.02, "sizes do not change which keys move")
	perKey := float64(thousand)/float64(keys1000) - float64(fixed)/float64(keys)
	assert.InEpsilon(t, 900, perKey, 0.15, "900 more bytes a key, about 900 more bytes a moved key (no new keys are written)")
	tail, _, _ := moved("-size", "pareto:100:1.2")
	again, _, _ := moved("-size", "pareto:100:1.2")
	assert.Equal(t, tail, again, "the same seed draws the same sizes")
	assert.Greater(t, tail, 2*fixed, "a heavy tail of at least 100 bytes weighs more than 100 bytes each")

	var out bytes.Buffer
	require.NoError(t, run([]string{"-to", "4", "-keys", "200", "-schemes", "slots", "-size", "lognormal:1kb:1", "-q", "-out", ""}, &out, &bytes.Buffer{}))
	assert.Contains(t, out.String(), "200 keys of sizes lognormal:1024:1 stored first")

	for _, args := range [][]string{{"-size", "pareto:100"}, {"-size", "fixed:1k", "-value-size", "10"}} {
		err := run(append(args, "-q"), &out, &bytes.Buffer{})
		require.Error(t, err, "%v", args)
		assert.True(t, command.IsUsage(err), "%v: %v", args, err)
	}
}
