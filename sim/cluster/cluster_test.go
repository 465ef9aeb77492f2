package cluster_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/seedtest"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
	"github.com/kvplace/kvplace/slot"
)

// seedCluster builds the tutorial's 3 masters + 3 replicas on ports 6381..6386 and lets the
// replicas finish their first synchronisation.
func seedCluster(t *testing.T, seed uint64, timeout time.Duration) (*cluster.Cluster, []*cluster.Process) {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = timeout
	cfg.AppendOnly = true
	c, procs, err := rediscli.Build(cluster.Options{Seed: seed, Masters: 3, Replicas: 1, Config: cfg, Link: cluster.Loopback()})
	require.NoError(t, err)
	c.Sim.RunFor(10 * time.Second)
	return c, procs
}

func do(t *testing.T, c *cluster.Cluster, addr string, args ...string) cluster.Reply {
	t.Helper()
	r, err := c.Client().Do(addr, args...)
	require.NoError(t, err)
	return r
}

func info(t *testing.T, c *cluster.Cluster, addr string) map[string]string {
	t.Helper()
	r := do(t, c, addr, "CLUSTER", "INFO")
	m := map[string]string{}
	for _, line := range strings.Split(r.Str, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func nodes(t *testing.T, c *cluster.Cluster, addr string) []slot.NodeLine {
	t.Helper()
	lines, err := slot.ParseNodes(do(t, c, addr, "CLUSTER", "NODES").Str)
	require.NoError(t, err)
	return lines
}

// byPort returns the CLUSTER NODES line of the node on port.
func byPort(lines []slot.NodeLine, port int) slot.NodeLine {
	for _, l := range lines {
		if strings.HasSuffix(l.Addr, fmt.Sprintf(":%d", port)) {
			return l
		}
	}
	return slot.NodeLine{}
}

func TestCreateConverges(t *testing.T) {
	c, procs := seedCluster(t, 1, 15*time.Second)
	want := ""
	for i, p := range procs {
		in := info(t, c, p.Addr())
		assert.Equal(t, "ok", in["cluster_state"], p.Addr())
		assert.Equal(t, "16384", in["cluster_slots_ok"], p.Addr())
		assert.Equal(t, "6", in["cluster_known_nodes"], p.Addr())
		assert.Equal(t, "3", in["cluster_size"], p.Addr())
		assert.Equal(t, "6", in["cluster_current_epoch"], p.Addr(), "SET-CONFIG-EPOCH 1..6, spread by gossip")
		if i < 3 {
			assert.Equal(t, fmt.Sprint(i+1), in["cluster_my_epoch"], p.Addr())
		}
		// Every node agrees on the slot map.
		var sig []string
		for _, l := range nodes(t, c, p.Addr()) {
			if l.Slots.Len() > 0 {
				sig = append(sig, l.Addr+"="+l.Slots.String())
			}
		}
		s := strings.Join(sig, ";")
		if i == 0 {
			want = s
		}
		assert.Equal(t, want, s, "slot map seen by %s", p.Addr())
	}
	assert.Contains(t, want, "127.0.0.1:6381=0-5460")
	assert.Contains(t, want, "127.0.0.1:6382=5461-10922")
	assert.Contains(t, want, "127.0.0.1:6383=10923-16383")
}

func TestRedirects(t *testing.T) {
	c, _ := seedCluster(t, 2, 15*time.Second)
	assert.Equal(t, "MOVED 12706 127.0.0.1:6383", do(t, c, "127.0.0.1:6381", "SET", "k1", "v1").Str)
	assert.Equal(t, "OK", do(t, c, "127.0.0.1:6383", "SET", "k1", "v1").Str)
	assert.Equal(t, "v1", do(t, c, "127.0.0.1:6383", "GET", "k1").Str)
	assert.Equal(t, "CROSSSLOT Keys in request don't hash to the same slot", do(t, c, "127.0.0.1:6383", "DEL", "k1", "k2").Str)

	// Open slot 12706 from 6383 to 6381 by hand, as redis-cli does.
	id := func(addr string) string { return do(t, c, addr, "CLUSTER", "MYID").Str }
	src, dst := id("127.0.0.1:6383"), id("127.0.0.1:6381")
	assert.Equal(t, "OK", do(t, c, "127.0.0.1:6381", "CLUSTER", "SETSLOT", "12706", "IMPORTING", src).Str)
	assert.Equal(t, "OK", do(t, c, "127.0.0.1:6383", "CLUSTER", "SETSLOT", "12706", "MIGRATING", dst).Str)
	// The source still serves the key it has; a missing key in the slot is ASKed elsewhere.
	assert.Equal(t, "v1", do(t, c, "127.0.0.1:6383", "GET", "k1").Str)
	other := "{k1}other"
	assert.Equal(t, "ASK 12706 127.0.0.1:6381", do(t, c, "127.0.0.1:6383", "GET", other).Str)
	assert.Equal(t, "TRYAGAIN Multiple keys request during rehashing of slot", do(t, c, "127.0.0.1:6383", "DEL", "k1", other).Str)
	// The target answers MOVED without ASKING, and serves with it.
	assert.Equal(t, "MOVED 12706 127.0.0.1:6383", do(t, c, "127.0.0.1:6381", "GET", other).Str)
	r, err := c.Client().DoAsking("127.0.0.1:6381", true, "SET", other, "x")
	require.NoError(t, err)
	assert.Equal(t, "OK", r.Str)
	// Keys move with MIGRATE; then NODE closes the slot on both sides.
	assert.Equal(t, "OK", do(t, c, "127.0.0.1:6383", "MIGRATE", "127.0.0.1", "6381", "", "0", "5000", "KEYS", "k1").Str)
	assert.Equal(t, "NOKEY", do(t, c, "127.0.0.1:6383", "MIGRATE", "127.0.0.1", "6381", "", "0", "5000", "KEYS", "k1").Str)
	assert.Equal(t, int64(0), do(t, c, "127.0.0.1:6383", "CLUSTER", "COUNTKEYSINSLOT", "12706").Int)
	assert.Equal(t, int64(2), do(t, c, "127.0.0.1:6381", "CLUSTER", "COUNTKEYSINSLOT", "12706").Int)
	assert.Equal(t, "OK", do(t, c, "127.0.0.1:6381", "CLUSTER", "SETSLOT", "12706", "NODE", dst).Str)
	assert.Equal(t, "OK", do(t, c, "127.0.0.1:6383", "CLUSTER", "SETSLOT", "12706", "NODE", dst).Str)
	c.Sim.RunFor(time.Second)
	assert.Equal(t, "MOVED 12706 127.0.0.1:6381", do(t, c, "127.0.0.1:6382", "GET", "k1").Str, "gossip carried the new owner")
	assert.Equal(t, "7", info(t, c, "127.0.0.1:6381")["cluster_my_epoch"], "closing an import bumps the epoch")
}

func TestFailoverAndRejoin(t *testing.T) {
	c, procs := seedCluster(t, 3, 5*time.Second)
	victim := procs[0]
	var replica *cluster.Process
	for _, p := range procs {
		if byPort(nodes(t, c, p.Addr()), p.Port).Master == victim.Node().ID() {
			replica = p
		}
	}
	require.NotNil(t, replica)
	c.Stop(victim)
	c.Sim.RunFor(40 * time.Second)

	view := nodes(t, c, "127.0.0.1:6382")
	old := byPort(view, 6381)
	assert.True(t, old.Has("fail"), "6381 is marked fail: %v", old.Flags)
	assert.False(t, old.Connected)
	promoted := byPort(view, replica.Port)
	assert.True(t, promoted.Has("master"))
	assert.Equal(t, "0-5460", promoted.Slots.String())
	assert.Equal(t, int64(7), promoted.ConfigEpoch, "the election's epoch")
	assert.Equal(t, fmt.Sprintf("MOVED 449 %s", replica.Addr()), do(t, c, "127.0.0.1:6383", "SET", "k2", "v2").Str)

	require.NoError(t, c.Restart(victim))
	c.Sim.RunFor(10 * time.Second)
	old = byPort(nodes(t, c, "127.0.0.1:6382"), 6381)
	assert.True(t, old.Has("slave"), "the old master comes back as a replica: %v", old.Flags)
	assert.False(t, old.Has("fail"))
	assert.Equal(t, replica.Node().ID(), old.Master)

	// Manual failover gives 6381 its slots back, with a new epoch.
	assert.Equal(t, "OK", do(t, c, victim.Addr(), "CLUSTER", "FAILOVER").Str)
	c.Sim.RunFor(10 * time.Second)
	view = nodes(t, c, "127.0.0.1:6382")
	assert.True(t, byPort(view, 6381).Has("master"))
	assert.Equal(t, "0-5460", byPort(view, 6381).Slots.String())
	assert.Equal(t, int64(8), byPort(view, 6381).ConfigEpoch)
	assert.Equal(t, victim.Node().ID(), byPort(view, replica.Port).Master)
}

func TestManualFailoverErrors(t *testing.T) {
	c, procs := seedCluster(t, 4, 5*time.Second)
	assert.Equal(t, "ERR You should send CLUSTER FAILOVER to a replica", do(t, c, procs[0].Addr(), "CLUSTER", "FAILOVER").Str)
	assert.Equal(t, "ERR syntax error", do(t, c, procs[4].Addr(), "CLUSTER", "FAILOVER", "NOW").Str)
	// TAKEOVER needs no vote at all.
	replica := procs[4]
	master := byPort(nodes(t, c, replica.Addr()), replica.Port).Master
	assert.Equal(t, "OK", do(t, c, replica.Addr(), "CLUSTER", "FAILOVER", "TAKEOVER").Str)
	c.Sim.RunFor(2 * time.Second)
	view := nodes(t, c, procs[1].Addr())
	assert.True(t, byPort(view, replica.Port).Has("master"))
	for _, l := range view {
		if l.ID == master {
			assert.True(t, l.Has("slave"), "the old master follows the new one")
		}
	}
}

// TestUnsyncedReplicaDoesNotFailOver: a replica whose first sync has not finished (the
// master waits repl-diskless-sync-delay, 5 s, before sending its data) never synced, so its
// data age is unbounded and it refuses to fail over; the slots stay down.
func TestUnsyncedReplicaDoesNotFailOver(t *testing.T) {
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = time.Second
	c, procs, err := rediscli.Build(cluster.Options{Seed: 5, Masters: 3, Replicas: 1, Config: cfg, Link: cluster.Loopback()})
	require.NoError(t, err)
	c.Sim.RunFor(2 * time.Second)
	c.Kill(procs[0])
	c.Sim.RunFor(30 * time.Second)
	in := info(t, c, "127.0.0.1:6382")
	assert.Equal(t, "fail", in["cluster_state"])
	assert.Equal(t, "5461", in["cluster_slots_fail"])
	assert.Equal(t, "CLUSTERDOWN The cluster is down", do(t, c, "127.0.0.1:6382", "GET", "k1").Str)
	for _, p := range procs[3:] {
		for _, e := range p.Node().Events {
			assert.NotEqual(t, cluster.EvPromoted, e.Kind, "%s must not be promoted", p.Addr())
		}
	}
}

func TestCrashWithoutReplicaTakesTheClusterDown(t *testing.T) {
	cfg := cluster.DefaultConfig()
	cfg.NodeTimeout = time.Second
	c, procs, err := rediscli.Build(cluster.Options{Seed: 6, Masters: 3, Config: cfg, Link: cluster.Loopback()})
	require.NoError(t, err)
	c.Sim.RunFor(5 * time.Second)
	c.Kill(procs[2])
	c.Sim.RunFor(5 * time.Second)
	assert.Equal(t, "fail", info(t, c, "127.0.0.1:6381")["cluster_state"])
	assert.Equal(t, "CLUSTERDOWN The cluster is down", do(t, c, "127.0.0.1:6381", "SET", "k2", "v").Str)
	// Back up: the FAIL flag of a master that still has its slots clears after 2×node timeout.
	require.NoError(t, c.Restart(procs[2]))
	c.Sim.RunFor(10 * time.Second)
	assert.Equal(t, "ok", info(t, c, "127.0.0.1:6381")["cluster_state"])
}

func TestMinorityMasterStopsServing(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { minorityMasterStopsServing(t, seed) })
	}
}

