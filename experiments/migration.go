package experiments

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
	"github.com/kvplace/kvplace/slot"
)

// MigrationConfig configures RunMigration: the seed tutorial's scale-out (3 masters with a
// replica each, a fourth master added, and 4096 slots moved to it from all) on a cluster
// that holds keys of a size distribution and a few big collections, under application
// load, for every scheme, node timeout and --cluster-pipeline asked for, Runs seeds each.
type MigrationConfig struct {
	Seed uint64 `json:"seed"` // the first run's; run i uses Seed+i
	Runs int    `json:"runs"` // per node timeout and pipeline
	// Keys are strings key:0 … of sizes drawn from Size (MEMORY USAGE bytes, as -size
	// gives them to skew), written before the reshard.
	Keys int      `json:"keys"`
	Size SizeSpec `json:"size"`
	// Big are the big collections, written as `load` writes them, one EVAL each, spread
	// over the three masters in slots the reshard moves.
	Big []BigValue `json:"big"`
	// Schemes are how the slots move: MigrationReshard, the seed's `--cluster reshard`
	// of 4096 slots from all, or MigrationRebalance, `--cluster rebalance
	// --cluster-use-empty-masters`, which evens the four out. On the seed's even cluster
	// both move the first slots of each master's range to the new one, the same MIGRATEs
	// in another order, and take the same time.
	Schemes      []string        `json:"schemes"`
	NodeTimeouts []time.Duration `json:"node_timeouts"`
	Pipelines    []int           `json:"pipelines"`       // --cluster-pipeline
	Timeout      time.Duration   `json:"cluster_timeout"` // --cluster-timeout, MIGRATE's
	Clients      int             `json:"clients"`
	Rate         float64         `json:"rate"`   // requests per second, all clients: GETs of the keys
	Client       client.Options  `json:"client"` // the go-redis options of those clients
	// Slowdown is the host's speed against the calibration's (cluster.Cluster.Slowdown).
	Slowdown float64   `json:"slowdown"`
	Workers  int       `json:"-"` // runs at a time; 0 means GOMAXPROCS
	Progress io.Writer `json:"-"`
}

// DefaultMigrationConfig is what `go run ./experiments/migration` runs with no flags: the
// skew experiment's heavy tail over 20 000 keys, hashes of 10^6 and 3·10^6 fields (about
// 64 MB and 200 MB: the big hashes of redis/redis#13122), node timeouts of 1, 2 and 15 s,
// pipelines of 1, 10 and 100 keys, 1000 GETs a second, five runs a cell.
func DefaultMigrationConfig() MigrationConfig {
	return MigrationConfig{
		Seed: 1, Runs: 5, Keys: 20000, Size: DefaultSizes,
		Big:          []BigValue{{"hash", 1_000_000}, {"hash", 3_000_000}},
		Schemes:      []string{MigrationReshard},
		NodeTimeouts: []time.Duration{time.Second, 2 * time.Second, 15 * time.Second},
		Pipelines:    []int{1, 10, 100},
		Timeout:      60 * time.Second, Clients: 4, Rate: 1000, Slowdown: 1,
	}
}

// The schemes a migration run moves slots by: the slot schemes of the movement experiment,
// the only ones whose moves Redis makes with MIGRATE.
const (
	MigrationReshard   = "slots"           // redis-cli --cluster reshard, 4096 slots from all
	MigrationRebalance = "slots:rebalance" // redis-cli --cluster rebalance --cluster-use-empty-masters
)

// maxBigElements bounds a big collection: a hash of 10^8 fields is about 7 GB in a real
// server.
const maxBigElements = 100_000_000

// A BigValue is a big collection a migration run stores: a hash, list, set or sorted set
// of Elements elements, as a runbook's `load TYPE KEY ELEMENTS` writes it.
type BigValue struct {
	Type     string `json:"type"`
	Elements int    `json:"elements"`
}

func (b BigValue) String() string { return b.Type + ":" + strconv.Itoa(b.Elements) }

