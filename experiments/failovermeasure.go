package experiments

import (
	"cmp"
	"fmt"
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

// FailoverTiming is one master crash, as experiments/recordings/redis-failover-timings.txt records it:
// times from the SIGKILL until a surviving master first flags it PFAIL ("fail?"), until the
// first node marks it FAIL, and until its replica is a master. A zero means it never
// happened within the observation. When the measurement ran under load, Load says what
// the application saw.
type FailoverTiming struct {
	Seed     uint64
	PFail    time.Duration
	Fail     time.Duration
	Promoted time.Duration
	// LastPFail is when the last surviving master first flagged it PFAIL: with two
	// surviving masters, FAIL needs both suspicions and cannot come earlier.
	LastPFail time.Duration
	// OK is when the last surviving node changed its cluster_state to ok, after the
	// fault: the cluster serves every slot everywhere again. Zero if none changed.
	OK      time.Duration `json:",omitempty"`
	Replica string        // the promoted replica's address
	Load    *LoadOutcome
	// Trace is the run's whole trace when the cluster was built with Options.Trace.
	Trace *sim.Trace `json:"-"`
}

// A Fault is how MeasureFailoverUnder takes the first master away.
type Fault uint8

// Faults.
const (
	// Kill is a SIGKILL: the process is gone, its connections are refused.
	Kill Fault = iota
	// Isolate cuts the master off from every other node of the cluster for good, while
	// clients still reach it: the minority-master case, where it goes on acknowledging
	// writes that its replica never receives until it notices, after a node timeout, that
	// it lost the majority.
	Isolate
	// KillTwo SIGKILLs the first two masters at once; the times are the first one's.
	// With 3 masters the one left is no majority, and neither is ever marked FAIL.
	KillTwo
	// KillPair SIGKILLs the first master and its replicas at once: nothing is promoted,
	// and with cluster-require-full-coverage the cluster stays down.
	KillPair
)

var faultNames = [...]string{Kill: "kill", Isolate: "isolate", KillTwo: "kill2", KillPair: "kill-pair"}

func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("fault(%d)", uint8(f))
}

// ParseFault reads "kill", "isolate", "kill2" or "kill-pair".
func ParseFault(s string) (Fault, error) {
	for f, name := range faultNames {
		if s == name {
			return Fault(f), nil
		}
	}
	return 0, fmt.Errorf("fault %q: want kill, isolate, kill2 or kill-pair", s)
}

// Load is application traffic during a failover measurement: Rate requests per second
// in all, sent open-loop (at fixed intervals whatever the replies) by Clients go-redis
// clients (client.GoRedis, with options Client). A request is, with probability Writes, a SET of a key never written
// before ("w:17"), and otherwise a GET of one of Keys keys ("key:0".."key:999") drawn
// uniformly. Writes go to fresh keys so that each acknowledged write can be checked
// afterwards: a write later overwritten would hide its own loss. The load starts Before
// the fault, so the clients' slot caches are warm.
type Load struct {
	Clients int
	Rate    float64
	Keys    int
	Writes  float64
	Before  time.Duration
	// Observe is how long after the fault requests are sent and counted, and the cluster
	// watched; zero means three node timeouts plus 4 s, longer than any promotion takes. A
	// client that reloads its slot map only now and then (go-redis: every 60 s) may need
	// longer to serve the failed master's slots again.
	Observe time.Duration
	Keep    bool // keep every request after the fault in LoadOutcome.Log
	// Client is go-redis's options for every client: simulated ones behave as go-redis
	// does with them (client.GoRedis), live ones are go-redis.
	Client client.Options `json:"client,omitzero"`
}

// DefaultLoad is a small web application: 4 clients, 1000 requests/s, half of them
// writes, on 1000 keys, starting 1 s before the fault.
func DefaultLoad() Load {
	return Load{Clients: 4, Rate: 1000, Keys: 1000, Writes: 0.5, Before: time.Second}
}

