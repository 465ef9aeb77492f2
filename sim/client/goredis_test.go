package client_test

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
	"github.com/kvplace/kvplace/slot"
)

// goRedisCluster builds the tutorial's 3+3 cluster at node timeout 1 s, lets it settle, and
// returns it with its processes and every address.
func goRedisCluster(t *testing.T, seed uint64) (*cluster.Cluster, []*cluster.Process, []string) {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = time.Second
	c, procs, err := rediscli.Build(cluster.Options{Seed: seed, Masters: 3, Replicas: 1, Config: cfg, Link: cluster.Loopback()})
	require.NoError(t, err)
	// Past the masters' first PING to their replicas, at their replication cron's tenth
	// run after the replicas attach: until a replica's offset is above 0, CLUSTER SLOTS
	// leaves it out (isReplicaAvailable), and go-redis cannot read from it.
	c.Sim.RunFor(12 * time.Second)
	var addrs []string
	for _, p := range procs {
		addrs = append(addrs, p.Addr())
	}
	return c, procs, addrs
}

// do runs one command to its end.
func do(t *testing.T, c *cluster.Cluster, g *client.GoRedis, args ...string) client.Result {
	t.Helper()
	var got *client.Result
	g.Do(func(r client.Result) { got = &r }, args...)
	for got == nil && c.Sim.Step() {
	}
	require.NotNil(t, got, "the simulation stopped before %v ended", args)
	return *got
}

// keyOn returns a key whose slot the process serves.
func keyOn(t *testing.T, p *cluster.Process) string {
	t.Helper()
	for i := range 100000 {
		k := "k" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		if p.Node().Owner(slot.Of(k)) == p.Addr() {
			return k
		}
	}
	t.Fatal("no key found")
	return ""
}

// As go-redis with its defaults: after a SIGKILL the dead master's slots fail with the
// dial error, also after its replica is promoted, because nothing but MOVED, ASK, READONLY
// or a 60 s old map makes go-redis reload it; the other masters' slots are served again
// once the cluster is ok. With ClusterStateReloadInterval 1 s, the dead master's slots are
// served again soon after the promotion.
func TestGoRedisKeepsAskingADeadMaster(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    client.Options
		served bool
	}{{"defaults", client.Options{}, false}, {"reload-1s", client.Options{ClusterStateReloadInterval: time.Second}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			c, procs, addrs := goRedisCluster(t, 1)
			g := client.NewGoRedis(c, "app", tc.opt, addrs...)
			victim := procs[0]
			key := keyOn(t, victim)
			r := do(t, c, g, "SET", key, "v1")
			require.Equal(t, client.Served, r.Outcome, r.Reply.Str)
			assert.Equal(t, victim.Addr(), r.Addr)

			c.Kill(victim)
			r = do(t, c, g, "GET", key)
			assert.Equal(t, client.Failed, r.Outcome)
			assert.Equal(t, "dial tcp "+victim.Addr()+": connect: connection refused", r.Reply.Str)
			// The pool's 5 dials 100 ms apart, on each of up to 4 attempts, with backoffs.
			assert.GreaterOrEqual(t, r.End.Sub(r.Sent), 400*time.Millisecond)

			c.Sim.RunFor(10 * time.Second) // long after the promotion
			promoted := false
			for _, p := range procs[1:] {
				promoted = promoted || (p.Node().IsMaster() && p.Node().Owner(slot.Of(key)) == p.Addr())
			}
			require.True(t, promoted, "no replica took the slot over")
			r = do(t, c, g, "GET", key)
			if tc.served {
				assert.Equal(t, client.Served, r.Outcome, r.Reply.Str)
				assert.Equal(t, "v1", r.Reply.Str)
				return
			}
			assert.Equal(t, client.Failed, r.Outcome)
			do(t, c, g, "GET", key)
			r = do(t, c, g, "GET", key)
			assert.Equal(t, client.Failed, r.Outcome)
			// Four commands of four attempts: the pool's circuit breaker opened at its
			// tenth failed dial and fails the next at once, so the command takes only its
			// backoffs (at most 10+20, 10+40 and 10+80 ms).
			assert.Less(t, r.End.Sub(r.Sent), 200*time.Millisecond)
			c.Sim.RunFor(50 * time.Second) // the map is now more than 60 s old
			do(t, c, g, "GET", key)        // starts the reload
			c.Sim.RunFor(time.Second)
			r = do(t, c, g, "GET", key)
			assert.Equal(t, client.Served, r.Outcome, r.Reply.Str)
		})
	}
}