// ParseBigValues reads big values as -big gives them: TYPE:ELEMENTS, comma-separated, or
// "none".
func ParseBigValues(s string) ([]BigValue, error) {
	if s == "" || s == "none" {
		return nil, nil
	}
	var out []BigValue
	for _, f := range strings.Split(s, ",") {
		typ, n, _ := strings.Cut(strings.TrimSpace(f), ":")
		elems, err := strconv.Atoi(n)
		if _, ok := cluster.LoadScripts[typ]; !ok || err != nil {
			return nil, fmt.Errorf("big value %q: want TYPE:ELEMENTS, TYPE hash, list, set or zset (e.g. hash:1000000)", f)
		}
		out = append(out, BigValue{typ, elems})
	}
	return out, nil
}

// Validate refuses a configuration the run cannot honour, naming the setting at fault.
func (c MigrationConfig) Validate() error {
	if err := c.Client.Check(); err != nil {
		return fmt.Errorf("migration: %w", err)
	}
	switch {
	case c.Runs < 1 || c.Runs > 1000:
		return fmt.Errorf("migration: -runs %d: want 1 to 1000", c.Runs)
	case c.Keys < 0 || c.Keys > MaxMovementKeys:
		return fmt.Errorf("migration: -keys %d: want 0 to %d (each is simulated)", c.Keys, MaxMovementKeys)
	case len(c.NodeTimeouts) == 0:
		return errors.New("migration: no node timeout")
	case len(c.Schemes) == 0:
		return errors.New("migration: no scheme")
	case len(c.Pipelines) == 0:
		return errors.New("migration: no pipeline")
	case c.Timeout < time.Millisecond:
		return fmt.Errorf("migration: -cluster-timeout %v: want 1ms or more", c.Timeout)
	case c.Clients < 1 || c.Clients > 10000 || !(c.Rate > 0 && c.Rate <= 1e6):
		return fmt.Errorf("migration: -clients %d and -rate %v: want 1 to 10000 clients and a rate above 0, at most 10^6", c.Clients, c.Rate)
	case !(c.Slowdown > 0 && c.Slowdown <= 100):
		return fmt.Errorf("migration: -slowdown %v: want more than 0, at most 100", c.Slowdown)
	}
	for _, t := range c.NodeTimeouts {
		if t < 100*time.Millisecond || t > time.Hour {
			return fmt.Errorf("migration: node timeout %v: want 100ms to 1h", t)
		}
	}
	for _, s := range c.Schemes {
		if s != MigrationReshard && s != MigrationRebalance {
			return fmt.Errorf("migration: scheme %q: want slots (reshard) or slots:rebalance; only Redis's slots move keys with MIGRATE", s)
		}
	}
	for _, p := range c.Pipelines {
		if p < 1 {
			return fmt.Errorf("migration: pipeline %d: want 1 or more", p)
		}
	}
	for _, b := range c.Big {
		if _, ok := cluster.LoadScripts[b.Type]; !ok {
			return fmt.Errorf("migration: big value %s: want a hash, list, set or zset", b)
		}
		if b.Elements < 1 || b.Elements > maxBigElements {
			return fmt.Errorf("migration: big %s of %d elements: want 1 to %d", b.Type, b.Elements, maxBigElements)
		}
	}
	if c.Size.Dist == SizeFile {
		return errors.New("migration: -size file: is for skew's streamed keys; give migration a distribution (fixed, lognormal, pareto)")
	}
	return c.Size.Validate()
}

