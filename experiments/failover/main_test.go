package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvplace/kvplace/internal/command"
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
	assert.ErrorContains(t, run([]string{"-fault", "reboot", "-q"}, &out, &errs), `fault "reboot": want kill, isolate, kill2 or kill-pair`)
	assert.ErrorContains(t, run([]string{"-rate", "-5", "-q"}, &out, &errs), "load: rate -5 requests/s")
	assert.ErrorContains(t, run([]string{"-observe", "-1s", "-q"}, &out, &errs), "load: observe -1s")
	assert.ErrorContains(t, run([]string{"-observe", "5s", "-rate", "0", "-q"}, &out, &errs), "observe 5s: the observation counts requests")
	err := run([]string{"-live", "-trace", "t.json", "-q"}, &out, &errs)
	assert.True(t, command.IsUsage(err), "-live -trace: %v", err)
	assert.ErrorContains(t, run([]string{"-live", "-pool-size", "-3", "-q"}, &out, &errs), "load: client: pool-size -3")
	assert.ErrorContains(t, run([]string{"-host-busy", "1", "-q"}, &out, &errs), "failover: cluster: host busy 1: want a share from 0 to below 1")
	assert.ErrorContains(t, run([]string{"-live", "-host-busy", "0.5", "-q"}, &out, &errs), "host busy and host work apply to simulated runs")
	assert.ErrorContains(t, run([]string{"-live", "-host-work", "-q"}, &out, &errs), "host busy and host work apply to simulated runs")
	assert.ErrorContains(t, run([]string{"-host-work", "-host-busy", "0.5", "-q"}, &out, &errs), "failover: cluster: host busy 0.5 with work: want 0")
	assert.ErrorContains(t, run([]string{"-host-work", "-q"}, &out, &errs), "runs without client load (-rate 0)")
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

