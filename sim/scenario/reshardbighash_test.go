package scenario

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
)

// reshard-big-hash.txt: the seed's scale-out meets a hash of 3 000 000 fields. Its live
// runs are under testdata/reshard-big-hash-live/TIMEOUT/, one timed brief transcript each
// (record-reshard-big-hash.sh).

const reshardBigHashRunbook = "../../experiments/scenario/testdata/reshard-big-hash.txt"

// reshardFacts are what one run of the runbook shows, durations apart: how the reshard
// ended, what the first master, 7401, became, the state and the GET that 7407 (the new
// master) answers ten seconds later, what `--cluster check` and `--cluster fix` report,
// and the state and check after the fix.
type reshardFacts struct {
	load, reshard time.Duration
	// stop is redis-cli's reason for stopping ("" when the reshard completed), stopSlot the
	// slot it was moving then.
	stop     string
	stopSlot string
	role     string // 7401's ROLE ten seconds after: master or slave
	state    string // 7407's cluster_state ten seconds after
	get      string // GET hash:big:166 through 7407
	check    string // the check: agreement, open slots, coverage, keys
	fix      string // what the fix did: its "Case" lines, or "nothing", and any [ERR]
	after    string // 7407's cluster_state after the fix, and the check's keys and coverage
}

func (f reshardFacts) outcome() string {
	return fmt.Sprintf("stop %q at %s; 7401 %s; 7407 %s, GET %s; check %s; fix %s; after %s",
		f.stop, f.stopSlot, f.role, f.state, f.get, f.check, f.fix, f.after)
}

var (
	reshardMoveLine = regexp.MustCompile(`^Moving \d+ slots? from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+: (?:\d+-)?(\d+)`)
	keysLine        = regexp.MustCompile(`^\[OK\] (\d+) keys in (\d+) masters\.`)
)

// readReshardFacts reads a timed, brief transcript of the runbook, whole or from its load
// of the hash on (as the recorder keeps it).
func readReshardFacts(t *testing.T, transcript string) reshardFacts {
	t.Helper()
	var f reshardFacts
	var master string // 7401's master once it is a replica
	var check, fix, after []string
	checks := 0
	for _, s := range timedSteps(t, transcript) {
		var parts *[]string
		switch {
		case strings.HasPrefix(s.cmd, "load hash "):
			f.load = s.took
		case strings.HasPrefix(s.cmd, "redis-cli --cluster reshard "):
			f.reshard = s.took
			for _, l := range s.lines {
				if m := reshardMoveLine.FindStringSubmatch(l); m != nil {
					f.stopSlot = m[1]
				}
				if r, ok := strings.CutPrefix(l, "clusterManagerMoveSlot failed: "); ok {
					f.stop = r
				}
			}
		case s.cmd == "redis-cli -p 7401 role":
			for _, l := range s.lines {
				if r, ok := strings.CutPrefix(l, `1) "`); ok {
					f.role = strings.TrimSuffix(r, `"`)
				}
				if p, ok := strings.CutPrefix(l, "3) (integer) "); ok {
					master = p
				}
			}
		case s.cmd == "redis-cli -p 7407 cluster info":
			for _, l := range s.lines {
				if st, ok := strings.CutPrefix(l, "cluster_state:"); ok && f.state == "" {
					f.state = st
				} else if ok {
					after = append(after, st)
				}
			}
		case strings.HasPrefix(s.cmd, "redis-cli -c -p 7407 get "):
			for _, l := range s.lines {
				if l != "" && f.get == "" {
					f.get = strings.TrimPrefix(l, "(error) ")
				}
			}
		case strings.HasPrefix(s.cmd, "redis-cli --cluster check "):
			checks++
			parts = &after
			if checks == 1 {
				parts = &check
			}
		case strings.HasPrefix(s.cmd, "redis-cli --cluster fix "):
			parts = &fix
		}
		if parts == nil {
			continue
		}
		fixing := parts == &fix
		for _, l := range s.lines {
			var part string
			switch {
			case strings.HasPrefix(l, "[OK] All nodes agree"):
				part = "agree"
			case strings.HasPrefix(l, "[ERR] Nodes don't agree"):
				part = "disagree"
			case strings.HasPrefix(l, "[WARNING] The following slots are open: "):
				part = "open " + strings.TrimSuffix(strings.TrimPrefix(l, "[WARNING] The following slots are open: "), ".")
			case strings.HasPrefix(l, "[OK] All 16384 slots covered"):
				part = "covered"
			case strings.HasPrefix(l, "[ERR] Not all 16384 slots are covered"):
				part = "not covered"
			case keysLine.MatchString(l):
				m := keysLine.FindStringSubmatch(l)
				part = m[1] + " keys in " + m[2]
			case fixing && strings.HasPrefix(l, ">>> Case "):
				// Which replica took over from 7401 depends on create's anti-affinity
				// pass, which real redis-cli draws at random: name it by its role.
				part = strings.TrimPrefix(l, ">>> ")
				if master != "" {
					part = strings.ReplaceAll(part, "127.0.0.1:"+master, "7401's master")
				}
			case fixing && strings.HasPrefix(l, "[ERR]"):
				part = l
			}
			if part != "" {
				*parts = append(*parts, part)
			}
		}
	}
	f.check, f.fix, f.after = strings.Join(check, ", "), strings.Join(fix, ", "), strings.Join(after, ", ")
	return f
}

