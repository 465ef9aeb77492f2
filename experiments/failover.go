package experiments

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
)

// FailoverConfig configures RunFailover: Runs simulated faults of the first master of a
// cluster of Masters masters with Replicas replicas each, seeds Seed, Seed+1, ... Fault is
// "kill" (SIGKILL) or "isolate" (cut off from the other nodes, not from its clients). Load
// is the application traffic during each run; a Rate of 0 means none.
type FailoverConfig struct {
	Seed        uint64        `json:"seed"`
	Runs        int           `json:"runs"`
	Masters     int           `json:"masters"`
	Replicas    int           `json:"replicas"`
	NodeTimeout time.Duration `json:"node_timeout"`
	Fault       string        `json:"fault"`
	Load        Load          `json:"load"`
	Progress    io.Writer     `json:"-"`
	// Trace, when set, receives the first run's (seed Seed's) Chrome/Perfetto trace: every
	// message, timer and fault of that run, from the cluster's creation to the read-back.
	Trace io.Writer `json:"-"`
	// Shard, when not whole, runs only its share of the Runs (see Shard); the result then
	// holds those runs, and MergeFailover puts the shards' results back together.
	Shard Shard `json:"-"`
	// Live runs each failover on real redis-server processes on loopback (see
	// MeasureLiveFailover), under load from go-redis clients with Load.Client's options,
	// instead of simulating it; Seed then only labels the runs and seeds their load's draws.
	Live bool `json:"live,omitempty"`
	// HostBusy, when not 0, simulates a busy host: the share of its CPU time (2 cores)
	// in use by everything on it, the servers included (cluster.HostLoad). Users' hosts
	// are busy, and at 60 masters on 2 cores the servers alone keep them 61–72 % busy.
	HostBusy float64 `json:"host_busy,omitempty"`
	// HostWork, when set, simulates the host by the servers' own work instead
	// (cluster.HostLoad.Work): they share 2 cores, every packet and cron run costs one of
	// them time, and the host is as busy as the cluster makes it. HostBusy must be 0, and
	// so must Load.Rate: client commands are not costed yet.
	HostWork bool `json:"host_work,omitempty"`
	// Workers is how many simulated runs go at a time (0: GOMAXPROCS). The results do
	// not depend on it: every run has its own seed and cluster, and they are reported in
	// run order. Live runs go one at a time.
	Workers int `json:"-"`
}

// host is the simulated host of cfg's runs.
func (cfg FailoverConfig) host() cluster.HostLoad {
	return cluster.HostLoad{Busy: cfg.HostBusy, Work: cfg.HostWork}
}

// AtATime is how many runs RunFailover runs at a time: simulated runs share nothing and go
// on every core (Workers, or GOMAXPROCS); live runs share the machine's ports and CPU
// with the servers they measure, and go one at a time.
func (cfg FailoverConfig) AtATime() int {
	if cfg.Live {
		return 1
	}
	return cmp.Or(cfg.Workers, runtime.GOMAXPROCS(0))
}

// DefaultFailoverConfig is what `go run ./experiments/failover` runs with no flags: the
// seed tutorial's 3 masters + 3 replicas at the 1 s node timeout of the real recordings,
// a SIGKILL, under DefaultLoad.
func DefaultFailoverConfig() FailoverConfig {
	return FailoverConfig{Seed: 1, Runs: 200, Masters: 3, Replicas: 1, NodeTimeout: time.Second, Fault: "kill", Load: DefaultLoad()}
}

// MaxNodes is the largest cluster the experiments build: Redis Cluster's documented
// maximum of 1000 nodes.
const MaxNodes = 1000

// MaxNodeTimeout bounds cluster-node-timeout in the experiments: a failover then takes
// hours of virtual time per run, which no question needs.
const MaxNodeTimeout = time.Hour

