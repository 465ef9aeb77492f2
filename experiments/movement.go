package experiments

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
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

// MovementConfig configures RunMovement: for each scheme, a simulated cluster under
// application load grows from From to To masters one at a time and shrinks back, and, on
// fresh clusters, a master is killed and restarted with one replica per master and with
// none.
type MovementConfig struct {
	Seed        uint64        `json:"seed"`
	Schemes     []Scheme      `json:"schemes"`
	From        int           `json:"from"`
	To          int           `json:"to"`
	Keys        int           `json:"keys"`          // stored before the first event
	ValueSize   int           `json:"value_size"`    // bytes per stored value, unless Size is set
	Size        SizeSpec      `json:"size,omitzero"` // when set, each stored value's length, drawn per key
	NodeTimeout time.Duration `json:"node_timeout"`  // cluster-node-timeout
	Outage      time.Duration `json:"outage"`        // how long a killed master stays down
	Bandwidth   float64       `json:"bandwidth"`     // bytes per second on each link
	Clients     int           `json:"clients"`
	Rate        float64       `json:"rate"`   // requests per second, all clients
	Writes      float64       `json:"writes"` // fraction of requests that write a new key
	// Client are the go-redis options of the application's clients (client.GoRedis).
	Client client.Options `json:"client"`
	// Live runs the slot schemes on real redis-server processes on loopback, scaled by the
	// real redis-cli, under load from the real go-redis (runMovementLive).
	Live     bool      `json:"live,omitempty"`
	Progress io.Writer `json:"-"`
	// Start, when set, is a user's cluster (its CLUSTER NODES) that every part starts from,
	// as a simulated copy (cluster.BuildFromNodes), instead of a cluster of From masters
	// made by create; From is then its number of masters, and only the slot schemes apply.
	// StartSource names where it was read.
	Start       []slot.NodeLine `json:"-"`
	StartSource string          `json:"start,omitempty"`
	// KeyNames, when set, are the stored keys (a user's, from redis-cli --scan; see
	// ReadKeys) in place of key:0 … key:<Keys-1>; Keys is then their number. KeysFile names
	// where they were read.
	KeyNames []string `json:"-"`
	KeysFile string   `json:"keys_file,omitempty"`
}

// keyName is the name of stored key i.
func (c MovementConfig) keyName(i int) string {
	if c.KeyNames != nil {
		return c.KeyNames[i]
	}
	return "key:" + strconv.Itoa(i)
}

// MaxMovementKeys bounds the keys a movement run stores: each is simulated, stored,
// moved and read back.
const MaxMovementKeys = 1_000_000