func minorityMasterStopsServing(t *testing.T, seed uint64) {
	c, procs := seedCluster(t, seed, 2*time.Second)
	var others []int
	for _, p := range procs[1:] {
		others = append(others, p.Index)
	}
	c.Sim.Partition([]int{procs[0].Index}, others)
	c.Sim.RunFor(4 * time.Second)
	// The isolated master has flagged everybody PFAIL: it is in the minority.
	assert.Equal(t, "fail", procs[0].Node().State())
	c.Sim.RunFor(16 * time.Second)
	assert.Equal(t, "ok", info(t, c, "127.0.0.1:6382")["cluster_state"], "the majority failed 6381 over")
	c.Sim.Heal()
	c.Sim.RunFor(5 * time.Second)
	l := byPort(nodes(t, c, "127.0.0.1:6382"), 6381)
	assert.True(t, l.Has("slave"), "the old master rejoins as a replica: %v", l.Flags)
	// Its own connects, begun inside the partition, got through on a retried SYN: it sees
	// every node again, so its cluster is ok too.
	for _, l := range nodes(t, c, "127.0.0.1:6381") {
		assert.False(t, l.Has("fail?") || l.Has("fail"), "6381 still sees %s as %v", l.Addr, l.Flags)
	}
	assert.Equal(t, "ok", info(t, c, "127.0.0.1:6381")["cluster_state"])
}