// observe is how long a run with load l (nil: none) watches after the fault.
func (l *Load) observe(nodeTimeout time.Duration) time.Duration {
	if l != nil && l.Observe > 0 {
		return l.Observe
	}
	return 3*nodeTimeout + 4*time.Second
}

// MaxClients bounds a Load's clients: each is a simulated process with its own slot map.
const MaxClients = 10000

func (l Load) check() error {
	switch {
	case l.Clients < 1 || l.Clients > MaxClients:
		return fmt.Errorf("load: clients %d: want 1 to %d", l.Clients, MaxClients)
	case !(l.Rate > 0) || l.Rate > 1e6:
		return fmt.Errorf("load: rate %v requests/s: want more than 0 and at most 1e6", l.Rate)
	case l.Keys < 1:
		return fmt.Errorf("load: keys %d: want at least 1", l.Keys)
	case !(l.Writes >= 0 && l.Writes <= 1):
		return fmt.Errorf("load: writes %v: want a fraction in [0, 1]", l.Writes)
	case l.Before < 0:
		return fmt.Errorf("load: before %v: want 0 or more", l.Before)
	case l.Observe < 0 || l.Observe > MaxNodeTimeout:
		return fmt.Errorf("load: observe %v: want 0 (three node timeouts plus 4s) to %v", l.Observe, MaxNodeTimeout)
	}
	if err := l.Client.Check(); err != nil {
		return fmt.Errorf("load: client: %w", err)
	}
	return nil
}

// A LoadOutcome is what the application saw from the fault to the end of the observation.
// Unserved is the window in which the failed master's slots could not be used: from the
// first request on them that failed to the first one, sent after the last failure, that
// succeeded (zero when none failed; the whole rest of the observation, with Recovered
// false, when none succeeded again). Its resolution is the interval between requests on
// those slots. Lost counts the acknowledged writes that a read of every key after the
// cluster healed and settled did not find; the other counts are of requests sent after
// the fault (a write acknowledged before it had reached the replica too, and is checked
// all the same).
type LoadOutcome struct {
	Requests   int
	Failed     int
	Redirected int
	Unserved   time.Duration
	Recovered  bool
	Acked      int          // writes answered OK
	Lost       int          // of all acknowledged writes, those not found afterwards
	Log        []AppRequest `json:",omitempty"` // with Load.Keep: every request after the fault, by time sent
	// Linearizability is porcupine's verdict on the run's history: every SET and the
	// read-back's GET of each key written, checked per key.
	Linearizability *Verdict `json:",omitempty"`
}

// An AppRequest is one application request after the fault, its times relative to the fault.
type AppRequest struct {
	Key       string
	Sent, End time.Duration
	Outcome   client.Outcome
	Write     bool
	Acked     bool // a write answered OK
	Lost      bool // an acknowledged write that the read-back did not find
	Victim    bool // its key's slot belonged to the failed master
	// Err is the error's text for a failed request ("CLUSTERDOWN The cluster is down",
	// "dial tcp ...: connect: connection refused"); Value is what a GET found ("" for a
	// missing key, or one that failed).
	Err   string `json:",omitempty"`
	Value string `json:",omitempty"`
}

// Failed reports whether the request ended in an error.
func (r AppRequest) Failed() bool { return r.Outcome == client.Failed }

// MeasureFailover builds a cluster, lets replicas finish their first synchronisation,
// kills the first master and watches, without application load (see MeasureFailoverUnder).
func MeasureFailover(opt cluster.Options) (FailoverTiming, error) {
	return MeasureFailoverUnder(opt, Kill, nil)
}

