package experiments

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/slot"
	"github.com/redis/go-redis/v9"
)

// A LiveFailover is one failover on real redis-server processes on loopback, under load
// from go-redis clients: what MeasureFailoverUnder does in simulation.
type LiveFailover struct {
	Run         uint64 // the run's number: its row's label, and the seed of its load's draws
	Dir         string // the servers' files
	Masters     int
	Replicas    int
	NodeTimeout time.Duration
	Fault       Fault
	Load        *Load // nil: no load; its Client is the go-redis clients' options
}

// MeasureLiveFailover builds the cluster with the real redis-cli, waits for the replicas'
// first synchronisation, and takes the first master away by f.Fault: SIGKILL, or
// iptables rules that cut its cluster bus and replication links (its clients still reach
// it; this needs root). It watches as sim/live.Cluster.WatchFailover does for three node
// timeouts plus 4 s, as MeasureFailoverUnder does. Under load, each of Load.Clients is a
// go-redis ClusterClient with Load.Client's options, sending open-loop from Load.Before the
// fault to the end of the observation; then the master is restarted or the cut healed,
// the cluster has two node timeouts plus 5 s to settle, and every key written is read
// back. The times and counts are those of MeasureFailoverUnder, measured on the real
// thing; no server, temp file or firewall rule outlives the call.
func MeasureLiveFailover(f LiveFailover) (FailoverTiming, error) {
	t := FailoverTiming{Seed: f.Run}
	if f.Load != nil {
		if err := f.Load.check(); err != nil {
			return t, err
		}
	}
	if f.Fault != Kill && f.Fault != Isolate {
		return t, fmt.Errorf("measure: unknown %v", f.Fault)
	}
	var fw *live.Firewall
	if f.Fault == Isolate {
		var err error
		if fw, err = live.NewFirewall(); err != nil {
			return t, err
		}
		defer fw.Close()
		if err := fw.Probe(); err != nil {
			return t, err
		}
	}
	ports, err := live.FreePorts(f.Masters * (1 + f.Replicas))
	if err != nil {
		return t, err
	}
	c, err := live.StartCluster(live.ClusterSpec{
		Dir: f.Dir, Ports: ports, Masters: f.Masters, Replicas: f.Replicas, Sources: f.Fault == Isolate,
		Args: []string{"--cluster-node-timeout", strconv.FormatInt(f.NodeTimeout.Milliseconds(), 10)},
	})
	if err != nil {
		return t, err
	}
	defer c.Close()
	// As in a cluster that has run a while: every node lists the replicas in CLUSTER
	// SLOTS, so that clients that read from replicas know them (the simulation's fault
	// comes 15 s after the creation, by when they are listed there too).
	if err := c.WaitReplicasListed(f.Replicas, 30*time.Second); err != nil {
		return t, err
	}
	victim := c.Servers[0]
	rnd := rand.New(rand.NewPCG(f.Run, 0x6c697665)) // "live"
	// As sim/live.MeasureFailover: a random phase of the ping rhythm at the fault.
	wait := 2*time.Second + time.Duration(rnd.Int64N(int64(time.Second)))
	var app *liveLoad
	if f.Load != nil {
		time.Sleep(max(0, wait-f.Load.Before))
		if app, err = startLiveLoad(c, victim, *f.Load, rnd); err != nil {
			return t, err
		}
		defer app.stop()
		time.Sleep(min(wait, f.Load.Before))
	} else {
		time.Sleep(wait)
	}
	var faultAt time.Time
	fault := func() error {
		var err error
		switch f.Fault {
		case Kill:
			err = victim.Kill()
		case Isolate:
			err = fw.Cut([]*live.Server{victim}, others(c.Servers, victim))
		}
		faultAt = time.Now()
		if app != nil {
			app.fault(faultAt)
		}
		return err
	}
	observe := f.Load.observe(f.NodeTimeout)
	run, err := c.WatchFailover(victim, fault, f.NodeTimeout, observe)
	if err != nil {
		return t, err
	}
	t.PFail, t.Fail, t.Promoted, t.LastPFail, t.Replica = run.PFail, run.Fail, run.Promoted, run.LastPFail, run.Replica
	if app == nil {
		return t, nil
	}
	time.Sleep(time.Until(faultAt.Add(observe)))
	app.stop()
	switch f.Fault {
	case Kill:
		err = victim.Start()
	case Isolate:
		err = fw.Heal()
	}
	if err != nil {
		return t, fmt.Errorf("repairing the %v: %w", f.Fault, err)
	}
	time.Sleep(2*f.NodeTimeout + 5*time.Second)
	out := countRequests(app.reqs, observe, f.Load.Keep)
	lost, err := app.readBack(c.Addrs())
	if err != nil {
		return t, fmt.Errorf("measure: run %d: %w", f.Run, err)
	}
	out.addLost(lost)
	v := app.history.Check()
	out.Linearizability = &v
	t.Load = out
	return t, nil
}

