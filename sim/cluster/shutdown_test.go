package cluster

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim"
)

// shutdownPair returns a master (7001) with a replica (7002) that was told to replicate it
// at about 8 s: the replica waits for its full copy (repl-diskless-sync-delay 5 s) until
// about 13 s, and the master's stream has a PING in it from its tenth replication cron,
// at about 11 s, that the waiting replica has not acknowledged.
func shutdownPair(t *testing.T) (c *Cluster, master, replica *Process) {
	t.Helper()
	c, procs, err := startPair(1, 0)
	require.NoError(t, err)
	master, replica = procs[0], procs[1]
	require.NoError(t, pairDo(c, replica, "CLUSTER", "FLUSHSLOTS"))
	require.NoError(t, pairDo(c, replica, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(master.Port)))
	c.Sim.RunFor(2 * time.Second)
	require.NoError(t, pairDo(c, replica, "CLUSTER", "REPLICATE", master.Node().ID()))
	return c, master, replica
}

// downAfter runs the simulation until p is down, at most limit, and returns how long that
// took (limit+1ms if it did not go down).
func downAfter(c *Cluster, p *Process, limit time.Duration) time.Duration {
	start := c.Sim.Now()
	for p.Up() && time.Duration(c.Sim.Now()-start) <= limit {
		c.Sim.RunFor(time.Millisecond)
	}
	return time.Duration(c.Sim.Now() - start)
}

// logged reports whether node n logged text (a process that went down has a new node:
// keep the old one to read what it logged).
func logged(n *Node, text string) bool {
	for _, e := range n.Events {
		if strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

// A master stopped while its replica waits for its first full copy does not exit: it waits
// (Redis 7.0's shutdown-timeout) until the copy is made, loaded and acknowledged, and the
// replica, having synced, may fail over (its data is young: replica-validity-factor). A
// replica that never synced may not (TestStopAtOnce).
func TestStopWaitsForAReplicaToSync(t *testing.T) {
	c, master, replica := shutdownPair(t)
	c.Sim.RunUntil(sim.Time(11500 * time.Millisecond))
	require.False(t, logged(replica.Node(), "MASTER <-> REPLICA sync: Finished with success"), "the replica has not synced yet")
	c.Stop(master)
	require.True(t, master.Up(), "the master waits for its replica")
	took := downAfter(c, master, 15*time.Second)
	assert.Greater(t, took, 500*time.Millisecond, "the copy starts 5 s after the replica asked, about 13 s")
	assert.Less(t, took, 3*time.Second)
	assert.True(t, logged(replica.Node(), "MASTER <-> REPLICA sync: Finished with success"), "the replica synced before the master exited")
	c.Sim.RunFor(20 * time.Second)
	rn := replica.Node()
	assert.False(t, rn.dataTooOld(rn.repl.dataAge(rn)), "its data is young enough for it to fail over")
}

// With shutdown-timeout 0, or no replica to wait for, a stop is at once, and a replica
// that never synced is left with data too old to fail over.
func TestStopAtOnce(t *testing.T) {
	c, master, replica := shutdownPair(t)
	c.Sim.RunUntil(sim.Time(11500 * time.Millisecond))
	require.NoError(t, pairDo(c, master, "CONFIG", "SET", "shutdown-timeout", "0"))
	c.Stop(master)
	assert.False(t, master.Up())
	c.Sim.RunFor(20 * time.Second)
	rn := replica.Node()
	assert.True(t, rn.dataTooOld(rn.repl.dataAge(rn)), "a replica that never synced may not fail over")
	c.Stop(replica) // a replica has no replica of its own
	assert.False(t, replica.Up())
}

// A replica that never answers (paused) holds the master up for shutdown-timeout, 10 s
// from the first serverCron after the signal, and no longer.
func TestStopGivesUpAfterShutdownTimeout(t *testing.T) {
	c, master, replica := shutdownPair(t)
	c.Sim.RunUntil(sim.Time(11500 * time.Millisecond))
	c.Pause(replica)
	mn := master.Node()
	c.Stop(master)
	took := downAfter(c, master, 15*time.Second)
	assert.GreaterOrEqual(t, took, 10*time.Second)
	assert.Less(t, took, 10*time.Second+250*time.Millisecond)
	assert.True(t, logged(mn, "0 of 1 replicas are in sync when shutting down."))
}

// A streaming replica's answer to GETACK is one command short (its offset counts a command
// once it has run), so a master stopped after a write exits on the replica's next periodic
// ACK, within a second and a serverCron, and writes sent meanwhile wait, unapplied.
func TestStopAfterAWriteWaitsForTheNextAck(t *testing.T) {
	c, master, replica := shutdownPair(t)
	c.Sim.RunUntil(sim.Time(16 * time.Second))
	require.True(t, logged(replica.Node(), "MASTER <-> REPLICA sync: Finished with success"))
	require.NoError(t, pairDo(c, master, "SET", "k", "v"))
	mn := master.Node()
	c.Stop(master)
	require.True(t, master.Up(), "the replica has not acknowledged the SET")
	// The signal's handler only asks: the shutdown begins, and writes pause, on the next
	// serverCron.
	c.Sim.RunFor(cronPeriod + 2*time.Millisecond)
	require.True(t, master.Up())
	c.Client().Send(master.Addr(), []string{"SET", "late", "v"}, false, func(Reply) {})
	took := cronPeriod + downAfter(c, master, 5*time.Second)
	assert.Greater(t, took, time.Duration(0))
	assert.Less(t, took, 1200*time.Millisecond)
	assert.True(t, logged(mn, "1 of 1 replicas are in sync when shutting down."))
	_, ok := replica.Node().db.get("k")
	assert.True(t, ok)
	_, ok = replica.Node().db.get("late")
	assert.False(t, ok, "writes are paused during the shutdown")
}
