package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// TestTraceOfTheFirstRun: -trace FILE writes the first run's Chrome/Perfetto trace, the
// same bytes for the same seed, with the kill in it; the CSV is unchanged by it.
func TestTraceOfTheFirstRun(t *testing.T) {
	dir := t.TempDir()
	var csvs [2]string
	var traces [2][]byte
	for i := range 2 {
		var out, errs bytes.Buffer
		path := filepath.Join(dir, fmt.Sprintf("trace%d.json", i))
		args := []string{"-runs", "2", "-csv", "-q"}
		if i == 1 {
			args = append(args, "-trace", path)
		}
		require.NoError(t, run(args, &out, &errs))
		csvs[i] = out.String()
		if i == 1 {
			var err error
			traces[0], err = os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, run(append(args, "-trace", path+".again"), &out, &errs))
			traces[1], err = os.ReadFile(path + ".again")
			require.NoError(t, err)
		}
	}
	assert.Equal(t, csvs[0], csvs[1], "tracing changes no number")
	assert.True(t, bytes.Equal(traces[0], traces[1]), "same seed, same trace")
	var doc struct {
		TraceEvents []struct {
			Name string `json:"name"`
			Ph   string `json:"ph"`
		} `json:"traceEvents"`
	}
	require.NoError(t, json.Unmarshal(traces[0], &doc))
	kinds := map[string]int{}
	for _, e := range doc.TraceEvents {
		kinds[strings.Fields(e.Name)[0]]++
	}
	assert.Equal(t, 1, kinds["crash"], "the first master's SIGKILL")
	assert.Positive(t, kinds["send"])

	var out, errs bytes.Buffer
	assert.ErrorContains(t, run([]string{"-runs", "1", "-q", "-trace", filepath.Join(dir, "no", "such", "dir", "t.json")}, &out, &errs), "no such file or directory")
}