// A MigrationRun is one reshard: what it took, what it did to each master and what the
// application saw while it ran.
type MigrationRun struct {
	Scheme      string        `json:"scheme"`
	NodeTimeout time.Duration `json:"node_timeout"`
	Pipeline    int           `json:"pipeline"`
	Seed        uint64        `json:"seed"`
	// Reshard is how long redis-cli's reshard ran; Error is its first error line ("" when
	// it finished). A reshard that meets a failed-over master stops at that slot.
	Reshard time.Duration `json:"reshard"`
	Error   string        `json:"error,omitempty"`
	// Stalls is each master's longest stall during the reshard and the minute after it
	// (cluster.Stall: its event loop held, answering nobody), in the order of Masters.
	Masters []string        `json:"masters"`
	Stalls  []time.Duration `json:"stalls"`
	// FailedOver names the masters whose replica was promoted; PFail counts the nodes that
	// flagged any master PFAIL.
	FailedOver []string `json:"failed_over,omitempty"`
	PFail      int      `json:"pfail_flags"`
	// OpenSlots counts the slots left migrating or importing, over the nodes, once the
	// cluster had a minute; NodesDown names the nodes whose cluster_state was fail then.
	OpenSlots int      `json:"open_slots"`
	NodesDown []string `json:"nodes_down,omitempty"`
	// MovedKeys and MovedBytes are what MIGRATE carried; KeysBefore and KeysAfter the keys
	// the masters held before the reshard and once it settled (after a failover mid-MIGRATE
	// a key can be on both sides, so After may exceed Before).
	MovedKeys  int64 `json:"moved_keys"`
	MovedBytes int64 `json:"moved_bytes"`
	KeysBefore int64 `json:"keys_before"`
	KeysAfter  int64 `json:"keys_after"`
	// The application's GETs from the reshard's start to a minute after its end: failed
	// (timed out, CLUSTERDOWN, TRYAGAIN, refused), answered after a redirect, and the
	// slowest answered.
	Requests   int           `json:"requests"`
	Failed     int           `json:"failed"`
	Redirected int           `json:"redirected"`
	Slowest    time.Duration `json:"slowest"`
	// Timeline counts the GETs by the 100 ms they were sent in, from the reshard's start,
	// and Marks what the cluster did meanwhile; kept for the first run that failed over
	// (or the first run), for the figure.
	Timeline []MigrationSlice `json:"timeline,omitempty"`
	Marks    []MigrationMark  `json:"marks,omitempty"`
}

// Stall is the longest stall of any master in the run.
func (r MigrationRun) Stall() time.Duration {
	var m time.Duration
	for _, s := range r.Stalls {
		m = max(m, s)
	}
	return m
}

// A MigrationSlice is 100 ms of the application's GETs.
type MigrationSlice struct {
	Requests, Failed int
}

// A MigrationMark is a moment of a run, from the reshard's start: a stall ending, a master
// flagged FAIL, a replica promoted, the reshard's end.
type MigrationMark struct {
	At   time.Duration `json:"at"`
	What string        `json:"what"`
}

// MigrationResult is every run, and what they recommend.
type MigrationResult struct {
	Config MigrationConfig `json:"config"`
	// Values are the big collections and the largest string, with the slot each lived in
	// and its MEMORY USAGE.
	Values []MigrationValue `json:"values"`
	Runs   []MigrationRun   `json:"runs"`
	// SafeTimeout is the smallest node timeout none of whose runs failed over (0 when every
	// one did); BestScheme and BestPipeline the cell with the shortest median reshard among
	// that timeout's runs.
	SafeTimeout  time.Duration `json:"safe_node_timeout"`
	BestScheme   string        `json:"best_scheme"`
	BestPipeline int           `json:"best_pipeline"`
}

// A MigrationValue is one of the big values a run stores.
type MigrationValue struct {
	Key      string `json:"key"`
	Type     string `json:"type"`
	Elements int    `json:"elements,omitempty"` // a collection's
	Bytes    int64  `json:"bytes"`              // MEMORY USAGE
	Slot     int    `json:"slot"`
}