// A master cut off alone and failed over rejoins after the heal as its old replica's
// replica, and gets a full copy on a connection of its own: Redis starts it at the new
// master's first replication cron once five whole seconds of its clock have passed since
// the PSYNC, 4 to 6 s after it. The new master, a replica in the cut, sent its old master
// acknowledgements that are still being retransmitted; they travel on another connection
// and must not hold the new one back (they did, by up to 1.2 s, while the two
// connections' numbers could be the same).
func TestHealedMasterResyncsOnANewConnection(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			cfg := cluster.DefaultConfig()
			cfg.NodeTimeout = 2 * time.Second
			// Each run starts at another point of a Unix second.
			phase := time.Duration(seed) * 125 * time.Millisecond
			c, procs, err := rediscli.Build(cluster.Options{Seed: seed, Masters: 3, Replicas: 1, Config: cfg, Link: cluster.Loopback(), UnixPhase: phase})
			require.NoError(t, err)
			c.Sim.RunFor(10 * time.Second)
			var others []int
			for _, p := range procs[1:] {
				others = append(others, p.Index)
			}
			c.Sim.Partition([]int{procs[0].Index}, others)
			c.Sim.RunFor(20 * time.Second)
			c.Sim.Heal()
			healed := c.Sim.Now()
			var slave, up time.Duration
			for up == 0 && c.Sim.Now().Sub(healed) < 10*time.Second {
				c.Sim.RunFor(10 * time.Millisecond)
				text := do(t, c, "127.0.0.1:6381", "INFO", "replication").Str
				if slave == 0 && strings.Contains(text, "role:slave\r\n") {
					slave = c.Sim.Now().Sub(healed)
				}
				if strings.Contains(text, "master_link_status:up\r\n") {
					up = c.Sim.Now().Sub(healed)
				}
			}
			require.NotZero(t, slave, "6381 never turned replica")
			require.NotZero(t, up, "6381's link to its new master never came up")
			t.Logf("replica %v after the heal, link up %v after that", slave, up-slave)
			assert.True(t, up-slave >= 4*time.Second && up-slave <= 6100*time.Millisecond, "link up %v after turning replica", up-slave)
		})
	}
}

