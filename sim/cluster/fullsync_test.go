package cluster

import (
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// A full synchronisation's three costs, as the simulator draws them for a dataset of one
// value (their medians), are within 25 % of a real 7.0.15's medians for the same value:
// the master's child writing the RDB, the replica flushing the copy it had, and loading the
// new one. The curves are read from full-sync.txt, so there this checks the reading; the
// validation recording's sizes lie between, where the curves interpolate.
func TestFullSyncCostsMatchRealRedis(t *testing.T) {
	for _, file := range []string{"calibration/full-sync.txt", "calibration/full-sync-validation.txt"} {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		cells, err := readFullSyncCells(string(text))
		require.NoError(t, err, file)
		checkFullSyncCosts(t, file, cells)
	}
}

func checkFullSyncCosts(t *testing.T, file string, cells []*fullSyncCell) {
	t.Helper()
	for _, c := range cells {
		require.GreaterOrEqual(t, len(c.save), 10, "fewer than 10 runs of %s %d", kindNames[c.kind], c.size)
		v := value{kind: c.kind, elems: c.size}
		if c.kind == kindString {
			v = stringValue(strings.Repeat("x", c.size))
		}
		one := maps.Values(map[string]value{"big": v})
		for _, w := range []struct {
			name string
			sim  time.Duration
			real []float64
		}{
			{"the child's RDB", model.rdbSaveCost(one), c.save},
			{"the replica's flush", model.flushCost(one), c.flush},
			{"the replica's load", model.rdbLoadCost(one), c.load},
		} {
			real := time.Duration(median(w.real) * float64(time.Millisecond))
			t.Logf("%s: %s %d: %s real %v, simulated %v", file, kindNames[c.kind], c.size, w.name, real, w.sim)
			if real < 20*time.Millisecond {
				// A 100 MB string's flush is a free of one block: a few milliseconds,
				// which the scheduler's noise dominates.
				assert.InDelta(t, real.Seconds(), w.sim.Seconds(), 0.01, "%s: %s %d: %s", file, kindNames[c.kind], c.size, w.name)
				continue
			}
			assert.InEpsilon(t, real.Seconds(), w.sim.Seconds(), 0.25, "%s: %s %d: %s", file, kindNames[c.kind], c.size, w.name)
		}
	}
}

// A replica's full copy of a master holding a hash of 3 × 10⁶ fields: while it loads, the
// replica answers GET and CLUSTER NODES -LOADING, and ROLE and INFO as usual (ROLE's state
// is sync); the master serves meanwhile, and what it is written during the copy reaches
// the replica after it. At the end the replica has both keys and the master's offset.
func TestFullSyncLoading(t *testing.T) {
	c, procs, err := startPair(1, 0)
	require.NoError(t, err)
	master, replica := procs[0], procs[1]
	require.NoError(t, pairDo(c, master, "EVAL", LoadScripts["hash"], "1", "big", "3000000"))
	// The replica gives its slots up and joins the master's cluster as its replica.
	require.NoError(t, pairDo(c, replica, "CLUSTER", "FLUSHSLOTS"))
	require.NoError(t, pairDo(c, replica, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(master.Port)))
	c.Sim.RunFor(2 * time.Second)
	require.NoError(t, pairDo(c, replica, "CLUSTER", "REPLICATE", master.Node().ID()))

	var began, loading, loaded sim.Time
	sawLoading := false
	for deadline := c.Sim.Now().Add(time.Minute); c.Sim.Now() < deadline && loaded == 0; c.Sim.RunFor(50 * time.Millisecond) {
		for _, e := range master.Node().Events {
			if began == 0 && strings.HasPrefix(e.Text, "Starting BGSAVE for SYNC") {
				began = e.At
				require.NoError(t, pairDo(c, master, "SET", "during", "copy"), "the master serves during the copy")
			}
		}
		for _, e := range replica.Node().Events {
			switch {
			case strings.HasPrefix(e.Text, "MASTER <-> REPLICA sync: Loading DB in memory"):
				loading = e.At
			case strings.HasPrefix(e.Text, "MASTER <-> REPLICA sync: Finished with success"):
				loaded = e.At
			}
		}
		if loading != 0 && loaded == 0 {
			sawLoading = true
			r, err := c.Client().Do(replica.Addr(), "CLUSTER", "NODES")
			require.NoError(t, err)
			if replica.Node().repl.loading != nil {
				assert.Equal(t, errLoading, r.Str, "CLUSTER NODES while loading")
				r, err = c.Client().Do(replica.Addr(), "ROLE")
				require.NoError(t, err)
				require.False(t, r.IsError(), "ROLE while loading: %s", r.Str)
				assert.Equal(t, "sync", r.Array[3].Str)
				r, err = c.Client().Do(replica.Addr(), "INFO", "replication")
				require.NoError(t, err)
				assert.Contains(t, r.Str, "master_sync_in_progress:1")
				// The cluster's redirect comes before LOADING, for every command with keys.
				moved := "MOVED " + strconv.Itoa(slot.Of("big")) + " " + master.Addr()
				for _, cmd := range [][]string{{"HLEN", "big"}, {"MEMORY", "USAGE", "big"}, {"OBJECT", "ENCODING", "big"}} {
					r, err = c.Client().Do(replica.Addr(), cmd...)
					require.NoError(t, err)
					assert.Equal(t, moved, r.Str, "%v while loading", cmd)
				}
				r = readOnlyDo(t, c, replica.Addr(), "HLEN", "big")
				assert.Equal(t, errLoading, r.Str, "HLEN on a READONLY connection while loading")
				// A command refused in MULTI aborts the transaction.
				for _, step := range [][2]string{{"MULTI", "OK"}, {"CLUSTER NODES", errLoading}, {"EXEC", "EXECABORT Transaction discarded because of previous errors."}} {
					r, err = c.Client().Do(replica.Addr(), strings.Fields(step[0])...)
					require.NoError(t, err)
					assert.Equal(t, step[1], r.Str, step[0])
				}
			}
		}
	}
	require.NotZero(t, began, "the master started a copy")
	require.True(t, sawLoading, "the replica was seen loading")
	require.NotZero(t, loaded, "the replica finished loading within a minute")
	load := time.Duration(loaded - loading)
	t.Logf("copy began at %v, load %v", time.Duration(began), load)
	assert.Greater(t, load, time.Second, "a 3e6-field hash takes seconds to load")

	c.Sim.RunFor(time.Second)
	assert.Equal(t, int64(3000000), readOnlyDo(t, c, replica.Addr(), "HLEN", "big").Int)
	assert.Equal(t, "copy", readOnlyDo(t, c, replica.Addr(), "GET", "during").Str)
	big, ok := replica.Node().db.get("big")
	require.True(t, ok, "the replica has the hash")
	assert.Equal(t, 3000000, big.elems)
	v, ok := replica.Node().db.get("during")
	require.True(t, ok, "the write made during the copy reached the replica")
	assert.Equal(t, "copy", v.str)
	assert.Equal(t, master.Node().repl.masterOffset, replica.Node().repl.processed)
}

// readOnlyDo sends args to addr on a READONLY connection and runs the simulation until
// the reply comes.
func readOnlyDo(t *testing.T, c *Cluster, addr string, args ...string) Reply {
	t.Helper()
	var got *Reply
	c.Client().SendReadOnly(addr, args, false, 10*time.Second, func(r Reply) { got = &r })
	for got == nil {
		require.True(t, c.Sim.Step(), "the simulation ran out of events before %v's reply", args)
	}
	return *got
}