func others(all []*live.Server, not *live.Server) []*live.Server {
	var out []*live.Server
	for _, s := range all {
		if s != not {
			out = append(out, s)
		}
	}
	return out
}

// liveLoad drives a Load with go-redis clients, as appLoad does with simulated ones.
type liveLoad struct {
	liveSchedule
	load   Load
	victim [slot.Count]bool // the slots the first master served before the fault
	base   time.Time        // the histories' zero

	mu      sync.Mutex // guards what follows
	rnd     *rand.Rand
	ledger  *client.Ledger
	writes  int
	faultAt time.Time
	reqs    []AppRequest
	history History
}

// startLiveLoad starts load.Clients go-redis clients, each sending load.Rate/load.Clients
// requests a second at fixed intervals whatever the replies (each request on a goroutine
// of its own), staggered over one interval as client.OpenLoop staggers simulated ones.
func startLiveLoad(c *live.Cluster, victim *live.Server, l Load, rnd *rand.Rand) (*liveLoad, error) {
	a := &liveLoad{load: l, rnd: rnd, ledger: client.NewLedger()}
	text, err := live.String(victim.Do("CLUSTER", "NODES"))
	if err != nil {
		return nil, fmt.Errorf("load: the first master's slots: %w", err)
	}
	nodes, err := slot.ParseNodes(text)
	if err != nil {
		return nil, fmt.Errorf("load: the first master's CLUSTER NODES: %w", err)
	}
	for _, n := range nodes {
		if n.Has("myself") {
			for s := range n.Slots.All() {
				a.victim[s] = true
			}
		}
	}
	clients, err := newLiveClients(l.Clients, l.Client, c.Addrs())
	if err != nil {
		return nil, err
	}
	a.base = time.Now()
	a.start(clients, a.base, l.Rate, a.request)
	return a, nil
}

// newLiveClients returns n go-redis clients with options opt that start from addrs, each
// with its slot map loaded and a connection to every master, as client.OpenLoop's
// simulated clients have them before the first request.
func newLiveClients(n int, opt client.Options, addrs []string) ([]*client.Real, error) {
	var out []*client.Real
	for i := range n {
		cc := client.NewReal(opt, addrs)
		out = append(out, cc)
		if err := cc.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error { return node.Ping(ctx).Err() }); err != nil {
			for _, cc := range out {
				_ = cc.Close()
			}
			return nil, fmt.Errorf("load: client %d: %w", i+1, err)
		}
	}
	return out, nil
}

// A liveSchedule sends open-loop on real go-redis clients: each client at fixed intervals
// whatever the replies, each request on a goroutine of its own, the clients staggered over
// one interval as client.OpenLoop staggers simulated ones.
type liveSchedule struct {
	clients []*client.Real
	done    chan struct{}
	stopped sync.Once
	ticking sync.WaitGroup // the clients' schedules
	flying  sync.WaitGroup // requests sent and not yet answered
}