// readReshardRecording reads the live runs at node timeout ms.
func readReshardRecording(t *testing.T, ms int) []reshardFacts {
	t.Helper()
	files, err := filepath.Glob(fmt.Sprintf("testdata/reshard-big-hash-live/%d/run-*.txt", ms))
	require.NoError(t, err)
	var runs []reshardFacts
	for _, file := range files {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		runs = append(runs, readReshardFacts(t, string(text)))
	}
	return runs
}

// Held to the live runs at each node timeout, on a host as much slower than the
// calibration's as the runs' own loads of the hash say: every real run ends in an outcome
// some seed reaches (how the reshard ends, where, who is master, what the new master
// answers, what check and fix find), and the reshard's median duration is within 25 % of
// the real one.
func TestReshardBigHash(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s of simulation; go test without -short runs it")
	}
	seeds := 10
	if os.Getenv("KVPLACE_HEAVY") != "" {
		seeds = 40
	}
	for _, ms := range []int{1000, 15000} {
		t.Run(fmt.Sprint("timeout=", ms), func(t *testing.T) {
			t.Parallel()
			real := readReshardRecording(t, ms)
			require.GreaterOrEqual(t, len(real), 10, "fewer than 10 real runs at %d ms", ms)
			text := runbookAtTimeout(t, reshardBigHashRunbook, "127.0.0.1:7401", ms)
			seen := map[string]int{}
			var load, took []time.Duration
			for _, f := range real {
				seen[f.outcome()]++
				load = append(load, f.load)
				took = append(took, f.reshard)
			}
			slowdown := bigHashSlowdown(t, text, load)
			rb := parseText(t, text)
			reached := map[string]int{}
			var sim []time.Duration
			for seed := 1; seed <= seeds; seed++ {
				var out bytes.Buffer
				require.NoError(t, RunSim(rb, &out, Options{Seed: uint64(seed), Time: true, Brief: true, Slowdown: slowdown}))
				f := readReshardFacts(t, out.String())
				reached[f.outcome()]++
				sim = append(sim, f.reshard)
			}
			t.Logf("slowdown %.2f\nreal: %v\nsimulated (%d seeds): %v", slowdown, seen, seeds, reached)
			for o := range seen {
				assert.Contains(t, reached, o, "a real outcome no seed reaches")
			}
			r, s := medianDuration(took), medianDuration(sim)
			t.Logf("the reshard takes %v real (median), %v simulated", r, s)
			assert.InEpsilon(t, r.Seconds(), s.Seconds(), 0.25, "the reshard's duration")
		})
	}
}

// One live run at a node timeout of 1 s ends in an outcome some simulated seed reaches, on
// a host as much slower as the run's own load of the hash says. It takes about 80 s of
// real time, so only with KVPLACE_HEAVY.
//
// One path is told apart. After the failover 7401 becomes a replica and asks its new
// master to go on from its offset; in 18 of 18 real runs recorded with logs the new master
// accepts, and so does the model on every seed. Once, in CI, a live run's 7401 was
// refused and fully resynced instead, and was still loading the 200 MB copy when
// `--cluster fix` read it: fix printed "[ERR] Unable to load info for node 7401". Why it
// was refused is not known (no log was kept then), so the model cannot reach it. When 7401's
// log shows that path, the test says so, and holds the other facts to the seeds.
func TestReshardBigHashLive(t *testing.T) {
	livetest.NeedLong(t)
	if os.Getenv("KVPLACE_HEAVY") == "" {
		t.Skip("80 s of real Redis; KVPLACE_HEAVY=1 runs it")
	}
	text := runbookAtTimeout(t, reshardBigHashRunbook, "127.0.0.1:7401", 1000)
	// The runbook's ports 7401.. become the helper's 6381.. and then free ones.
	swap := func(s, from, to string) string {
		return regexp.MustCompile(`\b`+from+`([1-7])\b`).ReplaceAllString(s, to+"$1")
	}
	dir := t.TempDir()
	real := readReshardFacts(t, swap(runLiveOnFreePorts(t, swap(text, "740", "638"), 7, Options{Time: true, Brief: true, Dir: dir}), "638", "740"))
	slowdown := bigHashSlowdown(t, text, []time.Duration{real.load})
	rb := parseText(t, text)
	reached := map[string]int{}
	for seed := 1; seed <= 10; seed++ {
		var out bytes.Buffer
		require.NoError(t, RunSim(rb, &out, Options{Seed: uint64(seed), Time: true, Brief: true, Slowdown: slowdown}))
		reached[readReshardFacts(t, out.String()).outcome()]++
	}
	t.Logf("live: %s, reshard %v; simulated at slowdown %.2f: %v", real.outcome(), real.reshard, slowdown, reached)
	if _, ok := reached[real.outcome()]; !ok {
		if lines := demotedFullSync(t, dir); len(lines) > 0 {
			t.Logf("7401 was refused a partial resync after the failover and loaded a full copy, a path no seed takes:\n%s", strings.Join(lines, "\n"))
			real.fix = strings.TrimPrefix(strings.TrimPrefix(real.fix, "[ERR] Unable to load info for node 127.0.0.1:7401"), ", ")
		}
	}
	assert.Contains(t, reached, real.outcome())
}

