package experiments

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
	"github.com/kvplace/kvplace/slot"
)

// ClusterLoad is the skew measured on the simulated cluster: the tutorial's 3 masters with
// one replica each, made by the emulated redis-cli, serving GETs from cluster-aware
// clients whose keys follow the request weights of SkewConfig.Keys (Zipf). Each master's
// measured share of the requests is set against the share the partition analysis
// predicts from the same weights and the slots redis-cli gave it.
type ClusterLoad struct {
	Requests   int            `json:"requests"`
	Masters    []string       `json:"masters"`
	Slots      []string       `json:"slots"`          // each master's slot ranges
	Expected   []float64      `json:"expected_share"` // from the key weights and the slot map
	Measured   []float64      `json:"measured_share"` // answered by each master in the simulation
	Failed     int            `json:"failed"`
	Redirected int            `json:"redirected"`
	HotKey     string         `json:"hot_key"` // the most requested key
	HotShare   float64        `json:"hot_key_share"`
	HotMaster  string         `json:"hot_key_master"`
	Timing     ClusterLoadRun `json:"run"`
}

// ClusterLoadRun says how the simulated load ran.
type ClusterLoadRun struct {
	Clients int           `json:"clients"`
	Rate    float64       `json:"rate"` // requests per second, all clients
	Span    time.Duration `json:"span"` // virtual time the load ran
}

// clusterLoad runs cfg.ClusterRequests GETs on the simulated cluster.
func (res *SkewResult) clusterLoad(cfg SkewConfig) error {
	if cfg.ClusterRequests <= 0 {
		return nil
	}
	keys := cfg.Keys
	if keys.File != "" {
		return nil // weights of keys read from a file are all 1; nothing skewed to draw from
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "simulated cluster: %d requests over %d keys\n", cfg.ClusterRequests, keys.Count)
	}
	// Each slot's request weight, in one streamed pass over the keys: what the analysis
	// predicts for any slot map.
	var slotWeight [slot.Count]float64
	err := eachBatch(keys, cfg.Workers, nil, "",
		func() *[slot.Count]float64 { return new([slot.Count]float64) },
		func(w *[slot.Count]float64) func(string, float64, int64) {
			return func(key string, weight float64, _ int64) { w[slot.Of(key)] += weight }
		},
		func(w *[slot.Count]float64) {
			for s, x := range w {
				slotWeight[s] += x
			}
		})
	if err != nil {
		return err
	}
	total := 0.0
	for _, x := range slotWeight {
		total += x
	}

	ccfg := cluster.DefaultConfig()
	opt := cluster.Options{Seed: keys.Seed, Masters: 3, Replicas: 1, Config: ccfg, Link: cluster.Loopback()}
	var c *cluster.Cluster
	var procs []*cluster.Process
	if nodes := cfg.Start.Nodes; nodes != nil {
		c, procs, err = cluster.BuildFromNodes(opt, nodes) // a copy of the user's cluster
	} else {
		c, procs, err = rediscli.Build(opt)
	}
	if err != nil {
		return fmt.Errorf("simulated cluster: %w", err)
	}
	c.Sim.RunFor(10 * time.Second) // links up, replicas synchronised
	var seeds, masters []string
	for _, p := range procs {
		seeds = append(seeds, p.Addr())
		if p.Node().IsMaster() {
			masters = append(masters, p.Addr())
		}
	}
	slices.Sort(masters)
	index := map[string]int{}
	for i, m := range masters {
		index[m] = i
	}
	// What the analysis predicts: each master's share of the weight, by the slot map.
	view := procs[0].Node()
	sets := make([]slot.Set, len(masters))
	for s := range slot.Count {
		if j, ok := index[view.Owner(s)]; ok {
			sets[j].Add(s)
		}
	}
	var ranges []string
	for _, set := range sets {
		ranges = append(ranges, set.String())
	}
	expected := make([]float64, len(masters))
	for j, set := range sets {
		for s := range set.All() {
			expected[j] += slotWeight[s] / total
		}
	}

	run := ClusterLoadRun{Clients: 4, Rate: 5000}
	run.Span = time.Duration(float64(cfg.ClusterRequests) / run.Rate * float64(time.Second))
	load := &ClusterLoad{Requests: cfg.ClusterRequests, Masters: masters, Slots: ranges, Expected: expected, Measured: make([]float64, len(masters)), Timing: run}
	rnd := c.Sim.Stream("hot-key load")
	ranks := newZipf(keys.Count, keys.Zipf)
	answered := make([]int, len(masters))
	hits := map[int64]int{}
	sent := 0
	client.OpenLoop(c, seeds, client.Options{}, run.Clients, run.Rate, time.Second, func(cc *client.GoRedis) bool {
		if sent >= cfg.ClusterRequests {
			return false
		}
		sent++
		i := ranks.draw(&rnd) - 1 // key i has weight (i+1)^-Zipf
		hits[i]++
		cc.Do(func(r client.Result) {
			switch r.Outcome {
			case client.Failed:
				load.Failed++
				return
			case client.Redirected:
				load.Redirected++
			}
			if j, ok := index[r.Addr]; ok {
				answered[j]++
			}
		}, "GET", keys.Key(i))
		return true
	})
	c.Sim.RunFor(run.Span + 3*time.Second)
	n := 0
	for _, a := range answered {
		n += a
	}
	for j, a := range answered {
		load.Measured[j] = float64(a) / float64(max(n, 1))
	}
	hot := int64(0)
	for i, h := range hits {
		if h > hits[hot] || (h == hits[hot] && i < hot) {
			hot = i
		}
	}
	load.HotKey = keys.Key(hot)
	load.HotShare = float64(hits[hot]) / float64(max(sent, 1))
	load.HotMaster = view.Owner(slot.Of(load.HotKey))
	res.ClusterLoad = load
	return nil
}

// shareNoise is the standard deviation of a measured share p over n requests.
func shareNoise(p float64, n int) float64 { return math.Sqrt(p * (1 - p) / float64(n)) }