// TestReshardKeepsEveryKey: keys move with MIGRATE batches; none is lost when nothing fails.
func TestReshardKeepsEveryKey(t *testing.T) {
	c, _ := seedCluster(t, 8, 5*time.Second)
	const n = 3000
	cl := c.Client()
	write := func(i int) {
		key := fmt.Sprintf("key:%d", i)
		addr := "127.0.0.1:6381"
		for range 3 {
			r, err := cl.Do(addr, "SET", key, fmt.Sprint(i))
			require.NoError(t, err)
			if f := strings.Fields(r.Str); r.IsError() && f[0] == "MOVED" {
				addr = f[2]
				continue
			}
			require.Equal(t, "OK", r.Str)
			return
		}
		t.Fatalf("could not write %s", key)
	}
	for i := range n {
		write(i)
	}
	_, err := c.Start("redis-node-7", "127.0.0.1", 6387, c.Processes()[0].Config)
	require.NoError(t, err)
	var out bytes.Buffer
	cli := rediscli.New(c, &out)
	require.NoError(t, cli.AddNode("127.0.0.1:6387", "127.0.0.1:6381", rediscli.AddNodeOptions{}))
	c.Sim.RunFor(5 * time.Second)
	require.NoError(t, cli.Reshard("127.0.0.1:6381", rediscli.ReshardOptions{From: "all", To: "127.0.0.1:6387", Slots: 4096, Yes: true}), out.String())
	c.Sim.RunFor(5 * time.Second)
	total := int64(0)
	for _, p := range c.Processes() {
		if byPort(nodes(t, c, p.Addr()), p.Port).Has("master") {
			total += do(t, c, p.Addr(), "DBSIZE").Int
		}
	}
	assert.Equal(t, int64(n), total, "every key is on exactly one master")
	moved := do(t, c, "127.0.0.1:6387", "DBSIZE").Int
	assert.InDelta(t, n/4, moved, n/20, "a quarter of the keys moved with a quarter of the slots")
	for i := 0; i < n; i += 7 {
		key := fmt.Sprintf("key:%d", i)
		addr := "127.0.0.1:6382"
		r := do(t, c, addr, "GET", key)
		if f := strings.Fields(r.Str); r.IsError() && f[0] == "MOVED" {
			r = do(t, c, f[2], "GET", key)
		}
		require.Equal(t, fmt.Sprint(i), r.Str, key)
	}
	assert.Contains(t, out.String(), "Moving slot 0 from 127.0.0.1:6381 to 127.0.0.1:6387: ")
}

