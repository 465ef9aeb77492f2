package scenario

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim/rediscli"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata")

const seedRunbook = "../../experiments/scenario/testdata/seed.txt"

func parseFile(t *testing.T, name string) *Runbook {
	t.Helper()
	text, err := os.ReadFile(name)
	require.NoError(t, err)
	return parseText(t, string(text))
}

func parseText(t *testing.T, text string) *Runbook {
	t.Helper()
	rb, err := Parse(strings.NewReader(text))
	require.NoError(t, err)
	return rb
}

func runSim(t *testing.T, rb *Runbook, seed uint64) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, RunSim(rb, &out, Options{Seed: seed}))
	return out.String()
}

// The seed runbook's simulated transcript is pinned: its abbreviated text in a golden
// file, the full text by its SHA-256. Run with -update after a deliberate change and read
// the diff. Running it twice in one process also proves the run is byte-for-byte
// deterministic.
// cleanSeed is a seed whose run of the seed runbook is the tutorial's: redis-cli pairs the
// replicas as the tutorial's run did (6384 with 6381, 6385 with 6382, 6386 with 6383), and
// the run meets none of the gossip races some real runs meet (TestForgetRaceMatchesRealRedis):
// its reshard right after add-node goes through, and every node takes del-node's CLUSTER
// FORGET. Seed 1, the command's default, is one whose reshard is refused ("I don't know
// about node"), as 1 of 10 real runs' was. Tests that read the tutorial's facts from one
// transcript use this seed.
const cleanSeed = 14

func TestSeedRunbookGolden(t *testing.T) {
	rb := parseFile(t, seedRunbook)
	first := runSim(t, rb, cleanSeed)
	second := runSim(t, rb, cleanSeed)
	require.True(t, first == second, "two runs with the same seed printed different transcripts")

	got := fmt.Sprintf("# go run ./experiments/scenario -seed %d experiments/scenario/testdata/seed.txt, abbreviated\n# sha256 of the full transcript: %x\n%s",
		cleanSeed, sha256.Sum256([]byte(first)), Abbreviate(first))
	const golden = "testdata/seed-sim.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "the seed runbook's transcript changed; if on purpose, rerun with -update")
}

// Every fact the seed tutorial states holds in simulation: the MOVED for k1, the replica
// taking over with epoch 7, the old master rejoining as its replica and taking back over with
// epoch 8 on CLUSTER FAILOVER, the 4096-slot reshard to [0-1364],[5461-6826],[10923-12287],
// and the scale-in leaving 6381 with 8192 slots. Other seeds pair replicas differently
// and draw other IDs, but must reach the same facts. (Not every seed does: see
// TestSeedRunbookGossipRace.)
func TestSeedRunbookFacts(t *testing.T) {
	rb := parseFile(t, seedRunbook)
	seeds := []uint64{3, 4, 6}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			checkSeedFacts(t, runSim(t, rb, seed))
		})
	}
}