// start sends rate requests a second in all from base on, each by send (i is the client's
// index).
func (s *liveSchedule) start(clients []*client.Real, base time.Time, rate float64, send func(i int, cc *client.Real)) {
	s.clients, s.done = clients, make(chan struct{})
	interval := time.Duration(float64(time.Second) * float64(len(clients)) / rate)
	for i, cc := range clients {
		s.ticking.Add(1)
		go func() {
			defer s.ticking.Done()
			next := base.Add(interval * time.Duration(i) / time.Duration(len(clients)))
			for {
				select {
				case <-s.done:
					return
				case <-time.After(time.Until(next)):
				}
				s.flying.Add(1)
				go func() {
					defer s.flying.Done()
					send(i, cc)
				}()
				next = next.Add(interval)
			}
		}()
	}
}

// fault records the moment of the fault: requests sent from then on are counted.
func (a *liveLoad) fault(at time.Time) {
	a.mu.Lock()
	a.faultAt = at
	a.mu.Unlock()
}

// stop ends the schedules, waits for every request in flight and closes the clients.
func (s *liveSchedule) stop() {
	s.stopped.Do(func() {
		if s.done != nil {
			close(s.done)
		}
		s.ticking.Wait()
		s.flying.Wait()
		for _, cc := range s.clients {
			_ = cc.Close()
		}
	})
}

// sendDrawn sends a live load's drawn request through the real go-redis: SET key value
// for a write, GET key for a read. acked says a write was acknowledged with OK.
func sendDrawn(cc *client.Real, key, value string, write bool) (r client.RealResult, acked bool) {
	args := []any{"GET", key}
	if write {
		args = []any{"SET", key, value}
	}
	r = cc.Do(context.Background(), args...)
	return r, write && r.Err == nil && r.Reply == "OK"
}

func (a *liveLoad) request(i int, cc *client.Real) {
	a.mu.Lock()
	key, value, write := a.load.next(a.rnd, &a.writes, a.ledger)
	a.mu.Unlock()
	r, acked := sendDrawn(cc, key, value, write)
	a.mu.Lock()
	defer a.mu.Unlock()
	if acked {
		_ = a.ledger.Ack(key, value) // value came from the ledger
	}
	if write {
		a.history.Add(i, KVInput{Key: key, Write: true, Value: value}, KVOutput{Unknown: !acked}, r.Start.Sub(a.base), r.End.Sub(a.base))
	}
	if !a.faultAt.IsZero() && !r.Start.Before(a.faultAt) {
		outcome := client.Served
		switch {
		case r.Err != nil:
			outcome = client.Failed
		case r.Redirected():
			outcome = client.Redirected
		}
		req := AppRequest{
			Key: key, Sent: r.Start.Sub(a.faultAt), End: r.End.Sub(a.faultAt), Outcome: outcome,
			Write: write, Acked: acked, Victim: a.victim[slot.Of(key)],
		}
		if r.Err != nil {
			req.Err = r.Err.Error()
		} else if !write {
			req.Value = r.Reply
		}
		a.reqs = append(a.reqs, req)
	}
}

// readBack reads every key written back (liveReadBack), each final read into the history.
func (a *liveLoad) readBack(addrs []string) (map[string]int, error) {
	return liveReadBack(a.ledger, addrs, func(key string, r client.RealResult) {
		a.history.Add(readerClient, KVInput{Key: key}, KVOutput{Value: r.Reply, Found: r.Found}, r.Start.Sub(a.base), r.End.Sub(a.base))
	})
}

// measureLive runs MeasureLiveFailover in a temporary folder of its own, removed after
// the run or when the command is interrupted.
func measureLive(cfg FailoverConfig, run uint64, fault Fault, load *Load) (FailoverTiming, error) {
	dir, err := os.MkdirTemp("", "kvplace-failover-")
	if err != nil {
		return FailoverTiming{}, err
	}
	done := live.RemoveOnInterrupt(dir)
	defer func() {
		_ = os.RemoveAll(dir)
		done()
	}()
	return MeasureLiveFailover(LiveFailover{
		Run: run, Dir: dir, Masters: cfg.Masters, Replicas: cfg.Replicas, NodeTimeout: cfg.NodeTimeout,
		Fault: fault, Load: load,
	})
}

// errLiveTrace refuses -trace with -live: a real run has no trace of its own.
var errLiveTrace = errors.New("failover: a live run has no trace; -trace is for simulated runs")
