package scenario

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
)

// migrate-big-hash.txt, at the node timeouts it is recorded at: what a MIGRATE of a hash of
// 3 000 000 fields does to a cluster. testdata/migrate-big-hash-live.txt holds ten real runs
// a timeout (record-migrate-big-hash.sh).

const bigHashRunbook = "../../experiments/scenario/testdata/migrate-big-hash.txt"

// bigHashFacts are one run's facts, as record-migrate-big-hash.sh prints them.
type bigHashFacts struct {
	load, migrate time.Duration
	reply, role   string
	keys, open    int
}

// outcome is what a run ends in, leaving the durations out.
func (f bigHashFacts) outcome() string {
	return fmt.Sprintf("%s, 6381 %s, %d keys, %d open", f.reply, f.role, f.keys, f.open)
}

// bigHashRunbookAt is the runbook with its node timeout lowered to ms.
func bigHashRunbookAt(t *testing.T, ms int) string {
	return runbookAtTimeout(t, bigHashRunbook, "127.0.0.1:7301", ms)
}

// runbookAtTimeout is the runbook at path with the node timeout its set-timeout line on
// entry lowers the cluster to (1000 ms) replaced by ms.
func runbookAtTimeout(t *testing.T, path, entry string, ms int) string {
	t.Helper()
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	line := "redis-cli --cluster set-timeout " + entry + " 1000\n"
	require.Equal(t, 1, strings.Count(string(text), line), "%s no longer lowers the timeout with %q", path, line)
	return strings.Replace(string(text), line, fmt.Sprintf("redis-cli --cluster set-timeout %s %d\n", entry, ms), 1)
}

var timedStep = regexp.MustCompile(`(?m)^\[\s*([\d.]+)s\] \$ (.*)$`)

// A timed is one step of a timed transcript (Options.Time): its command, how long it took
// (until the next step began; 0 for the last) and what it printed.
type timed struct {
	cmd   string
	took  time.Duration
	lines []string
}

// timedSteps splits a timed transcript into its steps; lines before the first are dropped.
func timedSteps(t *testing.T, transcript string) []timed {
	t.Helper()
	var steps []timed
	var start time.Duration
	for _, l := range strings.Split(transcript, "\n") {
		m := timedStep.FindStringSubmatch(l)
		if m == nil {
			if len(steps) > 0 {
				steps[len(steps)-1].lines = append(steps[len(steps)-1].lines, l)
			}
			continue
		}
		at, err := time.ParseDuration(m[1] + "s")
		require.NoError(t, err, l)
		if len(steps) > 0 {
			steps[len(steps)-1].took = at - start
		}
		steps, start = append(steps, timed{cmd: m[2]}), at
	}
	return steps
}

// readBigHashFacts reads a timed transcript of the runbook.
func readBigHashFacts(t *testing.T, transcript string) bigHashFacts {
	t.Helper()
	var f bigHashFacts
	for _, s := range timedSteps(t, transcript) {
		first := func() string {
			for _, l := range s.lines {
				if l != "" {
					return l
				}
			}
			return ""
		}
		switch {
		case strings.HasPrefix(s.cmd, "load hash "):
			f.load = s.took
		case strings.HasPrefix(s.cmd, "redis-cli -p 7301 migrate "):
			f.migrate, f.reply = s.took, strings.ReplaceAll(first(), " ", "_")
		case s.cmd == "redis-cli -p 7301 role":
			f.role = strings.TrimSuffix(strings.TrimPrefix(first(), `1) "`), `"`)
		}
		for _, l := range s.lines {
			switch {
			case strings.HasPrefix(l, "[OK] ") && strings.Contains(l, " keys in "):
				f.keys, _ = strconv.Atoi(strings.Fields(l)[1])
			case strings.Contains(l, "has slots in importing state") || strings.Contains(l, "has slots in migrating state"):
				f.open++
			}
		}
	}
	return f
}

// readBigHashRecording reads testdata/migrate-big-hash-live.txt: its runs by node timeout.
func readBigHashRecording(t *testing.T) map[int][]bigHashFacts {
	t.Helper()
	text, err := os.ReadFile("testdata/migrate-big-hash-live.txt")
	require.NoError(t, err)
	runs := map[int][]bigHashFacts{}
	for i, l := range strings.Split(string(text), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		require.Len(t, f, 9, "migrate-big-hash-live.txt:%d", i+1)
		n := func(s string) int {
			x, err := strconv.Atoi(s)
			require.NoError(t, err, "migrate-big-hash-live.txt:%d", i+1)
			return x
		}
		runs[n(f[0])] = append(runs[n(f[0])], bigHashFacts{
			load: time.Duration(n(f[2])) * time.Millisecond, migrate: time.Duration(n(f[3])) * time.Millisecond,
			reply: f[4], role: f[5], keys: n(f[6]), open: n(f[7]),
		})
	}
	return runs
}