// ReadKeys reads a key list, one key per line (redis-cli --scan's output; "\r\n" ends a
// line too), for a movement run: at most MaxMovementKeys of them, and each distinct.
func ReadKeys(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(chan batch, 4)
	errc := make(chan error, 1)
	go func() {
		errc <- readKeyLines(f, path, out)
		close(out)
	}()
	var keys []string
	seen := map[string]int{}
	var tooMany, dup error
	for b := range out {
		for j, k := range b.lines {
			line := int(b.lo) + j + 1
			switch {
			case tooMany != nil || dup != nil:
			case len(keys) == MaxMovementKeys:
				tooMany = fmt.Errorf("%s: more than %d keys; movement simulates every one: give it a sample (redis-cli --scan | shuf -n 100000)", path, MaxMovementKeys)
			case seen[k] > 0:
				dup = fmt.Errorf("%s:%d: key %q is listed already, at line %d", path, line, k, seen[k])
			default:
				seen[k] = line
				keys = append(keys, k)
			}
		}
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	return keys, cmp.Or(tooMany, dup)
}

// DefaultMovementConfig is what `go run ./experiments/movement` runs with no flags: 3 → 10
// → 3 masters and the crashes for hash % N, a ring of 100 virtual nodes per member and the
// seed tutorial's reshards, with 20 000 keys of 100 bytes, Redis's default 15 s node
// timeout, links of 1 Gbit/s, and 1000 requests/s of which a fifth write new keys.
func DefaultMovementConfig() MovementConfig {
	schemes, _ := ParseSchemes("modulo,ring:100,slots")
	return MovementConfig{
		Seed: 1, Schemes: schemes, From: 3, To: 10, Keys: 20000, ValueSize: 100,
		NodeTimeout: 15 * time.Second, Outage: 30 * time.Second, Bandwidth: 125e6,
		Clients: 4, Rate: 1000, Writes: 0.2,
	}
}

// Validate refuses a configuration the run cannot honour, naming the flag at fault.
func (c MovementConfig) Validate() error {
	if err := c.Client.Check(); err != nil {
		return fmt.Errorf("movement: %w", err)
	}
	if c.Live {
		if err := c.checkLive(); err != nil {
			return err
		}
	}
	if c.KeyNames != nil && len(c.KeyNames) != c.Keys {
		return fmt.Errorf("movement: %d key names for %d keys", len(c.KeyNames), c.Keys)
	}
	if c.Start != nil {
		if n := StartMasters(c.Start); n != c.From {
			return fmt.Errorf("movement: -from %d, but the cluster of %s has %d masters", c.From, c.StartSource, n)
		}
		for _, s := range c.Schemes {
			if _, ok := s.s.(slotsScheme); !ok {
				return fmt.Errorf("movement: scheme %s: a cluster of your own places keys by its slots; compare slots and slots:rebalance on it, or %s at -from %d without it", s, s, c.From)
			}
		}
	}
	switch {
	case len(c.Schemes) == 0:
		return errors.New("movement: no scheme")
	case c.From < 3:
		return fmt.Errorf("movement: -from %d: Redis Cluster needs at least 3 masters", c.From)
	case c.To < c.From:
		return fmt.Errorf("movement: -to %d is below -from %d", c.To, c.From)
	case c.To > 1000:
		return fmt.Errorf("movement: -to %d is beyond Redis Cluster's 1000 nodes", c.To)
	case c.Keys < 0 || c.ValueSize < 1:
		return fmt.Errorf("movement: -keys %d and -value-size %d must be ≥ 0 and ≥ 1", c.Keys, c.ValueSize)
	case c.Size.Validate() != nil:
		return fmt.Errorf("movement: -%w", c.Size.Validate())
	case c.NodeTimeout < 100*time.Millisecond:
		return fmt.Errorf("movement: -node-timeout %v is below 100ms", c.NodeTimeout)
	case c.Outage <= 0:
		return fmt.Errorf("movement: -outage %v must be positive", c.Outage)
	case !(c.Bandwidth >= 0):
		return fmt.Errorf("movement: -bandwidth %v must be ≥ 0", c.Bandwidth)
	case c.Clients < 1 || !(c.Rate > 0):
		return fmt.Errorf("movement: -clients %d and -rate %v must be positive", c.Clients, c.Rate)
	case !(c.Writes >= 0 && c.Writes <= 1):
		return fmt.Errorf("movement: -writes %v must be in [0, 1]", c.Writes)
	}
	for _, s := range c.Schemes {
		if _, err := s.inCluster(); err != nil {
			return fmt.Errorf("movement: scheme %s: %w", s, err)
		}
	}
	return nil
}

// The parts of a movement run, each on a fresh cluster.
const (
	PartScale     = "scale"            // From → To → From masters, no replicas
	PartReplica   = "crash-replica"    // a master killed and restarted, one replica per master
	PartNoReplica = "crash-no-replica" // the same without replicas
)

// A MovementStep is one event — a master joining or leaving, a master killed or restarted
// — and what it cost while the application kept sending requests.
type MovementStep struct {
	Scheme  string `json:"scheme"`
	Part    string `json:"part"`
	Event   string `json:"event"` // "join", "leave", "kill", "restart"
	Node    string `json:"node"`
	Masters int    `json:"masters"` // masters serving keys once the step settled
	// Stored is the keys the masters held when the event began. Moved and Bytes are what
	// MIGRATE carried between nodes during the step (keys, and key plus value bytes).
	// Minimum is the fewest keys any placement must move: the new master's fair share
	// Stored/(N+1) on a join, the leaving master's keys on a leave, none on a crash.
	Stored  int64 `json:"stored_keys"`
	Moved   int64 `json:"moved_keys"`
	Minimum int64 `json:"minimum_keys"`
	Bytes   int64 `json:"moved_bytes"`
	// Settle is the time from the event until every node agreed, every master was ok and
	// nothing was left to move; Settled is false when that did not happen within the
	// step (a crashed master without replica that slots wait for).
	Settle  time.Duration `json:"settle"`
	Settled bool          `json:"settled"`
	Window  time.Duration `json:"window"` // the step's length, to the next event
	RequestCounts
}

// RequestCounts are the requests the application sent during a step: failed (CLUSTERDOWN,
// refused, timed out, too many redirects), answered after MOVED or ASK, reads of a stored
// key that found nothing, and writes acknowledged and later missing.
type RequestCounts struct {
	Requests   int `json:"requests"`
	Failed     int `json:"failed"`
	Redirected int `json:"redirected"`
	Missed     int `json:"missed_reads"`
	Acked      int `json:"acked_writes"`
	Lost       int `json:"lost_writes"`
}

func (c *RequestCounts) add(o RequestCounts) {
	c.Requests += o.Requests
	c.Failed += o.Failed
	c.Redirected += o.Redirected
	c.Missed += o.Missed
	c.Acked += o.Acked
	c.Lost += o.Lost
}

// MovementResult holds every step of every scheme, and for each scheme and part the
// application's requests second by second.
type MovementResult struct {
	Config    MovementConfig     `json:"config"`
	Steps     []MovementStep     `json:"steps"`
	Timelines []MovementTimeline `json:"timelines"`
}

// A MovementTimeline is one part of one scheme as the application saw it: Seconds[i]
// counts the requests sent in its i-th second of load (lost writes by the second they were
// sent in), and each step's Start is the second, from the same origin, it began at.
type MovementTimeline struct {
	Scheme  string          `json:"scheme"`
	Part    string          `json:"part"`
	Starts  []time.Duration `json:"starts"` // of the part's steps, in order
	Seconds []RequestCounts `json:"seconds"`
}

// RunMovement runs the movement experiment.
func RunMovement(cfg MovementConfig) (*MovementResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	runPart := runMovementPart
	if cfg.Live {
		runPart = runMovementPartLive
	}
	res := &MovementResult{Config: cfg}
	for _, s := range cfg.Schemes {
		for _, part := range []string{PartScale, PartReplica, PartNoReplica} {
			start := time.Now()
			steps, timeline, err := runPart(cfg, s, part)
			var cliErr *cliError
			if errors.As(err, &cliErr) {
				err = fmt.Errorf("%w; redis-cli printed:\n%s", err, cliErr.tail)
			}
			if err != nil {
				return nil, fmt.Errorf("movement: %s, %s: %w", s, part, err)
			}
			res.Steps = append(res.Steps, steps...)
			res.Timelines = append(res.Timelines, timeline)
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "%-10s %-16s %2d steps in %.1fs\n", s, part, len(steps), time.Since(start).Seconds())
			}
		}
	}
	return res, nil
}