// killPhaseWindow is the span over which the fault's moment is drawn, after the settling
// time: one whole ping period, so that over many runs the fault meets every point of the
// nodes' ping rhythm. Pings lock onto the Unix second (gossip carries pong times in whole
// seconds); and where the once-a-second random ping cannot reach every peer in time, as
// on 30 masters and more, each node also pings every peer whose pong is half a node
// timeout old. When the masters ping the victim after the kill, and so when they flag it
// PFAIL and reach a quorum, depends on where in that period the kill falls. At 15 s the
// period is 7.5 s, and drawing the fault over one second, as before, missed most of it:
// no simulated kill2 of 200 at 30 masters then failed the victim before 19.7 s, where 3
// real runs of 30 did (recordings/failover-size-15s.txt, whose kills fall 24 to 65 s
// after the create, at every point of the period); drawn over the period, 8 of 200 do.
func killPhaseWindow(nodeTimeout time.Duration) time.Duration {
	return max(time.Second, nodeTimeout/2)
}

// faultSettle is how long a cluster runs after its create before the fault's moment is
// drawn: the replicas' first synchronisation is over by then.
const faultSettle = 15 * time.Second

// faultMoment draws when the fault comes, on s's "kill phase" stream: faultSettle from now
// (just after the create) plus a random part of a ping period (killPhaseWindow). Every
// measurement that kills at "the fault's moment" draws it here, so that a probe explaining
// a measurement meets the same ping schedule as the measurement.
func faultMoment(s *sim.Sim, nodeTimeout time.Duration) sim.Time {
	phase := s.Stream("kill phase")
	return s.Now().Add(faultSettle + time.Duration(phase.IntN(int(killPhaseWindow(nodeTimeout)))))
}

// MeasureFailoverUnder builds a cluster, lets replicas finish their first synchronisation,
// takes the first master away by fault and watches. Under load it watches for load's
// observation, by default three node timeouts plus 4 s, longer than a promotion takes
// (PFAIL after one timeout, FAIL within two, an election delay of at most 1 s per rank).
// Without load it watches as the live recorder does (live.MeasureSizedFailover): until the
// cluster has recovered (FailoverWatch.recovered), seen every 100 ms, or at most ten node
// timeouts plus 10 s, long enough for an election retried after a split vote (twice the
// failover timeout, four node timeouts, later); for kill-pair, which nothing repairs, for
// three node timeouts. The fault comes 15 s after the cluster was created plus a random
// part of a ping period (killPhaseWindow: a second, or half the node timeout if longer): a
// fault at a fixed phase would always meet the same ping schedule, which a person killing
// a process never does.
//
// With load, clients send requests from load.Before the fault to the end of the
// observation; then the fault is repaired (the killed master restarted, the isolated one
// reconnected), the cluster is given two node timeouts plus 5 s to settle, and every key
// is read back to count lost writes.
func MeasureFailoverUnder(opt cluster.Options, fault Fault, load *Load) (FailoverTiming, error) {
	if load != nil {
		if err := load.check(); err != nil {
			return FailoverTiming{}, err
		}
	}
	switch {
	case int(fault) >= len(faultNames):
		return FailoverTiming{}, fmt.Errorf("measure: unknown %v", fault)
	case load != nil && (fault == KillTwo || fault == KillPair):
		return FailoverTiming{}, fmt.Errorf("measure: %v is measured without client load: the load's accounting follows one failed master", fault)
	}
	observe := load.observe(opt.Config.NodeTimeout)
	c, procs, err := rediscli.Build(opt)
	if err != nil {
		return FailoverTiming{}, err
	}
	at := faultMoment(c.Sim, opt.Config.NodeTimeout)
	var app *appLoad
	if load != nil {
		c.Sim.RunUntil(at.Add(-load.Before))
		app = startLoad(c, procs, *load)
	}
	c.Sim.RunUntil(at)
	victim := procs[0]
	if app != nil {
		app.fault(c.Sim.Now(), victim.Node())
	}
	watch := WatchFailover(c, victim)
	switch fault {
	case Kill:
		c.Kill(victim)
	case KillTwo:
		c.Kill(victim)
		c.Kill(procs[1])
	case KillPair:
		c.Kill(victim)
		for _, p := range procs { // in order: a map's would differ from run to run
			if watch.replicas[p] {
				c.Kill(p)
			}
		}
	case Isolate:
		var rest []int
		for _, p := range procs[1:] {
			rest = append(rest, p.Index)
		}
		c.Sim.Partition([]int{victim.Index}, rest)
	}
	killed := c.Sim.Now()
	switch {
	case app == nil && fault == KillPair:
		c.Sim.RunFor(3 * opt.Config.NodeTimeout)
	case app == nil:
		end := killed.Add(10*opt.Config.NodeTimeout + 10*time.Second)
		for c.Sim.Now() < end && !watch.recovered() {
			c.Sim.RunFor(min(recoveryPoll, time.Duration(end-c.Sim.Now())))
		}
	default:
		c.Sim.RunFor(observe)
	}
	t := watch.Timing(opt.Seed)
	if opt.Trace {
		t.Trace = c.Sim.Trace()
	}
	if app == nil {
		return t, nil
	}
	app.stop()
	switch fault {
	case Kill:
		if err := c.Restart(victim); err != nil {
			return t, err
		}
	case Isolate:
		c.Sim.Heal()
	}
	c.Sim.RunFor(2*opt.Config.NodeTimeout + 5*time.Second)
	out, err := app.outcome(c, procs, killed.Add(observe))
	if err != nil {
		return t, fmt.Errorf("measure: seed %d: %w", opt.Seed, err)
	}
	t.Load = out
	return t, nil
}

