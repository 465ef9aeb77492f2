package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/sim/rediscli"
)

// diffTranscripts takes a step whose every fact some seed shows as agreeing, and reports
// the facts none shows, with a line diff against the first seed; message counters are
// dropped.
func TestDiffTranscripts(t *testing.T) {
	rb := parseText(t, "redis-cli -p 6381 ping\nredis-cli -p 6381 cluster info\n")
	real := "$ redis-cli -p 6381 ping\nPONG\n$ redis-cli -p 6381 cluster info\ncluster_state:fail\ncluster_stats_messages_sent:12\n"
	seed1 := "$ redis-cli -p 6381 ping\nPONG\n$ redis-cli -p 6381 cluster info\ncluster_state:ok\ncluster_stats_messages_sent:7\n"
	seed2 := "$ redis-cli -p 6381 ping\nPONG\n$ redis-cli -p 6381 cluster info\ncluster_state:fail\ncluster_stats_messages_sent:3\n"
	res := diffTranscripts(rb, real, []string{seed1, seed2})
	assert.Empty(t, res.Divergent, "seed 2 reaches the real outcome; the counters are dropped")
	res = diffTranscripts(rb, real, []string{seed1})
	require.Len(t, res.Divergent, 1)
	d := res.Divergent[0]
	assert.Equal(t, 2, d.Step)
	assert.Equal(t, 2, d.Line)
	var out bytes.Buffer
	res.write(&out, 1)
	assert.Equal(t, `step 2 (line 2): redis-cli -p 6381 cluster info
  facts no seed of 1..1 shows as the real run does (times printed, real and by each seed):
    cluster_state:fail   (real 1; seeds 0)
    cluster_state:ok   (real 0; seeds 1)
  the step, - real, + simulated (seed 1):
  - cluster_state:fail
  + cluster_state:ok
1 of 2 steps and 1 of 3 facts: the real outcome is one the simulation reaches (seeds 1..1); 1 steps differ
`, out.String())

	// Fact by fact: each node line of the real run is some seed's, though no seed has both.
	rb = parseText(t, "redis-cli -p 6381 cluster nodes\n")
	node := func(port, role string) string {
		return strings.Repeat(port[3:], 10) + " 127.0.0.1:" + port + "@1" + port + " " + role + " 0 0 1 connected\n"
	}
	real = "$ redis-cli -p 6381 cluster nodes\n" + node("6384", "slave 1111111111111111111111111111111111111111") + node("6385", "master -")
	seed1 = "$ redis-cli -p 6381 cluster nodes\n" + node("6384", "slave 1111111111111111111111111111111111111111") + node("6385", "slave 1111111111111111111111111111111111111111")
	seed2 = "$ redis-cli -p 6381 cluster nodes\n" + node("6384", "master -") + node("6385", "master -")
	assert.Empty(t, diffTranscripts(rb, real, []string{seed1, seed2}).Divergent)
	res = diffTranscripts(rb, real, []string{seed1})
	require.Len(t, res.Divergent, 1)
	require.Len(t, res.Divergent[0].Facts, 2, "6385 a master in the real run, a replica in seed 1's")
	assert.Equal(t, []int{0}, res.Divergent[0].Facts[0].Sim)

	// A load's counts agree when they lie within the seeds' range; the rest of the line
	// must agree exactly.
	rb = parseText(t, "load 435\n")
	load := func(redirects, errors int) string {
		return fmt.Sprintf("$ load 435\n(load) 435 writes to 435 keys: %d redirects, %d errors\n", redirects, errors)
	}
	assert.Empty(t, diffTranscripts(rb, load(0, 293), []string{load(0, 290), load(1, 298)}).Divergent)
	res = diffTranscripts(rb, load(0, 288), []string{load(0, 290), load(1, 298)})
	require.Len(t, res.Divergent, 1, "288 errors is below every seed's")
	require.Len(t, res.Divergent[0].Facts, 1)
	assert.Equal(t, Fact{Line: "(load) 435 writes to 435 keys: 0 redirects, 288 errors", Real: 1, Sim: []int{0, 0}}, res.Divergent[0].Facts[0])
	res = diffTranscripts(rb, load(2, 293), []string{load(0, 290), load(1, 298)})
	require.Len(t, res.Divergent, 1, "2 redirects is above every seed's")
	res = diffTranscripts(rb, load(0, 293), []string{load(0, 290), "$ load 435\n(load) 435 writes to 400 keys: 0 redirects, 300 errors\n", load(0, 298)})
	assert.Empty(t, res.Divergent, "the range is of the seeds whose line has the real one's shape")
	res = diffTranscripts(rb, "$ load 435\n(load) 435 writes to 401 keys: 0 redirects, 293 errors\n", []string{load(0, 290), load(1, 298)})
	require.Len(t, res.Divergent, 1, "the keys written must agree exactly")
}