// A MOVED is followed at once, counted, and makes the client reload its whole map.
func TestGoRedisFollowsMovedAndReloads(t *testing.T) {
	c, procs, addrs := goRedisCluster(t, 2)
	g := client.NewGoRedis(c, "app", client.Options{}, addrs...)
	key := keyOn(t, procs[0])
	require.Equal(t, client.Served, do(t, c, g, "SET", key, "v").Outcome)
	// Move the key's slot to the second master with the emulated redis-cli.
	s := slot.Of(key)
	cli := rediscli.New(c, io.Discard)
	// create gives the first master slots 0-5460.
	require.NoError(t, cli.Reshard(procs[0].Addr(), rediscli.ReshardOptions{From: procs[0].Node().ID(), To: procs[1].Node().ID(), Slots: 5461, Yes: true}))
	c.Sim.RunFor(2 * time.Second)
	require.Equal(t, procs[1].Addr(), procs[1].Node().Owner(s))
	r := do(t, c, g, "GET", key)
	assert.Equal(t, client.Redirected, r.Outcome, r.Reply.Str)
	assert.Equal(t, 1, r.Redirects)
	assert.Equal(t, procs[1].Addr(), r.Addr)
	c.Sim.RunFor(time.Second) // the background reload
	r = do(t, c, g, "GET", key)
	assert.Equal(t, client.Served, r.Outcome, "the reload put the slot's new master in the map")
}

// With MaxRedirects -1 a MOVED is not followed: the command fails with the MOVED, and its
// result names the node that sent it, not the one it pointed to.
func TestGoRedisWithoutRedirects(t *testing.T) {
	c, procs, addrs := goRedisCluster(t, 2)
	g := client.NewGoRedis(c, "app", client.Options{MaxRedirects: -1}, addrs...)
	key := keyOn(t, procs[0])
	require.Equal(t, client.Served, do(t, c, g, "SET", key, "v").Outcome)
	cli := rediscli.New(c, io.Discard)
	require.NoError(t, cli.Reshard(procs[0].Addr(), rediscli.ReshardOptions{From: procs[0].Node().ID(), To: procs[1].Node().ID(), Slots: 5461, Yes: true}))
	c.Sim.RunFor(2 * time.Second)
	r := do(t, c, g, "GET", key)
	assert.Equal(t, client.Failed, r.Outcome)
	assert.Equal(t, "MOVED "+strconv.Itoa(slot.Of(key))+" "+procs[1].Addr(), r.Reply.Str)
	assert.Equal(t, procs[0].Addr(), r.Addr)
}

// With ReadOnly, reads go to the slot's replica over a READONLY connection, which serves
// them; writes still go to the master. With RouteRandomly, reads spread over both.
func TestGoRedisReadsFromReplicas(t *testing.T) {
	c, procs, addrs := goRedisCluster(t, 3)
	master := procs[0]
	key := keyOn(t, master)
	var replica string
	for _, p := range procs {
		if p.Node().MasterID() == master.Node().ID() {
			replica = p.Addr()
		}
	}
	require.NotEmpty(t, replica)

	g := client.NewGoRedis(c, "reader", client.Options{ReadOnly: true}, addrs...)
	w := do(t, c, g, "SET", key, "v")
	require.Equal(t, client.Served, w.Outcome)
	assert.Equal(t, master.Addr(), w.Addr)
	c.Sim.RunFor(time.Second)
	r := do(t, c, g, "GET", key)
	assert.Equal(t, client.Served, r.Outcome, r.Reply.Str)
	assert.Equal(t, replica, r.Addr)
	assert.Equal(t, "v", r.Reply.Str)

	rnd := client.NewGoRedis(c, "random", client.Options{RouteRandomly: true}, addrs...)
	seen := map[string]int{}
	for range 40 {
		r := do(t, c, rnd, "GET", key)
		require.Equal(t, client.Served, r.Outcome, r.Reply.Str)
		seen[r.Addr]++
	}
	assert.Len(t, seen, 2, "reads spread over the master and its replica: %v", seen)

	// Without READONLY a replica redirects a read to its master.
	cl := c.NewClient("plain")
	reply, err := cl.Do(replica, "GET", key)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(reply.Str, "MOVED "), reply.Str)
}

// The same seed gives the same results.
func TestGoRedisDeterministic(t *testing.T) {
	run := func() []string {
		c, procs, addrs := goRedisCluster(t, 4)
		g := client.NewGoRedis(c, "app", client.Options{RouteRandomly: true}, addrs...)
		key := keyOn(t, procs[0])
		var out []string
		do(t, c, g, "SET", key, "v")
		c.Kill(procs[0])
		for range 20 {
			r := do(t, c, g, "GET", key)
			out = append(out, r.Outcome.String()+" "+r.Addr+" "+r.End.Sub(r.Sent).String())
			c.Sim.RunFor(100 * time.Millisecond)
		}
		return out
	}
	assert.Equal(t, run(), run())
}

// Bad options are refused with the flag's name.
func TestOptionsCheck(t *testing.T) {
	require.NoError(t, client.Options{}.Check())
	assert.ErrorContains(t, client.Options{MaxRetries: -2}.Check(), "max-retries -2")
	assert.ErrorContains(t, client.Options{DialTimeout: -time.Second}.Check(), "dial-timeout -1s")
}