// movementRun is one part on one cluster: the processes, the application and the steps.
type movementRun struct {
	cfg        MovementConfig
	scheme     clusterScheme
	schemeName string
	part       string
	c          *cluster.Cluster
	cli        *rediscli.CLI
	out        bytes.Buffer // what redis-cli printed in the current step
	config     cluster.Config
	masters    []*cluster.Process // serving keys, in the order they joined
	ledger     *client.Ledger
	acked      map[string]int // written key → step its write was acknowledged in
	rnd        sim.Stream
	stored     map[string]bool
	steps      []MovementStep
	step       int // the step requests are counted in; -1 before the first event
	stopped    bool

	loadStart sim.Time        // when the application started
	starts    []time.Duration // each step's start, from loadStart
	seconds   []RequestCounts // per second of load, by send time
	ackedAt   map[string]int  // written key → second its acknowledged write was sent in
}

// second returns the counters of the second of load t falls in.
func (r *movementRun) second(t sim.Time) *RequestCounts {
	i := int(t.Sub(r.loadStart) / time.Second)
	for len(r.seconds) <= i {
		r.seconds = append(r.seconds, RequestCounts{})
	}
	return &r.seconds[i]
}

func runMovementPart(cfg MovementConfig, s Scheme, part string) ([]MovementStep, MovementTimeline, error) {
	tl := MovementTimeline{Scheme: s.String(), Part: part}
	replicas := 0
	if part == PartReplica {
		replicas = 1
	}
	ccfg := cluster.DefaultConfig()
	ccfg.NodeTimeout = cfg.NodeTimeout
	ccfg.AppendOnly = true // as the seed tutorial runs its containers
	link := cluster.Loopback()
	link.Bandwidth = cfg.Bandwidth
	cs, err := s.inCluster()
	if err != nil {
		return nil, tl, err
	}
	opt := cluster.Options{Seed: cfg.Seed, Masters: cfg.From, Replicas: replicas, Config: ccfg, Link: link, Placement: cs.placement()}
	var c *cluster.Cluster
	var procs []*cluster.Process
	if cfg.Start != nil {
		c, procs, err = startCopy(opt, cfg.Start, part)
	} else {
		c, procs, err = rediscli.Build(opt)
	}
	if err != nil {
		return nil, tl, err
	}
	r := &movementRun{
		cfg: cfg, scheme: cs, schemeName: s.String(), part: part, c: c, config: ccfg,
		ledger: client.NewLedger(), acked: map[string]int{}, rnd: c.Sim.Stream("movement load"),
		stored: map[string]bool{}, step: -1, ackedAt: map[string]int{},
	}
	r.cli = rediscli.New(c, &r.out)
	for _, p := range procs {
		if p.Node().IsMaster() {
			r.masters = append(r.masters, p)
		}
	}
	if err := r.populate(procs); err != nil {
		return nil, tl, err
	}
	r.startLoad(procs)
	c.Sim.RunFor(time.Second)
	if err := runPart(cfg, part, r); err != nil {
		return nil, tl, err
	}
	r.stopped = true
	c.Sim.RunFor(2 * time.Second) // the last replies
	if err := r.readBack(); err != nil {
		return nil, tl, err
	}
	tl.Starts, tl.Seconds = r.starts, r.seconds
	return r.steps, tl, nil
}

