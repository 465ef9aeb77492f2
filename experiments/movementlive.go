package experiments

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/slot"
)

// liveMovementDir is where live parts make their temp dirs ("": os.TempDir()); a test
// points it at a dir of its own to see that they are removed.
var liveMovementDir = ""

// checkLive refuses what a live run cannot do.
func (c MovementConfig) checkLive() error {
	if c.Start != nil {
		return errors.New("movement: -live starts its own clusters; -nodes and -addr are for simulated copies")
	}
	for _, s := range c.Schemes {
		if _, ok := s.s.(slotsScheme); !ok {
			return fmt.Errorf("movement: scheme %s: -live runs slots and slots:rebalance, which Redis has; %s is the simulator's own", s, s)
		}
	}
	return nil
}

// liveMovement is one part on one real cluster, as movementRun is in simulation.
type liveMovement struct {
	cfg     MovementConfig
	scheme  slotsScheme
	name    string
	part    string
	dir     string
	ports   []int          // free ports; the cluster's first, then those joins take
	servers []*live.Server // every server started, in order
	masters []*live.Server // serving keys, in the order they joined
	out     string         // what redis-cli printed in the current step
	steps   []MovementStep
	starts  []time.Duration
	stats   map[*live.Server]int64 // RESTORE-ASKING calls at the step's start
	written int                    // the load's new keys written before the step began

	load *liveMovementLoad
}

// runMovementPartLive is runMovementPart with Live set: a slot scheme's part on real
// redis-server processes on loopback, scaled with the real redis-cli as the simulated
// run's emulated one is (add-node, then the scheme's reshard or rebalance; reshard or
// rebalance away, del-node and SIGTERM; SIGKILL and a restart on the node's files), under
// load from go-redis clients with cfg.Client's options. Each step ends as the simulated
// one does: once the cluster has settled (every running node sees the same slot owners,
// all of them running, every master ok, no slot open) or after the outage, and then a
// second of quiet.
//
// What is measured as in simulation: the keys stored (DBSIZE of the masters), the time to
// settle, and every request's outcome, by the step and second it was sent in; the
// acknowledged writes missing at the end are found by reading every written key back.
// Moved keys are the RESTORE-ASKING calls the targets of MIGRATE counted (MIGRATE sends
// one per key); moved bytes are that count times the mean key and DUMP payload length of
// the keys in the slots that changed owner, where the simulation adds up each key's.
func runMovementPartLive(cfg MovementConfig, s Scheme, part string) ([]MovementStep, MovementTimeline, error) {
	tl := MovementTimeline{Scheme: s.String(), Part: part}
	replicas := 0
	if part == PartReplica {
		replicas = 1
	}
	dir, err := os.MkdirTemp(liveMovementDir, "kvplace-movement-")
	if err != nil {
		return nil, tl, err
	}
	removed := live.RemoveOnInterrupt(dir)
	defer func() {
		_ = os.RemoveAll(dir)
		removed()
	}()
	ports, err := live.FreePorts(max(cfg.To, cfg.From*(1+replicas)))
	if err != nil {
		return nil, tl, err
	}
	c, err := live.StartCluster(live.ClusterSpec{
		Dir: dir, Ports: ports, Masters: cfg.From, Replicas: replicas, Args: movementServerArgs(cfg),
	})
	if err != nil {
		return nil, tl, err
	}
	m := &liveMovement{
		cfg: cfg, scheme: s.s.(slotsScheme), name: s.String(), part: part, dir: dir, ports: ports,
		servers: c.Servers, masters: slices.Clone(c.Servers[:cfg.From]),
	}
	defer m.close()
	// As rediscli.Build does in simulation: every node ok before the first key.
	for deadline := time.Now().Add(time.Minute); !m.settled(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return nil, tl, errors.New("the new cluster did not settle within a minute")
		}
	}
	if replicas > 0 {
		if err := c.WaitReplicasListed(replicas, 30*time.Second); err != nil {
			return nil, tl, err
		}
	}
	if err := m.populate(); err != nil {
		return nil, tl, err
	}
	if m.load, err = startLiveMovementLoad(cfg, m.addrs()); err != nil {
		return nil, tl, err
	}
	defer m.load.stop()
	time.Sleep(time.Second)
	if err := runPart(cfg, part, m); err != nil {
		return nil, tl, err
	}
	m.load.stop()
	lost, ackedIn, ackedAt, err := m.load.readBack(m.addrs())
	if err != nil {
		return nil, tl, err
	}
	seconds := m.load.secondsCounted()
	for i := range m.steps {
		m.steps[i].RequestCounts = m.load.stepCounts(i)
	}
	for key, n := range lost {
		if st, ok := ackedIn[key]; ok && st >= 0 {
			m.steps[st].Lost += n
		}
		if i, ok := ackedAt[key]; ok && i < len(seconds) {
			seconds[i].Lost += n
		}
	}
	tl.Starts, tl.Seconds = m.starts, seconds
	return m.steps, tl, nil
}