// The DESIGN.md contract: the rows of -shard 0/2 -csv and -shard 1/2 -csv together, sorted
// by seed, are exactly the rows of the unsharded -csv run with the same flags; and -merge
// of the shards' -jsonl prints the unsharded run's bytes, as table, CSV, JSON and figures.
func TestShardsAndMerge(t *testing.T) {
	base := []string{"-runs", "4", "-q"}
	do := func(args ...string) string {
		var out, errs bytes.Buffer
		require.NoError(t, run(append(slices.Clone(base), args...), &out, &errs), errs.String())
		return out.String()
	}
	whole := do("-csv")
	var rows []string
	for _, shard := range []string{"0/2", "1/2"} {
		lines := strings.Split(strings.TrimSpace(do("-csv", "-shard", shard)), "\n")
		require.Equal(t, strings.Split(whole, "\n")[0], lines[0], "the same header")
		rows = append(rows, lines[1:]...)
	}
	slices.SortFunc(rows, func(a, b string) int {
		x, _ := strconv.Atoi(strings.Split(a, ",")[0])
		y, _ := strconv.Atoi(strings.Split(b, ",")[0])
		return x - y
	})
	assert.Equal(t, strings.Split(strings.TrimSpace(whole), "\n")[1:], rows)

	dir := t.TempDir()
	var files []string
	for i, shard := range []string{"0/3", "1/3", "2/3"} {
		path := filepath.Join(dir, fmt.Sprintf("shard%d.jsonl", i))
		require.NoError(t, os.WriteFile(path, []byte(do("-jsonl", "-shard", shard)), 0o644))
		files = append(files, path)
	}
	merged := func(args ...string) string { return do(append(append([]string{"-merge"}, args...), files...)...) }
	assert.Equal(t, whole, merged("-csv"))
	assert.Equal(t, do("-json"), merged("-json"))
	figsWhole, figsMerged := filepath.Join(dir, "whole"), filepath.Join(dir, "merged")
	table := do("-out", figsWhole)
	assert.Equal(t, strings.ReplaceAll(table, figsWhole, "OUT"), strings.ReplaceAll(merged("-out", figsMerged), figsMerged, "OUT"))
	for _, f := range []string{"failover-timeline.png", "failover-distribution.svg"} {
		a, err := os.ReadFile(filepath.Join(figsWhole, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(figsMerged, f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s differs", f)
	}

	// A merge checks that every run is there exactly once, from one configuration.
	var out, errs bytes.Buffer
	assert.ErrorContains(t, run(append([]string{"-merge", "-csv"}, files[:2]...), &out, &errs), "are missing, among them run 2 (seed 3): is a shard's file absent?")
	assert.ErrorContains(t, run(append([]string{"-merge", "-csv"}, append(files, files[0])...), &out, &errs), "run 0 is in "+files[0]+":1 already")
	other := filepath.Join(dir, "other.jsonl")
	require.NoError(t, os.WriteFile(other, []byte(do("-jsonl", "-shard", "2/3", "-node-timeout", "2s")), 0o644))
	assert.ErrorContains(t, run([]string{"-merge", "-csv", files[0], files[1], other}, &out, &errs), "a run of another configuration than "+files[0]+":1's")
	assert.True(t, command.IsUsage(run([]string{"-merge"}, &out, &errs)), "-merge without files")
	assert.True(t, command.IsUsage(run([]string{"-shard", "1/2", "-q"}, &out, &errs)), "a shard without -csv or -jsonl")
	assert.True(t, command.IsUsage(run([]string{"-shard", "2/2", "-csv", "-q"}, &out, &errs)), "-shard 2/2")
}

// The shard comes from the batch system's variables when -shard is absent: here Slurm's.
func TestShardFromTheBatchSystem(t *testing.T) {
	getenv = func(k string) string {
		return map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"}[k]
	}
	defer func() { getenv = os.Getenv }()
	var fromEnv, fromFlag, errs bytes.Buffer
	require.NoError(t, run([]string{"-runs", "4", "-csv", "-q"}, &fromEnv, &errs))
	getenv = func(string) string { return "" }
	require.NoError(t, run([]string{"-runs", "4", "-csv", "-q", "-shard", "1/2"}, &fromFlag, &errs))
	assert.Equal(t, fromFlag.String(), fromEnv.String())
	getenv = func(k string) string { return map[string]string{"JOB_COMPLETION_INDEX": "1"}[k] }
	assert.EqualError(t, run([]string{"-runs", "4", "-csv", "-q"}, &fromEnv, &errs), "array job: the number of shards is not known: set KVPLACE_SHARDS (or -shards)")
	require.NoError(t, run([]string{"-runs", "4", "-csv", "-q", "-shards", "2"}, &fromEnv, &errs))
}

// Shards run as separate processes, as an array job's tasks do, in parallel, and merge.
func TestShardsAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the shards as separate processes (a build and three runs) in -short mode; TestShardsAndMerge checks the same in process")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "failover")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	var cmds []*exec.Cmd
	var files []string
	for i := range 2 {
		path := filepath.Join(dir, fmt.Sprintf("task%d.jsonl", i))
		f, err := os.Create(path)
		require.NoError(t, err)
		defer f.Close()
		cmd := exec.Command(bin, "-runs", "4", "-jsonl", "-q")
		cmd.Env = append(os.Environ(), "JOB_COMPLETION_INDEX="+strconv.Itoa(i), "KVPLACE_SHARDS=2")
		cmd.Stdout = f
		require.NoError(t, cmd.Start())
		cmds, files = append(cmds, cmd), append(files, path)
	}
	for _, c := range cmds {
		require.NoError(t, c.Wait())
	}
	merged, err := exec.Command(bin, append([]string{"-merge", "-csv"}, files...)...).Output()
	require.NoError(t, err)
	var whole, errs bytes.Buffer
	require.NoError(t, run([]string{"-runs", "4", "-csv", "-q"}, &whole, &errs))
	assert.Equal(t, whole.String(), string(merged))
}

// TestSweepMasters: -sweep-masters runs each size with the same seeds, prints a table
// (or CSV with the size first) and draws failover-sweep; the same flags give the same
// bytes.
func TestSweepMasters(t *testing.T) {
	args := []string{"-sweep-masters", "3,5", "-runs", "3", "-rate", "0", "-node-timeout", "2s", "-q"}
	var outs [2]string
	dir := t.TempDir() // one folder, so that the lists of figures written agree too
	for i := range outs {
		var out, errs bytes.Buffer
		require.NoError(t, run(append(args, "-out", dir), &out, &errs))
		outs[i] = out.String()
		assert.FileExists(t, filepath.Join(dir, "failover-sweep.png"))
		assert.FileExists(t, filepath.Join(dir, "failover-sweep.svg"))
	}
	assert.Equal(t, outs[0], outs[1], "same seeds, same table")
	assert.Contains(t, outs[0], "Failover against cluster size: kill at node timeout 2s, 1 replica(s) per master, 3 simulated runs a size (seeds 1..3)")
	assert.Regexp(t, `(?m)^      5 pfail +\d+ +\d+ +\d+ \|`, outs[0])
	assert.Regexp(t, `(?m)^        ok +\d+ +\d+ +\d+ \|`, outs[0])

	var csv, errs bytes.Buffer
	require.NoError(t, run(append(args, "-csv"), &csv, &errs))
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	require.Len(t, lines, 7)
	assert.Equal(t, "masters,seed,pfail_ms,fail_ms,promoted_ms,promoted_replica", lines[0])
	assert.Regexp(t, `^3,1,\d+,\d+,\d+,127\.0\.0\.1:\d+$`, lines[1])
	assert.Regexp(t, `^5,3,\d+,\d+,\d+,127\.0\.0\.1:\d+$`, lines[6])

	for _, bad := range [][]string{
		{"-sweep-masters", "3,5", "-masters", "4"},
		{"-sweep-masters", "3,5", "-shard", "0/2", "-csv"},
		{"-sweep-masters", "3,x"},
	} {
		err := run(append(bad, "-q"), &csv, &errs)
		assert.True(t, command.IsUsage(err), "%v: %v", bad, err)
	}
	assert.ErrorContains(t, run([]string{"-sweep-masters", "3,2", "-q"}, &csv, &errs), "failover: masters 2")

	// In an array job every task would print the whole sweep: refused, naming the variable.
	getenv = func(k string) string { return map[string]string{"SLURM_ARRAY_TASK_ID": "3"}[k] }
	defer func() { getenv = os.Getenv }()
	assert.ErrorContains(t, run([]string{"-sweep-masters", "3,5", "-q"}, &csv, &errs), `SLURM_ARRAY_TASK_ID="3" says this is one task of an array job`)
}

// TestDoubleFaults: kill2 and kill-pair run without client load only; kill-pair
// promotes nothing and never brings the cluster back to ok.
func TestDoubleFaults(t *testing.T) {
	var out, errs bytes.Buffer
	assert.ErrorContains(t, run([]string{"-fault", "kill2", "-q"}, &out, &errs), "fault kill2: simulated without client load only (-rate 0)")
	require.NoError(t, run([]string{"-fault", "kill-pair", "-rate", "0", "-runs", "2", "-masters", "5", "-q", "-out", ""}, &out, &errs))
	assert.Contains(t, out.String(), "A master killed with its replica (nothing to promote)")
	assert.Regexp(t, `(?m)^promoted  sim +0 `, out.String())
	assert.Regexp(t, `(?m)^ok        sim +0 `, out.String())
	out.Reset()
	require.NoError(t, run([]string{"-fault", "kill2", "-rate", "0", "-runs", "2", "-masters", "5", "-q", "-out", ""}, &out, &errs))
	assert.Contains(t, out.String(), "Two masters killed at once, times of the first")
	assert.Regexp(t, `(?m)^promoted  sim +2 `, out.String())
}