// appLoad drives a Load: open-loop clients recording each request's outcome.
type appLoad struct {
	load    Load
	ledger  *client.Ledger
	writes  int
	rnd     sim.Stream
	victim  [slot.Count]bool
	faultAt sim.Time
	faulted bool
	stopped bool
	reqs    []AppRequest
	history History // every SET, and the read-back's GETs, for porcupine
}

func startLoad(c *cluster.Cluster, procs []*cluster.Process, l Load) *appLoad {
	a := &appLoad{load: l, ledger: client.NewLedger(), rnd: c.Sim.Stream("load")}
	var seeds []string
	for _, p := range procs {
		seeds = append(seeds, p.Addr())
	}
	client.OpenLoopWith(c, l.Clients, l.Rate, 0, func(i int) client.Doer {
		g := client.NewGoRedis(c, "app-"+strconv.Itoa(i+1), l.Client, seeds...)
		g.Load()
		return g
	}, func(d client.Doer) bool {
		if a.stopped {
			return false
		}
		a.request(d)
		return true
	})
	return a
}

// fault records the moment of the fault and which slots the failed master served.
func (a *appLoad) fault(now sim.Time, victim *cluster.Node) {
	a.faulted, a.faultAt = true, now
	addr := victim.Addr()
	for s := range slot.Count {
		a.victim[s] = victim.Owner(s) == addr
	}
}

func (a *appLoad) stop() { a.stopped = true }

// A drawer is the random source of a load's requests: a simulation's stream, or a live
// run's generator.
type drawer interface {
	Float64() float64
	IntN(n int) int
}

// next draws the next request of l: with probability l.Writes a SET of a key never written
// before ("w:17", counted in writes), with the value the ledger gives it; otherwise a GET
// of one of l.Keys keys ("key:42").
func (l Load) next(rnd drawer, writes *int, ledger *client.Ledger) (key, value string, write bool) {
	if rnd.Float64() < l.Writes {
		*writes++
		key = "w:" + strconv.Itoa(*writes)
		return key, ledger.Value(key), true
	}
	return "key:" + strconv.Itoa(rnd.IntN(l.Keys)), "", false
}

