package experiments

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// A KVInput is one request of a history as porcupine checks it: a SET of Value, or a GET,
// of Key.
type KVInput struct {
	Key   string
	Write bool
	Value string
}

// A KVOutput is what a request returned: for a GET, the value found (Found false: the key
// did not exist). A SET that failed (a timeout, a refused connection, CLUSTERDOWN) may or
// may not have taken effect; its output is Unknown and it is pending until the history's
// end, as porcupine takes an operation that never returned.
type KVOutput struct {
	Value   string
	Found   bool
	Unknown bool
}

// kvModel is a register per key: a SET replaces the value, a GET returns the value or
// nothing. The history is partitioned by key; each key is linearizable or not on its own.
func kvModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			var keys []string
			for _, op := range history {
				k := op.Input.(KVInput).Key
				if _, ok := byKey[k]; !ok {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], op)
			}
			var out [][]porcupine.Operation
			for _, k := range keys {
				out = append(out, byKey[k])
			}
			return out
		},
		Init: func() any { return KVOutput{} }, // not found
		Step: func(state, input, output any) (bool, any) {
			in, out, st := input.(KVInput), output.(KVOutput), state.(KVOutput)
			if in.Write {
				return true, KVOutput{Value: in.Value, Found: true}
			}
			return out.Found == st.Found && out.Value == st.Value, st
		},
		DescribeOperation: func(input, output any) string {
			in, out := input.(KVInput), output.(KVOutput)
			switch {
			case in.Write && out.Unknown:
				return fmt.Sprintf("SET %s %s → failed (took effect or not)", in.Key, in.Value)
			case in.Write:
				return fmt.Sprintf("SET %s %s → OK", in.Key, in.Value)
			case !out.Found:
				return fmt.Sprintf("GET %s → (nil)", in.Key)
			}
			return fmt.Sprintf("GET %s → %s", in.Key, out.Value)
		},
		DescribeState: func(state any) string {
			if st := state.(KVOutput); st.Found {
				return st.Value
			}
			return "(nil)"
		},
	}
}

// A History records requests, per client, for porcupine: what each asked and returned,
// between its sending and its reply (virtual time).
type History struct {
	ops []porcupine.Operation
}

// pending is the return time of a request that never returned: after every other.
const pending = math.MaxInt64

// Add records one request of client (0, 1, …) sent at call and answered at ret.
func (h *History) Add(client int, in KVInput, out KVOutput, call, ret time.Duration) {
	r := int64(ret)
	if out.Unknown {
		r = pending
	}
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: int64(call), Output: out, Return: r})
}

// Len is the number of requests recorded.
func (h *History) Len() int { return len(h.ops) }

// A Verdict is porcupine's judgement of a history: linearizable or not, and the keys whose
// histories are not, each with the kind of anomaly it shows.
type Verdict struct {
	Linearizable bool           `json:"linearizable"`
	Keys         int            `json:"keys"`                // keys checked
	Anomalies    map[string]int `json:"anomalies,omitempty"` // kind → keys
	bad          []string
	h            *History
}

// Anomaly kinds, as a Verdict counts them.
const (
	// AnomalyLostWrite: a SET was acknowledged, and a read that began after its reply
	// found the key missing (or holding an older value): the write was lost.
	AnomalyLostWrite = "acknowledged write lost"
	// AnomalyLostRead: a read returned a value that a later read, after the write
	// completed, no longer finds: it saw a write that was then lost.
	AnomalyLostRead = "read of a value that a lost write set"
	// AnomalyOther: not linearizable in another way.
	AnomalyOther = "other"
)

// Check runs porcupine on h, key by key, and names each anomaly it finds.
func (h *History) Check() Verdict {
	model := kvModel()
	parts := model.Partition(h.ops)
	v := Verdict{Linearizable: true, Keys: len(parts), h: h}
	// One check of the whole history (porcupine checks its partitions in parallel) says
	// whether there is anything to name; only then is each key checked on its own.
	if porcupine.CheckOperations(model, h.ops) {
		return v
	}
	for _, part := range parts {
		if porcupine.CheckOperations(model, part) {
			continue
		}
		v.Linearizable = false
		if v.Anomalies == nil {
			v.Anomalies = map[string]int{}
		}
		v.Anomalies[classify(part)]++
		v.bad = append(v.bad, part[0].Input.(KVInput).Key)
	}
	return v
}

// classify names what is wrong with one key's non-linearizable history.
func classify(part []porcupine.Operation) string {
	var ackedAt int64 = -1
	for _, op := range part {
		in, out := op.Input.(KVInput), op.Output.(KVOutput)
		if in.Write && !out.Unknown && (ackedAt < 0 || op.Return < ackedAt) {
			ackedAt = op.Return
		}
	}
	sawValue := false
	for _, op := range part {
		in, out := op.Input.(KVInput), op.Output.(KVOutput)
		if in.Write {
			continue
		}
		if out.Found {
			sawValue = true
		}
		if ackedAt >= 0 && op.Call > ackedAt && !out.Found {
			if sawValue {
				return AnomalyLostRead
			}
			return AnomalyLostWrite
		}
	}
	return AnomalyOther
}

// LostWriteKeys is the number of keys porcupine found non-linearizable because an
// acknowledged write went missing (either kind of lost-write anomaly): what a hand count of
// lost writes counts too.
func (v Verdict) LostWriteKeys() int {
	return v.Anomalies[AnomalyLostWrite] + v.Anomalies[AnomalyLostRead]
}

// WriteHTML writes porcupine's visualization of the non-linearizable keys' histories (at
// most max of them, the first in the history's order), which opens in a browser: each
// key's requests on a time line, and how far a linearization gets before it fails.
func (v Verdict) WriteHTML(w io.Writer, max int) error {
	if v.Linearizable || v.h == nil {
		return fmt.Errorf("linearizability: the history is linearizable: nothing to show")
	}
	keys := v.bad[:min(max, len(v.bad))]
	var ops []porcupine.Operation
	for _, op := range v.h.ops {
		if slices.Contains(keys, op.Input.(KVInput).Key) {
			ops = append(ops, op)
		}
	}
	// Renumber the clients from 0, as the visualization lays out one row per client.
	ids := map[int]int{}
	for i := range ops {
		if _, ok := ids[ops[i].ClientId]; !ok {
			ids[ops[i].ClientId] = len(ids)
		}
		ops[i].ClientId = ids[ops[i].ClientId]
		if ops[i].Return == pending { // end the pending requests at the last reply, for the picture
			ops[i].Return = lastReturn(ops)
		}
	}
	_, info := porcupine.CheckOperationsVerbose(kvModel(), ops, 0)
	return porcupine.Visualize(kvModel(), info, w)
}

func lastReturn(ops []porcupine.Operation) int64 {
	var last int64
	for _, op := range ops {
		if op.Return != pending {
			last = max(last, op.Return)
		}
	}
	return last + 1
}