// The normal form: node IDs by the address they had, clocks and offsets (INFO's and
// ROLE's) masked, the dots
// of a wait dropped, node lines sorted.
func TestNormalSteps(t *testing.T) {
	text := `$ redis-cli -p 6381 cluster nodes
bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1:6382@16382 master - 0 1795548076530 2 connected 5461-10922
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 127.0.0.1:6381@16381 myself,master - 0 1795548074000 1 connected 0-5460
$ redis-cli -p 6381 info replication
role:master
slave0:ip=127.0.0.1,port=6384,state=online,offset=1234,lag=0
master_repl_offset:1234
$ redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382
Waiting for the cluster to join
...
$ redis-cli -p 6381 role
1) "master"
2) (integer) 34397
3) 1) 1) "127.0.0.1"
      2) "7905"
      3) "34397"
$ redis-cli -p 7905 ROLE
1) "slave"
2) "127.0.0.1"
3) (integer) 6381
4) "connected"
5) (integer) 34397
$ redis-cli -p 7908 role
1) "slave"
2) "127.0.0.1"
3) (integer) 7901
4) "handshake"
5) (integer) -1
`
	steps := normalSteps(text)
	require.Len(t, steps, 6)
	assert.Equal(t, []string{
		"<127.0.0.1:6381> 127.0.0.1:6381@16381 myself,master - PING PONG 1 connected 0-5460",
		"<127.0.0.1:6382> 127.0.0.1:6382@16382 master - PING PONG 2 connected 5461-10922",
	}, steps[0].lines)
	assert.Equal(t, []string{"role:master", "slave0:ip=127.0.0.1,port=6384,state=online,offset=N,lag=N", "master_repl_offset:N"}, steps[1].lines)
	assert.Equal(t, []string{"Waiting for the cluster to join"}, steps[2].lines)
	// ROLE: the offsets masked, the ports and a replica's -1 (not yet synced) kept.
	assert.Equal(t, []string{`1) "master"`, `2) (integer) N`, `3) 1) 1) "127.0.0.1"`, `      2) "7905"`, `      3) "N"`}, steps[3].lines)
	assert.Equal(t, []string{`1) "slave"`, `2) "127.0.0.1"`, `3) (integer) 6381`, `4) "connected"`, `5) (integer) N`}, steps[4].lines)
	assert.Equal(t, `5) (integer) -1`, steps[5].lines[4])
}

// scenario -diff's engine on real servers: the tutorial's first steps agree.
func TestDiffLive(t *testing.T) {
	livetest.Need(t)
	t.Parallel()
	text := `docker run -d --name n1 --net host redis:7.0.15 --cluster-enabled yes --port 6381
docker run -d --name n2 --net host redis:7.0.15 --cluster-enabled yes --port 6382
docker run -d --name n3 --net host redis:7.0.15 --cluster-enabled yes --port 6383
redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382 127.0.0.1:6383 --cluster-yes
sleep 3s
redis-cli -p 6381 cluster nodes
redis-cli -p 6381 set k1 v1
redis-cli --cluster check 127.0.0.1:6381
`
	ports, back := freePortMaps(t, 3)
	rb := parseText(t, ports(text))
	var out bytes.Buffer
	res, err := Diff(rb, &out, DiffOptions{Seeds: 2, Dir: t.TempDir()})
	require.NoError(t, err)
	assert.NoError(t, res.LiveFailed)
	assert.Empty(t, res.Divergent, back(out.String()))
	assert.Regexp(t, `8 of 8 steps and (\d+) of (\d+) facts: the real outcome is one the simulation reaches \(seeds 1..2\); 0 steps differ\n$`, out.String())
}

// freePortMaps returns portMaps for n free ports.
func freePortMaps(t *testing.T, n int) (there, back func(string) string) {
	t.Helper()
	ports, err := live.FreePorts(n)
	require.NoError(t, err)
	return portMaps(ports)
}