func medianDuration(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	if len(ds)%2 == 1 {
		return ds[len(ds)/2]
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
}

// knownBigHashDivergences are real outcomes the simulation reaches too rarely for the seeds
// the tests run, by node timeout. At 2 s, in one real run in ten the MIGRATE's payload
// reached the target before the target had flagged the stalled master and told the third
// master; the target's RESTORE then kept it from voting, no quorum of masters could mark
// the source FAIL, and the MIGRATE answered OK after 8 s with nothing failed over. One
// seed in 200 does it (KVPLACE_HEAVY; none did before each docker run took the live
// backend's time): the simulated target mostly flags the source earlier, likely because
// its pings to the stalled node are sent sooner than real Redis's; not found yet (issue
// 17's note).
var knownBigHashDivergences = map[int][]string{
	2000: {"OK, 6381 master, 1 keys, 2 open"},
}

// bigHashSlowdown is how much slower the host of real runs loading the hash in load was
// than the one the costs were recorded on: their median against the median of 40
// simulated loads (each run's costs vary, as real ones do; the runbook is cut after its
// load). The machine's speed drifts by that much from day to day (calibration/), and the
// load of each run is its own baseline.
func bigHashSlowdown(t *testing.T, text string, load []time.Duration) float64 {
	t.Helper()
	i := strings.Index(text, "\nload hash ")
	require.GreaterOrEqual(t, i, 0, "migrate-big-hash.txt no longer loads a hash")
	end := strings.IndexByte(text[i+1:], '\n')
	require.GreaterOrEqual(t, end, 0)
	rb := parseText(t, text[:i+1+end+1]+"sleep 1s\n")
	var sim []time.Duration
	for seed := 1; seed <= 40; seed++ {
		var out bytes.Buffer
		require.NoError(t, RunSim(rb, &out, Options{Seed: uint64(seed), Time: true}))
		sim = append(sim, readBigHashFacts(t, out.String()).load)
	}
	return medianDuration(load).Seconds() / medianDuration(sim).Seconds()
}

// simBigHash runs the runbook text at slowdown over seeds 1..seeds: the outcomes reached
// and each seed's facts.
func simBigHash(t *testing.T, text string, slowdown float64, seeds int) (map[string]int, []bigHashFacts) {
	t.Helper()
	rb := parseText(t, text)
	reached := map[string]int{}
	var runs []bigHashFacts
	for seed := 1; seed <= seeds; seed++ {
		var out bytes.Buffer
		require.NoError(t, RunSim(rb, &out, Options{Seed: uint64(seed), Time: true, Slowdown: slowdown}))
		f := readBigHashFacts(t, out.String())
		reached[f.outcome()]++
		runs = append(runs, f)
	}
	return reached, runs
}

// migrateSlowdown is the slowdown a live MIGRATE that answered OK after took implies,
// from the seeds simulated at slowdown: slowdown scaled by took against their median
// MIGRATE. It is 0 when the MIGRATE's length is not its work: when fewer than half the
// seeds answered OK, the others having waited on a failover or the target's error.
func migrateSlowdown(runs []bigHashFacts, slowdown float64, took time.Duration) float64 {
	var ok []time.Duration
	for _, f := range runs {
		if f.reply == "OK" {
			ok = append(ok, f.migrate)
		}
	}
	if len(ok) == 0 || 2*len(ok) < len(runs) {
		return 0
	}
	return slowdown * took.Seconds() / medianDuration(ok).Seconds()
}

// Held to the recording, at each node timeout, on a host as much slower than the
// calibration's as the recording's own loads of the hash say: every real run ends in an
// outcome some seed reaches (MIGRATE OK or the target's error, the source failed over or
// not, the keys the cluster holds, the slots left open), but for the known divergences,
// and the MIGRATE blocks its source within 25 % of the real median. A simulated run takes
// a tenth of a second: 80 seeds a timeout, 200 with KVPLACE_HEAVY. (At 2 s, the outcome of
// one real run in ten, OK with the source failed over and a slot left open, comes on 11
// seeds in 200: 40 seeds, as this test once ran, miss it one time in ten.)
func TestMigrateBigHash(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s of simulation; go test without -short runs it")
	}
	seeds := 80
	if os.Getenv("KVPLACE_HEAVY") != "" {
		seeds = 200
	}
	recorded := readBigHashRecording(t)
	for _, ms := range []int{1000, 2000, 15000} {
		real := recorded[ms]
		require.GreaterOrEqual(t, len(real), 10, "fewer than 10 real runs at %d ms", ms)
		t.Run(fmt.Sprint("timeout=", ms), func(t *testing.T) {
			t.Parallel()
			text := bigHashRunbookAt(t, ms)
			seen := map[string]int{}
			var load, blocked []time.Duration
			for _, f := range real {
				seen[f.outcome()]++
				load = append(load, f.load)
				blocked = append(blocked, f.migrate)
			}
			slowdown := bigHashSlowdown(t, text, load)
			reached, runs := simBigHash(t, text, slowdown, seeds)
			var sim []time.Duration
			for _, f := range runs {
				sim = append(sim, f.migrate)
			}
			t.Logf("slowdown %.2f\nreal: %v\nsimulated (%d seeds): %v", slowdown, seen, seeds, reached)
			for o := range seen {
				if !slices.Contains(knownBigHashDivergences[ms], o) {
					assert.Contains(t, reached, o, "a real outcome no seed reaches")
				}
			}
			r, s := medianDuration(blocked), medianDuration(sim)
			t.Logf("MIGRATE blocks 6381 for %v real (median), %v simulated", r, s)
			assert.InEpsilon(t, r.Seconds(), s.Seconds(), 0.25, "MIGRATE's blocking time")
		})
	}
}