// TestSameSeedSameRun: the whole simulated cluster is deterministic.
func TestSameSeedSameRun(t *testing.T) {
	run := func(seed uint64) (uint64, string) {
		c, procs := seedCluster(t, seed, time.Second)
		c.Kill(procs[1])
		c.Sim.RunFor(5 * time.Second)
		return c.Sim.Trace().Hash(), do(t, c, "127.0.0.1:6381", "CLUSTER", "NODES").Str
	}
	seedtest.ForSeeds(t, 3, func(t *testing.T, seed uint64) {
		h1, n1 := run(seed)
		h2, n2 := run(seed)
		assert.Equal(t, h1, h2)
		assert.Equal(t, n1, n2)
		h3, n3 := run(seed + 100)
		assert.NotEqual(t, h1, h3)
		assert.NotEqual(t, n1[:40], n3[:40], "another seed gives other node IDs")
	})
}

func TestCommandErrors(t *testing.T) {
	c, procs := seedCluster(t, 9, 5*time.Second)
	m, r := procs[0].Addr(), procs[4].Addr()
	for _, tc := range []struct {
		addr string
		args []string
		want string
	}{
		{r, []string{"CLUSTER", "SETSLOT", "1", "STABLE"}, "ERR Please use SETSLOT only with masters."},
		{m, []string{"CLUSTER", "SETSLOT", "16384", "STABLE"}, "ERR Invalid or out of range slot"},
		{m, []string{"CLUSTER", "SETSLOT", "6000", "MIGRATING", "x"}, "ERR I'm not the owner of hash slot 6000"},
		{m, []string{"CLUSTER", "SETSLOT", "1", "MIGRATING", "nope"}, "ERR I don't know about node nope"},
		{m, []string{"CLUSTER", "SETSLOT", "1", "IMPORTING", "x"}, "ERR I'm already the owner of hash slot 1"},
		{m, []string{"CLUSTER", "SETSLOT", "1", "NODE", "nope"}, "ERR Unknown node nope"},
		{m, []string{"CLUSTER", "SETSLOT", "1", "FLY"}, "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"},
		{m, []string{"CLUSTER", "ADDSLOTS", "1"}, "ERR Slot 1 is already busy"},
		{m, []string{"CLUSTER", "ADDSLOTS", "x"}, "ERR Invalid or out of range slot"},
		{m, []string{"CLUSTER", "DELSLOTSRANGE", "10", "5"}, "ERR start slot number 10 is greater than end slot number 5"},
		{m, []string{"CLUSTER", "FORGET", procs[0].Node().ID()}, "ERR I tried hard but I can't forget myself..."},
		{m, []string{"CLUSTER", "REPLICATE", procs[0].Node().ID()}, "ERR Can't replicate myself"},
		{m, []string{"CLUSTER", "REPLICATE", procs[1].Node().ID()}, "ERR To set a master the node must be empty and without assigned slots."},
		{m, []string{"CLUSTER", "SET-CONFIG-EPOCH", "9"}, "ERR The user can assign a config epoch only when the node does not know any other node."},
		{m, []string{"CLUSTER", "NOPE"}, "ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try CLUSTER HELP."},
		{m, []string{"CLUSTER", "MEET", "300.1.1.1", "7000"}, "ERR Invalid node address specified: 300.1.1.1:7000"},
		{m, []string{"CLUSTER", "COUNTKEYSINSLOT", "-1"}, "ERR Invalid slot"},
		{m, []string{"CLUSTER", "GETKEYSINSLOT", "1", "-1"}, "ERR Invalid slot or number of keys"},
		{m, []string{"GET"}, "ERR wrong number of arguments for 'get' command"},
		{m, []string{"FROB", "x"}, "ERR unknown command 'FROB', with args beginning with: 'x' "},
		{m, []string{"MIGRATE", "127.0.0.1", "6382", "k", "0", "1000", "KEYS", "a"}, "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"},
	} {
		assert.Equal(t, tc.want, do(t, c, tc.addr, tc.args...).Str, "%v", tc.args)
	}
	assert.Equal(t, "PONG", do(t, c, m, "PING").Str)
	assert.Equal(t, int64(12706), do(t, c, m, "CLUSTER", "KEYSLOT", "k1").Int)
	slots := do(t, c, m, "CLUSTER", "SLOTS")
	require.Len(t, slots.Array, 3)
	assert.Equal(t, int64(0), slots.Array[0].Array[0].Int)
	assert.Equal(t, int64(5460), slots.Array[0].Array[1].Int)
	assert.Len(t, slots.Array[0].Array, 4, "start, end, master, one synced replica")
}