// TestRealPairing reads the final pairing from a create's listing, not from its "Adding
// replica" lines, which come before the anti-affinity swaps; and a simulated create given
// it prints that pairing.
func TestRealPairing(t *testing.T) {
	real := `$ redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382 127.0.0.1:6383 127.0.0.1:6384 127.0.0.1:6385 127.0.0.1:6386 --cluster-replicas 1 --cluster-yes
Adding replica 127.0.0.1:6385 to 127.0.0.1:6381
Adding replica 127.0.0.1:6386 to 127.0.0.1:6382
Adding replica 127.0.0.1:6384 to 127.0.0.1:6383
M: 1111111111111111111111111111111111111111 127.0.0.1:6381
   slots:[0-5460] (5461 slots) master
M: 2222222222222222222222222222222222222222 127.0.0.1:6382
   slots:[5461-10922] (5462 slots) master
M: 3333333333333333333333333333333333333333 127.0.0.1:6383
   slots:[10923-16383] (5461 slots) master
S: 4444444444444444444444444444444444444444 127.0.0.1:6384
   replicates 2222222222222222222222222222222222222222
S: 5555555555555555555555555555555555555555 127.0.0.1:6385
   replicates 3333333333333333333333333333333333333333
S: 6666666666666666666666666666666666666666 127.0.0.1:6386
   replicates 1111111111111111111111111111111111111111
>>> Nodes configuration updated
S: 4444444444444444444444444444444444444444 127.0.0.1:6384
   replicates 1111111111111111111111111111111111111111
`
	want := map[string]string{"127.0.0.1:6384": "127.0.0.1:6382", "127.0.0.1:6385": "127.0.0.1:6383", "127.0.0.1:6386": "127.0.0.1:6381"}
	require.Equal(t, want, RealPairing(real))

	var lines []string
	for i := range 6 {
		lines = append(lines, fmt.Sprintf("docker run -d --name redis-node-%d --net host redis:7.0.15 --cluster-enabled yes --port %d", i+1, 6381+i))
	}
	lines = append(lines, strings.SplitN(strings.TrimPrefix(real, "$ "), "\n", 2)[0])
	for seed := uint64(1); seed <= 5; seed++ {
		var out bytes.Buffer
		require.NoError(t, RunSim(parseText(t, strings.Join(lines, "\n")+"\n"), &out, Options{Seed: seed, Pairing: want}))
		require.Equal(t, want, RealPairing(out.String()), "seed %d", seed)
	}
}

