package experiments

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
)

// ScaleConfig configures RunScale: for each size in Sizes (processes in all, half of them
// masters with one replica each), a cluster restored from nodes.conf (cluster.BuildRestored)
// runs Warmup of virtual time, not measured, while its links come up and replicas
// synchronise; then Span of virtual time is measured, during which the first master is
// killed at KillAfter so that failure detection and an election run at that size. The
// node timeout is Redis's default, 15 s, unless NodeTimeout says otherwise.
type ScaleConfig struct {
	Seed        uint64        `json:"seed"`
	Sizes       []int         `json:"sizes"`
	Warmup      time.Duration `json:"warmup"`
	Span        time.Duration `json:"span"`
	KillAfter   time.Duration `json:"kill_after"`
	NodeTimeout time.Duration `json:"node_timeout"`
	Progress    io.Writer     `json:"-"`
	// Profile, when set, is called around the measured span of the largest size with
	// start true and then false, to take a CPU profile of just that span.
	Profile func(start bool) `json:"-"`
}

// DefaultScaleConfig is what `go run ./experiments/scale` runs: 6, 100 and 1000 nodes
// (1000 is Redis's stated maximum) at Redis's default node timeout of 15 s. The warm-up of
// 8 s covers the replicas' first full copy (after repl-diskless-sync-delay, 5 s); a master
// is killed 1 s into the 30 s span: PFAIL comes 15 to 22.5 s after the kill (a ping
// unanswered for 15 s, sent once the last pong is 7.5 s old), FAIL once a majority of
// masters reported it, then the election.
func DefaultScaleConfig() ScaleConfig {
	return ScaleConfig{Seed: 1, Sizes: []int{6, 100, 1000}, Warmup: 8 * time.Second, Span: 30 * time.Second, KillAfter: time.Second, NodeTimeout: 15 * time.Second}
}

// A ScaleRow is one size's measurement. Events, messages and the failover times depend
// only on the seed; wall times and memory are measurements of this machine.
type ScaleRow struct {
	Nodes          int            `json:"nodes"`
	Masters        int            `json:"masters"`
	WarmupWall     time.Duration  `json:"warmup_wall"`
	SpanWall       time.Duration  `json:"span_wall"`
	Events         uint64         `json:"events"` // in the span
	EventsPerSec   float64        `json:"events_per_wall_s"`
	VirtualPerWall float64        `json:"virtual_s_per_wall_s"`
	LiveHeap       uint64         `json:"live_heap_bytes"` // what the cluster holds: the heap in use after a collection at the end of the span
	Sys            uint64         `json:"sys_bytes"`       // obtained from the OS by the whole process so far
	Failover       FailoverTiming `json:"failover"`
	StateOK        int            `json:"state_ok"` // nodes reporting cluster_state:ok at the end
}

// ScaleResult is every size's row.
type ScaleResult struct {
	Config ScaleConfig `json:"config"`
	Rows   []ScaleRow  `json:"rows"`
}

// Validate refuses a configuration the run cannot honour, naming the value at fault.
func (cfg ScaleConfig) Validate() error {
	if len(cfg.Sizes) == 0 {
		return fmt.Errorf("scale: no sizes")
	}
	for _, n := range cfg.Sizes {
		if n < 6 || n%2 != 0 || n > 1000 {
			return fmt.Errorf("scale: size %d: want an even number of processes from 6 to 1000 (masters with one replica each)", n)
		}
	}
	switch {
	case cfg.Span <= 0 || cfg.Warmup < 0:
		return fmt.Errorf("scale: warm-up %v and span %v: want a positive span", cfg.Warmup, cfg.Span)
	case cfg.KillAfter < 0 || cfg.KillAfter >= cfg.Span:
		return fmt.Errorf("scale: kill after %v: want a moment within the span %v", cfg.KillAfter, cfg.Span)
	case cfg.NodeTimeout < 100*time.Millisecond:
		return fmt.Errorf("scale: node timeout %v: want at least 100ms, a clusterCron period", cfg.NodeTimeout)
	case cfg.NodeTimeout > MaxNodeTimeout:
		return fmt.Errorf("scale: node timeout %v: want at most %v", cfg.NodeTimeout, MaxNodeTimeout)
	}
	return nil
}

