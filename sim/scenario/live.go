package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/sim/rediscli"
)

// RunLive runs a runbook against real redis-server processes on loopback, one per `docker
// run`, listening on the port the line names. Containers become processes: `docker stop`
// sends SIGTERM and waits, `docker kill` sends SIGKILL, `docker start` restarts the process
// on its files, pause and resume send SIGSTOP and SIGCONT. redis-cli lines run the real
// redis-cli, with two translations a runbook relies on: HOST:PORT where redis-cli wants a
// node ID is replaced by that node's ID, and -c is carried out one hop at a time so that
// the "-> Redirected" lines an interactive redis-cli prints appear here too. partition and
// heal cut and restore the connections between the servers with iptables (live.Firewall),
// which needs root; a runbook without them runs without.
//
// The processes' files go under opt.Dir, or a temporary directory removed at the end. A
// command that calls live.HandleInterrupts first leaves neither servers, nor that
// directory, nor iptables rules behind when it is interrupted.
func RunLive(rb *Runbook, out io.Writer, opt Options) error {
	if opt.Trace != nil {
		return errors.New("a trace is the simulator's: real servers keep none")
	}
	if len(opt.Nodes) > 0 {
		return errors.New("a copy of a cluster from its CLUSTER NODES is simulated: a live run starts its own servers")
	}
	if opt.Slowdown != 0 {
		return errors.New("a slowdown is the simulated host's: a live run's host works at its own speed")
	}
	if len(opt.Pairing) > 0 {
		return errors.New("a replica pairing is imposed on simulated runs: a live run's redis-cli draws its own")
	}
	if len(opt.Draws) > 0 {
		return errors.New("a node list order is imposed on simulated runs: a live run's redis-cli gets its own")
	}
	if _, _, err := live.Binaries(); err != nil {
		return err
	}
	b := &liveBackend{seed: opt.Seed, began: time.Now(), byName: map[string]*liveContainer{}}
	b.dir = opt.Dir
	if b.dir == "" {
		d, err := os.MkdirTemp("", "kvplace-live-")
		if err != nil {
			return err
		}
		b.dir, b.removeDir = d, true
		b.forgetDir = live.RemoveOnInterrupt(d)
	}
	if partitions(rb) {
		f, err := live.NewFirewall()
		if err != nil {
			_ = b.close()
			return fmt.Errorf("this runbook partitions the network: %w", err)
		}
		b.firewall = f
	}
	return run(rb, b, out, opt)
}

type liveContainer struct {
	container
	server *live.Server
}

type liveBackend struct {
	seed       uint64
	began      time.Time
	dir        string
	removeDir  bool
	forgetDir  func() // unregisters dir from what an interrupted command removes
	containers []*liveContainer
	byName     map[string]*liveContainer
	firewall   *live.Firewall // for partition and heal; nil when the runbook has none

	// mu serialises the steps that change processes with the faults `after` schedules,
	// which fire on their own goroutine while redis-cli or sleep lines run.
	mu     sync.Mutex
	timers []*time.Timer
	closed bool
	failed scheduledFailure // what the steps of `after` lines returned; under mu
}

func (b *liveBackend) elapsed() time.Duration { return time.Since(b.began) }

func (b *liveBackend) scheduled() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failed.take()
}

func (b *liveBackend) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, t := range b.timers {
		t.Stop()
	}
	for _, c := range b.containers {
		_ = c.server.Resume()
		_ = c.server.Kill()
	}
	if b.firewall != nil {
		_ = b.firewall.Close()
	}
	if b.removeDir {
		err := os.RemoveAll(b.dir)
		b.forgetDir()
		return err
	}
	return nil
}

func (b *liveBackend) container(name string) (*container, bool) {
	ct, ok := b.byName[name]
	if !ok {
		return nil, false
	}
	return &ct.container, true
}

func (b *liveBackend) up(ct *container) bool { return b.byName[ct.name].server.Running() }

