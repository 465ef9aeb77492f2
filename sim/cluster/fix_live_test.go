package cluster_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fixCase opens slot 4452 (the slot of "k7", served by the first of three masters) in a
// way an interrupted reshard or a restart can leave it; do sends a command to master i
// (0, 1, 2) and returns its reply as text, ids are the masters' node IDs, port2 the second
// master's port.
// With debug, the servers run with enable-debug-command yes, which redis-cli needs to
// compare a key found on both sides of a move; fixed says whether fix closes the slot.
type fixCase struct {
	name  string
	debug bool
	fixed bool
	open  func(do func(i int, args ...string) string, ids []string, port2 int)
}

var fixCases = []fixCase{
	{"migrating with no importing node", false, true, func(do func(int, ...string) string, ids []string, _ int) {
		do(0, "SET", "{k7}x", "vx")
		do(0, "CLUSTER", "SETSLOT", "4452", "MIGRATING", ids[1])
	}},
	{"interrupted before any key moved", false, true, func(do func(int, ...string) string, ids []string, _ int) {
		do(0, "SET", "k7", "v7")
		do(0, "SET", "{k7}x", "vx")
		do(1, "CLUSTER", "SETSLOT", "4452", "IMPORTING", ids[0])
		do(0, "CLUSTER", "SETSLOT", "4452", "MIGRATING", ids[1])
	}},
	{"interrupted after one key moved", false, true, func(do func(int, ...string) string, ids []string, port2 int) {
		do(0, "SET", "k7", "v7")
		do(0, "SET", "{k7}x", "vx")
		do(1, "CLUSTER", "SETSLOT", "4452", "IMPORTING", ids[0])
		do(0, "CLUSTER", "SETSLOT", "4452", "MIGRATING", ids[1])
		do(0, "MIGRATE", "127.0.0.1", strconv.Itoa(port2), "", "0", "5000", "KEYS", "k7")
	}},
	// Redis 7 refuses DEBUG by default, so redis-cli cannot compare the values and stops.
	{"a key on both sides", false, false, keyOnBothSides},
	{"a key on both sides, DEBUG enabled", true, true, keyOnBothSides},
}

func keyOnBothSides(do func(int, ...string) string, ids []string, port2 int) {
	do(0, "SET", "k7", "v7")
	do(0, "SET", "{k7}x", "vx")
	do(1, "CLUSTER", "SETSLOT", "4452", "IMPORTING", ids[0])
	do(0, "CLUSTER", "SETSLOT", "4452", "MIGRATING", ids[1])
	do(0, "MIGRATE", "127.0.0.1", strconv.Itoa(port2), "", "0", "5000", "COPY", "KEYS", "k7")
}

// fixSection is what --cluster fix printed about the open slot, from ">>> Fixing open slot"
// to the coverage check, with each master's port replaced by its name (M1, M2, M3).
func fixSection(out string, ports []int) string {
	start := strings.Index(out, ">>> Fixing open slot")
	end := strings.Index(out, ">>> Check slots coverage...")
	if start < 0 || end < start {
		return "no fix in:\n" + out
	}
	s := out[start:end]
	for i, p := range ports {
		s = strings.ReplaceAll(s, "127.0.0.1:"+strconv.Itoa(p), "M"+strconv.Itoa(i+1))
	}
	return s
}

// TestFixOpenSlotMatchesRealRedis opens a slot the same way on three real redis-server
// masters and on three simulated ones, runs redis-cli --cluster fix on both, and compares
// what it printed about the slot, then checks that both clusters end with the slot closed,
// or, where real redis-cli gives up, still open.
func TestFixOpenSlotMatchesRealRedis(t *testing.T) {
	live.Need(t)
	for _, fc := range fixCases {
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel() // real time, mostly waiting
			// Real Redis 7.0.15.
			args := []string{"--cluster-node-timeout", "5000"}
			if fc.debug {
				args = append(args, "--enable-debug-command", "yes")
			}
			servers := live.StartCluster(t, 3, args...)
			var addrs []string
			var realPorts []int
			for _, s := range servers {
				addrs = append(addrs, s.Addr())
				realPorts = append(realPorts, s.Port)
			}
			out, err := live.CLI(append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
			require.NoError(t, err, out)
			time.Sleep(2 * time.Second)
			realDo := func(i int, args ...string) string {
				r, err := servers[i].Do(args...)
				require.NoError(t, err)
				s, _ := live.String(r, nil)
				return s
			}
			var realIDs []string
			for i := range servers {
				realIDs = append(realIDs, realDo(i, "CLUSTER", "MYID"))
			}
			fc.open(realDo, realIDs, servers[1].Port)
			realFix, _ := live.CLI("--cluster", "fix", addrs[0])
			time.Sleep(time.Second)
			realCheck, _ := live.CLI("--cluster", "check", addrs[0])

			// The simulation.
			cfg := cluster.DefaultConfig()
			cfg.NodeTimeout = 5 * time.Second
			if fc.debug {
				cfg.EnableDebugCommand = "yes"
			}
			c, procs, err := cluster.Build(cluster.Options{Seed: 1, Masters: 3, Config: cfg, Link: cluster.Loopback})
			require.NoError(t, err)
			c.Sim.RunFor(2 * time.Second)
			simDo := func(i int, args ...string) string {
				r, err := c.Client().Do(procs[i].Addr(), args...)
				require.NoError(t, err)
				return r.Str
			}
			var simIDs []string
			var simPorts []int
			for i, p := range procs {
				simIDs = append(simIDs, simDo(i, "CLUSTER", "MYID"))
				simPorts = append(simPorts, p.Port)
			}
			fc.open(simDo, simIDs, procs[1].Port)
			var simFix, simCheck bytes.Buffer
			_ = c.CLI(&simFix).Fix(procs[0].Addr())
			c.Sim.RunFor(time.Second)
			_ = c.CLI(&simCheck).Check(procs[0].Addr())

			assert.Equal(t, fixSection(realFix, realPorts), fixSection(simFix.String(), simPorts))
			for name, check := range map[string]string{"real": realCheck, "simulated": simCheck.String()} {
				if fc.fixed {
					assert.NotContains(t, check, "slots are open", name)
				} else {
					assert.Contains(t, check, "[WARNING] The following slots are open: 4452.", name)
				}
				assert.Contains(t, check, "[OK] All 16384 slots covered.", name)
				assert.Contains(t, check, "[OK] All nodes agree about slots configuration.", name)
			}
			if t.Failed() {
				t.Logf("real fix:\n%s\nsimulated fix:\n%s", realFix, simFix.String())
			}
		})
	}
}
