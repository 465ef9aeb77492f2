package experiments

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
)

// FailoverConfig configures RunFailover: Runs simulated crashes of the first master of a
// cluster of Masters masters with Replicas replicas each, seeds Seed, Seed+1, ...
type FailoverConfig struct {
	Seed        uint64        `json:"seed"`
	Runs        int           `json:"runs"`
	Masters     int           `json:"masters"`
	Replicas    int           `json:"replicas"`
	NodeTimeout time.Duration `json:"node_timeout"`
	Progress    io.Writer     `json:"-"`
}

// DefaultFailoverConfig is what `go run ./experiments/failover` runs with no flags: the
// seed tutorial's 3 masters + 3 replicas at the 1 s node timeout of the real recordings.
func DefaultFailoverConfig() FailoverConfig {
	return FailoverConfig{Seed: 1, Runs: 200, Masters: 3, Replicas: 1, NodeTimeout: time.Second}
}

// FailoverResult holds every simulated run and a summary of each phase next to the real
// Redis recordings made at the same node timeout, if any.
type FailoverResult struct {
	Config  FailoverConfig           `json:"config"`
	Runs    []cluster.FailoverTiming `json:"runs"`
	Summary []PhaseSummary           `json:"summary"`
}

// PhaseSummary compares one phase (pfail, fail, promoted) of the simulation with reality.
type PhaseSummary struct {
	Phase string   `json:"phase"`
	Sim   Quantile `json:"sim"`
	Real  Quantile `json:"real"` // N is 0 when nothing was recorded at this node timeout
}

// Quantile summarises a sample of milliseconds. Runs in which the phase never happened
// (no replica to promote) are counted in Missing, not in the quantiles.
type Quantile struct {
	N       int     `json:"n"`
	Missing int     `json:"missing,omitempty"`
	Min     float64 `json:"min_ms"`
	P10     float64 `json:"p10_ms"`
	Median  float64 `json:"median_ms"`
	P90     float64 `json:"p90_ms"`
	Max     float64 `json:"max_ms"`
}

// RunFailover simulates cfg.Runs failovers with cluster.MeasureFailover: each builds the
// cluster with the emulated redis-cli, waits, kills the first master and watches.
func RunFailover(cfg FailoverConfig) (*FailoverResult, error) {
	switch {
	case cfg.Runs < 1:
		return nil, fmt.Errorf("failover: runs %d: want at least 1", cfg.Runs)
	case cfg.Masters < 3:
		return nil, fmt.Errorf("failover: masters %d: redis-cli creates clusters of at least 3", cfg.Masters)
	case cfg.Replicas < 0:
		return nil, fmt.Errorf("failover: replicas %d: want 0 or more", cfg.Replicas)
	case cfg.NodeTimeout < 100*time.Millisecond:
		return nil, fmt.Errorf("failover: node timeout %v: want at least 100ms, a clusterCron period", cfg.NodeTimeout)
	}
	ccfg := cluster.DefaultConfig()
	ccfg.NodeTimeout = cfg.NodeTimeout
	ccfg.AppendOnly = true
	res := &FailoverResult{Config: cfg}
	for i := range cfg.Runs {
		seed := cfg.Seed + uint64(i)
		tm, err := cluster.MeasureFailover(cluster.Options{Seed: seed, Masters: cfg.Masters, Replicas: cfg.Replicas, Config: ccfg, Link: cluster.Loopback})
		if err != nil {
			return nil, fmt.Errorf("failover: seed %d: %w", seed, err)
		}
		res.Runs = append(res.Runs, tm)
		if cfg.Progress != nil && ((i+1)%50 == 0 || i+1 == cfg.Runs) {
			fmt.Fprintf(cfg.Progress, "failover: %d/%d runs\n", i+1, cfg.Runs)
		}
	}
	real, err := cluster.RealFailovers()
	if err != nil {
		return nil, err
	}
	var recorded []cluster.RealFailover
	for _, r := range real {
		if r.NodeTimeout == cfg.NodeTimeout {
			recorded = append(recorded, r)
		}
	}
	phases := []struct {
		name string
		sim  func(cluster.FailoverTiming) time.Duration
		real func(cluster.RealFailover) time.Duration
	}{
		{"pfail", func(t cluster.FailoverTiming) time.Duration { return t.PFail }, func(r cluster.RealFailover) time.Duration { return r.PFail }},
		{"fail", func(t cluster.FailoverTiming) time.Duration { return t.Fail }, func(r cluster.RealFailover) time.Duration { return r.Fail }},
		{"promoted", func(t cluster.FailoverTiming) time.Duration { return t.Promoted }, func(r cluster.RealFailover) time.Duration { return r.Promoted }},
	}
	for _, ph := range phases {
		var s, r []time.Duration
		for _, run := range res.Runs {
			s = append(s, ph.sim(run))
		}
		for _, rec := range recorded {
			r = append(r, ph.real(rec))
		}
		res.Summary = append(res.Summary, PhaseSummary{Phase: ph.name, Sim: quantiles(s), Real: quantiles(r)})
	}
	return res, nil
}

