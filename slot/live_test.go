package slot_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/slot"
)

// TestOfAgreesWithRealKeyslot asks a real redis-server for CLUSTER KEYSLOT of thousands of
// generated keys: random bytes, keys full of braces, empty tags, and long keys.
func TestOfAgreesWithRealKeyslot(t *testing.T) {
	srv := livetest.StartCluster(t, 1)[0]
	c, err := live.Dial(srv.Addr(), time.Second)
	require.NoError(t, err)
	defer c.Close()

	r := rand.New(rand.NewPCG(2026, 11))
	alphabet := []byte("{}ab{}01}{x")
	var keys []string
	for i := range 6000 {
		n := r.IntN(40)
		if i%100 == 0 {
			n = 200 + r.IntN(800)
		}
		b := make([]byte, n)
		for j := range b {
			if i%2 == 0 {
				b[j] = byte(r.UintN(256))
			} else {
				b[j] = alphabet[r.IntN(len(alphabet))]
			}
		}
		keys = append(keys, string(b))
	}
	keys = append(keys, "", "{}", "{", "}", "k1", "k2", "{user1000}.following")
	var cmds [][]string
	for _, k := range keys {
		cmds = append(cmds, []string{"CLUSTER", "KEYSLOT", k})
	}
	replies, err := c.Pipeline(cmds)
	require.NoError(t, err)
	for i, k := range keys {
		require.Equal(t, replies[i], int64(slot.Of(k)), "CLUSTER KEYSLOT %q", k)
	}
}

// realLayout loads the cluster the way redis-cli does from entry.
func realLayout(t *testing.T, entry *live.Server) slot.Layout {
	t.Helper()
	text, err := live.String(entry.Do("CLUSTER", "NODES"))
	require.NoError(t, err)
	nodes, err := slot.ParseNodes(text)
	require.NoError(t, err)
	return slot.LayoutOf(nodes)
}

// waitConsistent polls `redis-cli --cluster check` until every node agrees and no slot is
// open: gossip must have carried the last change everywhere before the next command.
func waitConsistent(t *testing.T, entry *live.Server) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := live.CLI("--cluster", "check", entry.Addr())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster did not settle: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitKnown(t *testing.T, servers []*live.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range servers {
		for {
			text, err := live.String(s.Do("CLUSTER", "NODES"))
			require.NoError(t, err)
			// redis-cli leaves out nodes its entry node sees as disconnected (and so do our
			// planners, via LayoutOf): wait until every link is up, not only every node known.
			if strings.Count(strings.TrimSpace(text), "\n")+1 == n && !strings.Contains(text, "handshake") && !strings.Contains(text, "disconnected") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s knows only:\n%s", s.Addr(), text)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func requireLayoutMap(t *testing.T, want slot.Layout, entry *live.Server, what string) {
	t.Helper()
	got := realLayout(t, entry)
	for _, n := range want.Nodes {
		w, g := want.Slots.Slots(n.ID), got.Slots.Slots(n.ID)
		require.Equal(t, w.String(), g.String(), "%s: slots of %s (%s)", what, n.Addr, n.ID)
	}
}

// TestPlannersAgreeWithRealRedisCli builds real clusters with redis-cli --cluster create,
// reshard and rebalance, and checks that the planners predicted every slot map exactly.
func TestPlannersAgreeWithRealRedisCli(t *testing.T) {
	livetest.NeedLong(t)
	servers := livetest.StartCluster(t, 7, "--cluster-node-timeout", "5000")
	var addrs []string
	for _, s := range servers[:5] {
		addrs = append(addrs, s.Addr())
	}
	plan, err := slot.PlanCreate(addrs, 0, nil)
	require.NoError(t, err)
	out, err := live.CLI(append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	require.NoError(t, err, out)
	for _, line := range plan.Lines() {
		require.Contains(t, out, line+"\n")
	}
	waitConsistent(t, servers[0])
	for i, s := range servers[:5] {
		got := realLayout(t, s)
		require.Equal(t, slot.SetOf(plan.Slots[i]).String(), got.Slots.Slots(got.Nodes[0].ID).String(), "create: slots of %s", s.Addr())
	}

	// Two empty masters join; --cluster-from all then includes them, with 0 slots each.
	// add-node checks the cluster first and refuses while nodes disagree, which they do
	// until the previous new node's config epoch has spread: wait in between, as an
	// operator would.
	for i, s := range servers[5:] {
		out, err := live.CLI("--cluster", "add-node", s.Addr(), servers[0].Addr())
		require.NoError(t, err, out)
		waitKnown(t, servers[:6+i], 6+i)
		waitConsistent(t, servers[0])
	}

	entry := servers[1]
	l := realLayout(t, entry)
	target := realLayout(t, servers[5]).Nodes[0].ID
	rp, err := slot.PlanReshard(l, []string{"all"}, target, 3000)
	require.NoError(t, err)
	out, err = live.CLI("--cluster", "reshard", entry.Addr(), "--cluster-from", "all", "--cluster-to", target, "--cluster-slots", "3000", "--cluster-yes")
	require.NoError(t, err, out)
	for _, line := range rp.Lines()[:20] {
		require.Contains(t, out, line+"\n")
	}
	for _, m := range rp.Moves {
		require.NoError(t, l.Slots.Move(m))
	}
	waitConsistent(t, entry)
	requireLayoutMap(t, l, entry, "reshard 3000 from all")

	// Rebalance with weights and the remaining empty master.
	entry = servers[3]
	l = realLayout(t, entry)
	heavy := l.Nodes[len(l.Nodes)-1].ID // the last master in redis-cli's list, by an 8-character prefix
	weightArg := fmt.Sprintf("%s=3", heavy[:8])
	w, err := slot.ParseWeight(weightArg)
	require.NoError(t, err)
	bp, err := slot.PlanRebalance(l, slot.RebalanceOptions{Weights: []slot.Weight{w}, Threshold: slot.DefaultThreshold, UseEmptyMasters: true})
	require.NoError(t, err)
	require.False(t, bp.Balanced)
	out, err = live.CLI("--cluster", "rebalance", entry.Addr(), "--cluster-weight", weightArg, "--cluster-use-empty-masters")
	require.NoError(t, err, out)
	require.Contains(t, out, bp.Header()+"\n")
	for _, s := range bp.Steps {
		var from, to string
		for _, n := range l.Nodes {
			if n.ID == s.From {
				from = n.Addr
			}
			if n.ID == s.To {
				to = n.Addr
			}
		}
		require.Contains(t, out, fmt.Sprintf("Moving %d slots from %s to %s\n", len(s.Moves), from, to))
		for _, m := range s.Moves {
			require.NoError(t, l.Slots.Move(m))
		}
	}
	waitConsistent(t, entry)
	requireLayoutMap(t, l, entry, "rebalance")

	// Balanced now: redis-cli and the planner both say so.
	l = realLayout(t, entry)
	bp, err = slot.PlanRebalance(l, slot.RebalanceOptions{Weights: []slot.Weight{w}, Threshold: slot.DefaultThreshold})
	require.NoError(t, err)
	require.True(t, bp.Balanced)
	out, err = live.CLI("--cluster", "rebalance", entry.Addr(), "--cluster-weight", weightArg)
	require.NoError(t, err, out)
	require.Contains(t, out, bp.NoRebalanceMessage())

	// del-node of a master that still has slots is refused with the same words.
	victim := l.Nodes[0]
	_, err = slot.PlanDelNode(l, victim.ID)
	require.Error(t, err)
	out, _ = live.CLI("--cluster", "del-node", entry.Addr(), victim.ID)
	require.Contains(t, out, err.Error())
}