// CONFIG SET refuses, naming the option, what the model cannot change on a running node,
// and accepts setting it to the value it already has.
func TestConfigSetRefusesWhatTheModelCannotChange(t *testing.T) {
	c, procs, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
	require.NoError(t, err)
	client := c.NewClient("app")
	r, err := client.Do(procs[0].Addr(), "CONFIG", "SET", "appendonly", "yes")
	require.NoError(t, err)
	assert.Equal(t, "ERR CONFIG SET appendonly: the simulator does not model turning the append-only file on or off while the node runs", r.Str)
	r, err = client.Do(procs[0].Addr(), "CONFIG", "SET", "appendonly", "no")
	require.NoError(t, err)
	assert.Equal(t, "OK", r.Str)
	r, err = client.Do(procs[0].Addr(), "CONFIG", "GET", "port")
	require.NoError(t, err)
	assert.Equal(t, "ERR CONFIG GET port: the simulator accepts this option but does not model it", r.Str)
}

// A node timeout longer than a Duration holds is refused, not wrapped into a negative one.
func TestConfigSetRefusesATimeoutTooLongToHold(t *testing.T) {
	c, procs, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
	require.NoError(t, err)
	r, err := c.NewClient("app").Do(procs[0].Addr(), "CONFIG", "SET", "cluster-node-timeout", "9223372036854775807")
	require.NoError(t, err)
	assert.Equal(t, "ERR CONFIG SET failed (possibly related to argument 'cluster-node-timeout') - argument 9223372036854775807 is longer than the simulator can hold (9223372036854)", r.Str)
	cfg := cluster.DefaultConfig()
	assert.Error(t, cfg.Set("cluster-node-timeout", "9223372036854775807"))
	assert.NoError(t, cfg.Set("cluster-node-timeout", "9223372036854"))
}