func (a *appLoad) request(cc client.Doer) {
	key, value, write := a.load.next(&a.rnd, &a.writes, a.ledger)
	args := []string{"GET", key}
	if write {
		args = []string{"SET", key, value}
	}
	after := a.faulted
	cc.Do(func(r client.Result) {
		acked := write && r.Outcome != client.Failed && r.Reply.Str == "OK"
		if acked {
			_ = a.ledger.Ack(key, value) // value came from the ledger
		}
		if write { // the reads ask keys no request writes: nothing to check in them
			a.history.Add(cc.Index(), KVInput{Key: key, Write: true, Value: value}, KVOutput{Unknown: !acked}, time.Duration(r.Sent), time.Duration(r.End))
		}
		if after {
			req := AppRequest{
				Key: key, Sent: r.Sent.Sub(a.faultAt), End: r.End.Sub(a.faultAt), Outcome: r.Outcome,
				Write: write, Acked: acked, Victim: a.victim[slot.Of(key)],
			}
			if r.Outcome == client.Failed {
				req.Err = r.Reply.Str
			} else if !write && r.Reply.Kind == cluster.Bulk {
				req.Value = r.Reply.Str
			}
			a.reqs = append(a.reqs, req)
		}
	}, args...)
}

// outcome summarises the requests after the fault and reads every key back.
func (a *appLoad) outcome(c *cluster.Cluster, procs []*cluster.Process, end sim.Time) (*LoadOutcome, error) {
	out := countRequests(a.reqs, end.Sub(a.faultAt), a.load.Keep)
	lost, err := a.readBack(c, procs)
	if err != nil {
		return nil, err
	}
	out.addLost(lost)
	v := a.history.Check()
	out.Linearizability = &v
	return out, nil
}

// countRequests sorts reqs by time sent and counts those sent up to end (relative to the
// fault) into a LoadOutcome, with the unserved window; keep keeps them all in its Log.
func countRequests(reqs []AppRequest, end time.Duration, keep bool) *LoadOutcome {
	out := &LoadOutcome{}
	slices.SortStableFunc(reqs, func(x, y AppRequest) int { return cmp.Compare(x.Sent, y.Sent) })
	for _, r := range reqs {
		if r.Sent > end {
			continue
		}
		out.Requests++
		if r.Acked {
			out.Acked++
		}
		switch r.Outcome {
		case client.Failed:
			out.Failed++
		case client.Redirected:
			out.Redirected++
		}
	}
	out.Unserved, out.Recovered = unserved(reqs, end)
	if keep {
		out.Log = slices.Clone(reqs)
	}
	return out
}

// addLost adds the read-back's count of lost acknowledged writes per key.
func (out *LoadOutcome) addLost(lost map[string]int) {
	for _, n := range lost {
		out.Lost += n
	}
	for i := range out.Log {
		out.Log[i].Lost = out.Log[i].Acked && lost[out.Log[i].Key] > 0
	}
}

// A FailoverWatch remembers a master and its replicas at the moment it is taken away, to
// read afterwards from the other nodes' events how long the cluster took to flag it and
// to promote a replica.
type FailoverWatch struct {
	procs    []*cluster.Process
	victim   *cluster.Process
	id       string
	replicas map[*cluster.Process]bool
	masters  map[*cluster.Process]bool // the other masters, when the watch began
	at       sim.Time
}

// WatchFailover starts watching victim, a master about to fail now.
func WatchFailover(c *cluster.Cluster, victim *cluster.Process) *FailoverWatch {
	w := &FailoverWatch{procs: c.Processes(), victim: victim, id: victim.Node().ID(), replicas: map[*cluster.Process]bool{}, masters: map[*cluster.Process]bool{}, at: c.Sim.Now()}
	for _, p := range w.procs {
		if isReplicaOf(p.Node(), w.id) {
			w.replicas[p] = true
		} else if p != victim && p.Up() && p.Node().IsMaster() {
			w.masters[p] = true
		}
	}
	return w
}

