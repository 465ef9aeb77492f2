package scenario

import (
	"errors"
	"fmt"
	"io"
	"math"
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

// RunSim runs a runbook in simulation and writes what each command prints to out.
func RunSim(rb *Runbook, out io.Writer, opt Options) error {
	b, err := newSimBackend(opt)
	if err != nil {
		return err
	}
	err = run(rb, b, out, opt)
	if opt.Trace != nil {
		if terr := b.c.Sim.Trace().WriteChrome(opt.Trace); terr != nil {
			err = errors.Join(err, fmt.Errorf("writing the trace: %w", terr))
		}
	}
	return err
}

type simBackend struct {
	seed       uint64
	c          *cluster.Cluster
	cli        *rediscli.CLI
	client     *cluster.Client
	containers []*container
	byName     map[string]*container
	pairing    map[string]string           // Options.Pairing
	draws      map[int]*rediscli.RealDraws // Options.Draws
	load       sim.Stream
	ready      *cluster.LiveStartup // how long each server takes to answer (serverReady)
	apps       int                  // load steps' clients so far, for their names
	failed     scheduledFailure     // what the steps of `after` lines returned
	scheduling bool                 // running a step of an `after` line, in the event loop
}

func newSimBackend(opt Options) (*simBackend, error) {
	if len(opt.Nodes) > 0 {
		return copySimBackend(opt)
	}
	s, err := sim.New(sim.Config{Seed: opt.Seed, Link: cluster.Loopback(), Hangups: true, Retransmit: true, KeepTrace: opt.Trace != nil})
	if err != nil {
		return nil, err
	}
	c := cluster.NewCluster(s)
	c.Slowdown = opt.Slowdown
	c.UnixPhase = unixPhase(opt.Seed)
	b := &simBackend{seed: opt.Seed, c: c, byName: map[string]*container{}, load: s.Stream("load"), ready: cluster.NewLiveStartup(s.Stream("docker ready")), pairing: opt.Pairing, draws: opt.Draws}
	b.client = c.NewClient("redis-cli")
	return b, nil
}

// copySimBackend starts from a simulated copy of the cluster opt.Nodes describes
// (cluster.BuildFromNodes), each node a running container named redis-node-1, -2, … in the
// reply's order, as docker compose would name them.
func copySimBackend(opt Options) (*simBackend, error) {
	// The slowdown goes in with the options: the nodes read it when they start.
	c, procs, err := cluster.BuildFromNodes(cluster.Options{Seed: opt.Seed, Config: cluster.DefaultConfig(), Link: cluster.Loopback(), Trace: opt.Trace != nil, Slowdown: opt.Slowdown, UnixPhase: unixPhase(opt.Seed)}, opt.Nodes)
	if err != nil {
		return nil, err
	}
	b := &simBackend{seed: opt.Seed, c: c, byName: map[string]*container{}, load: c.Sim.Stream("load"), ready: cluster.NewLiveStartup(c.Sim.Stream("docker ready")), pairing: opt.Pairing, draws: opt.Draws}
	b.client = c.NewClient("redis-cli")
	for _, p := range procs {
		host, port, err := slot.ParseAddr(p.Addr())
		if err != nil {
			return nil, err
		}
		ct := &container{id: containerID(b.seed, p.Name), name: p.Name, image: "redis", host: host, port: port, running: true}
		b.containers = append(b.containers, ct)
		b.byName[ct.name] = ct
	}
	return b, nil
}

// unixPhase draws where in a Unix second a run starts. A runbook's steps are whole seconds
// apart, as its sleeps are, so without it each would fall at the same point of its second.
// Redis counts some delays in whole seconds of its clock: a master starts a replica's
// first copy at its first replication cron once the Unix second has moved on five times
// since the PSYNC, which is 4 to 6 s after it. With every heal at the same point of its
// second, the simulation could reach only part of that span (TestPartitionLive).
func unixPhase(seed uint64) time.Duration {
	st := sim.NewStream(seed, "scenario/unix phase")
	return time.Duration(st.IntN(1000)) * time.Millisecond
}

func (b *simBackend) elapsed() time.Duration { return time.Duration(b.c.Sim.Now()) }
func (b *simBackend) scheduled() error       { return b.failed.take() }
func (b *simBackend) close() error           { return nil }

// node resolves a container name, "host:port" or a port to a process.
func (b *simBackend) node(ref string) (*cluster.Process, error) {
	if c, ok := b.byName[ref]; ok {
		ref = c.addr()
	} else if _, err := strconv.Atoi(ref); err == nil {
		ref = "127.0.0.1:" + ref
	}
	p, ok := b.c.Process(ref)
	if !ok {
		return nil, fmt.Errorf("no node %q: name a container, a HOST:PORT or a port of this runbook", ref)
	}
	return p, nil
}

// A redis-cli step takes time beyond its commands: the process starts (cliStart) before
// its first command leaves, and the next step comes only after it has exited (cliExit).
// Measured on loopback here as a single command's step, 4 to 9.5 ms, median 6.5
// (testdata/step-timings.txt, TestStepTimingMatchesRealRedis), of which the start, from
// exec to the first command's arrival, is about 4.5 ms. They matter where a step races the
// cluster bus: a check right after a reshard finds the nodes disagreeing only while the
// last slots' news is held back (cluster.transmit), for tens of milliseconds.
const (
	cliStart = 4500 * time.Microsecond
	cliExit  = 2 * time.Millisecond
)

// cliProcess runs the simulation through a redis-cli process's start, and returns what
// runs it through its exit. A step an `after` line runs, in the event loop, takes no time.
func (b *simBackend) cliProcess() func() {
	if b.scheduling {
		return func() {}
	}
	b.c.Sim.RunFor(cliStart)
	return func() { b.c.Sim.RunFor(cliExit) }
}

func (b *simBackend) exec(s Step, out io.Writer) error {
	switch c := s.Cmd.(type) {
	case DockerRun:
		b.dockerRun(c, out)
	case DockerStop:
		return dockerDown(b, c.Names, true, out)
	case DockerKill:
		return dockerDown(b, c.Names, false, out)
	case DockerStart:
		return dockerStart(b, c.Names, out)
	case DockerPs:
		dockerPs(out, b.containers, b.elapsed())
	case DockerExec:
	case Sleep:
		b.c.Sim.RunFor(c.D)
	case RedisCLI:
		defer b.cliProcess()()
		b.redisCLI(c, out)
	case ClusterTool:
		defer b.cliProcess()()
		return b.clusterTool(c, b.draws[s.Line], out)
	case Partition:
		var groups [][]int
		for _, g := range c.Groups {
			var idx []int
			for _, ref := range g {
				p, err := b.node(ref)
				if err != nil {
					return err
				}
				idx = append(idx, p.Index)
			}
			groups = append(groups, idx)
		}
		b.c.Sim.Partition(groups...)
	case Heal:
		b.c.Sim.Heal()
	case Pause:
		p, err := b.node(c.Node)
		if err != nil {
			return err
		}
		b.c.Pause(p)
	case Resume:
		p, err := b.node(c.Node)
		if err != nil {
			return err
		}
		b.c.Resume(p)
	case Load:
		return b.loadKeys(c, out)
	case LoadValue:
		return b.loadValue(c, out)
	case After:
		for _, ref := range scheduledNodes(c.Cmd) {
			if _, err := b.node(ref); err != nil {
				return err
			}
		}
		b.c.Sim.After(c.D, func() {
			b.scheduling = true
			defer func() { b.scheduling = false }()
			b.failed.record(s, b.exec(Step{Line: s.Line, Text: c.Text, Cmd: c.Cmd}, io.Discard))
		})
	default:
		return fmt.Errorf("unknown step %T", c)
	}
	return nil
}

func (b *simBackend) dockerRun(r DockerRun, out io.Writer) {
	if _, dup := b.byName[r.Name]; dup {
		fmt.Fprintf(out, "docker: Error response from daemon: Conflict. The container name \"/%s\" is already in use.\n", r.Name)
		return
	}
	cfg := cluster.DefaultConfig()
	for _, o := range r.Options {
		if err := cfg.Set(o[0], o[1]); err != nil {
			fmt.Fprintf(out, "%v\n", err)
			return
		}
	}
	if _, err := b.c.Start(r.Name, "127.0.0.1", r.Port, cfg); err != nil {
		fmt.Fprintf(out, "%v\n", err)
		return
	}
	ct := &container{id: containerID(b.seed, r.Name), name: r.Name, image: r.Image, port: r.Port,
		created: b.elapsed(), started: b.elapsed(), running: true}
	b.containers = append(b.containers, ct)
	b.byName[r.Name] = ct
	b.serverReady()
}

// serverReady runs the simulation through the rest of a docker run or docker start step:
// the live backend starts redis-server and polls it until it answers, which takes
// cluster.LiveStartup's time. Before, every server of a runbook started at one instant, and a
// new cluster joined faster than a real one (TestCreateJoinMatchesRealRedis). A step an
// `after` line runs takes no time.
func (b *simBackend) serverReady() {
	if b.scheduling {
		return
	}
	b.c.Sim.RunFor(b.ready.Next())
}

func (b *simBackend) container(name string) (*container, bool) {
	ct, ok := b.byName[name]
	return ct, ok
}

// process is the simulated process behind ct; nil if docker run could not start one.
func (b *simBackend) process(ct *container) *cluster.Process {
	p, _ := b.c.Process(ct.addr())
	return p
}

func (b *simBackend) up(ct *container) bool {
	p := b.process(ct)
	return p != nil && p.Up()
}

// stop is docker stop (graceful) or docker kill. docker stop returns once the process has
// exited, which a master whose replicas lag delays (cluster.Cluster.Stop), and sends
// SIGKILL if it has not after 10 s, as the live backend does.
func (b *simBackend) stop(ct *container, graceful bool) error {
	if graceful {
		p := b.process(ct)
		b.c.StopKilling(p, dockerStopTimeout)
		// A step of an `after` line runs inside the simulation's event loop and cannot
		// wait; it returns, and the stop goes on.
		for !b.scheduling && p != nil && p.Up() {
			b.c.Sim.RunFor(time.Millisecond)
		}
	} else {
		b.c.Kill(b.process(ct))
	}
	return nil
}

// dockerStopTimeout is how long docker stop (and the live backend's stop) waits for the
// process to exit after SIGTERM before it sends SIGKILL.
const dockerStopTimeout = 10 * time.Second

func (b *simBackend) start(ct *container) error {
	if p := b.process(ct); p != nil {
		b.c.Restart(p)
		b.serverReady()
	}
	return nil
}

// redisCLI runs one redis-cli command, as at a terminal: with -c it follows MOVED and ASK,
// announcing each hop as redis-cli does.
func (b *simBackend) redisCLI(r RedisCLI, out io.Writer) {
	addr := fmt.Sprintf("%s:%d", r.Host, r.Port)
	if i, ok := setslotNode(r.Args); ok {
		if p, err := b.node(r.Args[i]); err == nil {
			r.Args = slices.Clone(r.Args)
			r.Args[i] = p.ID()
		}
	}
	asking := false
	for hops := 0; ; hops++ {
		reply, err := b.client.DoAsking(addr, asking, r.Args...)
		if err != nil || (reply.IsError() && reply.Str == "connection refused") {
			fmt.Fprintf(out, "Could not connect to Redis at %s: Connection refused\n", addr)
			return
		}
		if r.Cluster && reply.IsError() && hops < 16 {
			f := strings.Fields(reply.Str)
			if len(f) == 3 && (f[0] == "MOVED" || f[0] == "ASK") {
				fmt.Fprintf(out, "-> Redirected to slot [%s] located at %s\n", f[1], f[2])
				addr, asking = f[2], f[0] == "ASK"
				continue
			}
		}
		printReply(out, reply, rawOutput(r.Args))
		return
	}
}

func printReply(out io.Writer, r cluster.Reply, raw bool) {
	if raw && (r.Kind == cluster.Bulk || r.Kind == cluster.Status) {
		text := strings.ReplaceAll(r.Str, "\r\n", "\n")
		fmt.Fprint(out, text)
		if !strings.HasSuffix(text, "\n") {
			fmt.Fprintln(out)
		}
		return
	}
	fmt.Fprintln(out, r.String())
}

// clusterTool runs a redis-cli --cluster command; real, when not nil, is what the real
// run of it showed of its node list.
func (b *simBackend) clusterTool(t ClusterTool, real *rediscli.RealDraws, out io.Writer) error {
	cli := b.cli
	if cli == nil {
		cli = rediscli.New(b.c, out)
		st := b.c.Sim.Stream("redis-cli")
		cli.Rand = st.Rand()
		cli.Connect = rediscli.RealConnect // timed as a real step is (cliProcess)
		b.cli = cli
	}
	cli.SetOutput(out)
	t = b.withIDs(t)
	cli.Pipeline, cli.Timeout = t.Pipeline, t.Timeout
	cli.FixWithUnreachableMasters = t.FixUnreachable
	cli.SearchMultipleOwners = t.MultipleOwners
	cli.Replace = t.Replace
	cli.Real = real
	var err error
	switch t.Sub {
	case "create":
		err = cli.Create(t.Args, rediscli.CreateOptions{Replicas: t.Replicas, Yes: t.Yes, Pairing: b.pairing})
	case "check":
		err = cli.Check(t.Args[0])
	case "fix":
		err = cli.Fix(t.Args[0])
	case "info":
		err = cli.Info(t.Args[0])
	case "add-node":
		err = cli.AddNode(t.Args[0], t.Args[1], rediscli.AddNodeOptions{Slave: t.Slave, MasterID: t.MasterID})
	case "del-node":
		err = cli.DelNode(t.Args[0], t.Args[1])
	case "reshard":
		err = cli.Reshard(t.Args[0], rediscli.ReshardOptions{From: t.From, To: t.To, Slots: t.Slots, Yes: t.Yes})
	case "rebalance":
		err = cli.Rebalance(t.Args[0], rediscli.RebalanceOptions{Weights: t.Weights, Threshold: t.Threshold, UseEmptyMasters: t.UseEmpty, Simulate: t.Simulate})
	case "call":
		err = cli.Call(t.Args[0], t.Args[1:], rediscli.CallOptions{OnlyMasters: t.OnlyMasters, OnlyReplicas: t.OnlyReplicas})
	case "set-timeout":
		err = cli.SetTimeout(t.Args[0], t.Args[1])
	}
	return cliFailure(err)
}

// withIDs translates the HOST:PORT arguments of t that redis-cli wants as node IDs (the
// node to delete, --cluster-from, -to, -master-id and -weight) to the IDs the entry node's
// CLUSTER NODES gives them, as the live backend does before it runs the real redis-cli:
// a node the entry knows only in handshake is then named by its handshake ID, which
// redis-cli does not know either.
func (b *simBackend) withIDs(t ClusterTool) ClusterTool {
	entry := idEntry(t)
	ids := map[string]string{}
	if p, ok := b.c.Process(entry); ok && p.Up() {
		if r, err := b.c.Client().Do(entry, "CLUSTER", "NODES"); err == nil && r.Kind != cluster.Error {
			ids = idsByAddr(r.Str)
		}
	}
	id := func(ref string) string {
		if v, ok := ids[ref]; ok {
			return v
		}
		return ref
	}
	refs := func(list string) string {
		rs := strings.Split(list, ",")
		for i := range rs {
			rs[i] = id(rs[i])
		}
		return strings.Join(rs, ",")
	}
	t.Args = slices.Clone(t.Args)
	if t.Sub == "del-node" && len(t.Args) > 1 {
		t.Args[1] = id(t.Args[1])
	}
	t.From, t.To, t.MasterID = refs(t.From), refs(t.To), id(t.MasterID)
	t.Weights = slices.Clone(t.Weights)
	for i, w := range t.Weights {
		name, v, _ := strings.Cut(w, "=")
		t.Weights[i] = id(name) + "=" + v
	}
	return t
}

// entry returns the address of a running node to send a load's writes to first.
func (b *simBackend) entry() (string, error) {
	for _, c := range b.containers {
		if c.running {
			return c.addr(), nil
		}
	}
	return "", fmt.Errorf("load needs a running node")
}

// app returns a new application client for a load step: the simulated go-redis
// (client.GoRedis) with options opt, starting from entry; the live backend's is the real
// go-redis.
func (b *simBackend) app(entry string, opt client.Options) *client.GoRedis {
	b.apps++
	return client.NewGoRedis(b.c, "load-"+strconv.Itoa(b.apps), opt, entry)
}

// do runs one command of app and the simulation until it ends; go-redis's timeouts end
// every command.
func (b *simBackend) do(app *client.GoRedis, args ...string) (client.Result, error) {
	var got *client.Result
	app.Do(func(r client.Result) { got = &r }, args...)
	for got == nil {
		if !b.c.Sim.Step() {
			return client.Result{}, fmt.Errorf("load: the simulation ended before %s was answered", args[0])
		}
	}
	return *got, nil
}

// loadKeys writes keys through go-redis and reports how it went.
func (b *simBackend) loadKeys(l Load, out io.Writer) error {
	entry, err := b.entry()
	if err != nil {
		return err
	}
	seq, distinct := loadSequence(l, &b.load)
	value := l.values()
	app := b.app(entry, l.options())
	redirects, failures := 0, 0
	for i, k := range seq {
		r, err := b.do(app, "SET", fmt.Sprintf("key:%d", k), value(i))
		if err != nil {
			return err
		}
		redirects += r.Redirects
		if r.Outcome == client.Failed {
			failures++
		}
	}
	l.report(out, distinct, redirects, failures)
	return nil
}

// loadValue writes one big value through go-redis.
func (b *simBackend) loadValue(l LoadValue, out io.Writer) error {
	entry, err := b.entry()
	if err != nil {
		return err
	}
	r, err := b.do(b.app(entry, l.options()), l.request()...)
	if err != nil {
		return err
	}
	failure := ""
	if r.Outcome == client.Failed {
		failure = r.Reply.Str
	}
	l.report(out, r.Redirects, failure)
	return nil
}

// loadSequence returns the key numbers a load step writes, in order, and how many differ:
// 0..Keys-1 once each, or Keys draws from Zipf(s) popularity.
func loadSequence(l Load, st *sim.Stream) (seq []int, distinct int) {
	zipf := newZipf(l.Keys, l.Zipf)
	seen := map[int]bool{}
	for i := range l.Keys {
		k := i
		if zipf != nil {
			k = zipf.draw(st)
		}
		seen[k] = true
		seq = append(seq, k)
	}
	return seq, len(seen)
}

// zipf draws key indexes with P(i) ∝ 1/(i+1)^s by inverting the cumulative distribution.
type zipfDist struct{ cdf []float64 }

func newZipf(n int, s float64) *zipfDist {
	if s == 0 {
		return nil
	}
	z := &zipfDist{cdf: make([]float64, n)}
	total := 0.0
	for i := range n {
		total += math.Pow(float64(i+1), -s)
		z.cdf[i] = total
	}
	for i := range z.cdf {
		z.cdf[i] /= total
	}
	return z
}

func (z *zipfDist) draw(st *sim.Stream) int {
	u := st.Float64()
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if z.cdf[mid] < u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// cliFailure is what a redis-cli command's error means to a runbook. ErrCLI is redis-cli
// exiting with status 1 after printing why, as the real one does: the runbook goes on, as
// a shell script would. Any other error is one real redis-cli would not have printed, a
// bug of the emulation, and stops the run.
func cliFailure(err error) error {
	if err == nil || errors.Is(err, rediscli.ErrCLI) {
		return nil
	}
	return fmt.Errorf("emulated redis-cli: %w", err)
}