func checkSeedFacts(t *testing.T, transcript string) {
	t.Helper()
	steps := splitTranscript(transcript)
	ids := nodeAddrs(steps)
	outputOf := func(i int) string { return strings.Join(steps[i].lines, "\n") }
	find := func(from int, cmd string) int {
		for i := from; i < len(steps); i++ {
			if steps[i].cmd == cmd {
				return i
			}
		}
		t.Fatalf("no step %q after step %d", cmd, from)
		return -1
	}
	// One CLUSTER NODES output, keyed by address: flags (without myself), master, epoch, link, slots.
	nodes := func(i int) map[string]string {
		m := map[string]string{}
		for _, l := range steps[i].lines {
			f := strings.Fields(l)
			if len(f) < 8 || !nodeLine.MatchString(l) {
				continue
			}
			addr, _, _ := strings.Cut(f[1], "@")
			flags := strings.TrimPrefix(strings.TrimPrefix(f[2], "myself,"), "myself")
			master := f[3]
			if a, ok := ids[master]; ok {
				master = a
			}
			m[addr] = strings.Join(append([]string{flags, master, f[6], f[7]}, f[8:]...), " ")
		}
		return m
	}

	i := find(0, "redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382 127.0.0.1:6383 127.0.0.1:6384 127.0.0.1:6385 127.0.0.1:6386 --cluster-replicas 1 --cluster-yes")
	assert.Contains(t, outputOf(i), "[OK] All 16384 slots covered.")
	i = find(i, "redis-cli -p 6381 cluster info")
	assert.Contains(t, outputOf(i), "cluster_state:ok")
	assert.Contains(t, outputOf(i), "cluster_known_nodes:6")
	i = find(i, "redis-cli -p 6381 set k1 v1")
	assert.Equal(t, "(error) MOVED 12706 127.0.0.1:6383", outputOf(i))
	i = find(i, "redis-cli -c -p 6381 set k1 v1")
	assert.Equal(t, "-> Redirected to slot [12706] located at 127.0.0.1:6383\nOK", outputOf(i))

	// The crash: 6381 fails, its replica serves 0-5460 with epoch 7.
	i = find(i, "redis-cli -p 6382 cluster nodes")
	n := nodes(i)
	// Every 100 ms clusterCron opens a link to the dead master, and the refused connect
	// frees it on the next turn of the event loop; CLUSTER NODES shows a link being opened
	// as connected, and on a loaded host a real run catches one (CI did, once in four).
	assert.Contains(t, []string{"master,fail - 1 disconnected", "master,fail - 1 connected"}, n["127.0.0.1:6381"])
	var promoted string
	for addr, v := range n {
		if v == "master - 7 connected 0-5460" {
			promoted = addr
		}
	}
	require.NotEmpty(t, promoted, "no replica took 0-5460 over with epoch 7: %v", n)
	i = find(i, "redis-cli -c -p 6383 set k2 v2")
	assert.Equal(t, "-> Redirected to slot [449] located at "+promoted+"\nOK", outputOf(i))

	// The old master rejoins as a replica, then takes its slots back with epoch 8.
	i = find(i+1, "redis-cli -p 6382 cluster nodes")
	assert.Equal(t, "slave "+promoted+" 7 connected", nodes(i)["127.0.0.1:6381"])
	i = find(i, "redis-cli -p 6381 cluster failover")
	assert.Equal(t, "OK", outputOf(i))
	i = find(i, "redis-cli -p 6382 cluster nodes")
	n = nodes(i)
	assert.Equal(t, "master - 8 connected 0-5460", n["127.0.0.1:6381"])
	assert.Equal(t, "slave 127.0.0.1:6381 8 connected", n[promoted])

	// Scale out: the new master gets a third of each old master's slots.
	i = find(i, "redis-cli --cluster reshard 127.0.0.1:6381 --cluster-from all --cluster-to 127.0.0.1:6387 --cluster-slots 4096 --cluster-yes")
	assert.Contains(t, outputOf(i), "Moving slot 12287 from 127.0.0.1:6383 to 127.0.0.1:6387: ")
	i = find(i, "redis-cli --cluster check 127.0.0.1:6382")
	out := outputOf(i)
	assert.Contains(t, out, "127.0.0.1:6387\n   slots:[0-1364],[5461-6826],[10923-12287] (4096 slots) master\n   1 additional replica(s)")
	assert.Contains(t, out, "[OK] 2 keys in 4 masters.")
	assert.Contains(t, out, "[OK] All 16384 slots covered.")

	// Scale in: 6387's slots go to 6381, and 6387 and 6388 leave.
	i = find(i, "redis-cli --cluster del-node 127.0.0.1:6387 127.0.0.1:6387")
	assert.Contains(t, outputOf(i), ">>> Sending CLUSTER RESET SOFT to the deleted node.")
	i = find(i, "redis-cli --cluster check 127.0.0.1:6381")
	out = outputOf(i)
	assert.Contains(t, out, "127.0.0.1:6381\n   slots:[0-6826],[10923-12287] (8192 slots) master")
	assert.Contains(t, out, "[OK] 2 keys in 3 masters.")
	n = nodes(find(i, "redis-cli -p 6381 cluster nodes"))
	assert.Len(t, n, 6)
	assert.Equal(t, "master - 10 connected 0-6826 10923-12287", n["127.0.0.1:6381"])
}

// The simulated transcript of the seed runbook matches what a real Redis 7.0.15 printed for
// it, line for line, once IDs, clocks and hash-table orders are set aside (see comparable).
// The reference ran with cluster-node-timeout 5000, and seed 2 is one whose redis-cli
// pairs replicas as the real one happened to. The real run was piped, so it printed no
// "-> Redirected" lines and no "(error) " prefix; comparable drops both.
func TestSeedRunbookMatchesRealRedis(t *testing.T) {
	text, err := os.ReadFile(seedRunbook)
	require.NoError(t, err)
	rb := parseText(t, withNodeTimeout(string(text), 5000))
	sim := strings.ReplaceAll(runSim(t, rb, 2), " --cluster-node-timeout 5000", "")
	ref, err := os.ReadFile("testdata/seed-real-output.txt")
	require.NoError(t, err)
	assert.Equal(t, strings.Join(comparable(string(ref)), "\n"), strings.Join(comparable(sim), "\n"))

	// comparable masks the message counters of CLUSTER INFO; they count the pings and pongs
	// of the first 15 s and must agree to within 10% (or 3 messages).
	want, got := counters(string(ref)), counters(sim)
	require.Len(t, got, 7)
	for name, w := range want {
		assert.InDelta(t, w, got[name], max(3, 0.1*w), name)
	}
}

