package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/internal/livetest"
)

// With no runbook, the command replays the seed tutorial and says so on stderr.
func TestNoRunbookReplaysTheSeedTutorial(t *testing.T) {
	var out, errs bytes.Buffer
	require.NoError(t, run(nil, strings.NewReader(""), &out, &errs))
	assert.Contains(t, errs.String(), "replaying the seed tutorial")
	assert.Contains(t, errs.String(), "seed 1")
	assert.Contains(t, out.String(), "MOVED 12706 127.0.0.1:6383")
}

func TestBadArguments(t *testing.T) {
	var out, errs bytes.Buffer
	err := run([]string{"a.txt", "b.txt"}, strings.NewReader(""), &out, &errs)
	assert.True(t, command.IsUsage(err), "two runbooks are bad usage (exit 2): %v", err)
	assert.Contains(t, errs.String(), "scenario: one runbook at most, got 2\nusage: scenario [flags] [FILE]\n")
	assert.Error(t, run([]string{"no-such-runbook.txt"}, strings.NewReader(""), &out, &errs))
}

// TestTraceAndBrief: -trace FILE writes the simulated run's Perfetto trace, the same bytes
// for the same seed; -brief folds the per-slot lines; -live refuses -trace as bad usage.
func TestTraceAndBrief(t *testing.T) {
	runbook := "docker run -d --name n1 --net host redis:7.0.15 --cluster-enabled yes --port 7001\n" +
		"docker run -d --name n2 --net host redis:7.0.15 --cluster-enabled yes --port 7002\n" +
		"docker run -d --name n3 --net host redis:7.0.15 --cluster-enabled yes --port 7003\n" +
		"redis-cli --cluster create 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 --cluster-yes\n" +
		"sleep 3s\n" +
		"redis-cli --cluster reshard 127.0.0.1:7001 --cluster-from all --cluster-to 127.0.0.1:7001 --cluster-slots 100 --cluster-yes\n"
	dir := t.TempDir()
	var traces [2][]byte
	var outs [2]string
	for i := range traces {
		path := filepath.Join(dir, fmt.Sprintf("t%d.json", i))
		var out, errs bytes.Buffer
		require.NoError(t, run([]string{"-brief", "-trace", path, "-"}, strings.NewReader(runbook), &out, &errs), errs.String())
		var err error
		traces[i], err = os.ReadFile(path)
		require.NoError(t, err)
		outs[i] = out.String()
	}
	assert.True(t, bytes.Equal(traces[0], traces[1]), "same seed, same trace")
	assert.True(t, json.Valid(traces[0]))
	assert.Contains(t, string(traces[0]), `"name":"127.0.0.1:7002"`, "a track per node")
	assert.Contains(t, outs[0], "Moving 51 slots from 127.0.0.1:7002 to 127.0.0.1:7001: 5461-5511\nMoving 49 slots from 127.0.0.1:7003 to 127.0.0.1:7001: 10923-10971\n")
	assert.NotContains(t, outs[0], "Moving slot ")

	var out, errs bytes.Buffer
	err := run([]string{"-live", "-trace", filepath.Join(dir, "x.json"), "-"}, strings.NewReader(runbook), &out, &errs)
	assert.True(t, command.IsUsage(err), "%v", err)
	assert.Contains(t, errs.String(), "-trace needs a simulated run")
	assert.NoFileExists(t, filepath.Join(dir, "x.json"))
}

// TestYourCluster: -nodes FILE runs the runbook on a simulated copy of that cluster, its
// nodes the containers redis-node-1, -2, … at their own addresses; a killed master's
// replica takes over as in any cluster. -addr reads the cluster from a live node.
func TestYourCluster(t *testing.T) {
	const runbook = `sleep 10s
docker kill redis-node-2
sleep 40s
redis-cli -h 10.0.0.1 -p 7000 cluster nodes
`
	var out, errs bytes.Buffer
	require.NoError(t, run([]string{"-nodes", "../../slot/testdata/uneven-cluster-nodes.txt", "-"}, strings.NewReader(runbook), &out, &errs), errs.String())
	assert.Contains(t, errs.String(), "  redis-node-2  10.0.0.2:7000  e7d1eecc  master 3001-8999\n")
	assert.Regexp(t, `(?m)^824fe116063bc5fcbbc7e4d8e6aae9fdd4ddd4ab 10\.0\.0\.1:7002@17002 master - \d+ \d+ 10 connected 3001-8999$`, out.String(),
		"the replica of the killed master serves its slots, at the next epoch")
	assert.Regexp(t, `(?m)^e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 10\.0\.0\.2:7000@17000 master,fail - `, out.String())

	for _, args := range [][]string{{"-nodes", "a", "-addr", "b", "-"}, {"-live", "-nodes", "a", "-"}, {"-nodes", "../../slot/testdata/uneven-cluster-nodes.txt"}} {
		err := run(args, strings.NewReader(runbook), &out, &errs)
		assert.True(t, command.IsUsage(err), "%q: %v", args, err)
	}
}

func TestYourLiveCluster(t *testing.T) {
	_, addrs := livetest.CreateCluster(t, 3, 0, "--cluster-node-timeout", "5000")
	var out, errs bytes.Buffer
	check := "redis-cli --cluster check " + addrs[0] + "\n"
	require.NoError(t, run([]string{"-addr", addrs[1], "-"}, strings.NewReader("sleep 5s\n"+check), &out, &errs), errs.String())
	assert.Contains(t, out.String(), "[OK] All 16384 slots covered.")
	assert.Contains(t, out.String(), "[OK] 0 keys in 3 masters.")
}

