package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
)

// -replay measures saved cases with no live run: the regression cases agree (exit 0, over the default 5 seeds) and
// the open ones do not (exit 1, the totals printed); it takes no live-only flag.
func TestReplay(t *testing.T) {
	var out, errs bytes.Buffer
	require.NoError(t, run([]string{"-replay", "../testdata/fidelity"}, &out, &errs))
	assert.Contains(t, out.String(), "5 cases: ")
	assert.Contains(t, out.String(), "0 steps divergent")

	out.Reset()
	err := run([]string{"-replay", "../testdata/fidelity/open", "-seeds", "3", "-q"}, &out, &errs)
	assert.ErrorIs(t, err, experiments.ErrDivergent)
	assert.Contains(t, out.String(), "seed 24")

	for _, args := range [][]string{{"-replay", "x", "-shrink", "2"}, {"-replay", "x", "-save", "y"}, {"extra"}} {
		errs.Reset()
		err := run(args, &out, &errs)
		assert.True(t, command.IsUsage(err), "%v: %v", args, err)
		assert.Contains(t, errs.String(), "fidelity [flags]")
	}
}