// The facts script the recorder uses and the test's reader agree on a transcript.
func TestBigHashFactsScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	if testing.Short() {
		t.Skip("a second of simulation; go test without -short runs it")
	}
	var out bytes.Buffer
	require.NoError(t, RunSim(parseText(t, bigHashRunbookAt(t, 2000)), &out, Options{Seed: 1, Time: true}))
	file := filepath.Join(t.TempDir(), "transcript.txt")
	require.NoError(t, os.WriteFile(file, out.Bytes(), 0o644))
	line, err := exec.Command("bash", "testdata/migrate-big-hash-facts.sh", file).Output()
	require.NoError(t, err)
	f := readBigHashFacts(t, out.String())
	assert.Equal(t, fmt.Sprintf("%d %d %s %s %d %d\n", f.load.Milliseconds(), f.migrate.Milliseconds(), f.reply, f.role, f.keys, f.open), string(line))
}

// One live run a node timeout ends in an outcome some simulated seed reaches, on a host
// as much slower as the run's own load says. Each takes about a minute of real time, so
// only with KVPLACE_HEAVY.
//
// The load is timed some seconds before the MIGRATE, and a host can change speed between
// the two: in one CI run another test took the cores meanwhile, and a MIGRATE of 9 to 11 s
// took 17.9, past the 15 s node timeout, so the master was failed over where every seed
// at the load's slowdown kept it. When the real MIGRATE answered OK, its own length is a
// second measure of the host; when the real outcome is not reached and that measure
// differs from the load's by more than their ±10 %, the seeds are run at it too, and the
// log says so.
func TestMigrateBigHashLive(t *testing.T) {
	livetest.NeedLong(t)
	if os.Getenv("KVPLACE_HEAVY") == "" {
		t.Skip("three minutes of real Redis; KVPLACE_HEAVY=1 runs it")
	}
	for _, ms := range []int{1000, 2000, 15000} {
		t.Run(fmt.Sprint("timeout=", ms), func(t *testing.T) {
			text := bigHashRunbookAt(t, ms)
			// The runbook's ports 7301.. become the helper's 6381.. and then free ones.
			swap := func(s, from, to string) string {
				return regexp.MustCompile(`\b`+from+`([1-6])\b`).ReplaceAllString(s, to+"$1")
			}
			real := swap(runLiveOnFreePorts(t, swap(text, "730", "638"), 6, Options{Time: true}), "638", "730")
			f := readBigHashFacts(t, real)
			slowdown := bigHashSlowdown(t, text, []time.Duration{f.load})
			reached, runs := simBigHashAround(t, text, slowdown)
			t.Logf("live: %s, load %v, MIGRATE %v; simulated at slowdown %.2f ± 10 %%: %v", f.outcome(), f.load, f.migrate, slowdown, reached)
			if _, ok := reached[f.outcome()]; !ok && f.reply == "OK" {
				if s := migrateSlowdown(runs, slowdown, f.migrate); s != 0 && math.Abs(s/slowdown-1) > 0.1 {
					more, _ := simBigHashAround(t, text, s)
					t.Logf("the host changed speed between the load and the MIGRATE: the MIGRATE took as long as at slowdown %.2f; simulated there ± 10 %%: %v", s, more)
					for o, k := range more {
						reached[o] += k
					}
				}
			}
			if !slices.Contains(knownBigHashDivergences[ms], f.outcome()) {
				assert.Contains(t, reached, f.outcome())
			}
		})
	}
}

// simBigHashAround runs 70 seeds of the runbook text at each of 0.9, 1 and 1.1 times
// slowdown, in parallel: one load tells the host's speed to about ±10 % only (the
// recording's loads spread that much). It returns the outcomes reached and the facts of
// the seeds at slowdown itself.
func simBigHashAround(t *testing.T, text string, slowdown float64) (map[string]int, []bigHashFacts) {
	t.Helper()
	reached := map[string]int{}
	var at []bigHashFacts
	var mu sync.Mutex
	t.Run(fmt.Sprintf("sim at %.2f", slowdown), func(t *testing.T) { // returns when its parallel subtests are done
		for _, by := range []float64{0.9, 1, 1.1} {
			t.Run(fmt.Sprint("slowdown×", by), func(t *testing.T) {
				t.Parallel() // the live run is over: the simulations can share the CPUs
				r, runs := simBigHash(t, text, slowdown*by, 70)
				mu.Lock()
				defer mu.Unlock()
				for o, k := range r {
					reached[o] += k
				}
				if by == 1 {
					at = runs
				}
			})
		}
	})
	return reached, at
}