// movementSteps are the steps of a movement part on one backend, simulated or live.
type movementSteps interface {
	join() error  // a master joins, and the scheme moves keys to it
	leave() error // the last master to join leaves
	crash() error // the first master is killed, and restarted after the outage
}

// runPart runs part's steps: for PartScale, From → To masters one at a time and back; for
// the crash parts, one crash of the first master.
func runPart(cfg MovementConfig, part string, s movementSteps) error {
	if part != PartScale {
		return s.crash()
	}
	for n := cfg.From; n < cfg.To; n++ {
		if err := s.join(); err != nil {
			return err
		}
	}
	for n := cfg.To; n > cfg.From; n-- {
		if err := s.leave(); err != nil {
			return err
		}
	}
	return nil
}

// crash kills the first master and restarts it.
func (r *movementRun) crash() error {
	victim := r.masters[0]
	if err := r.kill(victim); err != nil {
		return err
	}
	return r.restart(victim)
}

// StartMasters is the number of masters, with slots or without, in a CLUSTER NODES reply,
// counted as cluster.BuildFromNodes starts them (nodes flagged fail or noaddr left out).
func StartMasters(nodes []slot.NodeLine) int {
	n := 0
	for _, l := range nodes {
		if l.Master == "" && !l.Gone() {
			n++
		}
	}
	return n
}