// TestRealListDraws reads, per --cluster command, the node list its first cluster check
// printed and a rebalance's steps, by runbook line; and a simulated check given a list
// prints its nodes in that order, whatever the seed.
func TestRealListDraws(t *testing.T) {
	var lines []string
	for i := range 4 {
		lines = append(lines, fmt.Sprintf("docker run -d --name redis-node-%d --net host redis:7.0.15 --cluster-enabled yes --port %d", i+1, 6381+i))
	}
	lines = append(lines,
		"redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382 127.0.0.1:6383 127.0.0.1:6384 --cluster-replicas 0 --cluster-yes",
		"sleep 3s",
		"redis-cli --cluster check 127.0.0.1:6382",
		"redis-cli --cluster rebalance 127.0.0.1:6384 --cluster-weight 127.0.0.1:6384=0")
	rb := parseText(t, strings.Join(lines, "\n")+"\n")
	real := `$ redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382 127.0.0.1:6383 127.0.0.1:6384 --cluster-replicas 0 --cluster-yes
M: 1111111111111111111111111111111111111111 127.0.0.1:6381
>>> Performing Cluster Check (using node 127.0.0.1:6381)
M: 1111111111111111111111111111111111111111 127.0.0.1:6381
$ sleep 3s
$ redis-cli --cluster check 127.0.0.1:6382
127.0.0.1:6382 (22222222...) -> 0 keys | 4096 slots | 0 slaves.
>>> Performing Cluster Check (using node 127.0.0.1:6382)
M: 2222222222222222222222222222222222222222 127.0.0.1:6382
   slots:[4096-8191] (4096 slots) master
M: 4444444444444444444444444444444444444444 127.0.0.1:6384
   slots:[12288-16383] (4096 slots) master
M: 1111111111111111111111111111111111111111 127.0.0.1:6381
   slots:[0-4095] (4096 slots) master
M: 3333333333333333333333333333333333333333 127.0.0.1:6383
   slots:[8192-12287] (4096 slots) master
[OK] All nodes agree about slots configuration.
$ redis-cli --cluster rebalance 127.0.0.1:6384 --cluster-weight 127.0.0.1:6384=0
>>> Performing Cluster Check (using node 127.0.0.1:6384)
[OK] All nodes agree about slots configuration.
>>> Rebalancing across 4 nodes. Total weight = 3.00
Moving 1366 slots from 127.0.0.1:6384 to 127.0.0.1:6383
####
Moving 1365 slots from 127.0.0.1:6384 to 127.0.0.1:6381
####
Moving 1365 slots from 127.0.0.1:6384 to 127.0.0.1:6382
####
`
	for i := 3; i >= 0; i-- {
		real = "$ " + lines[i] + "\nredis-node-" + fmt.Sprint(i+1) + "\n" + real
	}
	draws := RealListDraws(rb, real)
	require.Len(t, draws, 2, "the create's listing is its own, not a node list")
	check, rebalance := draws[rb.Steps[6].Line], draws[rb.Steps[7].Line]
	require.NotNil(t, check)
	assert.Equal(t, []string{"127.0.0.1:6382", "127.0.0.1:6384", "127.0.0.1:6381", "127.0.0.1:6383"}, check.List)
	assert.Empty(t, check.Steps)
	require.NotNil(t, rebalance)
	assert.Empty(t, rebalance.List, "a rebalance's check is quiet")
	assert.Equal(t, []rediscli.AddrStep{{From: "127.0.0.1:6384", To: "127.0.0.1:6383", N: 1366}, {From: "127.0.0.1:6384", To: "127.0.0.1:6381", N: 1365}, {From: "127.0.0.1:6384", To: "127.0.0.1:6382", N: 1365}}, rebalance.Steps)

	for seed := uint64(1); seed <= 3; seed++ {
		var out bytes.Buffer
		require.NoError(t, RunSim(rb, &out, Options{Seed: seed, Draws: draws}))
		steps := splitTranscript(out.String())
		var order []string
		for _, l := range steps[6].lines {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "M:" {
				order = append(order, f[2])
			}
		}
		assert.Equal(t, check.List, order, "seed %d: the check lists the real order", seed)
		var moves []string
		for _, l := range steps[7].lines {
			if strings.HasPrefix(l, "Moving ") {
				moves = append(moves, l)
			}
		}
		// The entry node, 6384, gives: the slot rounding leaves goes to the first taker
		// in the entry's CLUSTER NODES order, which the real run shows was 6383.
		assert.Equal(t, []string{
			"Moving 1366 slots from 127.0.0.1:6384 to 127.0.0.1:6383",
			"Moving 1365 slots from 127.0.0.1:6384 to 127.0.0.1:6381",
			"Moving 1365 slots from 127.0.0.1:6384 to 127.0.0.1:6382",
		}, moves, "seed %d: the rebalance serves the masters as the real one did", seed)
	}
}

// A rebalance's moves of as many slots to one target are sorted (redis-cli's order among
// them is its hash table's); moves of other sizes or targets keep their place.
func TestNormalMoves(t *testing.T) {
	text := "$ redis-cli --cluster rebalance 127.0.0.1:7008\n" +
		">>> Rebalancing across 6 nodes. Total weight = 7.00\n" +
		"Moving 490 slots from 127.0.0.1:7005 to 127.0.0.1:7002\n###\n" +
		"Moving 391 slots from 127.0.0.1:7010 to 127.0.0.1:7002\n##\n" +
		"Moving 391 slots from 127.0.0.1:7001 to 127.0.0.1:7002\n##\n" +
		"Moving 391 slots from 127.0.0.1:7004 to 127.0.0.1:7003\n##\n" +
		"Moving 12 slots from 127.0.0.1:7003 to 127.0.0.1:7002\n#\n" +
		"Moving 391 slots from 127.0.0.1:7006 to 127.0.0.1:7002\n##\n"
	assert.Equal(t, []string{
		">>> Rebalancing across 6 nodes. Total weight = 7.00",
		"Moving 490 slots from 127.0.0.1:7005 to 127.0.0.1:7002", "###",
		"Moving 391 slots from 127.0.0.1:7001 to 127.0.0.1:7002", "##",
		"Moving 391 slots from 127.0.0.1:7010 to 127.0.0.1:7002", "##",
		"Moving 391 slots from 127.0.0.1:7004 to 127.0.0.1:7003", "##",
		"Moving 12 slots from 127.0.0.1:7003 to 127.0.0.1:7002", "#",
		"Moving 391 slots from 127.0.0.1:7006 to 127.0.0.1:7002", "##",
	}, normalSteps(text)[0].lines)
}