// quantiles summarises the non-zero durations of xs in milliseconds (nearest rank).
func quantiles(xs []time.Duration) Quantile {
	var ms []float64
	missing := 0
	for _, d := range xs {
		if d == 0 {
			missing++
			continue
		}
		ms = append(ms, float64(d.Milliseconds()))
	}
	q := Quantile{N: len(ms), Missing: missing}
	if len(ms) == 0 {
		return q
	}
	slices.Sort(ms)
	at := func(p float64) float64 { return ms[min(len(ms)-1, int(p*float64(len(ms))))] }
	q.Min, q.P10, q.P90, q.Max = ms[0], at(0.1), at(0.9), ms[len(ms)-1]
	if n := len(ms); n%2 == 1 {
		q.Median = ms[n/2]
	} else {
		q.Median = (ms[n/2-1] + ms[n/2]) / 2
	}
	return q
}

// WriteFailoverCSV writes one row per run: seed,pfail_ms,fail_ms,promoted_ms (the
// contract of DESIGN.md), then the promoted replica's address; a phase that never
// happened is an empty field.
func WriteFailoverCSV(w io.Writer, res *FailoverResult) error {
	if res == nil {
		return errors.New("failover: no result")
	}
	ms := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return fmt.Sprint(d.Milliseconds())
	}
	if _, err := fmt.Fprintln(w, "seed,pfail_ms,fail_ms,promoted_ms,promoted_replica"); err != nil {
		return err
	}
	for _, r := range res.Runs {
		if _, err := fmt.Fprintf(w, "%d,%s,%s,%s,%s\n", r.Seed, ms(r.PFail), ms(r.Fail), ms(r.Promoted), r.Replica); err != nil {
			return err
		}
	}
	return nil
}

// WriteFailoverTable prints the phase summaries as a table, simulation next to reality.
func WriteFailoverTable(w io.Writer, res *FailoverResult) error {
	c := res.Config
	fmt.Fprintf(w, "Failover of a master at node timeout %v: %d masters × %d replicas, %d simulated runs (seeds %d..%d)\n\n",
		c.NodeTimeout, c.Masters, c.Replicas, len(res.Runs), c.Seed, c.Seed+uint64(len(res.Runs))-1)
	fmt.Fprintf(w, "%-9s %-5s %5s %7s %7s %7s %7s %7s\n", "phase", "", "n", "min", "p10", "median", "p90", "max")
	row := func(phase, who string, q Quantile) {
		if q.N == 0 {
			fmt.Fprintf(w, "%-9s %-5s %5d %7s %7s %7s %7s %7s\n", phase, who, 0, "-", "-", "-", "-", "-")
			return
		}
		fmt.Fprintf(w, "%-9s %-5s %5d %7.0f %7.0f %7.0f %7.0f %7.0f\n", phase, who, q.N, q.Min, q.P10, q.Median, q.P90, q.Max)
	}
	for _, s := range res.Summary {
		row(s.Phase, "sim", s.Sim)
		row("", "real", s.Real)
	}
	fmt.Fprintf(w, "\nmilliseconds from SIGKILL; real: Redis 7.0.15 on loopback (sim/cluster/recordings)\n")
	_, err := fmt.Fprintln(w)
	return err
}