// startCopy starts a simulated copy of a user's cluster for a part: without its replicas
// for the scale part and the crash without replica, as the tutorial's parts run, with
// them for the crash with one; and lets it come up (links, replicas' first sync, state ok)
// as a restarted cluster does.
func startCopy(opt cluster.Options, nodes []slot.NodeLine, part string) (*cluster.Cluster, []*cluster.Process, error) {
	if part != PartReplica {
		var masters []slot.NodeLine
		for _, n := range nodes {
			if n.Master == "" {
				masters = append(masters, n)
			}
		}
		nodes = masters
	}
	c, procs, err := cluster.BuildFromNodes(opt, nodes)
	if err != nil {
		return nil, nil, err
	}
	notOK := func() bool {
		return slices.ContainsFunc(procs, func(p *cluster.Process) bool { return p.Node().State() != "ok" })
	}
	for deadline := c.Sim.Now().Add(time.Minute); notOK() && c.Sim.Now() < deadline; {
		c.Sim.RunFor(100 * time.Millisecond)
	}
	c.Sim.RunFor(6 * time.Second) // replicas' first sync waits repl-diskless-sync-delay
	return c, procs, nil
}

// populate stores cfg.Keys keys through go-redis and waits for every one.
func (r *movementRun) populate(procs []*cluster.Process) error {
	cc := client.NewGoRedis(r.c, "loader", client.Options{}, procs[0].Addr())
	cc.Load()
	r.c.Sim.RunFor(time.Second)
	values, err := r.cfg.storedValues()
	if err != nil {
		return err
	}
	pending := 0
	var failed error
	for i := range r.cfg.Keys {
		key := r.cfg.keyName(i)
		r.stored[key] = true
		pending++
		var try func()
		tries := 0
		try = func() {
			cc.Do(func(res client.Result) {
				if res.Outcome == client.Failed {
					if tries++; tries < 5 {
						r.c.Sim.After(time.Second, try)
						return
					}
					failed = fmt.Errorf("storing %s: %s", key, res.Reply.Str)
				}
				pending--
			}, "SET", key, values(i))
		}
		try()
	}
	for pending > 0 && failed == nil && r.c.Sim.Step() {
	}
	if failed != nil {
		return failed
	}
	r.c.Sim.RunFor(10 * time.Second) // replicas synchronised, AOF written
	return nil
}

// storedValues returns the value stored key i gets: ValueSize bytes of cluster.LoadString,
// which do not compress, as most payloads do not (DUMP would shrink a repeated byte); or,
// with Size, a length drawn for i. Every value is a prefix of one string, so the values
// cost the memory of the longest.
func (c MovementConfig) storedValues() (func(i int) string, error) {
	if !c.Size.Sized() {
		v := cluster.LoadString(c.ValueSize)
		return func(int) string { return v }, nil
	}
	sz, err := c.Size.newSizer(c.Seed)
	if err != nil {
		return nil, err
	}
	longest := int64(1)
	for i := range c.Keys {
		longest = max(longest, sz.of(int64(i)))
	}
	filler := cluster.LoadString(int(longest))
	return func(i int) string { return filler[:sz.of(int64(i))] }, nil
}

// startLoad starts the application: open-loop clients that read stored keys and write
// new ones, each request counted in the step it was sent in.
func (r *movementRun) startLoad(procs []*cluster.Process) {
	var seeds []string
	for _, p := range procs {
		seeds = append(seeds, p.Addr())
	}
	writes := 0
	r.loadStart = r.c.Sim.Now()
	client.OpenLoop(r.c, seeds, r.cfg.Client, r.cfg.Clients, r.cfg.Rate, 0, func(cc *client.GoRedis) bool {
		if r.stopped {
			return false
		}
		step := r.step
		key, value, write := r.cfg.nextRequest(&r.rnd, &writes, r.ledger)
		args := []string{"GET", key}
		if write {
			args = []string{"SET", key, value}
		}
		cc.Do(func(res client.Result) {
			acked := write && res.Outcome != client.Failed && res.Reply.Str == "OK"
			if acked {
				_ = r.ledger.Ack(key, value) // value came from the ledger
				r.acked[key] = step
				r.ackedAt[key] = int(res.Sent.Sub(r.loadStart) / time.Second)
			}
			failed := res.Outcome == client.Failed
			count := func(c *RequestCounts) {
				c.count(failed, res.Outcome == client.Redirected, acked, !write && !failed && res.Reply.Kind != cluster.Bulk)
			}
			count(r.second(res.Sent))
			if step >= 0 {
				count(&r.steps[step].RequestCounts)
			}
		}, args...)
		return true
	})
}

