package experiments

import (
	"fmt"
	"io"
	"strconv"
)

// A FailoverSweep is RunFailover at several cluster sizes, the same seeds at each: how
// failure detection and promotion change as a cluster grows (issue 18's figure).
type FailoverSweep struct {
	Config  FailoverConfig    `json:"config"` // Masters is each result's own
	Masters []int             `json:"masters"`
	Results []*FailoverResult `json:"results"` // one per size, in Masters' order
}

// RunFailoverSweep runs cfg at each size in masters, in order. Every size is validated
// before the first runs, so that a bad size at the end does not waste the others.
func RunFailoverSweep(cfg FailoverConfig, masters []int) (*FailoverSweep, error) {
	if len(masters) == 0 {
		return nil, fmt.Errorf("failover: a sweep needs at least one cluster size")
	}
	if cfg.Live || cfg.Trace != nil || !cfg.Shard.Whole() {
		return nil, fmt.Errorf("failover: a sweep is simulated, whole, and without a trace")
	}
	for _, m := range masters {
		c := cfg
		c.Masters = m
		if err := c.Validate(); err != nil {
			return nil, err
		}
	}
	sw := &FailoverSweep{Config: cfg, Masters: masters}
	for _, m := range masters {
		c := cfg
		c.Masters = m
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "failover: %d masters\n", m)
		}
		res, err := RunFailover(c)
		if err != nil {
			return nil, fmt.Errorf("%d masters: %w", m, err)
		}
		sw.Results = append(sw.Results, res)
	}
	return sw, nil
}

// WriteFailoverSweepTable prints, for each size and phase, the simulated p10, median and
// p90 and the real recordings' count, median and range at that size and node timeout.
func WriteFailoverSweepTable(w io.Writer, sw *FailoverSweep) error {
	c := sw.Config
	fmt.Fprintf(w, "Failover against cluster size: %s at node timeout %v, %d replica(s) per master, %d simulated runs a size (seeds %d..%d)\n\n",
		c.Fault, c.NodeTimeout, c.Replicas, c.Runs, c.Seed, c.Seed+uint64(c.Runs)-1)
	fmt.Fprintf(w, "%7s %-9s %7s %7s %7s | %4s %7s %7s %7s\n", "masters", "phase", "p10", "median", "p90", "real", "median", "min", "max")
	for i, res := range sw.Results {
		for j, s := range res.Summary {
			m := ""
			if j == 0 {
				m = fmt.Sprint(sw.Masters[i])
			}
			sim := fmt.Sprintf("%7s %7s %7s", "-", "-", "-")
			if s.Sim.N > 0 {
				sim = fmt.Sprintf("%7.0f %7.0f %7.0f", s.Sim.P10, s.Sim.Median, s.Sim.P90)
			}
			real := fmt.Sprintf("%4d %7s %7s %7s", 0, "-", "-", "-")
			if s.Real.N > 0 {
				real = fmt.Sprintf("%4d %7.0f %7.0f %7.0f", s.Real.N, s.Real.Median, s.Real.Min, s.Real.Max)
			}
			fmt.Fprintf(w, "%7s %-9s %s | %s\n", m, s.Phase, sim, real)
		}
	}
	fmt.Fprintf(w, "\nmilliseconds from the fault; ok: the last surviving node's cluster_state back to ok;\n")
	_, err := fmt.Fprintf(w, "real: Redis 7.0.15 on loopback, SIGKILL, where recorded at that size and node timeout (experiments/recordings)\n")
	return err
}

// WriteFailoverSweepCSV prints WriteFailoverCSV's rows for every size, each with the
// size first: masters,seed,pfail_ms,...
func WriteFailoverSweepCSV(w io.Writer, sw *FailoverSweep) error {
	var header []string
	var rows [][]string
	for i, res := range sw.Results {
		h, rs := failoverCSV(res)
		header = append([]string{"masters"}, h...)
		for _, r := range rs {
			rows = append(rows, append([]string{strconv.Itoa(sw.Masters[i])}, r...))
		}
	}
	return writeCSV(w, header, rows)
}
