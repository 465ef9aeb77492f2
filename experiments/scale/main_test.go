package main

import (
	"bytes"
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