// begin opens a step for an event; finish closes it once the cluster settled, or after
// limit, and leaves a second of quiet before the next event.
func (r *movementRun) begin(event, node string) *MovementStep {
	r.out.Reset()
	r.steps = append(r.steps, MovementStep{
		Scheme: r.schemeName, Part: r.part, Event: event, Node: node,
		Stored: r.storedKeys(),
	})
	r.starts = append(r.starts, r.c.Sim.Now().Sub(r.loadStart))
	r.step = len(r.steps) - 1
	st := &r.steps[r.step]
	st.Moved, st.Bytes = r.c.Metrics.MigratedKeys, r.c.Metrics.MigratedBytes
	return st
}

func (r *movementRun) finish(start sim.Time, limit time.Duration) {
	st := &r.steps[r.step]
	for !r.c.Settled() && r.c.Sim.Now().Sub(start) < limit {
		r.c.Sim.RunFor(10 * time.Millisecond)
	}
	st.Settle = r.c.Sim.Now().Sub(start)
	st.Settled = r.c.Settled()
	r.c.Sim.RunFor(time.Second)
	r.close(start)
}

// close ends the step at the current time.
func (r *movementRun) close(start sim.Time) {
	st := &r.steps[r.step]
	keys, bytes := r.c.Metrics.MigratedKeys, r.c.Metrics.MigratedBytes
	st.Moved, st.Bytes = keys-st.Moved, bytes-st.Bytes
	st.Window = r.c.Sim.Now().Sub(start)
	st.Masters = len(r.masters)
}

// storedKeys counts the keys on running masters.
func (r *movementRun) storedKeys() int64 {
	var n int64
	for _, p := range r.c.Processes() {
		if p.Up() && p.Node().IsMaster() {
			n += int64(p.Node().Keys())
		}
	}
	return n
}

// settleLimit bounds the wait for a step to settle.
const settleLimit = 10 * time.Minute

// join starts a master on port and adds it: with slots, add-node and then the scheme's
// reshard or rebalance; with a placement, add-node and a token.
func (r *movementRun) join() error {
	// The next port after the highest in use, on the first master's host: 6384, 6385, …
	// after the tutorial's 6381-6383.
	host, highest := "", 0
	for _, p := range r.c.Processes() {
		h, port, err := slot.ParseAddr(p.Addr())
		if err != nil {
			return err
		}
		if host == "" {
			host = h
		}
		highest = max(highest, port)
	}
	p, err := r.c.Start("redis-node-"+strconv.Itoa(len(r.c.Processes())+1), host, highest+1, r.config)
	if err != nil {
		return err
	}
	r.c.Sim.RunFor(100 * time.Millisecond)
	st := r.begin("join", p.Addr())
	st.Minimum = st.Stored / int64(len(r.masters)+1)
	start := r.c.Sim.Now()
	r.masters = append(r.masters, p)
	if err := r.scheme.grow(r, p); err != nil {
		return r.failed(err)
	}
	r.finish(start, settleLimit)
	return nil
}

// leave removes the master that joined last: with slots, its slots go away by the scheme's
// reshard or rebalance and del-node follows; with a placement, it leaves the membership,
// hands its keys off and is deleted. Then it stops.
func (r *movementRun) leave() error {
	p := r.masters[len(r.masters)-1]
	st := r.begin("leave", p.Addr())
	st.Minimum = int64(p.Node().Keys())
	start := r.c.Sim.Now()
	r.masters = r.masters[:len(r.masters)-1]
	if err := r.scheme.shrink(r, p, p.Node().ID()); err != nil {
		return r.failed(err)
	}
	r.c.Stop(p)
	r.finish(start, settleLimit)
	return nil
}