// RunScale measures the simulator on clusters of cfg.Sizes processes.
func RunScale(cfg ScaleConfig) (*ScaleResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	largest := slices.Max(cfg.Sizes)
	ccfg := cluster.DefaultConfig()
	ccfg.NodeTimeout = cfg.NodeTimeout
	res := &ScaleResult{Config: cfg}
	for _, n := range cfg.Sizes {
		row, err := runScale(cfg, ccfg, n, n == largest)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func runScale(cfg ScaleConfig, ccfg cluster.Config, n int, profile bool) (ScaleRow, error) {
	row := ScaleRow{Nodes: n, Masters: n / 2}
	progress := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "scale: %d nodes: "+format+"\n", append([]any{n}, args...)...)
		}
	}
	runtime.GC()
	start := time.Now()
	c, procs, err := cluster.BuildRestored(cluster.Options{Seed: cfg.Seed, Masters: n / 2, Replicas: 1, Config: ccfg, Link: cluster.Loopback()})
	if err != nil {
		return row, fmt.Errorf("scale: %d nodes: %w", n, err)
	}
	c.Sim.RunFor(cfg.Warmup)
	row.WarmupWall = time.Since(start)
	progress("warm-up of %v took %v", cfg.Warmup, row.WarmupWall.Round(time.Millisecond))

	if profile && cfg.Profile != nil {
		cfg.Profile(true)
	}
	steps := c.Sim.Steps()
	start = time.Now()
	c.Sim.RunFor(cfg.KillAfter)
	watch := WatchFailover(c, procs[0])
	c.Kill(procs[0])
	rest := cfg.Span - cfg.KillAfter
	for done := time.Duration(0); done < rest; {
		step := min(5*time.Second, rest-done)
		c.Sim.RunFor(step)
		done += step
		progress("%v of %v virtual, %v wall", cfg.KillAfter+done, cfg.Span, time.Since(start).Round(time.Millisecond))
	}
	row.SpanWall = time.Since(start)
	if profile && cfg.Profile != nil {
		cfg.Profile(false)
	}
	row.Events = c.Sim.Steps() - steps
	row.EventsPerSec = float64(row.Events) / row.SpanWall.Seconds()
	row.VirtualPerWall = cfg.Span.Seconds() / row.SpanWall.Seconds()
	// Collect first: the heap in use at an arbitrary moment includes garbage, and moved by a
	// quarter of a GiB from run to run at 1000 nodes.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	row.LiveHeap, row.Sys = ms.HeapAlloc, ms.Sys
	row.Failover = watch.Timing(cfg.Seed)
	for _, p := range procs[1:] {
		if p.Node().State() == "ok" {
			row.StateOK++
		}
	}
	return row, nil
}

// WriteScaleTable prints one line per size.
func WriteScaleTable(w io.Writer, res *ScaleResult) error {
	c := res.Config
	fmt.Fprintf(w, "Simulator speed: clusters restored from nodes.conf, %v warm-up, then %v of virtual time measured with a master killed after %v (node timeout %v, seed %d)\n\n",
		c.Warmup, c.Span, c.KillAfter, c.NodeTimeout, c.Seed)
	fmt.Fprintf(w, "%6s %8s %10s %10s %12s %12s %12s %9s %9s %8s %8s %9s %6s\n",
		"nodes", "masters", "warm-up", "span", "events", "events/s", "virt s/s", "live MiB", "sys MiB", "pfail", "fail", "promoted", "ok")
	ms := func(d time.Duration) string {
		if d == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	for _, r := range res.Rows {
		fmt.Fprintf(w, "%6d %8d %10s %10s %12d %12.0f %12.2f %9d %9d %8s %8s %9s %6d\n",
			r.Nodes, r.Masters, r.WarmupWall.Round(time.Millisecond), r.SpanWall.Round(time.Millisecond), r.Events, r.EventsPerSec, r.VirtualPerWall,
			r.LiveHeap>>20, r.Sys>>20, ms(r.Failover.PFail), ms(r.Failover.Fail), ms(r.Failover.Promoted), r.StateOK)
	}
	fmt.Fprintf(w, "\nwarm-up and span: wall time; virt s/s: virtual seconds simulated per wall second in the span;\n")
	fmt.Fprintf(w, "live MiB: heap in use after a garbage collection at the end; sys MiB: memory the process took from the system\n")
	fmt.Fprintf(w, "pfail, fail, promoted: virtual time from the kill; ok: surviving nodes with cluster_state:ok at the end\n")
	_, err := fmt.Fprintln(w)
	return err
}
