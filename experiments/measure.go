package experiments

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// A pair asks how keys fare going from stage a to stage b.
type pair struct {
	a, b  int
	crash bool // b follows a crash: keys whose every copy was on a departed node are lost
}

// A measure evaluates several layouts ("stages") on every key in one pass.
type measure struct {
	stages []layout
	pairs  []pair
	remap  [][]int // remap[p][i]: index in stage b's holders of stage a's holder i, or -1
	// same[s] names an earlier stage whose answers stage s reuses instead of recomputing:
	// one that places every key as it does (a ring back at the members it started with),
	// or, with ownerOnly, the same placement keeping replicas where s keeps none. Stages
	// not listed are placed on their own.
	same []reuse
	// replicaRead[s] says whether a pair reads stage s's replicas: only a pair's first
	// stage's are, so the others are placed without working out where replicas go.
	replicaRead []bool
}

// reuse says where a stage's answers come from; from is -1 when it places keys itself.
type reuse struct {
	from      int
	ownerOnly bool
}

// own is the reuse of a stage that places keys itself.
var own = reuse{from: -1}

// tally is what a pass counts. Keys and request weight per member of each stage; for each
// pair, keys whose owner changed, whose new owner had no copy, that were lost, and that
// nobody serves afterwards.
type tally struct {
	keys     [][]int64
	bytes    [][]int64 // the keys' sizes summed, per member of each stage
	load     [][]float64
	unserved []int64
	moved    []int64
	copied   []int64
	lost     []int64
	orphaned []int64 // unserved in b
	movedB   []int64 // bytes of the moved keys, per pair
	total    int64
	totalB   int64 // bytes of all keys
	weight   float64
}

func (m *measure) newTally() *tally {
	t := &tally{
		unserved: make([]int64, len(m.stages)),
		moved:    make([]int64, len(m.pairs)),
		copied:   make([]int64, len(m.pairs)),
		lost:     make([]int64, len(m.pairs)),
		orphaned: make([]int64, len(m.pairs)),
		movedB:   make([]int64, len(m.pairs)),
	}
	for _, s := range m.stages {
		t.keys = append(t.keys, make([]int64, len(s.members())))
		t.bytes = append(t.bytes, make([]int64, len(s.members())))
		t.load = append(t.load, make([]float64, len(s.members())))
	}
	return t
}

// add merges o into t. Merging batch tallies in batch order keeps float sums identical
// from run to run, whatever the scheduling.
func (t *tally) add(o *tally) {
	for s := range t.keys {
		for i := range t.keys[s] {
			t.keys[s][i] += o.keys[s][i]
			t.bytes[s][i] += o.bytes[s][i]
			t.load[s][i] += o.load[s][i]
		}
		t.unserved[s] += o.unserved[s]
	}
	for p := range t.moved {
		t.moved[p] += o.moved[p]
		t.copied[p] += o.copied[p]
		t.lost[p] += o.lost[p]
		t.orphaned[p] += o.orphaned[p]
		t.movedB[p] += o.movedB[p]
	}
	t.total += o.total
	t.totalB += o.totalB
	t.weight += o.weight
}

func (m *measure) prepare() {
	for len(m.same) < len(m.stages) {
		m.same = append(m.same, own)
	}
	m.replicaRead = make([]bool, len(m.stages))
	for _, p := range m.pairs {
		m.replicaRead[p.a] = true
	}
	for s := len(m.stages) - 1; s >= 0; s-- { // a stage reusing another's replicas needs them worked out
		if u := m.same[s]; u.from >= 0 && !u.ownerOnly && m.replicaRead[s] {
			m.replicaRead[u.from] = true
		}
	}
	m.remap = nil
	for _, p := range m.pairs {
		index := map[string]int{}
		for i, h := range m.stages[p.b].holders() {
			index[h] = i
		}
		from := m.stages[p.a].holders()
		r := make([]int, len(from))
		for i, h := range from {
			j, ok := index[h]
			if !ok {
				j = -1
			}
			r[i] = j
		}
		m.remap = append(m.remap, r)
	}
}