// movementServerArgs are the servers' options: the node timeout, and an AOF as the seed
// tutorial's containers have (and the simulated run's nodes).
func movementServerArgs(cfg MovementConfig) []string {
	return []string{"--cluster-node-timeout", strconv.FormatInt(cfg.NodeTimeout.Milliseconds(), 10), "--appendonly", "yes"}
}

// close stops every server still running.
func (m *liveMovement) close() {
	for _, s := range m.servers {
		_ = s.Kill()
	}
}

// addrs returns the addresses of the servers running.
func (m *liveMovement) addrs() []string {
	var out []string
	for _, s := range m.servers {
		if s.Running() {
			out = append(out, s.Addr())
		}
	}
	return out
}

// populate stores cfg.Keys keys through go-redis, pipelined, and waits until every
// replica has them.
func (m *liveMovement) populate() error {
	cc := client.NewReal(client.Options{}, m.addrs())
	defer cc.Close()
	ctx := context.Background()
	values, err := m.cfg.storedValues() // the simulated run's values
	if err != nil {
		return err
	}
	for lo := 0; lo < m.cfg.Keys; lo += 1000 {
		p := cc.Pipeline()
		for i := lo; i < min(lo+1000, m.cfg.Keys); i++ {
			p.Set(ctx, m.cfg.keyName(i), values(i), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("storing the keys: %w", err)
		}
	}
	return m.waitReplicasCaughtUp(10 * time.Second)
}

// waitReplicasCaughtUp waits until every replica's replication offset is its master's.
func (m *liveMovement) waitReplicasCaughtUp(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		behind := 0
		for _, s := range m.servers {
			info, err := live.String(s.Do("INFO", "replication"))
			if err != nil || !strings.Contains(info, "role:master") {
				continue
			}
			own := infoField(info, "master_repl_offset")
			for i := 0; ; i++ {
				line := infoField(info, "slave"+strconv.Itoa(i))
				if line == "" {
					break
				}
				if !strings.Contains(line, "offset="+own+",") {
					behind++
				}
			}
		}
		if behind == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d replicas still behind their masters after %v", behind, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// infoField returns the value of field in an INFO reply, or "".
func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// cli runs the real redis-cli and keeps what it printed for the step's error.
func (m *liveMovement) cli(args ...string) error {
	out, err := live.CLI(args...)
	m.out += out
	if err == nil && strings.Contains(out, "[ERR]") {
		err = errors.New(strings.TrimSpace(out[strings.LastIndex(out, "[ERR]"):]))
	}
	if err != nil {
		lines := strings.Split(strings.TrimRight(m.out, "\n"), "\n")
		return &cliError{err: fmt.Errorf("redis-cli %s: %w", strings.Join(args[:min(2, len(args))], " "), err), tail: strings.Join(lines[max(0, len(lines)-8):], "\n")}
	}
	return nil
}

// view is CLUSTER NODES of server s, parsed.
func view(s *live.Server) ([]slot.NodeLine, string, error) {
	text, err := live.String(s.Do("CLUSTER", "NODES"))
	if err != nil {
		return nil, "", err
	}
	nodes, err := slot.ParseNodes(text)
	return nodes, text, err
}

// id returns the node ID of server s.
func id(s *live.Server) (string, error) { return live.String(s.Do("CLUSTER", "MYID")) }

// owners returns the slot map in the view of the first server running: each slot's
// owner's address.
func (m *liveMovement) owners() (*[slot.Count]string, error) {
	i := slices.IndexFunc(m.servers, (*live.Server).Running)
	if i < 0 {
		return nil, errors.New("no server running")
	}
	nodes, _, err := view(m.servers[i])
	if err != nil {
		return nil, err
	}
	var o [slot.Count]string
	for _, n := range nodes {
		for j := range n.Slots.All() {
			o[j] = n.Addr
		}
	}
	return &o, nil
}

// settled reports whether the running servers have settled, as cluster.Settled does:
// every one that knows another node sees the same slot owners, every owner is running,
// every master is in cluster_state ok, and no slot is migrating or importing.
func (m *liveMovement) settled() bool {
	running := map[string]bool{}
	for _, s := range m.servers {
		if s.Running() {
			running[s.Addr()] = true
		}
	}
	var first *[slot.Count]string
	for _, s := range m.servers {
		if !running[s.Addr()] {
			continue
		}
		nodes, text, err := view(s)
		if err != nil || strings.Contains(text, "->-") || strings.Contains(text, "-<-") {
			return false
		}
		if len(nodes) < 2 {
			continue // not in a cluster
		}
		var o [slot.Count]string
		master := false
		for _, n := range nodes {
			for j := range n.Slots.All() {
				o[j] = n.Addr
			}
			master = master || (n.Has("myself") && n.Has("master"))
		}
		for _, a := range o {
			if a != "" && !running[a] {
				return false
			}
		}
		if first == nil {
			first = &o
		} else if *first != o {
			return false
		}
		if master {
			info, err := live.String(s.Do("CLUSTER", "INFO"))
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				return false
			}
		}
	}
	return first != nil
}

// restoreAskings returns the RESTORE-ASKING calls server s has served since it started.
func restoreAskings(s *live.Server) int64 {
	info, err := live.String(s.Do("INFO", "commandstats"))
	if err != nil {
		return 0
	}
	v := infoField(info, "cmdstat_restore-asking")
	calls, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
	n, _ := strconv.ParseInt(calls, 10, 64)
	return n
}

// storedKeys counts the keys on the running masters.
func (m *liveMovement) storedKeys() int64 {
	var n int64
	for _, s := range m.servers {
		if !s.Running() {
			continue
		}
		info, err := live.String(s.Do("INFO", "replication"))
		if err != nil || !strings.Contains(info, "role:master") {
			continue
		}
		if k, err := live.Int(s.Do("DBSIZE")); err == nil {
			n += k
		}
	}
	return n
}

// existedBefore reports whether key was stored before the step began: a stored key, or a
// new key the load had sent a write of. The mean size of moved keys leaves out the keys
// written during the step, most of which land in their slot after it moved; otherwise a
// slow host, with more of them, would lower the mean.
func (m *liveMovement) existedBefore(key string) bool {
	i := strings.LastIndexByte(key, ':')
	if !strings.HasPrefix(key, "new:") && !strings.HasPrefix(key, "kvplace:new:") || i < 0 {
		return true
	}
	n, err := strconv.Atoi(key[i+1:])
	return err != nil || n <= m.written
}

// begin opens a step for an event.
func (m *liveMovement) begin(event, node string) (*MovementStep, *[slot.Count]string, error) {
	m.out = ""
	m.steps = append(m.steps, MovementStep{Scheme: m.name, Part: m.part, Event: event, Node: node, Stored: m.storedKeys()})
	m.starts = append(m.starts, time.Since(m.load.base))
	m.stats = map[*live.Server]int64{}
	m.written = m.load.written()
	for _, s := range m.servers {
		if s.Running() {
			m.stats[s] = restoreAskings(s)
		}
	}
	before, err := m.owners()
	m.load.setStep(len(m.steps) - 1)
	return &m.steps[len(m.steps)-1], before, err
}

// finish waits, up to limit, for the cluster to settle, leaves a second of quiet and
// closes the step.
func (m *liveMovement) finish(start time.Time, before *[slot.Count]string, limit time.Duration) error {
	st := &m.steps[len(m.steps)-1]
	for !m.settled() && time.Since(start) < limit {
		time.Sleep(50 * time.Millisecond)
	}
	st.Settle, st.Settled = time.Since(start), m.settled()
	time.Sleep(time.Second)
	return m.end(start, before)
}

// end closes the step now: what moved and how long it lasted.
func (m *liveMovement) end(start time.Time, before *[slot.Count]string) error {
	st := &m.steps[len(m.steps)-1]
	for _, s := range m.servers {
		if s.Running() {
			st.Moved += restoreAskings(s) - m.stats[s]
		}
	}
	if st.Moved > 0 {
		after, err := m.owners()
		if err != nil {
			return err
		}
		mean, err := meanMovedSize(before, after, m.existedBefore)
		if err != nil {
			return err
		}
		st.Bytes = int64(float64(st.Moved)*mean + 0.5)
	}
	st.Window = time.Since(start)
	st.Masters = len(m.masters)
	return nil
}

// meanMovedSize is the mean length of key and DUMP payload of the keys keep accepts, up
// to 1000, in the slots whose owner differs between before and after, read from their
// new owners.
func meanMovedSize(before, after *[slot.Count]string, keep func(key string) bool) (float64, error) {
	conns := map[string]*live.Conn{}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	total, n := 0, 0
	for j := range slot.Count {
		if before[j] == after[j] || after[j] == "" || n >= 1000 {
			continue
		}
		c, ok := conns[after[j]]
		if !ok {
			var err error
			if c, err = live.Dial(after[j], 2*time.Second); err != nil {
				return 0, err
			}
			conns[after[j]] = c
		}
		keys, err := c.Do("CLUSTER", "GETKEYSINSLOT", strconv.Itoa(j), "100")
		if err != nil {
			return 0, err
		}
		list, _ := keys.([]any)
		var dumps [][]string
		for _, k := range list {
			if s, ok := k.(string); ok && keep(s) {
				dumps = append(dumps, []string{"DUMP", s})
			}
		}
		if len(dumps) == 0 {
			continue
		}
		replies, err := c.Pipeline(dumps)
		if err != nil {
			return 0, err
		}
		for i, r := range replies {
			if s, ok := r.(string); ok {
				total += len(dumps[i][1]) + len(s)
				n++
			}
		}
	}
	if n == 0 {
		return 0, nil
	}
	return float64(total) / float64(n), nil
}

// join starts a master on the next free port and adds it by the scheme: add-node, a wait
// until every node knows it and it is ok, then the reshard or rebalance.
func (m *liveMovement) join() error {
	port := m.ports[len(m.servers)]
	s := &live.Server{Port: port, Dir: m.dir + "/" + strconv.Itoa(port), Args: movementServerArgs(m.cfg)}
	if err := s.Start(); err != nil {
		return err
	}
	m.servers = append(m.servers, s)
	st, before, err := m.begin("join", s.Addr())
	if err != nil {
		return err
	}
	st.Minimum = st.Stored / int64(len(m.masters)+1)
	start := time.Now()
	first := m.masters[0].Addr()
	m.masters = append(m.masters, s)
	if err := m.cli("--cluster", "add-node", s.Addr(), first); err != nil {
		return err
	}
	newID, err := id(s)
	if err != nil {
		return err
	}
	// As the simulated run's operator: wait until every node knows the new one and it is ok.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if m.allKnow(newID) {
			if info, err := live.String(s.Do("CLUSTER", "INFO")); err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not known to every node and ok within a minute", s.Addr())
		}
	}
	switch m.scheme.policy {
	case slot.Reshard:
		err = m.cli("--cluster", "reshard", first, "--cluster-from", "all", "--cluster-to", newID,
			"--cluster-slots", strconv.Itoa(slot.Count/len(m.masters)), "--cluster-yes")
	case slot.Rebalance:
		err = m.cli("--cluster", "rebalance", first, "--cluster-threshold", strconv.FormatFloat(slot.DefaultThreshold, 'g', -1, 64),
			"--cluster-use-empty-masters", "--cluster-yes")
	}
	if err != nil {
		return err
	}
	return m.finish(start, before, settleLimit)
}

