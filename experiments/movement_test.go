package experiments

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallMovement is the default comparison shrunk to run in a few seconds: 3 → 5 → 3.
func smallMovement() MovementConfig {
	cfg := DefaultMovementConfig()
	cfg.To = 5
	cfg.Keys = 6000
	if testing.Short() {
		cfg.To, cfg.Rate = 4, 400 // one join and one leave per scheme, fewer requests
	}
	cfg.Schemes, _ = ParseSchemes("modulo,ring:100,slots,slots:rebalance")
	return cfg
}

// TestMovementMatchesTheory checks each scheme's movement against what theory says, and
// that scaling under load neither misses a stored key nor loses an acknowledged write.
func TestMovementMatchesTheory(t *testing.T) {
	t.Parallel() // CPU-bound; the package's heaviest tests share the cores
	res, err := RunMovement(smallMovement())
	require.NoError(t, err)
	steps := map[string][]MovementStep{}
	for _, st := range res.Steps {
		steps[st.Scheme+"/"+st.Part] = append(steps[st.Scheme+"/"+st.Part], st)
	}
	for _, scheme := range []string{"modulo", "ring:100", "slots", "slots:rebalance"} {
		scale := steps[scheme+"/"+PartScale]
		require.Len(t, scale, 2*(smallMovement().To-smallMovement().From), scheme)
		for _, st := range scale {
			name := scheme + " " + st.Event + " " + st.Node
			assert.True(t, st.Settled, name)
			assert.Zero(t, st.Missed, "%s: reads of a stored key that found nothing", name)
			assert.Zero(t, st.Lost, "%s: acknowledged writes lost", name)
			assert.Positive(t, st.Requests, name)
			n := float64(st.Masters)
			// Keys written during the step, before the membership changed, may move too:
			// the theory applies to somewhere between the keys stored at the event and
			// those plus the writes acknowledged in the step.
			within := func(share float64, slack float64) {
				lo := share * float64(st.Stored) * (1 - slack)
				hi := share * float64(st.Stored+int64(st.Acked)) * (1 + slack)
				assert.True(t, float64(st.Moved) >= lo && float64(st.Moved) <= hi,
					"%s: moved %d, want %.0f to %.0f", name, st.Moved, lo, hi)
			}
			switch {
			case scheme == "modulo" && st.Event == "join":
				within(1-1/n, 0.03) // a key stays when hash % (N-1) == hash % N: 1/N of them
			case scheme == "modulo":
				within(1-1/(n+1), 0.03)
			case scheme == "ring:100" && st.Event == "leave":
				// A leaving member's keys go to its successors, and nothing else moves
				// (but the writes it took before it left).
				assert.GreaterOrEqual(t, st.Moved, st.Minimum, name)
				assert.LessOrEqual(t, st.Moved, st.Minimum+int64(st.Acked), name)
			case scheme == "ring:100":
				within(1/n, 0.3) // σ/mean of a member's share at 100 points is about 0.1
			default:
				// Slots move whole slots, near the minimum; the seed's reshard sends a
				// leaver's slots to one master.
				within(float64(st.Minimum)/float64(st.Stored), 0.03)
			}
		}
		// Promotion ⇒ no key movement, for every scheme.
		for _, st := range steps[scheme+"/"+PartReplica] {
			assert.Zero(t, st.Moved, "%s %s with a replica", scheme, st.Event)
			assert.True(t, st.Settled, "%s %s with a replica", scheme, st.Event)
		}
		require.Len(t, steps[scheme+"/"+PartReplica], 2)
		assert.Positive(t, steps[scheme+"/"+PartReplica][0].Failed, "%s: requests fail until the promotion", scheme)
	}
	// Without replica, slots wait for the master (and with full coverage refuse every key
	// meanwhile); a ring and hash % N eject it, serve its keys empty elsewhere, and move
	// keys back when it returns — hash % N most of them.
	kill := func(scheme string) MovementStep { return steps[scheme+"/"+PartNoReplica][0] }
	back := func(scheme string) MovementStep { return steps[scheme+"/"+PartNoReplica][1] }
	assert.False(t, kill("slots").Settled)
	assert.Zero(t, kill("slots").Missed)
	assert.Greater(t, kill("slots").Failed, kill("ring:100").Failed)
	assert.Zero(t, back("slots").Moved)
	for _, s := range []string{"ring:100", "modulo"} {
		assert.True(t, kill(s).Settled, s)
		assert.Positive(t, back(s).Moved, s)
	}
	// The applications' go-redis reloads its map on MOVED or ASK, or when it is 60 s old;
	// not on a refused connection. hash % N reshuffles the survivors' keys, so MOVED comes
	// at once and the clients find the ejected master's keys elsewhere, empty. A ring's
	// survivors keep their keys: no MOVED comes, and the clients ask the dead member for
	// the whole outage.
	assert.Positive(t, kill("modulo").Missed)
	assert.Zero(t, kill("ring:100").Missed)
	assert.Greater(t, kill("ring:100").Failed, kill("modulo").Failed)
	assert.Zero(t, kill("ring:100").Moved, "a ring hands an ejected member's share to the others, which have nothing of it")
	assert.Greater(t, kill("modulo").Moved, kill("modulo").Stored/3, "hash % 2 reshuffles the survivors' keys")
	// On the master's return, a ring moves back only the writes made to its share
	// meanwhile; hash % N moves most of everything.
	assert.Less(t, back("ring:100").Moved, back("ring:100").Stored/3)
	assert.Greater(t, back("modulo").Moved, back("modulo").Stored/2)
}

// TestMovementRepeats: the same seed gives the same table, byte for byte.
func TestMovementRepeats(t *testing.T) {
	t.Parallel() // CPU-bound; the package's heaviest tests share the cores
	cfg := smallMovement()
	cfg.Schemes, _ = ParseSchemes("ring:10")
	cfg.Keys = 2000
	var first, second bytes.Buffer
	for _, out := range []*bytes.Buffer{&first, &second} {
		res, err := RunMovement(cfg)
		require.NoError(t, err)
		require.NoError(t, WriteMovementTable(out, res))
	}
	assert.Equal(t, first.String(), second.String())
	assert.Contains(t, first.String(), "seed 1")
}

func TestMovementConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		edit func(*MovementConfig)
		want string
	}{
		{func(c *MovementConfig) { c.From = 2 }, "-from 2"},
		{func(c *MovementConfig) { c.To = 2 }, "-to 2 is below -from 3"},
		{func(c *MovementConfig) { c.Schemes = nil }, "no scheme"},
		{func(c *MovementConfig) { c.Writes = 2 }, "-writes 2"},
		{func(c *MovementConfig) { c.Rate = 0 }, "-rate 0"},
		{func(c *MovementConfig) { c.Outage = 0 }, "-outage 0s"},
		{func(c *MovementConfig) { c.NodeTimeout = time.Millisecond }, "-node-timeout 1ms"},
		{func(c *MovementConfig) { c.ValueSize = 0 }, "-value-size 0"},
	} {
		cfg := DefaultMovementConfig()
		tc.edit(&cfg)
		_, err := RunMovement(cfg)
		assert.ErrorContains(t, err, tc.want)
	}
}
