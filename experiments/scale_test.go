package experiments

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunScaleRepeats: what depends on the seed alone (events, failover times, the state
// at the end) repeats; a replica takes over at every size, and every survivor is ok.
func TestRunScaleRepeats(t *testing.T) {
	cfg := DefaultScaleConfig()
	cfg.Sizes = []int{6, 40}
	a, err := RunScale(cfg)
	require.NoError(t, err)
	b, err := RunScale(cfg)
	require.NoError(t, err)
	require.Len(t, a.Rows, 2)
	for i, r := range a.Rows {
		assert.Equal(t, r.Events, b.Rows[i].Events, "%d nodes", r.Nodes)
		assert.Equal(t, r.Failover, b.Rows[i].Failover, "%d nodes", r.Nodes)
		assert.Equal(t, r.Nodes-1, r.StateOK, "%d nodes: every survivor ok", r.Nodes)
		// PFAIL needs a ping unanswered for the node timeout; the election follows.
		assert.GreaterOrEqual(t, r.Failover.PFail, cfg.NodeTimeout, "%d nodes", r.Nodes)
		assert.Greater(t, r.Failover.Promoted, r.Failover.Fail, "%d nodes", r.Nodes)
		assert.Positive(t, r.VirtualPerWall)
	}
	var out bytes.Buffer
	require.NoError(t, WriteScaleTable(&out, a))
	assert.Contains(t, out.String(), "virt s/s")
	assert.Regexp(t, `(?m)^ +40 +20 `, out.String())
}

func TestRunScaleRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*ScaleConfig)
		want string
	}{
		{func(c *ScaleConfig) { c.Sizes = nil }, "scale: no sizes"},
		{func(c *ScaleConfig) { c.Sizes = []int{7} }, "size 7: want an even number of processes from 6 to 1000"},
		{func(c *ScaleConfig) { c.Sizes = []int{2000} }, "size 2000"},
		{func(c *ScaleConfig) { c.Span = 0 }, "want a positive span"},
		{func(c *ScaleConfig) { c.KillAfter = time.Hour }, "kill after 1h0m0s: want a moment within the span"},
		{func(c *ScaleConfig) { c.NodeTimeout = time.Millisecond }, "node timeout 1ms"},
	} {
		cfg := DefaultScaleConfig()
		tc.mod(&cfg)
		_, err := RunScale(cfg)
		if assert.Error(t, err) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
}

func TestParseInts(t *testing.T) {
	got, err := ParseInts("vnodes", "1, 10,100")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 10, 100}, got)
	got, err = ParseInts("vnodes", "")
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = ParseInts("sizes", "6,x")
	assert.EqualError(t, err, `-sizes "6,x": "x" is not a whole number`)
}

func TestParseMasters(t *testing.T) {
	got, err := ParseMasters("30,60")
	require.NoError(t, err)
	assert.Equal(t, []int{30, 60}, got)
	_, err = ParseMasters("")
	assert.EqualError(t, err, `-masters "": no cluster size`)
	_, err = ParseMasters("30,2")
	assert.EqualError(t, err, `-masters "30,2": 2 is not from 3 to 500`)
	_, err = ParseMasters("501")
	assert.EqualError(t, err, `-masters "501": 501 is not from 3 to 500`)
	_, err = ParseMasters("3x")
	assert.EqualError(t, err, `-masters "3x": "3x" is not a whole number`)
}