// allKnow reports whether every running server's CLUSTER NODES lists node ID.
func (m *liveMovement) allKnow(nodeID string) bool {
	for _, s := range m.servers {
		if !s.Running() {
			continue
		}
		text, err := live.String(s.Do("CLUSTER", "NODES"))
		if err != nil || !strings.Contains(text, nodeID) {
			return false
		}
	}
	return true
}

// leave moves the last master to join's slots away by the scheme (all to the first
// master, or by a rebalance that weighs it 0), runs del-node, and stops it.
func (m *liveMovement) leave() error {
	s := m.masters[len(m.masters)-1]
	st, before, err := m.begin("leave", s.Addr())
	if err != nil {
		return err
	}
	start := time.Now()
	m.masters = m.masters[:len(m.masters)-1]
	first := m.masters[0]
	leaverID, err := id(s)
	if err != nil {
		return err
	}
	n := 0
	for _, a := range before {
		if a == s.Addr() {
			n++
		}
	}
	st.Minimum, _ = live.Int(s.Do("DBSIZE"))
	switch m.scheme.policy {
	case slot.Reshard:
		firstID, err := id(first)
		if err != nil {
			return err
		}
		err = m.cli("--cluster", "reshard", first.Addr(), "--cluster-from", leaverID, "--cluster-to", firstID,
			"--cluster-slots", strconv.Itoa(n), "--cluster-yes")
		if err != nil {
			return err
		}
	case slot.Rebalance:
		if err := m.cli("--cluster", "rebalance", first.Addr(), "--cluster-weight", leaverID+"=0",
			"--cluster-threshold", strconv.FormatFloat(slot.DefaultThreshold, 'g', -1, 64), "--cluster-yes"); err != nil {
			return err
		}
	}
	if err := m.cli("--cluster", "del-node", first.Addr(), leaverID); err != nil {
		return err
	}
	if err := s.Stop(); err != nil {
		return err
	}
	return m.finish(start, before, settleLimit)
}