func (m *measure) visit(t *tally, owner, replica []int, k *placedKey, w float64, size int64) {
	for s, l := range m.stages {
		var o, r int
		switch u := m.same[s]; {
		case u.from < 0 && m.replicaRead[s]:
			o, r = l.locate(k)
		case u.from < 0:
			o, r = l.owner(k), -1
		case u.ownerOnly:
			o, r = owner[u.from], -1
		default:
			o, r = owner[u.from], replica[u.from]
		}
		owner[s], replica[s] = o, r
		if o < 0 {
			t.unserved[s]++
			continue
		}
		t.keys[s][o]++
		t.bytes[s][o] += size
		t.load[s][o] += w
	}
	for p, pr := range m.pairs {
		oa, ra, ob := owner[pr.a], replica[pr.a], owner[pr.b]
		if oa < 0 {
			continue
		}
		remap := m.remap[p]
		if pr.crash && remap[oa] < 0 && (ra < 0 || remap[ra] < 0) {
			t.lost[p]++
		}
		if ob < 0 {
			t.orphaned[p]++
		}
		if ob == remap[oa] {
			continue
		}
		t.moved[p]++
		t.movedB[p] += size
		if ob >= 0 && (ra < 0 || ob != remap[ra]) {
			t.copied[p]++
		}
	}
	t.total++
	t.totalB += size
	t.weight += w
}

// run visits every key of spec on workers goroutines and returns the sums. progress, if
// not nil, receives "what" and a percentage line now and then.
func (m *measure) run(spec KeySpec, workers int, progress io.Writer, what string) (*tally, error) {
	m.prepare()
	sum := m.newTally()
	err := eachBatch(spec, workers, progress, what,
		func() *tally { return m.newTally() },
		func(t *tally) func(string, float64, int64) {
			owner := make([]int, len(m.stages))
			replica := make([]int, len(m.stages))
			k := new(placedKey)
			return func(key string, w float64, size int64) {
				k.reset(key)
				m.visit(t, owner, replica, k, w, size)
			}
		},
		sum.add)
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// eachBatch visits every key of spec on workers goroutines, batch by batch: each batch
// into a fresh value, through the visitor made for it, and merge then takes the values in
// batch order, as soon as every earlier one is in. Sums so come out the same, to the last
// bit of a float, however the batches were scheduled, and only the batches finished
// ahead of an earlier one wait in memory. progress, if not nil, receives "what" and a
// percentage line now and then.
func eachBatch[T any](spec KeySpec, workers int, progress io.Writer, what string,
	fresh func() T, visitor func(T) func(key string, weight float64, size int64), merge func(T)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sz, err := spec.sizer()
	if err != nil {
		return err
	}
	batches := make(chan batch, workers)
	started := time.Now()
	var (
		mu      sync.Mutex
		waiting = map[int]T{}
		next    int
		done    int64
		shown   = -1
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				v := fresh()
				spec.each(b, sz, visitor(v))
				mu.Lock()
				waiting[b.seq] = v
				for {
					w, ok := waiting[next]
					if !ok {
						break
					}
					delete(waiting, next)
					merge(w)
					next++
				}
				done += b.hi - b.lo
				if progress != nil && spec.File == "" {
					if pct := int(100 * done / spec.Count); pct/5 > shown/5 {
						shown = pct
						fmt.Fprintf(progress, "\r%s: %3d%% of %d keys", what, pct, spec.Count)
						if done == spec.Count {
							fmt.Fprintf(progress, " in %v\n", time.Since(started).Round(100*time.Millisecond))
						}
					}
				}
				mu.Unlock()
			}
		}()
	}
	err = spec.batches(batches)
	wg.Wait()
	return err
}

// Skew summarises how evenly a stage spreads keys or load over its members.
type Skew struct {
	MaxMean float64 `json:"max_over_mean"` // the hottest member over the mean: Maglev's over-provisioning factor
	MinMean float64 `json:"min_over_mean"`
	CV      float64 `json:"sigma_over_mean"` // σ/mean, the Jump paper's "standard error"
}

func skewOf(xs []float64) Skew {
	if len(xs) == 0 {
		return Skew{}
	}
	mean, sq := 0.0, 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if mean == 0 {
		return Skew{}
	}
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return Skew{
		MaxMean: slices.Max(xs) / mean,
		MinMean: slices.Min(xs) / mean,
		CV:      math.Sqrt(sq/float64(len(xs))) / mean,
	}
}

func floats(xs []int64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