// -diff wants one runbook file and none of the flags that pick one backend.
func TestDiffUsage(t *testing.T) {
	for _, args := range [][]string{{"-diff"}, {"-diff", "-"}, {"-diff", "-live", "a.txt"}, {"-diff", "-seed", "3", "a.txt"}, {"-diff", "-seeds", "0", "a.txt"}} {
		var out, errs bytes.Buffer
		err := run(args, strings.NewReader(""), &out, &errs)
		assert.True(t, command.IsUsage(err), "%q: %v", args, err)
	}
}

// -slowdown makes a simulated host slower for big values' work, and is refused where it
// means nothing: not positive, or with -live.
func TestSlowdown(t *testing.T) {
	runbook := `docker run -d --name n1 --net host redis:7.0.15 --cluster-enabled yes --port 6381
docker run -d --name n2 --net host redis:7.0.15 --cluster-enabled yes --port 6382
docker run -d --name n3 --net host redis:7.0.15 --cluster-enabled yes --port 6383
redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382 127.0.0.1:6383 --cluster-yes
sleep 3s
load hash hash:big 100000
redis-cli -p 6381 memory usage hash:big
`
	took := func(args ...string) string {
		var out, errs bytes.Buffer
		require.NoError(t, run(append(args, "-time", "-"), strings.NewReader(runbook), &out, &errs), errs.String())
		m := regexp.MustCompile(`(?m)^\[\s*([\d.]+)s\] \$ load hash`).FindStringSubmatch(out.String())
		n := regexp.MustCompile(`(?m)^\[\s*([\d.]+)s\] \$ redis-cli -p 6381 memory usage`).FindStringSubmatch(out.String())
		require.NotNil(t, m, out.String())
		require.NotNil(t, n, out.String())
		return m[1] + " " + n[1]
	}
	parse := func(s string) float64 {
		f := strings.Fields(s)
		a, err := strconv.ParseFloat(f[0], 64)
		require.NoError(t, err)
		b, err := strconv.ParseFloat(f[1], 64)
		require.NoError(t, err)
		return b - a
	}
	base, slow := parse(took()), parse(took("-slowdown", "2"))
	assert.InEpsilon(t, 2*base, slow, 0.05, "the load takes twice as long on a host twice as slow (%.3f s, then %.3f s)", base, slow)
	for _, args := range [][]string{{"-slowdown", "0", "-"}, {"-slowdown", "-1", "-"}, {"-slowdown", "NaN", "-"}, {"-live", "-slowdown", "2", "-"}} {
		var out, errs bytes.Buffer
		err := run(args, strings.NewReader(runbook), &out, &errs)
		assert.True(t, command.IsUsage(err), "%q: %v", args, err)
	}
}

// TestDiffRecorded: -diff -real compares a runbook's simulations with a transcript recorded
// before, here a simulated run of another seed standing in for a live one, fact by fact;
// a fact no seed shows makes it exit 1 naming the step; -real alone is bad usage.
func TestDiffRecorded(t *testing.T) {
	runbook := "docker run -d --name n1 --net host redis:7.0.15 --cluster-enabled yes --port 7001\n" +
		"docker run -d --name n2 --net host redis:7.0.15 --cluster-enabled yes --port 7002\n" +
		"docker run -d --name n3 --net host redis:7.0.15 --cluster-enabled yes --port 7003\n" +
		"redis-cli --cluster create 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 --cluster-yes\n" +
		"sleep 3s\n" +
		"redis-cli -p 7001 cluster info\n" +
		"redis-cli -c -p 7001 set k1 v1\n"
	dir := t.TempDir()
	book := filepath.Join(dir, "runbook.txt")
	require.NoError(t, os.WriteFile(book, []byte(runbook), 0o644))
	var real, errs bytes.Buffer
	require.NoError(t, run([]string{"-seed", "9", book}, strings.NewReader(""), &real, &errs), errs.String())
	recorded := filepath.Join(dir, "real.txt")
	require.NoError(t, os.WriteFile(recorded, real.Bytes(), 0o644))

	var out bytes.Buffer
	require.NoError(t, run([]string{"-diff", "-real", recorded, "-seeds", "2", book}, strings.NewReader(""), &out, &errs), out.String())
	assert.Regexp(t, `7 of 7 steps and \d+ of \d+ facts: the real outcome is one the simulation reaches \(seeds 1..2\); 0 steps differ`, out.String())

	wrong := strings.Replace(real.String(), "cluster_state:ok", "cluster_state:fail", 1)
	require.NoError(t, os.WriteFile(recorded, []byte(wrong), 0o644))
	out.Reset()
	err := run([]string{"-diff", "-real", recorded, book}, strings.NewReader(""), &out, &errs)
	require.Error(t, err)
	assert.False(t, command.IsUsage(err))
	assert.Contains(t, out.String(), "step 6 (line 6): redis-cli -p 7001 cluster info")
	assert.Contains(t, out.String(), "cluster_state:fail   (real 1; seeds 0 0 0 0 0)")

	assert.True(t, command.IsUsage(run([]string{"-real", recorded, book}, strings.NewReader(""), &out, &errs)))
}