// demotedFullSync returns, from the live run's logs under dir, the lines that tell how the
// first master (container n1) resynchronised once it was turned into a replica, if that
// was a full copy: its own lines from the reconfiguration on, and the new master's reason
// for refusing it a partial one.
func demotedFullSync(t *testing.T, dir string) []string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(dir, "n1", "redis.log"))
	require.NoError(t, err, "the first master's log")
	before, after, ok := strings.Cut(string(text), "Reconfiguring myself as a replica")
	if !ok || !strings.Contains(after, "Full resync from master") {
		return nil
	}
	// Redis's log lines are "PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL text"; within one run
	// the time compares as text.
	stamp := func(l string) string {
		if f := strings.Fields(l); len(f) >= 5 {
			return f[4]
		}
		return ""
	}
	since := stamp(before[strings.LastIndexByte(before, '\n')+1:])
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		if strings.Contains(l, "resync") || strings.Contains(l, "REPLICA sync") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	logs, err := filepath.Glob(filepath.Join(dir, "n*", "redis.log"))
	require.NoError(t, err)
	for _, file := range logs {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, l := range strings.Split(string(text), "\n") {
			if strings.Contains(l, "Partial resynchronization not accepted") && stamp(l) >= since {
				lines = append(lines, filepath.Base(filepath.Dir(file))+": "+strings.TrimSpace(l))
			}
		}
	}
	return lines
}

// demotedFullSync finds a full resync after the reconfiguration, and the refusal behind
// it, and nothing when the resync was partial (lines as Redis 7.0.15 writes them).
func TestDemotedFullSync(t *testing.T) {
	write := func(dir, node, text string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, node), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, node, "redis.log"), []byte(text), 0o644))
	}
	const reconf = "15452:M 05 Dec 2026 21:45:50.291 # Configuration change detected. Reconfiguring myself as a replica of 92abcc53d4685550ab20a2ad060478b8f08e79f7\n"
	partial := t.TempDir()
	write(partial, "n1", reconf+
		"15452:S 05 Dec 2026 21:45:50.296 * Trying a partial resynchronization (request 19e14bbea8ab9cda05b9ce4118dbe56f2772d99a:216807641).\n"+
		"15452:S 05 Dec 2026 21:45:50.297 * Successful partial resynchronization with master.\n")
	assert.Empty(t, demotedFullSync(t, partial))

	full := t.TempDir()
	write(full, "n1", reconf+
		"15452:S 05 Dec 2026 21:45:50.296 * Trying a partial resynchronization (request 19e14bbea8ab9cda05b9ce4118dbe56f2772d99a:216807655).\n"+
		"15452:S 05 Dec 2026 21:45:55.301 * Full resync from master: 6e5ad102af77f6f68552c9d5616f106409cdb0b9:216807640\n"+
		"15452:S 05 Dec 2026 21:45:59.100 * MASTER <-> REPLICA sync: Flushing old data\n")
	write(full, "n6", "15470:M 05 Dec 2026 21:44:52.851 * Partial resynchronization not accepted: Replication ID mismatch (Replica asked for 'bb33', my replication IDs are 'c223' and '0000')\n"+
		"15470:M 05 Dec 2026 21:45:50.296 * Partial resynchronization not accepted: Requested offset for second ID was 216807655, but I can reply up to 216807641\n")
	lines := demotedFullSync(t, full)
	require.Len(t, lines, 4, "%q", lines)
	assert.Contains(t, lines[1], "Full resync from master")
	assert.Equal(t, "n6: 15470:M 05 Dec 2026 21:45:50.296 * Partial resynchronization not accepted: Requested offset for second ID was 216807655, but I can reply up to 216807641", lines[3])
}