// Validate refuses a configuration the run cannot honour, naming the value at fault, so
// that a command can say so before it starts.
func (cfg FailoverConfig) Validate() error {
	switch {
	case cfg.Runs < 1:
		return fmt.Errorf("failover: runs %d: want at least 1", cfg.Runs)
	case cfg.Masters < 3:
		return fmt.Errorf("failover: masters %d: redis-cli creates clusters of at least 3", cfg.Masters)
	case cfg.Replicas < 0:
		return fmt.Errorf("failover: replicas %d: want 0 or more", cfg.Replicas)
	case cfg.Masters > MaxNodes/(cfg.Replicas+1):
		return fmt.Errorf("failover: %d masters with %d replicas each: Redis Cluster goes to %d nodes at most", cfg.Masters, cfg.Replicas, MaxNodes)
	case cfg.NodeTimeout < 100*time.Millisecond:
		return fmt.Errorf("failover: node timeout %v: want at least 100ms, a clusterCron period", cfg.NodeTimeout)
	case cfg.NodeTimeout > MaxNodeTimeout:
		return fmt.Errorf("failover: node timeout %v: want at most %v", cfg.NodeTimeout, MaxNodeTimeout)
	}
	if err := cfg.host().Validate(); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	if cfg.Live && (cfg.HostBusy != 0 || cfg.HostWork) {
		return errors.New("failover: host busy and host work apply to simulated runs: a live run's host is as busy as it is")
	}
	if cfg.HostWork && cfg.Load.Rate != 0 {
		return errors.New("failover: host work costs the cluster bus and crons, not client commands, so it runs without client load (-rate 0)")
	}
	fault, err := ParseFault(cfg.Fault)
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	if (fault == KillTwo || fault == KillPair) && (cfg.Load.Rate != 0 || cfg.Live) {
		return fmt.Errorf("failover: fault %s: simulated without client load only (-rate 0): the load's accounting follows one failed master", fault)
	}
	if cfg.Live && cfg.Trace != nil {
		return errLiveTrace
	}
	if cfg.Load.Rate == 0 && cfg.Load.Observe != 0 && !cfg.Live {
		return fmt.Errorf("failover: observe %v: the observation counts requests, and without load (-rate 0) a simulated run watches until the cluster has recovered, as the live recorder does", cfg.Load.Observe)
	}
	if cfg.Load.Rate != 0 {
		if err := cfg.Load.check(); err != nil {
			return fmt.Errorf("failover: %w", err)
		}
	}
	return nil
}

// FailoverResult holds every simulated run and a summary of each phase next to the real
// Redis recordings made at the same node timeout, if any. Under load, LoadSummary adds
// up what the application saw and Timeline holds every request of the first run (seed
// Config.Seed), for the timeline figure.
type FailoverResult struct {
	Config      FailoverConfig   `json:"config"`
	Runs        []FailoverTiming `json:"runs"`
	Summary     []PhaseSummary   `json:"summary"`
	LoadSummary *LoadSummary     `json:"load_summary,omitempty"`
	Real        []RealFailover   `json:"-"` // the recordings of this fault at this node timeout and cluster size
	Timeline    []AppRequest     `json:"-"`
	// FirstAnomaly is porcupine's verdict on the first run whose history is not
	// linearizable (seed FirstAnomalySeed), with that history, for WriteHTML; nil when every
	// run is.
	FirstAnomaly     *Verdict `json:"-"`
	FirstAnomalySeed uint64   `json:"-"`
}

