package cluster_test

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/modulo"
	"github.com/kvplace/kvplace/ring"
	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
)

func ringPlacement(vnodes int) cluster.Placement {
	return func(members []string) (cluster.Partitioner, error) {
		return ring.New(members, ring.Config{VNodes: vnodes})
	}
}

func moduloPlacement(members []string) (cluster.Partitioner, error) { return modulo.New(members, nil) }

// placedCluster builds a cluster placing keys by place and stores keys key:0.. in it
// through go-redis (client.GoRedis).
func placedCluster(t *testing.T, place cluster.Placement, masters, replicas, keys int) (*cluster.Cluster, []*cluster.Process) {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = time.Second
	cfg.AppendOnly = true
	c, procs, err := rediscli.Build(cluster.Options{Seed: 3, Masters: masters, Replicas: replicas, Config: cfg, Link: cluster.Loopback(), Placement: place})
	require.NoError(t, err)
	cc := client.NewGoRedis(c, "loader", client.Options{}, procs[0].Addr())
	cc.Load()
	c.Sim.RunFor(2 * time.Second) // masters turn ok 2 s after they start (CLUSTER_WRITABLE_DELAY)
	failed := 0
	for i := range keys {
		cc.Do(func(r client.Result) {
			if r.Outcome == client.Failed {
				failed++
			}
		}, "SET", "key:"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	c.Sim.RunFor(8 * time.Second) // replicas synchronised
	require.Zero(t, failed, "stores that failed")
	return c, procs
}

// holders maps each stored key to the address of the master holding it, and checks that
// exactly one running master holds it.
func holders(t *testing.T, c *cluster.Cluster, keys int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range c.Processes() {
		if !p.Up() || !p.Node().IsMaster() {
			continue
		}
		for i := range keys {
			k := "key:" + strconv.Itoa(i)
			if _, ok := p.Node().Get(k); ok {
				require.Empty(t, out[k], "%s is on %s and %s", k, out[k], p.Addr())
				out[k] = p.Addr()
			}
		}
	}
	return out
}

// readAll reads every stored key through a fresh go-redis client and counts those not
// found with their value. The client builds the partitioner from the tokens CLUSTER SLOTS
// lists, so in a settled cluster it sends every key to its owner: no read is redirected.
func readAll(t *testing.T, c *cluster.Cluster, keys int, seed string) int {
	t.Helper()
	cc := client.NewGoRedis(c, "reader-"+seed, client.Options{}, seed)
	cc.Load()
	c.Sim.RunFor(100 * time.Millisecond)
	bad, redirected := 0, 0
	for i := range keys {
		var got *client.Result
		cc.Do(func(r client.Result) { got = &r }, "GET", "key:"+strconv.Itoa(i))
		for got == nil && c.Sim.Step() {
		}
		if got.Outcome == client.Failed || got.Reply.Str != "v"+strconv.Itoa(i) {
			bad++
		}
		if got.Outcome == client.Redirected {
			redirected++
		}
	}
	assert.Zero(t, redirected, "reads redirected")
	return bad
}

func settle(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	deadline := c.Sim.Now().Add(time.Minute)
	for !c.Settled() {
		require.True(t, c.Sim.Now() < deadline, "the cluster did not settle within a minute")
		c.Sim.RunFor(10 * time.Millisecond)
	}
}

// TestPlacementRingJoinLeave: with a ring, a joining master takes keys from the others and
// no key moves between two old members; when it leaves, its keys go back where they were,
// and nothing else moves. Every key stays readable throughout.
func TestPlacementRingJoinLeave(t *testing.T) {
	const keys = 3000
	c, procs := placedCluster(t, ringPlacement(100), 3, 0, keys)
	before := holders(t, c, keys)
	require.Len(t, before, keys)
	cli := rediscli.New(c, io.Discard)
	p4, err := c.Start("redis-node-4", "127.0.0.1", 6384, procs[0].Config)
	require.NoError(t, err)
	movedBefore := c.Metrics.MigratedKeys
	require.NoError(t, cli.AddMember(p4.Addr(), procs[0].Addr()))
	settle(t, c)
	after := holders(t, c, keys)
	require.Len(t, after, keys)
	moved := 0
	for k, h := range after {
		if h != before[k] {
			moved++
			assert.Equal(t, p4.Addr(), h, "%s moved between two old members", k)
		}
	}
	migrated := c.Metrics.MigratedKeys
	assert.Equal(t, int64(moved), migrated-movedBefore, "keys migrated are the keys that changed hands")
	assert.InDelta(t, keys/4, moved, keys/4*0.5, "the new member's share of a 100-point ring")
	tokens, _, ok := p4.Node().Membership()
	require.True(t, ok)
	assert.Equal(t, []int{0, 1, 2, 3}, tokens)
	assert.Zero(t, readAll(t, c, keys, procs[1].Addr()))

	require.NoError(t, cli.RemoveMember(procs[0].Addr(), p4.Addr()))
	c.Stop(p4)
	settle(t, c)
	assert.Equal(t, before, holders(t, c, keys), "every key back on the member it was on")
	assert.Zero(t, readAll(t, c, keys, procs[2].Addr()))
}

// TestPlacementModuloMovesMost: hash % N moves about N/(N+1) of the keys when a member
// joins, and the masters handing keys to each other at once do not wait on each other.
func TestPlacementModuloMovesMost(t *testing.T) {
	const keys = 3000
	c, procs := placedCluster(t, moduloPlacement, 3, 0, keys)
	before := holders(t, c, keys)
	cli := rediscli.New(c, io.Discard)
	p4, err := c.Start("redis-node-4", "127.0.0.1", 6384, procs[0].Config)
	require.NoError(t, err)
	require.NoError(t, cli.AddMember(p4.Addr(), procs[0].Addr()))
	settle(t, c)
	after := holders(t, c, keys)
	moved := 0
	for k, h := range after {
		if h != before[k] {
			moved++
		}
	}
	// A key keeps its owner when hash % 3 == hash % 4, which is 1/4 of the time.
	assert.InDelta(t, 0.75, float64(moved)/keys, 0.03)
	assert.Zero(t, readAll(t, c, keys, procs[0].Addr()))
}

// TestPlacementPromotionMovesNothing: a promoted replica takes over its master's token and
// with it the master's share: no key moves, and every key is read back.
func TestPlacementPromotionMovesNothing(t *testing.T) {
	const keys = 2000
	c, procs := placedCluster(t, ringPlacement(100), 3, 1, keys)
	var victim *cluster.Process
	for _, p := range procs {
		if p.Node().IsMaster() {
			victim = p
			break
		}
	}
	tokensBefore, sig, _ := procs[1].Node().Membership()
	migrated := c.Metrics.MigratedKeys
	c.Kill(victim)
	settle(t, c)
	now := c.Metrics.MigratedKeys
	assert.Equal(t, migrated, now, "keys migrated by a failover")
	tokens, sigAfter, _ := procs[1].Node().Membership()
	assert.Equal(t, tokensBefore, tokens)
	assert.Equal(t, sig, sigAfter)
	assert.Zero(t, readAll(t, c, keys, procs[1].Addr()))
	// The old master comes back as a replica of the promoted one; still nothing moves.
	require.NoError(t, c.Restart(victim))
	settle(t, c)
	assert.False(t, victim.Node().IsMaster())
	now = c.Metrics.MigratedKeys
	assert.Equal(t, migrated, now)
}

// TestPlacementEjectsAFailedMasterWithoutReplica: with no replica to promote, the members
// drop a master once it is FAIL and its keys are served (empty) by the others; when it
// returns, the keys written meanwhile move to it and every key is where it was.
func TestPlacementEjectsAFailedMasterWithoutReplica(t *testing.T) {
	const keys = 2000
	c, procs := placedCluster(t, ringPlacement(100), 3, 0, keys)
	before := holders(t, c, keys)
	victim := procs[0]
	c.Kill(victim)
	settle(t, c)
	tokens, _, _ := procs[1].Node().Membership()
	assert.Len(t, tokens, 2, "the failed master is no longer a member")
	// A key of the failed master's share is now written on another master.
	var lostKey string
	for k, h := range before {
		if h == victim.Addr() && (lostKey == "" || k < lostKey) {
			lostKey = k
		}
	}
	cc := client.NewGoRedis(c, "app", client.Options{}, procs[1].Addr())
	cc.Load()
	c.Sim.RunFor(100 * time.Millisecond)
	var got *client.Result
	cc.Do(func(r client.Result) { got = &r }, "GET", lostKey)
	for got == nil && c.Sim.Step() {
	}
	assert.Equal(t, cluster.Nil, got.Reply.Kind, "%s is served by another master, which does not have it", lostKey)
	got = nil
	cc.Do(func(r client.Result) { got = &r }, "SET", "written-meanwhile", "x")
	for got == nil && c.Sim.Step() {
	}
	require.Equal(t, "OK", got.Reply.Str)

	require.NoError(t, c.Restart(victim))
	settle(t, c)
	tokens, _, _ = procs[1].Node().Membership()
	assert.Len(t, tokens, 3, "back as a member")
	assert.Equal(t, before, holders(t, c, keys))
	assert.Zero(t, readAll(t, c, keys, procs[1].Addr()))
	got = nil
	cc.Do(func(r client.Result) { got = &r }, "GET", "written-meanwhile")
	for got == nil && c.Sim.Step() {
	}
	assert.Equal(t, "x", got.Reply.Str, "the write made during the outage was handed to the returning owner")
}

// TestPlacementHandoffDoneNeedsAPlacement: the simulator's own command is refused by a
// cluster that places keys by slots, and checks its arguments.
func TestPlacementHandoffDoneNeedsAPlacement(t *testing.T) {
	c, procs, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
	require.NoError(t, err)
	r, err := c.Client().Do(procs[0].Addr(), "CLUSTER", "HANDOFF-DONE", "x", "1")
	require.NoError(t, err)
	assert.Equal(t, "ERR This instance does not place keys by a partitioner", r.Str)
	assert.Error(t, rediscli.New(c, io.Discard).AddMember("127.0.0.1:6390", procs[0].Addr()))

	c, procs = placedCluster(t, moduloPlacement, 3, 0, 0)
	r, err = c.Client().Do(procs[0].Addr(), "CLUSTER", "HANDOFF-DONE", "x", "zz")
	require.NoError(t, err)
	assert.Equal(t, "ERR Invalid membership signature", r.Str)
	r, err = c.Client().Do(procs[0].Addr(), "CLUSTER", "HANDOFF-DONE", "x")
	require.NoError(t, err)
	assert.Equal(t, "ERR wrong number of arguments for 'cluster|handoff-done' command", r.Str)
}

// TestPlacementNewMasterWithReplica: a master added to a placed cluster with a replica of
// its own takes its share; when it is killed its replica takes over the share, and no key
// moves or goes missing.
func TestPlacementNewMasterWithReplica(t *testing.T) {
	const keys = 2000
	c, procs := placedCluster(t, ringPlacement(100), 3, 1, keys)
	var out strings.Builder
	cli := rediscli.New(c, &out)
	defer func() {
		if t.Failed() {
			t.Log(out.String())
		}
	}()
	p7, err := c.Start("redis-node-7", "127.0.0.1", 6387, procs[0].Config)
	require.NoError(t, err)
	p8, err := c.Start("redis-node-8", "127.0.0.1", 6388, procs[0].Config)
	require.NoError(t, err)
	require.NoError(t, cli.AddMember(p7.Addr(), procs[0].Addr()))
	settle(t, c)
	require.NoError(t, cli.AddNode(p8.Addr(), procs[0].Addr(), rediscli.AddNodeOptions{Slave: true, MasterID: p7.Node().ID()}))
	c.Sim.RunFor(10 * time.Second) // the replica synchronises
	settle(t, c)
	require.Equal(t, p7.Node().ID(), p8.Node().MasterID())
	held := p7.Node().Keys()
	assert.Positive(t, held)
	assert.Equal(t, held, p8.Node().Keys(), "the replica has its master's keys")

	migrated := c.Metrics.MigratedKeys
	c.Kill(p7)
	settle(t, c)
	assert.True(t, p8.Node().IsMaster(), "the replica was promoted")
	now := c.Metrics.MigratedKeys
	assert.Equal(t, migrated, now, "keys migrated by the failover")
	tokens, _, _ := procs[0].Node().Membership()
	assert.Len(t, tokens, 4)
	assert.Zero(t, readAll(t, c, keys, procs[1].Addr()))
}

// TestPlacementRandomHistories runs random histories on placed clusters — masters joining
// and leaving, a master stopped for a while and started again — under a steady trickle of
// writes of new keys, and after every step, once the cluster settles, checks that every
// key is on exactly one master, the one the settled membership names, and that every
// acknowledged write reads back. Seeds 1..8 by default, 1..40 with KVPLACE_HEAVY.
func TestPlacementRandomHistories(t *testing.T) {
	seeds := 8
	if os.Getenv("KVPLACE_HEAVY") != "" {
		seeds = 40
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { placementHistory(t, seed) })
	}
}

func placementHistory(t *testing.T, seed uint64) {
	rnd := sim.NewStream(seed, "history")
	place := moduloPlacement
	if rnd.IntN(2) == 0 {
		place = ringPlacement(1 + rnd.IntN(200))
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = time.Duration(1+rnd.IntN(3)) * time.Second
	cfg.AppendOnly = true
	c, procs, err := rediscli.Build(cluster.Options{Seed: seed, Masters: 3, Config: cfg, Link: cluster.Loopback(), Placement: place})
	require.NoError(t, err)
	c.Sim.RunFor(3 * time.Second)
	cli := rediscli.New(c, io.Discard)
	ledger := client.NewLedger()
	written := 0
	stopped := false
	app := client.NewGoRedis(c, "app", client.Options{}, procs[0].Addr())
	app.Load()
	var tick func()
	tick = func() {
		if stopped {
			return
		}
		written++
		key := "h:" + strconv.Itoa(written)
		value := ledger.Value(key)
		app.Do(func(r client.Result) {
			if r.Outcome != client.Failed && r.Reply.Str == "OK" {
				require.NoError(t, ledger.Ack(key, value))
			}
		}, "SET", key, value)
		c.Sim.After(20*time.Millisecond, tick)
	}
	c.Sim.After(time.Second, tick)
	c.Sim.RunFor(2 * time.Second)

	members := slices.Clone(procs)
	port := 6384
	var ops []string
	for step := range 6 {
		switch op := rnd.IntN(3); {
		case op == 0 && len(members) < 6:
			p, err := c.Start("redis-node-"+strconv.Itoa(port-6380), "127.0.0.1", port, cfg)
			require.NoError(t, err)
			port++
			require.NoError(t, cli.AddMember(p.Addr(), members[0].Addr()), "step %d: join %s", step, p.Addr())
			members = append(members, p)
			ops = append(ops, "join")
		case op == 1 && len(members) > 3:
			i := 1 + rnd.IntN(len(members)-1)
			p := members[i]
			require.NoError(t, cli.RemoveMember(members[0].Addr(), p.Addr()), "step %d: leave %s", step, p.Addr())
			c.Stop(p)
			members = slices.Delete(members, i, i+1)
			ops = append(ops, "leave")
		default:
			p := members[1+rnd.IntN(len(members)-1)]
			c.Stop(p) // docker stop: its data is on disk
			c.Sim.RunFor(time.Duration(1+rnd.IntN(4)) * cfg.NodeTimeout)
			require.NoError(t, c.Restart(p))
			ops = append(ops, "stop+start")
		}
		deadline := c.Sim.Now().Add(5 * time.Minute)
		for !c.Settled() {
			require.True(t, c.Sim.Now() < deadline, "step %d: not settled after 5 minutes", step)
			c.Sim.RunFor(10 * time.Millisecond)
		}
		// Every key on one master: the owner the settled membership names.
		view := members[0].Node()
		for _, p := range members {
			for _, k := range cluster.AllKeys(p.Node()) {
				require.Equal(t, cluster.PlacedOwner(view, k), p.Node().ID(), "step %d: %s is on %s", step, k, p.Addr())
			}
		}
	}
	stopped = true
	c.Sim.RunFor(2 * time.Second)
	missing, err := client.ReadBack(c, ledger, []string{members[0].Addr()})
	require.NoError(t, err)
	lost := 0
	for _, n := range missing {
		lost += n
	}
	assert.Zero(t, lost, "acknowledged writes lost, of %d", ledger.Acked())
	assert.Positive(t, ledger.Acked())
	t.Logf("%v; %d of %d writes acknowledged, %d keys in the end", ops, ledger.Acked(), written, len(ledger.Keys()))
}
