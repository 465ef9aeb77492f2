package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/kvplace/kvplace/sim/scenario"
)

// shrinkCase drops what follows the divergent step in one go, then every step between the
// create and it that the divergence does not need, within its budget, and never the setup.
func TestShrinkCase(t *testing.T) {
	text := "docker run a\ndocker run b\nredis-cli --cluster create x y\nstep 1\nneeded\nstep 3\nDIVERGES\nafter 1\nafter 2\n"
	calls := 0
	diverges := func(ls []string) (bool, error) {
		calls++
		return slices.Contains(ls, "needed") && slices.Contains(ls, "DIVERGES"), nil
	}
	got, err := shrinkCase(text, "DIVERGES", 10, diverges)
	require.NoError(t, err)
	assert.Equal(t, "docker run a\ndocker run b\nredis-cli --cluster create x y\nneeded\nDIVERGES\n", got)
	assert.Equal(t, 4, calls, "the tail, then step 3, needed and step 1")

	calls = 0
	got, err = shrinkCase(text, "DIVERGES", 2, diverges)
	require.NoError(t, err)
	assert.Equal(t, 2, calls, "the budget bounds the runs")
	assert.Equal(t, "docker run a\ndocker run b\nredis-cli --cluster create x y\nstep 1\nneeded\nDIVERGES\n", got)

	got, err = shrinkCase(text, "docker run b", 10, diverges)
	require.NoError(t, err)
	assert.Equal(t, text, got, "a divergence in the setup is not shrunk")
}

// portsBack maps a case's free ports and bus ports back to the generator's where a port
// is written, and leaves slot numbers alone.
func TestPortsBack(t *testing.T) {
	back := portsBack([]int{13456, 13457})
	assert.Equal(t, `127.0.0.1:7002 @17001 -p 7001 port=7002 134567 3456 (integer) 7002 "7001" slot 13456 [13457-16383]`,
		back(`127.0.0.1:13457 @23456 -p 13456 port=13457 134567 3456 (integer) 13457 "13456" slot 13456 [13457-16383]`))
}

// TestFidelityLive runs one generated case (seed 25: 3 masters with a replica each, about
// 20 steps, sleeps of about 6 s) live and over 3 simulated seeds. Whether a step diverges
// is what the command measures and may change as the model does, so this test holds the
// run's accounting: every step compared, facts counted, divergences reported with their
// lines on the generator's ports.
func TestFidelityLive(t *testing.T) {
	livetest.Need(t)
	t.Parallel()
	res, err := Fidelity(FidelityConfig{Seed: 25, Cases: 1, SimSeeds: 3})
	require.NoError(t, err)
	require.Len(t, res.Cases, 1)
	c := res.Cases[0]
	t.Logf("%s", c.summary(1))
	assert.Empty(t, c.LiveFailed)
	assert.Equal(t, c.Steps, c.Compared, "the live run reached every step")
	assert.Greater(t, c.Facts, c.Steps, "steps print lines")
	assert.Equal(t, len(c.Divergent), res.Divergent)
	assert.Contains(t, c.Runbook, "--port 7001")
	for _, d := range c.Divergent {
		t.Logf("divergent step %d: %s\n%s", d.Step, d.Cmd, strings.Join(d.Real, "\n"))
		assert.Len(t, d.Sim, 3)
		assert.Contains(t, c.Runbook, d.Cmd+"\n", "the step is named as generated")
	}
}

// TestFidelityRegressions replays, in simulation only, the generated cases whose
// divergences were fixed, against the live transcripts they were found with
// (testdata/fidelity/seed-N.txt and seed-N.real.txt, written by fidelity -save): every
// fact must be one some seed reaches. Seed 6: del-node of a node the entry knew only in
// handshake, refused by redis-cli with the handshake ID. Seed 18: a rebalance whose
// masters with as many slots to take are served in redis-cli's node-list order, which the
// simulation learns from the real run; seeds 39 and 41 too (a rebalance, a reshard
// --cluster-from all), from the 300-case run. Seed 30: a node no peer has reached does not
// know its own IP.
func TestFidelityRegressions(t *testing.T) {
	books, err := filepath.Glob("testdata/fidelity/seed-*.real.txt")
	require.NoError(t, err)
	require.NotEmpty(t, books)
	for _, realPath := range books {
		bookPath := strings.TrimSuffix(realPath, ".real.txt") + ".txt"
		t.Run(filepath.Base(bookPath), func(t *testing.T) {
			rb, err := scenario.ParseFile(bookPath)
			require.NoError(t, err)
			real, err := os.ReadFile(realPath)
			require.NoError(t, err)
			var out bytes.Buffer
			res := scenario.DiffRecorded(rb, string(real), &out, scenario.DiffOptions{Seeds: 5})
			assert.Empty(t, res.Divergent, out.String())
			assert.Equal(t, res.Steps, res.Compared)
		})
	}
}

// FidelityReplay measures saved cases again offline, in seed order: the regression cases
// agree, the open ones do not, and a folder without cases is an error naming it.
func TestFidelityReplay(t *testing.T) {
	res, err := FidelityReplay("testdata/fidelity", 5, nil)
	require.NoError(t, err)
	var seeds []uint64
	for _, c := range res.Cases {
		seeds = append(seeds, c.Seed)
	}
	assert.Equal(t, []uint64{6, 18, 30, 39, 41}, seeds)
	assert.Zero(t, res.Divergent, "the regression cases agree")
	compared := 0
	for _, c := range res.Cases {
		compared += c.Compared
	}
	assert.Equal(t, compared, res.Compared)
	assert.Greater(t, res.Facts, res.Compared)

	open, err := FidelityReplay("testdata/fidelity/open", 5, nil)
	require.NoError(t, err)
	assert.Equal(t, len(open.Cases), open.DivergentCases, "every open case still diverges")
	var text bytes.Buffer
	open.WriteText(&text)
	assert.Contains(t, text.String(), "steps divergent")

	_, err = FidelityReplay(t.TempDir(), 5, nil)
	assert.ErrorContains(t, err, "no saved case")
}