// kill crashes a master (SIGKILL). With a replica, the step lasts until the replica is
// promoted and the cluster has settled; without one, for the whole outage.
func (r *movementRun) kill(p *cluster.Process) error {
	r.begin("kill", p.Addr())
	start := r.c.Sim.Now()
	r.c.Kill(p)
	if r.part == PartReplica {
		r.finish(start, settleLimit)
		return nil
	}
	st := &r.steps[r.step]
	for r.c.Sim.Now().Sub(start) < r.cfg.Outage {
		r.c.Sim.RunFor(10 * time.Millisecond)
		if !st.Settled && r.c.Settled() {
			st.Settled, st.Settle = true, r.c.Sim.Now().Sub(start)
		}
	}
	if !st.Settled {
		st.Settle = r.cfg.Outage
	}
	r.masters = r.masters[1:]
	r.close(start)
	return nil
}

// restart starts the killed master again from its AOF and nodes.conf.
func (r *movementRun) restart(p *cluster.Process) error {
	r.begin("restart", p.Addr())
	start := r.c.Sim.Now()
	if err := r.c.Restart(p); err != nil {
		return err
	}
	if r.part == PartNoReplica {
		r.masters = append([]*cluster.Process{p}, r.masters...)
	}
	r.finish(start, settleLimit)
	return nil
}

// readBack reads every written key from the settled cluster and counts the acknowledged
// writes missing, in the step each was acknowledged in.
func (r *movementRun) readBack() error {
	var seeds []string
	for _, p := range r.c.Processes() {
		if p.Up() {
			seeds = append(seeds, p.Addr())
		}
	}
	lost, err := client.ReadBack(r.c, r.ledger, seeds)
	if err != nil {
		return err
	}
	for key, n := range lost {
		if step, ok := r.acked[key]; ok && step >= 0 {
			r.steps[step].Lost += n
		}
		if i, ok := r.ackedAt[key]; ok {
			r.seconds[i].Lost += n
		}
	}
	return nil
}

