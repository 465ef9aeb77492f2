package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The DESIGN.md contract: -node-timeout 1s -runs N -csv prints a header and N rows that
// start seed,pfail_ms,fail_ms,promoted_ms.
func TestCSVContract(t *testing.T) {
	var out, errs bytes.Buffer
	dir := t.TempDir()
	require.NoError(t, run([]string{"-node-timeout", "1s", "-runs", "4", "-csv", "-out", dir}, &out, &errs))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, "seed,pfail_ms,fail_ms,promoted_ms", strings.Join(strings.Split(lines[0], ",")[:4], ","))
	for i, l := range lines[1:] {
		assert.Regexp(t, `^`+string(rune('1'+i))+`,\d+,\d+,\d+,`, l)
	}
	assert.NotContains(t, errs.String(), "failover: 4/4 runs", "progress goes to a terminal only, not to a buffer")
	assert.Contains(t, errs.String(), "failover: seed 1,", "the seed is printed")
	assert.Contains(t, errs.String(), "Figures: "+dir+"/failover-timeline.png", "with -csv the figure list goes to stderr")
	assert.FileExists(t, dir+"/failover-distribution.svg")
}

func TestBadFlags(t *testing.T) {
	var out, errs bytes.Buffer
	assert.ErrorContains(t, run([]string{"-runs", "0", "-q"}, &out, &errs), "runs 0")
	assert.ErrorContains(t, run([]string{"-csv", "-json"}, &out, &errs), "exclude each other")
	assert.ErrorContains(t, run([]string{"extra"}, &out, &errs), `unexpected argument "extra"`)
	assert.Error(t, run([]string{"-node-timeout", "soon"}, &out, &errs))
	assert.ErrorContains(t, run([]string{"-fault", "reboot", "-q"}, &out, &errs), `fault "reboot": want kill or isolate`)
	assert.ErrorContains(t, run([]string{"-rate", "-5", "-q"}, &out, &errs), "load: rate -5 requests/s")
}
