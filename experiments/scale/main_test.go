package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSmallRunWithProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	var out, errs bytes.Buffer
	dir := t.TempDir()
	require.NoError(t, run([]string{"-sizes", "6,20", "-cpuprofile", prof, "-out", dir}, &out, &errs))
	assert.FileExists(t, filepath.Join(dir, "scale-speed.png"))
	assert.FileExists(t, filepath.Join(dir, "scale-speed.svg"))
	assert.Contains(t, out.String(), "Simulator speed")
	assert.Contains(t, errs.String(), "scale: seed 1, sizes [6 20]")
	assert.NotContains(t, errs.String(), "scale: 20 nodes: 30s of 30s virtual", "progress goes to a terminal only")
	info, err := os.Stat(prof)
	require.NoError(t, err)
	assert.Positive(t, info.Size())
}

func TestBadFlags(t *testing.T) {
	var out, errs bytes.Buffer
	assert.ErrorContains(t, run([]string{"-sizes", "6,x", "-q"}, &out, &errs), `-sizes "6,x": "x" is not a whole number`)
	assert.ErrorContains(t, run([]string{"-sizes", "5", "-q"}, &out, &errs), "size 5")
	assert.ErrorContains(t, run([]string{"extra"}, &out, &errs), `unexpected argument "extra"`)
}

// -csv prints one row per size through encoding/csv.
func TestCSV(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-sizes", "6", "-csv", "-q"}, &out, &bytes.Buffer{}))
	rows, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "nodes", rows[0][0])
	assert.Equal(t, []string{"6", "3"}, rows[1][:2])
	assert.Equal(t, "5", rows[1][len(rows[1])-1], "the five nodes left after the kill report cluster_state:ok")
}