func (b *liveBackend) stop(ct *container, graceful bool) error {
	if graceful {
		return b.byName[ct.name].server.Stop()
	}
	return b.byName[ct.name].server.Kill()
}

func (b *liveBackend) start(ct *container) error { return b.byName[ct.name].server.Start() }

// server resolves a container name, HOST:PORT or port to a container.
func (b *liveBackend) server(ref string) (*liveContainer, error) {
	if c, ok := b.byName[ref]; ok {
		return c, nil
	}
	port := ref
	if _, p, ok := strings.Cut(ref, ":"); ok {
		port = p
	}
	for _, c := range b.containers {
		if strconv.Itoa(c.port) == port {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no node %q: name a container, a HOST:PORT or a port of this runbook", ref)
}

func (b *liveBackend) exec(s Step, out io.Writer) error {
	switch c := s.Cmd.(type) {
	case RedisCLI, ClusterTool, Sleep:
		return b.do(s, out) // a scheduled fault may fire meanwhile
	case After:
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, ref := range scheduledNodes(c.Cmd) {
			if _, err := b.server(ref); err != nil {
				return err
			}
		}
		b.timers = append(b.timers, time.AfterFunc(c.D, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if !b.closed {
				b.failed.record(s, b.do(Step{Line: s.Line, Text: c.Text, Cmd: c.Cmd}, io.Discard))
			}
		}))
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.do(s, out)
}

// do runs one step; steps that start or stop processes run with b.mu held.
func (b *liveBackend) do(s Step, out io.Writer) error {
	switch c := s.Cmd.(type) {
	case DockerRun:
		return b.dockerRun(c, out)
	case DockerStop:
		return dockerDown(b, c.Names, true, out)
	case DockerKill:
		return dockerDown(b, c.Names, false, out)
	case DockerStart:
		return dockerStart(b, c.Names, out)
	case DockerPs:
		var cs []*container
		for _, c := range b.containers {
			cs = append(cs, &c.container)
		}
		dockerPs(out, cs, b.elapsed())
	case DockerExec:
	case Sleep:
		time.Sleep(c.D)
	case RedisCLI:
		return b.redisCLI(c, out)
	case ClusterTool:
		return b.clusterTool(s, c, out)
	case Partition:
		return b.partition(c)
	case Heal:
		return b.firewall.Heal()
	case Pause, Resume:
		node := ""
		if p, ok := c.(Pause); ok {
			node = p.Node
		} else {
			node = c.(Resume).Node
		}
		ct, err := b.server(node)
		if err != nil {
			return err
		}
		if _, ok := c.(Pause); ok {
			return ct.server.Pause()
		}
		return ct.server.Resume()
	case Load:
		return b.loadKeys(c, out)
	case LoadValue:
		return b.loadValue(c, out)
	default:
		return fmt.Errorf("unknown step %T", c)
	}
	return nil
}

func (b *liveBackend) dockerRun(r DockerRun, out io.Writer) error {
	if _, dup := b.byName[r.Name]; dup {
		fmt.Fprintf(out, "docker: Error response from daemon: Conflict. The container name \"/%s\" is already in use.\n", r.Name)
		return nil
	}
	// The redis image's defaults, then the runbook's options, which win.
	args := []string{"--appendonly", "no"}
	for _, o := range r.Options {
		args = append(args, "--"+o[0], o[1])
	}
	srv := &live.Server{Port: r.Port, Dir: filepath.Join(b.dir, r.Name), Args: args}
	if b.firewall != nil {
		// An address of its own, unique while the port is in use: 127.1.<port/256>.<port%256>.
		srv.Source = fmt.Sprintf("127.1.%d.%d", r.Port>>8, r.Port&0xff)
	}
	if err := srv.Start(); err != nil {
		return err
	}
	ct := &liveContainer{server: srv, container: container{id: containerID(uint64(b.began.UnixNano()), r.Name),
		name: r.Name, image: r.Image, port: r.Port, created: b.elapsed(), started: b.elapsed(), running: true}}
	b.containers = append(b.containers, ct)
	b.byName[r.Name] = ct
	return nil
}

// partition cuts the servers of each group from those of every other group, as the
// simulated network does: a new partition replaces the one before, and servers in no group
// stay connected to all.
func (b *liveBackend) partition(p Partition) error {
	groups := make([][]*live.Server, len(p.Groups))
	for i, g := range p.Groups {
		for _, ref := range g {
			c, err := b.server(ref)
			if err != nil {
				return err
			}
			groups[i] = append(groups[i], c.server)
		}
	}
	if err := b.firewall.Heal(); err != nil {
		return err
	}
	for i := range groups {
		for j := i + 1; j < len(groups); j++ {
			if err := b.firewall.Cut(groups[i], groups[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// partitions reports whether a runbook partitions the network, now or after a delay.
func partitions(rb *Runbook) bool {
	for _, s := range rb.Steps {
		cmd := s.Cmd
		if a, ok := cmd.(After); ok {
			cmd = a.Cmd
		}
		switch cmd.(type) {
		case Partition, Heal:
			return true
		}
	}
	return false
}

// cliLimit bounds one live redis-cli run. Some wait forever: --cluster add-node
// --cluster-slave and create wait for the cluster to agree on its configuration, with no
// limit, and one fidelity case sat 24 minutes there before it was stopped by hand. The
// simulated redis-cli gives up as long into its wait, with the same line
// (rediscli.JoinLimit, rediscli.KilledLine).
var cliLimit = rediscli.JoinLimit

// cli runs the real redis-cli with stdin and returns its output with CRLFs made LFs. A run
// still going after cliLimit is killed, and a line saying so ends its output.
func cli(stdin string, args ...string) string {
	_, bin, _ := live.Binaries()
	ctx, cancel := context.WithTimeout(context.Background(), cliLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	// redis-cli colours --cluster output when TERM names an xterm; the transcript is text.
	cmd.Env = append(os.Environ(), "TERM=dumb")
	text, _ := cmd.CombinedOutput() // redis-cli's exit status is in what it printed
	out := strings.ReplaceAll(string(text), "\r\n", "\n")
	if ctx.Err() != nil {
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		out += rediscli.KilledAfter(cliLimit) + "\n"
	}
	return out
}

// redisCLI runs one redis-cli command with formatted output, as at a terminal. With -c it
// sends the command without -c and follows MOVED and ASK itself, printing the line an
// interactive redis-cli prints for each hop; an ASK hop sends ASKING first on the same
// connection, as redis-cli does.
func (b *liveBackend) redisCLI(r RedisCLI, out io.Writer) error {
	host, port := r.Host, strconv.Itoa(r.Port)
	if i, ok := setslotNode(r.Args); ok {
		if id, ok := b.nodeIDs(net.JoinHostPort(host, port))[r.Args[i]]; ok {
			r.Args = slices.Clone(r.Args)
			r.Args[i] = id
		}
	}
	asking := false
	for hops := 0; ; hops++ {
		var text string
		if asking {
			text = cli("ASKING\n"+quoteArgs(r.Args)+"\n", "--no-raw", "-h", host, "-p", port)
			text = strings.TrimPrefix(text, "OK\n") // ASKING's reply
		} else {
			text = cli("", append([]string{"--no-raw", "-h", host, "-p", port}, r.Args...)...)
		}
		if f := strings.Fields(strings.TrimPrefix(text, "(error) ")); r.Cluster && hops < 16 && strings.HasPrefix(text, "(error) ") &&
			len(f) == 3 && (f[0] == "MOVED" || f[0] == "ASK") {
			fmt.Fprintf(out, "-> Redirected to slot [%s] located at %s\n", f[1], f[2])
			h, p, _ := strings.Cut(f[2], ":")
			host, port, asking = h, p, f[0] == "ASK"
			continue
		}
		fmt.Fprint(out, text)
		return nil
	}
}

// quoteArgs renders args as one redis-cli input line, each quoted.
func quoteArgs(args []string) string {
	var q []string
	for _, a := range args {
		q = append(q, strconv.Quote(a))
	}
	return strings.Join(q, " ")
}

// clusterTool runs `redis-cli --cluster ...` as written, with HOST:PORT translated to the
// node ID wherever redis-cli wants an ID, and "yes" typed at its prompt.
func (b *liveBackend) clusterTool(s Step, t ClusterTool, out io.Writer) error {
	words, err := fields(s.Text)
	if err != nil {
		return err
	}
	ids := b.nodeIDs(idEntry(t))
	id := func(ref string) string {
		if v, ok := ids[ref]; ok {
			return v
		}
		return ref
	}
	args := words[1:]
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--cluster-from", "--cluster-to", "--cluster-master-id":
			if i+1 < len(args) {
				refs := strings.Split(args[i+1], ",")
				for j := range refs {
					refs[j] = id(refs[j])
				}
				args[i+1] = strings.Join(refs, ",")
				i++
			}
		case "--cluster-weight":
			for i+1 < len(args) && strings.Contains(args[i+1], "=") {
				i++
				name, w, _ := strings.Cut(args[i], "=")
				args[i] = id(name) + "=" + w
			}
		}
	}
	if t.Sub == "del-node" {
		// The ID is the last argument; the entry point before it may be the same HOST:PORT.
		for i := len(args) - 1; i >= 0; i-- {
			if args[i] == t.Args[1] {
				args[i] = id(args[i])
				break
			}
		}
	}
	fmt.Fprint(out, cli("yes\n", args...))
	return nil
}

// nodeIDs maps each node's "HOST:PORT" to its ID, as the node at addr sees the cluster. It
// is empty when addr cannot be asked.
func (b *liveBackend) nodeIDs(addr string) map[string]string {
	ids := map[string]string{}
	c, err := live.Dial(addr, 2*time.Second)
	if err != nil {
		return ids
	}
	defer c.Close()
	text, err := live.String(c.Do("CLUSTER", "NODES"))
	if err != nil {
		return ids
	}
	return idsByAddr(text)
}

// entry returns the address of a running server to send a load's writes to first.
func (b *liveBackend) entry() (string, error) {
	for _, c := range b.containers {
		if c.server.Running() {
			return c.server.Addr(), nil
		}
	}
	return "", fmt.Errorf("load needs a running node")
}

// loadKeys writes keys through the real go-redis, as simBackend.loadKeys does through the
// simulated one.
func (b *liveBackend) loadKeys(l Load, out io.Writer) error {
	entry, err := b.entry()
	if err != nil {
		return err
	}
	st := sim.NewStream(b.seed, "user/load") // the stream simBackend's load draws from
	seq, distinct := loadSequence(l, &st)
	value := l.values()
	app := client.NewReal(l.options(), []string{entry})
	defer app.Close()
	redirects, failures := 0, 0
	for i, k := range seq {
		r := app.Do(context.Background(), "SET", fmt.Sprintf("key:%d", k), value(i))
		redirects += len(r.Redirects)
		if r.Err != nil {
			failures++
		}
	}
	l.report(out, distinct, redirects, failures)
	return nil
}

// loadValue writes one big value through the real go-redis, as simBackend.loadValue.
func (b *liveBackend) loadValue(l LoadValue, out io.Writer) error {
	entry, err := b.entry()
	if err != nil {
		return err
	}
	app := client.NewReal(l.options(), []string{entry})
	defer app.Close()
	var args []any
	for _, a := range l.request() {
		args = append(args, a)
	}
	r := app.Do(context.Background(), args...)
	failure := ""
	if r.Err != nil {
		failure = r.Err.Error()
	}
	l.report(out, len(r.Redirects), failure)
	return nil
}