// A prompt reads the same whether a terminal echoed the "yes" typed after it (the
// simulated redis-cli) or a pipe did not (a live run, where the next line follows on the
// prompt's).
func TestNormalPrompt(t *testing.T) {
	q := "Fix these slots by covering with a random node? (type 'yes' to accept): "
	sim := normalSteps("$ redis-cli --cluster fix 127.0.0.1:7006\n" + q + "yes\n>>> Covering slot 660 with 127.0.0.1:7006\n")
	real := normalSteps("$ redis-cli --cluster fix 127.0.0.1:7006\n" + q + ">>> Covering slot 660 with 127.0.0.1:7006\n")
	assert.Equal(t, real, sim)
	assert.Equal(t, []string{strings.TrimSuffix(q, " "), ">>> Covering slot 660 with 127.0.0.1:7006"}, real[0].lines)
}

// A divergence reads the same in fidelity's -json as in Go: lower-case names, one per
// field, with each fact's counts per seed.
func TestDivergenceJSON(t *testing.T) {
	d := Divergence{Step: 3, Line: 7, Cmd: "redis-cli -p 7001 cluster info", Real: []string{"cluster_state:ok"},
		Sim: [][]string{{"cluster_state:fail"}}, Facts: []Fact{{Line: "cluster_state:ok", Real: 1, Sim: []int{0}}}}
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, `{"step":3,"line":7,"cmd":"redis-cli -p 7001 cluster info","real":["cluster_state:ok"],
		"sim":[["cluster_state:fail"]],"facts":[{"line":"cluster_state:ok","real":1,"sim":[0]}]}`, string(b))
}

// A node knows its own IP only once a peer has told it: CLUSTER NODES on a new node
// shows ":port@cport", as after a failed add-node (fidelity case seed 30), and the
// address once a MEET has come in (the node met) or a PING (the node that sent the MEET);
// on real Redis and in simulation alike. (Which of the two bumps its config epoch after
// the MEET depends on their random IDs, so the steps are not compared whole.)
func TestOwnAddressLearnedLive(t *testing.T) {
	livetest.Need(t)
	t.Parallel()
	text := `docker run -d --name n1 --net host redis:7.0.15 --cluster-enabled yes --port 6381
docker run -d --name n2 --net host redis:7.0.15 --cluster-enabled yes --port 6382
redis-cli -p 6381 cluster nodes
redis-cli -p 6381 cluster meet 127.0.0.1 6382
sleep 2s
redis-cli -p 6381 cluster nodes
redis-cli -p 6382 cluster nodes
`
	ports, _ := freePortMaps(t, 2)
	rb := parseText(t, ports(text))
	var real bytes.Buffer
	require.NoError(t, RunLive(rb, &real, Options{Dir: t.TempDir()}))
	check := func(name, transcript string) {
		steps := splitTranscript(transcript)
		require.Len(t, steps, 7, name)
		assert.Regexp(t, `^[0-9a-f]{40} :\d+@\d+ myself,master - 0 0 0 connected$`, steps[2].lines[0], "%s: the new node does not know its address", name)
		for _, i := range []int{5, 6} {
			mine := ""
			for _, l := range steps[i].lines {
				if strings.Contains(l, "myself") {
					mine = l
				}
			}
			assert.Regexp(t, ` 127\.0\.0\.1:\d+@\d+ myself,master `, mine, "%s, step %d: the node has learned its address", name, i+1)
		}
	}
	check("live", real.String())
	for seed := uint64(1); seed <= 2; seed++ {
		var sim bytes.Buffer
		require.NoError(t, RunSim(rb, &sim, Options{Seed: seed}))
		check(fmt.Sprintf("seed %d", seed), sim.String())
	}
}