// RunMigration runs every cell's runs, Workers at a time; each run is a simulation of its
// own, so the result is the same whatever the number of workers. When runs fail, the
// error is that of the first failed run in cell order, also whatever the number of
// workers, and no further run starts.
func RunMigration(cfg MigrationConfig) (*MigrationResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var jobs []MigrationRun
	for _, sc := range cfg.Schemes {
		for _, t := range cfg.NodeTimeouts {
			for _, p := range cfg.Pipelines {
				for k := range cfg.Runs {
					jobs = append(jobs, MigrationRun{Scheme: sc, NodeTimeout: t, Pipeline: p, Seed: cfg.Seed + uint64(k)})
				}
			}
		}
	}
	type outcome struct {
		run    MigrationRun
		values []MigrationValue // the first run's only
	}
	started := time.Now()
	var progress func(done int)
	if cfg.Progress != nil {
		progress = func(done int) {
			fmt.Fprintf(cfg.Progress, "migration: %d of %d runs in %.0fs\n", done, len(jobs), time.Since(started).Seconds())
		}
	}
	outs, err := inParallel(len(jobs), cfg.Workers, func(i int) (outcome, error) {
		j := jobs[i]
		run, values, err := migrateOnce(cfg, j)
		if err != nil {
			return outcome{}, fmt.Errorf("migration: %s, node timeout %v, pipeline %d, seed %d: %w", j.Scheme, j.NodeTimeout, j.Pipeline, j.Seed, err)
		}
		if i > 0 {
			values = nil
		}
		return outcome{run, values}, nil
	}, progress)
	if err != nil {
		return nil, err
	}
	res := &MigrationResult{Config: cfg, Runs: make([]MigrationRun, len(outs))}
	for i, o := range outs {
		res.Runs[i] = o.run
	}
	if len(outs) > 0 {
		res.Values = outs[0].values
	}
	res.recommend()
	res.keepOneTimeline()
	return res, nil
}

// recommend finds the smallest node timeout that no run failed over at and, at it, the
// scheme and pipeline with the shortest median reshard.
func (res *MigrationResult) recommend() {
	timeouts := slices.Clone(res.Config.NodeTimeouts)
	slices.Sort(timeouts)
	for _, t := range timeouts {
		safe := true
		for _, r := range res.Runs {
			if r.NodeTimeout == t && (len(r.FailedOver) > 0 || r.Error != "") {
				safe = false
			}
		}
		if !safe {
			continue
		}
		res.SafeTimeout = t
		best := time.Duration(-1)
		for _, sc := range res.Config.Schemes {
			for _, p := range res.Config.Pipelines {
				if m := res.Median(sc, t, p, func(r MigrationRun) time.Duration { return r.Reshard }); best < 0 || m < best {
					best, res.BestScheme, res.BestPipeline = m, sc, p
				}
			}
		}
		return
	}
}

// keepOneTimeline keeps the timeline of the first run that failed over, or of the first
// run when none did, and drops the others' to keep the JSON small.
func (res *MigrationResult) keepOneTimeline() {
	keep := slices.IndexFunc(res.Runs, func(r MigrationRun) bool { return len(r.FailedOver) > 0 })
	keep = max(keep, 0)
	for i := range res.Runs {
		if i != keep {
			res.Runs[i].Timeline, res.Runs[i].Marks = nil, nil
		}
	}
}

// Cell returns the runs of one scheme, node timeout and pipeline.
func (res *MigrationResult) Cell(scheme string, t time.Duration, pipeline int) []MigrationRun {
	var out []MigrationRun
	for _, r := range res.Runs {
		if r.Scheme == scheme && r.NodeTimeout == t && r.Pipeline == pipeline {
			out = append(out, r)
		}
	}
	return out
}

// Median is the median of f over one cell's runs (the lower of the middle two).
func (res *MigrationResult) Median(scheme string, t time.Duration, pipeline int, f func(MigrationRun) time.Duration) time.Duration {
	var xs []time.Duration
	for _, r := range res.Cell(scheme, t, pipeline) {
		xs = append(xs, f(r))
	}
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[(len(xs)-1)/2]
}