// crash kills the first master and restarts it.
func (m *liveMovement) crash() error {
	victim := m.masters[0]
	if err := m.kill(victim); err != nil {
		return err
	}
	return m.restart(victim)
}

// kill crashes a master with SIGKILL. With a replica, the step lasts until the cluster has
// settled; without one, for the whole outage.
func (m *liveMovement) kill(s *live.Server) error {
	st, before, err := m.begin("kill", s.Addr())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := s.Kill(); err != nil {
		return err
	}
	if m.part == PartReplica {
		return m.finish(start, before, settleLimit)
	}
	for time.Since(start) < m.cfg.Outage {
		time.Sleep(50 * time.Millisecond)
		if !st.Settled && m.settled() {
			st.Settled, st.Settle = true, time.Since(start)
		}
	}
	if !st.Settled {
		st.Settle = m.cfg.Outage
	}
	m.masters = m.masters[1:]
	return m.end(start, before)
}

// restart starts the killed master again on its files (AOF and nodes.conf).
func (m *liveMovement) restart(s *live.Server) error {
	_, before, err := m.begin("restart", s.Addr())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := s.Start(); err != nil {
		return err
	}
	if m.part == PartNoReplica {
		m.masters = append([]*live.Server{s}, m.masters...)
	}
	return m.finish(start, before, settleLimit)
}