// Timing reads the times from the start of the watch to the first PFAIL flag set by a
// master, the first FAIL, the promotion of one of the victim's replicas, and the last
// surviving node's return to cluster_state:ok.
func (w *FailoverWatch) Timing(seed uint64) FailoverTiming {
	t := FailoverTiming{Seed: seed}
	first := func(cur *time.Duration, at sim.Time) {
		d := at.Sub(w.at)
		if d >= 0 && (*cur == 0 || d < *cur) {
			*cur = d
		}
	}
	suspected := true
	for _, p := range w.procs {
		if p == w.victim {
			continue
		}
		n := p.Node()
		var mine time.Duration
		for _, e := range n.Events {
			if e.At < w.at {
				continue
			}
			switch {
			case e.Kind == cluster.EvState && strings.HasSuffix(e.Text, ": ok"):
				t.OK = max(t.OK, e.At.Sub(w.at))
			case e.Kind == cluster.EvPFail && e.About == w.id && n.IsMaster() && !isReplicaOf(n, w.id):
				first(&t.PFail, e.At)
				first(&mine, e.At)
			case e.Kind == cluster.EvFail && e.About == w.id:
				first(&t.Fail, e.At)
			case e.Kind == cluster.EvPromoted && w.replicas[p]:
				first(&t.Promoted, e.At)
				t.Replica = p.Addr()
			}
		}
		if w.masters[p] {
			suspected = suspected && mine > 0
			t.LastPFail = max(t.LastPFail, mine)
		}
	}
	if !suspected {
		t.LastPFail = 0
	}
	return t
}

// recoveryPoll is how often MeasureFailoverUnder looks whether the cluster has recovered:
// the live recorder reads every surviving node's cluster_state every 100 ms.
const recoveryPoll = 100 * time.Millisecond

// recovered reports whether the live recorder would stop watching: a replica of the victim
// is a master and every node that is up, the victim aside, says cluster_state:ok. With two
// masters killed that can come before the second one's FAIL, when its slots still count
// as served (at a 15 s node timeout, in 2 of 10 real kill2 runs the second election had
// not begun when the recorder stopped).
func (w *FailoverWatch) recovered() bool {
	promoted := false
	for p := range w.replicas {
		promoted = promoted || (p.Up() && p.Node().IsMaster())
	}
	if !promoted {
		return false
	}
	for _, p := range w.procs {
		if p != w.victim && p.Up() && p.Node().State() != "ok" {
			return false
		}
	}
	return true
}

func isReplicaOf(n *cluster.Node, id string) bool {
	return n.MasterID() != "" && n.MasterID() == id
}

// unserved finds the window in which requests on the failed master's slots (sent up to
// end, relative to the fault) failed; see LoadOutcome. reqs are sorted by time sent.
func unserved(reqs []AppRequest, end time.Duration) (window time.Duration, recovered bool) {
	firstFail, lastFail := -1, -1
	for i, r := range reqs {
		if r.Victim && r.Sent <= end && r.Outcome == client.Failed {
			if firstFail < 0 {
				firstFail = i
			}
			lastFail = i
		}
	}
	if firstFail < 0 {
		return 0, true
	}
	for _, r := range reqs[lastFail+1:] {
		if r.Victim && r.Sent <= end && r.Outcome != client.Failed {
			return r.End - reqs[firstFail].Sent, true
		}
	}
	return end - reqs[firstFail].Sent, false
}

// readBack reads every key the load wrote and counts per key the acknowledged writes
// that are missing.
func (a *appLoad) readBack(c *cluster.Cluster, procs []*cluster.Process) (map[string]int, error) {
	var seeds []string
	for _, p := range procs {
		seeds = append(seeds, p.Addr())
	}
	return client.ReadBackEach(c, a.ledger, seeds, func(key string, r client.Result) {
		found := r.Reply.Kind == cluster.Bulk
		a.history.Add(readerClient, KVInput{Key: key}, KVOutput{Value: r.Reply.Str, Found: found}, time.Duration(r.Sent), time.Duration(r.End))
	})
}

// readerClient is the read-back's client in a history, apart from the application's.
const readerClient = 1 << 20