// LoadSummary adds up the application's view over all runs: requests after the fault,
// how many failed or were redirected, acknowledged writes and how many were lost (in how
// many runs, and at most in one), and the spread of the unserved window.
type LoadSummary struct {
	Requests   int      `json:"requests"`
	Failed     int      `json:"failed"`
	Redirected int      `json:"redirected"`
	Acked      int      `json:"acked_writes"`
	Lost       int      `json:"lost_writes"`
	LostRuns   int      `json:"runs_with_lost_writes"`
	LostMax    int      `json:"max_lost_writes_in_a_run"`
	Unserved   Quantile `json:"unserved"`
	// Porcupine's verdicts on the runs' histories: how many runs were linearizable, and
	// the keys of all runs that were not, by kind of anomaly.
	Linearizable int            `json:"linearizable_runs"`
	Anomalies    map[string]int `json:"anomalies,omitempty"`
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

// A FailoverPhase reads one phase's time from a simulated run and from a real recording.
type FailoverPhase struct {
	Name string // pfail, fail, promoted, ok
	Sim  func(FailoverTiming) time.Duration
	Real func(RealFailover) time.Duration
}

// failoverPhases are the phases every failover summary and figure reports, in order.
var failoverPhases = [...]FailoverPhase{
	{"pfail", func(t FailoverTiming) time.Duration { return t.PFail }, func(r RealFailover) time.Duration { return r.PFail }},
	{"fail", func(t FailoverTiming) time.Duration { return t.Fail }, func(r RealFailover) time.Duration { return r.Fail }},
	{"promoted", func(t FailoverTiming) time.Duration { return t.Promoted }, func(r RealFailover) time.Duration { return r.Promoted }},
	{"ok", func(t FailoverTiming) time.Duration { return t.OK }, func(r RealFailover) time.Duration { return r.OK }},
}

// FailoverPhases returns the phases every failover summary and figure reports, in order:
// pfail, fail, promoted, ok (the last surviving node's cluster_state back to ok).
func FailoverPhases() []FailoverPhase { return slices.Clone(failoverPhases[:]) }

// RunFailover simulates cfg.Runs failovers with MeasureFailover: each builds the
// cluster with the emulated redis-cli, waits, kills the first master and watches.
func RunFailover(cfg FailoverConfig) (*FailoverResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Shard.Validate(); err != nil {
		return nil, fmt.Errorf("failover: %w", err)
	}
	fault, err := ParseFault(cfg.Fault)
	if err != nil {
		return nil, fmt.Errorf("failover: %w", err)
	}
	var load *Load
	if cfg.Load.Rate != 0 {
		l := cfg.Load
		load = &l
	}
	ccfg := cluster.DefaultConfig()
	ccfg.NodeTimeout = cfg.NodeTimeout
	ccfg.AppendOnly = true
	res := &FailoverResult{Config: cfg}
	var mine []int // the run indexes of this shard
	for i := range cfg.Runs {
		if cfg.Shard.Has(i) {
			mine = append(mine, i)
		}
	}
	one := func(k int) (FailoverTiming, error) {
		i := mine[k]
		seed := cfg.Seed + uint64(i)
		var l *Load
		if load != nil {
			c := *load
			c.Keep = i == 0
			l = &c
		}
		var tm FailoverTiming
		var err error
		if cfg.Live {
			tm, err = measureLive(cfg, seed, fault, l)
		} else {
			trace := cfg.Trace != nil && i == 0
			tm, err = MeasureFailoverUnder(cluster.Options{Seed: seed, Masters: cfg.Masters, Replicas: cfg.Replicas, Config: ccfg, Link: cluster.Loopback(), Trace: trace, Host: cfg.host()}, fault, l)
		}
		if err != nil {
			return tm, fmt.Errorf("failover: seed %d: %w", seed, err)
		}
		if tm.Load != nil && tm.Load.Linearizability != nil && tm.Load.Linearizability.Linearizable {
			tm.Load.Linearizability.h = nil // only a history that is not linearizable is drawn
		}
		return tm, nil
	}
	finished := func(done int) {
		if cfg.Progress != nil && (done%50 == 0 || done == len(mine) || cfg.Live) {
			fmt.Fprintf(cfg.Progress, "failover: %d/%d runs\n", done, len(mine))
		}
	}
	runs, err := inParallel(len(mine), cfg.AtATime(), one, finished)
	if err != nil {
		return nil, err
	}
	for k, tm := range runs {
		i := mine[k]
		if cfg.Trace != nil && i == 0 {
			if err := tm.Trace.WriteChrome(cfg.Trace); err != nil {
				return nil, fmt.Errorf("failover: writing the trace: %w", err)
			}
			tm.Trace = nil // the records are written; let them go
		}
		if tm.Load != nil && i == 0 {
			res.Timeline, tm.Load.Log = tm.Load.Log, nil
		}
		if tm.Load != nil && tm.Load.Linearizability != nil {
			// Keep the history of the first run that is not linearizable, for its picture;
			// let the others go.
			if v := tm.Load.Linearizability; !v.Linearizable && res.FirstAnomaly == nil {
				res.FirstAnomaly, res.FirstAnomalySeed = v, cfg.Seed+uint64(i)
			} else {
				v.h = nil
			}
		}
		res.Runs = append(res.Runs, tm)
	}
	return res, res.summarise()
}

// summarise adds the summaries of res.Runs: each phase next to the real recordings at the
// same node timeout, cluster size and fault (all recordings have one replica per master),
// and under load what the application saw.
func (res *FailoverResult) summarise() error {
	cfg := res.Config
	real, err := RealFailovers()
	if err != nil {
		return err
	}
	var recorded []RealFailover
	for _, r := range real {
		if r.NodeTimeout == cfg.NodeTimeout && r.Masters == cfg.Masters && r.Fault == cfg.Fault && cfg.Replicas == 1 && r.onHost(cfg.HostBusy) {
			recorded = append(recorded, r)
		}
	}
	res.Real = recorded
	res.Summary = nil
	for _, ph := range failoverPhases {
		var s, r []time.Duration
		for _, run := range res.Runs {
			s = append(s, ph.Sim(run))
		}
		for _, rec := range recorded {
			r = append(r, ph.Real(rec))
		}
		res.Summary = append(res.Summary, PhaseSummary{Phase: ph.Name, Sim: quantiles(s), Real: quantiles(r)})
	}
	if cfg.Load.Rate != 0 {
		res.LoadSummary = summariseLoad(res.Runs)
	}
	return nil
}

func summariseLoad(runs []FailoverTiming) *LoadSummary {
	ls := &LoadSummary{}
	var unserved []float64
	for _, r := range runs {
		l := r.Load
		ls.Requests += l.Requests
		ls.Failed += l.Failed
		ls.Redirected += l.Redirected
		ls.Acked += l.Acked
		ls.Lost += l.Lost
		if l.Lost > 0 {
			ls.LostRuns++
		}
		ls.LostMax = max(ls.LostMax, l.Lost)
		unserved = append(unserved, float64(l.Unserved.Milliseconds()))
		if v := l.Linearizability; v != nil {
			if v.Linearizable {
				ls.Linearizable++
			}
			for kind, n := range v.Anomalies {
				if ls.Anomalies == nil {
					ls.Anomalies = map[string]int{}
				}
				ls.Anomalies[kind] += n
			}
		}
	}
	ls.Unserved = summarise(unserved)
	return ls
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
	q := summarise(ms)
	q.Missing = missing
	return q
}

// summarise gives the nearest-rank quantiles of xs, zeros included.
func summarise(xs []float64) Quantile {
	ms := slices.Clone(xs)
	q := Quantile{N: len(ms)}
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
// contract of DESIGN.md), then the promoted replica's address, and under load
// unserved_ms,requests,failed,redirected,acked_writes,lost_writes (LoadOutcome); a phase
// that never happened is an empty field, and so is the unserved window of a run whose
// slots never came back within the observation.
func WriteFailoverCSV(w io.Writer, res *FailoverResult) error {
	if res == nil {
		return errors.New("failover: no result")
	}
	header, rows := failoverCSV(res)
	return writeCSV(w, header, rows)
}

// failoverCSV returns WriteFailoverCSV's header and rows.
func failoverCSV(res *FailoverResult) (header []string, rows [][]string) {
	header = []string{"seed", "pfail_ms", "fail_ms", "promoted_ms", "promoted_replica"}
	if res.LoadSummary != nil {
		header = append(header, "unserved_ms", "requests", "failed", "redirected", "acked_writes", "lost_writes")
	}
	itoa := strconv.Itoa
	for _, r := range res.Runs {
		row := []string{strconv.FormatUint(r.Seed, 10), msSeen(r.PFail), msSeen(r.Fail), msSeen(r.Promoted), r.Replica}
		if l := r.Load; l != nil {
			unserved := ms(l.Unserved)
			if !l.Recovered {
				unserved = ""
			}
			row = append(row, unserved, itoa(l.Requests), itoa(l.Failed), itoa(l.Redirected), itoa(l.Acked), itoa(l.Lost))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// WriteFailoverTable prints the phase summaries as a table, simulation next to reality,
// and under load what the application saw.
func WriteFailoverTable(w io.Writer, res *FailoverResult) error {
	c := res.Config
	what := map[string]string{
		"kill":      "Failover of a master",
		"isolate":   "Failover of a master isolated from the cluster (not from its clients)",
		"kill2":     "Two masters killed at once, times of the first",
		"kill-pair": "A master killed with its replica (nothing to promote)",
	}[c.Fault]
	fmt.Fprintf(w, "%s at node timeout %v: %d masters × %d replicas, %d simulated runs (seeds %d..%d)\n\n",
		what, c.NodeTimeout, c.Masters, c.Replicas, len(res.Runs), c.Seed, c.Seed+uint64(len(res.Runs))-1)
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
	if ls := res.LoadSummary; ls != nil {
		row("unserved", "sim", ls.Unserved)
	}
	fmt.Fprintf(w, "\nmilliseconds from the fault; real: Redis 7.0.15 on loopback, SIGKILL (experiments/recordings)\n")
	if ls := res.LoadSummary; ls != nil {
		l := c.Load
		fmt.Fprintf(w, "\nUnder load: %g requests/s from %d clients, %.0f%% writes (each to a fresh key), reads over %d keys\n", l.Rate, l.Clients, 100*l.Writes, l.Keys)
		pct := func(n, of int) float64 {
			if of == 0 {
				return 0
			}
			return 100 * float64(n) / float64(of)
		}
		fmt.Fprintf(w, "  requests after the fault  %9d\n", ls.Requests)
		fmt.Fprintf(w, "  failed                    %9d  (%.1f%%)\n", ls.Failed, pct(ls.Failed, ls.Requests))
		fmt.Fprintf(w, "  redirected                %9d  (%.1f%%)\n", ls.Redirected, pct(ls.Redirected, ls.Requests))
		fmt.Fprintf(w, "  acknowledged writes       %9d\n", ls.Acked)
		fmt.Fprintf(w, "  lost acknowledged writes  %9d  (%.2f%%; in %d of %d runs, at most %d in one)\n", ls.Lost, pct(ls.Lost, ls.Acked), ls.LostRuns, len(res.Runs), ls.LostMax)
		fmt.Fprintf(w, "  linearizable histories    %9d  of %d runs (porcupine, per key: every SET and the read-back)\n", ls.Linearizable, len(res.Runs))
		for _, kind := range slices.Sorted(maps.Keys(ls.Anomalies)) {
			fmt.Fprintf(w, "    keys with %-26s %d\n", kind+":", ls.Anomalies[kind])
		}
		fmt.Fprintf(w, "unserved: from the first failed request on the master's slots to the first success after the last failure\n")
	}
	_, err := fmt.Fprintln(w)
	return err
}