// liveMovementLoad is the application of a live movement run: go-redis clients sending
// open-loop, as startLoad's simulated ones do, each request counted in the step and the
// second it was sent in.
type liveMovementLoad struct {
	liveSchedule
	cfg  MovementConfig
	base time.Time

	mu      sync.Mutex // guards what follows
	rnd     *rand.Rand
	ledger  *client.Ledger
	writes  int
	step    int
	steps   []RequestCounts
	seconds []RequestCounts
	ackedIn map[string]int // written key → step its write was acknowledged in
	ackedAt map[string]int // written key → second its acknowledged write was sent in
}

func startLiveMovementLoad(cfg MovementConfig, addrs []string) (*liveMovementLoad, error) {
	a := &liveMovementLoad{
		cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, 0x6d6f7665)), // "move"
		ledger: client.NewLedger(), step: -1, ackedIn: map[string]int{}, ackedAt: map[string]int{},
	}
	clients, err := newLiveClients(cfg.Clients, cfg.Client, addrs)
	if err != nil {
		return nil, err
	}
	a.base = time.Now()
	a.start(clients, a.base, cfg.Rate, func(_ int, cc *client.Real) { a.request(cc) })
	return a, nil
}

// written returns how many new keys the load has sent writes of.
func (a *liveMovementLoad) written() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.writes
}