// bigKey finds, for the i-th big value, a key in the first slots of master i%3's range
// (0-5460, 5461-10922, 10923-16383 after create), which a reshard from all moves first.
func bigKey(typ string, i int) (string, int) {
	lo := []int{0, 5461, 10923}[i%3]
	for j := 0; ; j++ {
		key := typ + ":big:" + strconv.Itoa(i) + ":" + strconv.Itoa(j)
		if s := slot.Of(key); s >= lo && s < lo+1000 {
			return key, s
		}
	}
}

// migrationRun is one run's cluster and counters.
type migrationRun struct {
	c       *cluster.Cluster
	run     *MigrationRun
	start   sim.Time // the reshard's
	measure bool     // the application's requests are counted
	stopped bool
}

// migrateOnce builds the seed cluster, stores the keys and the big hashes at a node timeout
// of 15 s (a 3·10^6-field hash takes about 10 s to write), sets the run's node timeout as
// `redis-cli --cluster set-timeout` does, adds a master and reshards 4096 slots to it from
// all under load, and measures.
func migrateOnce(cfg MigrationConfig, run MigrationRun) (MigrationRun, []MigrationValue, error) {
	ccfg := cluster.DefaultConfig()
	ccfg.NodeTimeout = 15 * time.Second
	c, procs, err := rediscli.Build(cluster.Options{Seed: run.Seed, Masters: 3, Replicas: 1, Config: ccfg, Link: cluster.Loopback(), Slowdown: cfg.Slowdown})
	if err != nil {
		return run, nil, err
	}
	if err := c.WaitReady(time.Minute); err != nil {
		return run, nil, err
	}
	first := procs[0].Addr()
	raw := c.Client()
	// Big values take long to write: the loader waits a minute for each.
	cc := client.NewGoRedis(c, "loader", client.Options{ReadTimeout: time.Minute, WriteTimeout: time.Minute}, first)
	cc.Load()
	c.Sim.RunFor(time.Second)

	// The keys, through a cluster client, all in flight at once.
	sz, err := KeySpec{Seed: run.Seed, Size: cfg.Size}.sizer()
	if err != nil {
		return run, nil, err
	}
	pending, largest, largestKey := 0, int64(0), ""
	var failed error
	for i := range cfg.Keys {
		key := "key:" + strconv.Itoa(i)
		n := sz.of(int64(i))
		if n > largest {
			largest, largestKey = n, key
		}
		pending++
		cc.Do(func(r client.Result) {
			if r.Outcome == client.Failed && failed == nil {
				failed = fmt.Errorf("storing %s: %s", key, r.Reply.Str)
			}
			pending--
		}, "SET", key, stringOfSize(key, n))
	}
	for pending > 0 && c.Sim.Step() {
	}
	if failed != nil {
		return run, nil, failed
	}
	var values []MigrationValue
	for i, b := range cfg.Big {
		key, s := bigKey(b.Type, i)
		owner := procs[0].Node().Owner(s)
		r, err := raw.Do(owner, "EVAL", cluster.LoadScripts[b.Type], "1", key, strconv.Itoa(b.Elements))
		if err != nil {
			return run, nil, err
		}
		if r.IsError() {
			return run, nil, fmt.Errorf("writing %s: %s", key, r.Str)
		}
		values = append(values, MigrationValue{Key: key, Type: b.Type, Elements: b.Elements, Slot: s})
	}
	if largestKey != "" {
		values = append(values, MigrationValue{Key: largestKey, Type: "string", Slot: slot.Of(largestKey)})
	}
	// The replicas run the scripts' MULTI … EXEC after reading them: seconds per 10^6 fields.
	c.Sim.RunFor(20 * time.Second)
	for i := range values {
		s := values[i].Slot
		r, err := raw.Do(procs[0].Node().Owner(s), "MEMORY", "USAGE", values[i].Key)
		if err != nil {
			return run, nil, err
		}
		values[i].Bytes = r.Int
	}

	cli := rediscli.New(c, io.Discard)
	var out strings.Builder
	cli.SetOutput(&out)
	if err := cli.SetTimeout(first, strconv.FormatInt(run.NodeTimeout.Milliseconds(), 10)); err != nil {
		return run, nil, fmt.Errorf("set-timeout: %w", err)
	}
	c.Sim.RunFor(2 * time.Second)

	m := &migrationRun{c: c, run: &run}
	m.startLoad(procs, cfg)
	c.Sim.RunFor(time.Second)
	ncfg := ccfg
	ncfg.NodeTimeout = run.NodeTimeout
	p, err := c.Start("redis-node-7", "127.0.0.1", 6387, ncfg)
	if err != nil {
		return run, nil, err
	}
	c.Sim.RunFor(100 * time.Millisecond)
	if err := cli.AddNode(p.Addr(), first, rediscli.AddNodeOptions{}); err != nil {
		return run, nil, fmt.Errorf("add-node: %w:\n%s", err, out.String())
	}
	for deadline := c.Sim.Now().Add(time.Minute); (!c.Knows(p.Node().ID()) || p.Node().State() != "ok") && c.Sim.Now() < deadline; {
		c.Sim.RunFor(100 * time.Millisecond)
	}

	var masters []*cluster.Process
	for _, q := range c.Processes() {
		if q.Node().IsMaster() {
			masters = append(masters, q)
			run.Masters = append(run.Masters, q.Addr())
			run.KeysBefore += int64(q.Node().Keys())
		}
	}
	// What happens from here on is the reshard's: the stalls and events before it are
	// skipped, and each replica's master is noted to name the one a promotion replaces.
	stalls := make([]int, len(masters))
	for i, q := range masters {
		stalls[i] = len(q.Node().Stalls())
	}
	events := map[*cluster.Process]int{}
	masterOf := map[*cluster.Process]string{}
	byID := map[string]string{}
	for _, q := range c.Processes() {
		events[q] = len(q.Node().Events)
		byID[q.Node().ID()] = q.Addr()
	}
	for _, q := range c.Processes() {
		if !q.Node().IsMaster() {
			masterOf[q] = byID[q.Node().MasterID()]
		}
	}
	keys, bytes := c.Metrics.MigratedKeys, c.Metrics.MigratedBytes
	cli.Pipeline, cli.Timeout = run.Pipeline, int(cfg.Timeout.Milliseconds())
	out.Reset()
	m.start, m.measure = c.Sim.Now(), true
	if run.Scheme == MigrationRebalance {
		err = cli.Rebalance(first, rediscli.RebalanceOptions{Threshold: slot.DefaultThreshold, UseEmptyMasters: true})
	} else {
		err = cli.Reshard(first, rediscli.ReshardOptions{From: "all", To: p.Node().ID(), Slots: slot.Count / 4, Yes: true})
	}
	run.Reshard = time.Duration(c.Sim.Now() - m.start)
	if err != nil {
		if !errors.Is(err, rediscli.ErrCLI) {
			return run, nil, err
		}
		run.Error, _, _ = strings.Cut(rediscli.Reason(out.String()), "\n") // its first line
	}
	m.mark(run.Reshard, "reshard ends")
	// A minute for what the reshard set off: failure detection, an election, the clients'
	// reloads.
	c.Sim.RunFor(time.Minute)
	m.stopped = true
	c.Sim.RunFor(2 * time.Second)

	run.MovedKeys, run.MovedBytes = c.Metrics.MigratedKeys-keys, c.Metrics.MigratedBytes-bytes
	for i, q := range masters {
		var longest time.Duration
		for _, s := range q.Node().Stalls()[stalls[i]:] {
			longest = max(longest, s.Took)
			if s.Took >= 100*time.Millisecond {
				m.mark(time.Duration(s.At-m.start), fmt.Sprintf("%s stalled %.1f s", q.Addr(), s.Took.Seconds()))
			}
		}
		run.Stalls = append(run.Stalls, longest)
	}
	flagged := map[string]bool{}
	for _, q := range c.Processes() {
		for _, e := range q.Node().Events[events[q]:] {
			switch e.Kind {
			case cluster.EvPFail:
				run.PFail++
			case cluster.EvFail:
				if !flagged[e.About] {
					flagged[e.About] = true
					m.mark(time.Duration(e.At-m.start), byID[e.About]+" marked FAIL")
				}
			case cluster.EvPromoted:
				run.FailedOver = append(run.FailedOver, cmp.Or(masterOf[q], "the master of "+q.Addr()))
				m.mark(time.Duration(e.At-m.start), q.Addr()+" promoted")
			}
		}
	}
	slices.Sort(run.FailedOver)
	slices.SortStableFunc(run.Marks, func(a, b MigrationMark) int { return cmp.Compare(a.At, b.At) })
	// What the reshard left: slots still open (a reshard stopped mid-slot leaves its slot
	// importing on the target, and once the source is a replica, unassigned in the target's
	// view, so the target answers CLUSTERDOWN until `redis-cli --cluster fix`), and nodes
	// whose cluster_state is fail.
	for _, q := range c.Processes() {
		if !q.Up() {
			continue
		}
		if q.Node().State() != "ok" {
			run.NodesDown = append(run.NodesDown, q.Addr())
		}
		r, err := raw.Do(q.Addr(), "CLUSTER", "NODES")
		if err != nil {
			return run, nil, err
		}
		lines, err := slot.ParseNodes(r.Str)
		if err != nil {
			return run, nil, fmt.Errorf("CLUSTER NODES of %s: %w", q.Addr(), err)
		}
		for _, l := range lines {
			if l.Has("myself") {
				run.OpenSlots += len(l.Open)
			}
		}
	}
	for _, q := range c.Processes() {
		if q.Up() && q.Node().IsMaster() {
			run.KeysAfter += int64(q.Node().Keys())
		}
	}
	return run, values, nil
}

