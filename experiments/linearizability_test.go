package experiments

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hand-made histories of one key: porcupine's verdict and the anomaly named.
func TestHistoryVerdicts(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	set := func(h *History, c int, v string, call, ret int, failed bool) {
		h.Add(c, KVInput{Key: "k", Write: true, Value: v}, KVOutput{Unknown: failed}, ms(call), ms(ret))
	}
	get := func(h *History, c int, v string, call, ret int) {
		h.Add(c, KVInput{Key: "k"}, KVOutput{Value: v, Found: v != ""}, ms(call), ms(ret))
	}
	for _, c := range []struct {
		name  string
		build func(h *History)
		kind  string // "" for linearizable
	}{
		{"a write, read back", func(h *History) { set(h, 0, "a", 0, 1, false); get(h, 1, "a", 5, 6) }, ""},
		{"a read during the write may see either", func(h *History) { set(h, 0, "a", 0, 10, false); get(h, 1, "", 2, 3); get(h, 1, "a", 4, 5) }, ""},
		{"a failed write may have taken effect", func(h *History) { set(h, 0, "a", 0, 1, true); get(h, 1, "a", 5, 6) }, ""},
		{"or not", func(h *History) { set(h, 0, "a", 0, 1, true); get(h, 1, "", 5, 6) }, ""},
		{"an acknowledged write lost", func(h *History) { set(h, 0, "a", 0, 1, false); get(h, 1, "", 5, 6) }, AnomalyLostWrite},
		{"a read of a value then lost", func(h *History) {
			set(h, 0, "a", 0, 1, false)
			get(h, 1, "a", 2, 3)
			get(h, 1, "", 5, 6)
		}, AnomalyLostRead},
		{"a value nobody wrote", func(h *History) { get(h, 1, "z", 5, 6) }, AnomalyOther},
	} {
		var h History
		c.build(&h)
		v := h.Check()
		assert.Equal(t, c.kind == "", v.Linearizable, c.name)
		assert.Equal(t, 1, v.Keys, c.name)
		if c.kind != "" {
			assert.Equal(t, map[string]int{c.kind: 1}, v.Anomalies, c.name)
		}
	}
}

// Porcupine and the hand count of lost writes agree run by run: nothing is lost after a
// SIGKILL on loopback, and every key whose acknowledged write the isolated master took
// is a lost-write anomaly. The first such history's picture is the same bytes each time.
func TestPorcupineAgreesWithTheLostWriteCount(t *testing.T) {
	t.Parallel() // CPU-bound; the package's heaviest tests share the cores
	for _, fault := range []string{"kill", "isolate"} {
		cfg := DefaultFailoverConfig()
		cfg.Runs, cfg.Fault = 6, fault
		if testing.Short() {
			cfg.Runs = 3
		}
		res, err := RunFailover(cfg)
		require.NoError(t, err)
		for _, r := range res.Runs {
			v := r.Load.Linearizability
			require.NotNil(t, v, "seed %d", r.Seed)
			assert.Positive(t, v.Keys)
			assert.Equal(t, r.Load.Lost, v.LostWriteKeys(), "%s seed %d: porcupine's lost writes against the ledger's", fault, r.Seed)
			assert.Equal(t, r.Load.Lost == 0, v.Linearizable, "%s seed %d", fault, r.Seed)
			assert.Zero(t, v.Anomalies[AnomalyOther], "%s seed %d", fault, r.Seed)
		}
		if fault == "kill" {
			assert.Nil(t, res.FirstAnomaly)
			assert.Equal(t, cfg.Runs, res.LoadSummary.Linearizable)
			continue
		}
		require.NotNil(t, res.FirstAnomaly)
		var a, b bytes.Buffer
		require.NoError(t, res.FirstAnomaly.WriteHTML(&a, 5))
		require.NoError(t, res.FirstAnomaly.WriteHTML(&b, 5))
		assert.True(t, bytes.Equal(a.Bytes(), b.Bytes()), "the picture is deterministic")
		assert.True(t, strings.Contains(a.String(), "GET w:"), "the read-back's GETs are in the picture")
	}
}