// setStep counts the requests sent from now on in step i.
func (a *liveMovementLoad) setStep(i int) {
	a.mu.Lock()
	a.step = i
	for len(a.steps) <= i {
		a.steps = append(a.steps, RequestCounts{})
	}
	a.mu.Unlock()
}

// request sends one request: a write of a new key with probability Writes, else a read of
// a stored one, drawn as the simulated run's startLoad draws them.
func (a *liveMovementLoad) request(cc *client.Real) {
	a.mu.Lock()
	step := a.step
	key, value, write := a.cfg.nextRequest(a.rnd, &a.writes, a.ledger)
	a.mu.Unlock()
	r, acked := sendDrawn(cc, key, value, write)
	a.mu.Lock()
	defer a.mu.Unlock()
	second := int(r.Start.Sub(a.base) / time.Second)
	if acked {
		_ = a.ledger.Ack(key, value) // value came from the ledger
		a.ackedIn[key] = step
		a.ackedAt[key] = second
	}
	count := func(c *RequestCounts) {
		c.count(r.Err != nil, r.Redirected(), acked, !write && r.Err == nil && !r.Found)
	}
	for len(a.seconds) <= second {
		a.seconds = append(a.seconds, RequestCounts{})
	}
	count(&a.seconds[second])
	if step >= 0 {
		count(&a.steps[step])
	}
}

// stepCounts returns the requests counted in step i.
func (a *liveMovementLoad) stepCounts(i int) RequestCounts {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i < len(a.steps) {
		return a.steps[i]
	}
	return RequestCounts{}
}

// secondsCounted returns the requests counted per second of load.
func (a *liveMovementLoad) secondsCounted() []RequestCounts {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.seconds)
}

// readBack reads every written key back through a fresh go-redis client (liveReadBack) and
// returns the acknowledged writes missing per key, with the step and second each key's
// acknowledged write was sent in.
func (a *liveMovementLoad) readBack(addrs []string) (lost map[string]int, ackedIn, ackedAt map[string]int, err error) {
	lost, err = liveReadBack(a.ledger, addrs, nil)
	return lost, a.ackedIn, a.ackedAt, err
}

// liveReadBack reads every key ledger holds through a new go-redis client with go-redis's
// defaults, trying a failed read again a second later, five times, as client.ReadBack
// does in simulation, and counts per key the acknowledged writes that are missing. each,
// when not nil, gets each key's final read.
func liveReadBack(ledger *client.Ledger, addrs []string, each func(key string, r client.RealResult)) (map[string]int, error) {
	reader := client.NewReal(client.Options{}, addrs)
	defer reader.Close()
	lost := map[string]int{}
	for _, key := range ledger.Keys() {
		var r client.RealResult
		for try := 0; ; try++ {
			if r = reader.Do(context.Background(), "GET", key); r.Err == nil {
				break
			}
			if try == 5 {
				return nil, fmt.Errorf("reading %q back: %w", key, r.Err)
			}
			time.Sleep(time.Second)
		}
		if each != nil {
			each(key, r)
		}
		n, err := ledger.Lost(key, r.Reply, r.Found)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			lost[key] = n
		}
	}
	return lost, nil
}