// A cliError is a step that redis-cli refused, with the end of what it printed.
type cliError struct {
	err  error
	tail string
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

// failed wraps err from a redis-cli action with the last lines redis-cli printed.
func (r *movementRun) failed(err error) error {
	lines := strings.Split(strings.TrimRight(r.out.String(), "\n"), "\n")
	return &cliError{err: err, tail: strings.Join(lines[max(0, len(lines)-8):], "\n")}
}

// nextRequest draws a movement load's next request: with probability Writes (always when
// no key is stored) a write of a new key, "new:N" ("kvplace:new:N" beside a user's own
// key names) with its value from ledger, counted in writes; else a read of a stored key.
func (c MovementConfig) nextRequest(rnd drawer, writes *int, ledger *client.Ledger) (key, value string, write bool) {
	if c.Keys == 0 || rnd.Float64() < c.Writes {
		*writes++
		key = "new:" + strconv.Itoa(*writes)
		if c.KeyNames != nil { // clear of a user's own names
			key = "kvplace:new:" + strconv.Itoa(*writes)
		}
		return key, ledger.Value(key), true
	}
	return c.keyName(rnd.IntN(c.Keys)), "", false
}

// count counts one request in c: sent, and failed or redirected, a write acknowledged, a
// read of a stored key that found nothing.
func (c *RequestCounts) count(failed, redirected, acked, missed bool) {
	c.Requests++
	switch {
	case failed:
		c.Failed++
	case redirected:
		c.Redirected++
	}
	if acked {
		c.Acked++
	}
	if missed {
		c.Missed++
	}
}

// A MovementSummary adds up one scheme's part: keys moved against the minimum, and the
// requests that suffered.
type MovementSummary struct {
	Scheme  string        `json:"scheme"`
	Part    string        `json:"part"`
	Moved   int64         `json:"moved_keys"`
	Minimum int64         `json:"minimum_keys"`
	Bytes   int64         `json:"moved_bytes"`
	Settle  time.Duration `json:"settle"` // summed over the steps
	RequestCounts
}

// Summaries adds up the steps of each scheme and part, in the order they ran.
func (res *MovementResult) Summaries() []MovementSummary {
	var out []MovementSummary
	for _, st := range res.Steps {
		if len(out) == 0 || out[len(out)-1].Scheme != st.Scheme || out[len(out)-1].Part != st.Part {
			out = append(out, MovementSummary{Scheme: st.Scheme, Part: st.Part})
		}
		s := &out[len(out)-1]
		s.Moved += st.Moved
		s.Minimum += st.Minimum
		s.Bytes += st.Bytes
		s.Settle += st.Settle
		s.RequestCounts.add(st.RequestCounts)
	}
	return out
}

// WriteMovementTable prints every step, then one line per scheme and part.
func WriteMovementTable(w io.Writer, res *MovementResult) error {
	c := res.Config
	of := ""
	if c.StartSource != "" {
		of = " of a copy of the cluster of " + c.StartSource
	}
	fmt.Fprintf(w, "Movement under load%s: %d → %d → %d masters one at a time, and a master killed for %v and restarted, with and without replicas\n",
		of, c.From, c.To, c.From, c.Outage)
	from := ""
	if c.KeysFile != "" {
		from = " (from " + c.KeysFile + ")"
	}
	size := fmt.Sprintf("%d bytes", c.ValueSize)
	if c.Size.Sized() {
		size = "sizes " + c.Size.String()
	}
	fmt.Fprintf(w, "%d keys%s of %s stored first; %g requests/s from %d clients, %.0f%% writes of new keys, the rest reads of stored keys; node timeout %v; links %s; seed %d\n\n",
		c.Keys, from, size, c.Rate, c.Clients, 100*c.Writes, c.NodeTimeout, bandwidth(c.Bandwidth), c.Seed)
	head := "%-15s %-16s %-7s %-15s %3s %7s %7s %7s %6s %8s %8s %6s %6s %6s %6s %5s\n"
	fmt.Fprintf(w, head, "scheme", "part", "event", "node", "N", "stored", "moved", "minimum", "×min", "MB", "settle", "reqs", "failed", "redir", "missed", "lost")
	for _, st := range res.Steps {
		settle := fmt.Sprintf("%.2fs", st.Settle.Seconds())
		if !st.Settled {
			settle = "never"
		}
		fmt.Fprintf(w, "%-15s %-16s %-7s %-15s %3d %7d %7d %7d %6s %8.2f %8s %6d %6d %6d %6d %5d\n",
			st.Scheme, st.Part, st.Event, st.Node, st.Masters, st.Stored, st.Moved, st.Minimum, ratio(st.Moved, st.Minimum),
			float64(st.Bytes)/1e6, settle, st.Requests, st.Failed, st.Redirected, st.Missed, st.Lost)
	}
	fmt.Fprintf(w, "\nN: masters serving keys after the step; minimum: the joining master's fair share stored/N, or the leaving master's keys,\n")
	fmt.Fprintf(w, "or 0 on a crash; settle: from the event until every node agrees, every owner runs, every master is ok and no key is left to move\n")
	fmt.Fprintf(w, "(\"never\": not within the outage); missed: reads of a stored key that found nothing; lost: acknowledged writes missing at the end\n\n")
	fmt.Fprintf(w, "%-15s %-16s %8s %8s %6s %8s %9s %7s %7s %7s %7s %5s\n", "scheme", "part", "moved", "minimum", "×min", "MB", "settle", "reqs", "failed", "redir", "missed", "lost")
	for _, s := range res.Summaries() {
		fmt.Fprintf(w, "%-15s %-16s %8d %8d %6s %8.2f %8.1fs %7d %7d %7d %7d %5d\n",
			s.Scheme, s.Part, s.Moved, s.Minimum, ratio(s.Moved, s.Minimum), float64(s.Bytes)/1e6, s.Settle.Seconds(),
			s.Requests, s.Failed, s.Redirected, s.Missed, s.Lost)
	}
	_, err := fmt.Fprintln(w)
	return err
}

func ratio(moved, minimum int64) string {
	if minimum == 0 {
		if moved == 0 {
			return "-"
		}
		return "∞"
	}
	return fmt.Sprintf("%.2f", float64(moved)/float64(minimum))
}

func bandwidth(b float64) string {
	if b == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%g Mbit/s", b*8/1e6)
}