func counters(transcript string) map[string]float64 {
	m := map[string]float64{}
	for _, l := range strings.Split(transcript, "\n") {
		var v float64
		if k, val, ok := strings.Cut(l, ":"); ok && strings.HasPrefix(k, "cluster_stats_messages_") {
			if _, err := fmt.Sscan(val, &v); err == nil {
				m[k] = v
			}
		}
	}
	return m
}

// withNodeTimeout adds --cluster-node-timeout ms to every docker run line.
func withNodeTimeout(runbook string, ms int) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(runbook, "\n") {
		if strings.HasPrefix(l, "docker run ") {
			l = strings.TrimRight(l, "\n") + fmt.Sprintf(" --cluster-node-timeout %d\n", ms)
		}
		b.WriteString(l)
	}
	return b.String()
}

// The runbook gives gossip 5 seconds between adding 6388 and deleting it. With the default
// 15 s node timeout a node pings one peer a second, and on some seeds no gossip has told
// some node about 6388 yet (seed 11, and 12; 13 of seeds 1 to 40 are refused), so CLUSTER
// FORGET fails there and redis-cli stops before resetting 6388, which stays in the cluster
// and, once 6387 is emptied, follows its slots to 6381. Real clusters do this too: 4 of 10 recorded runs (TestForgetRaceMatchesRealRedis); in two of
// the four, 6381 had been told to forget 6388 before the refusal and no longer listed it
// at the end. Which seeds race changes whenever the timing of any message does: seed 2
// raced until each run began at its own point of a Unix second (unixPhase), seed 8 until
// each docker run took the time the live backend's does (simBackend.serverReady).
func TestSeedRunbookGossipRace(t *testing.T) {
	if testing.Short() {
		t.Skip("a full seed runbook run")
	}
	steps := splitTranscript(runSim(t, parseFile(t, seedRunbook), 11))
	var delNode, last stepOut
	for _, s := range steps {
		switch s.cmd {
		case "redis-cli --cluster del-node 127.0.0.1:6388 127.0.0.1:6388":
			delNode = s
		case "redis-cli -p 6381 cluster nodes":
			last = s
		}
	}
	out := strings.Join(delNode.lines, "\n")
	assert.Regexp(t, `>>> Sending CLUSTER FORGET messages to the cluster\.\.\.\nNode 127\.0\.0\.1:638\d replied with error:\nERR Unknown node `, out)
	assert.NotContains(t, out, "RESET SOFT")
	assert.Contains(t, strings.Join(last.lines, "\n"), " 127.0.0.1:6388@16388 slave ")
}

// redis-cli exiting with status 1 lets the runbook go on, as in a shell; any other error
// of the emulated redis-cli is a bug and stops the run instead of vanishing.
func TestCLIFailure(t *testing.T) {
	assert.NoError(t, cliFailure(nil))
	assert.NoError(t, cliFailure(rediscli.ErrCLI))
	assert.NoError(t, cliFailure(fmt.Errorf("%w: refused", rediscli.ErrCLI)))
	other := errors.New("no such slot")
	err := cliFailure(other)
	assert.ErrorIs(t, err, other)
	assert.EqualError(t, err, "emulated redis-cli: no such slot")
}

// fakeScheduling is a backend whose `after` step fails when it fires, during the next step.
type fakeScheduling struct {
	failed scheduledFailure
	after  Step
}

func (f *fakeScheduling) elapsed() time.Duration { return 0 }
func (f *fakeScheduling) close() error           { return nil }
func (f *fakeScheduling) scheduled() error       { return f.failed.take() }
func (f *fakeScheduling) exec(s Step, _ io.Writer) error {
	switch s.Cmd.(type) {
	case After:
		f.after = s
	case Sleep:
		if f.after.Line != 0 {
			f.failed.record(f.after, errors.New("port 6381 is taken"))
			f.failed.record(f.after, errors.New("a second failure is not the first"))
		}
	}
	return nil
}

// A step an `after` line schedules that fails when it fires stops the run at the line
// being run then, naming the scheduled line; it is no longer dropped.
func TestScheduledStepFailureStopsTheRun(t *testing.T) {
	rb := parseText(t, "docker run -d --name n1 redis:7.0 --cluster-enabled yes --port 6381\nafter 1s docker start n1\nsleep 2s\nsleep 1s\n")
	var out strings.Builder
	err := run(rb, &fakeScheduling{}, &out, Options{})
	require.ErrorIs(t, err, ErrStopped)
	assert.EqualError(t, err, "runbook stopped at line 3 (sleep 2s): the step scheduled at line 2 (after 1s docker start n1): port 6381 is taken")
	assert.NotContains(t, out.String(), "sleep 1s", "the run stopped")
}