// stringOfSize is a value whose key takes about n bytes in a server's memory: MEMORY USAGE
// of a short key holding a raw string is its length plus about 60 bytes.
func stringOfSize(key string, n int64) string {
	return strings.Repeat("v", int(max(n-60-int64(len(key)), 1)))
}

func (m *migrationRun) mark(at time.Duration, what string) {
	m.run.Marks = append(m.run.Marks, MigrationMark{At: at, What: what})
}

// timelineSlices bounds a run's timeline: its first 30 s from the reshard's start.
const timelineSlices = 300

// startLoad starts the application: open-loop GETs of the stored keys, counted from the
// reshard's start.
func (m *migrationRun) startLoad(procs []*cluster.Process, cfg MigrationConfig) {
	var seeds []string
	for _, p := range procs {
		seeds = append(seeds, p.Addr())
	}
	rnd := m.c.Sim.Stream("migration load")
	client.OpenLoop(m.c, seeds, cfg.Client, cfg.Clients, cfg.Rate, 0, func(cc *client.GoRedis) bool {
		if m.stopped {
			return false
		}
		key := "key:" + strconv.Itoa(rnd.IntN(max(cfg.Keys, 1)))
		cc.Do(func(r client.Result) {
			if !m.measure || r.Sent < m.start {
				return
			}
			m.run.Requests++
			i := int(r.Sent.Sub(m.start) / (100 * time.Millisecond))
			if i < timelineSlices {
				for len(m.run.Timeline) <= i {
					m.run.Timeline = append(m.run.Timeline, MigrationSlice{})
				}
				m.run.Timeline[i].Requests++
			}
			switch r.Outcome {
			case client.Failed:
				m.run.Failed++
				if i < timelineSlices {
					m.run.Timeline[i].Failed++
				}
			case client.Redirected:
				m.run.Redirected++
			}
			if r.Outcome != client.Failed {
				m.run.Slowest = max(m.run.Slowest, time.Duration(r.End-r.Sent))
			}
		}, "GET", key)
		return true
	})
}
