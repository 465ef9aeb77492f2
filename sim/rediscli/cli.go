package rediscli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/slot"
)

// A CLI plays `redis-cli --cluster` against a simulated cluster: the same commands in the
// same order, the same sleeps, and the same output (redis-cli.c, clusterManagerCommand*). It
// runs outside the simulation, as redis-cli runs outside Redis: each command it sends moves
// virtual time forward until the reply arrives.
type CLI struct {
	c   *cluster.Cluster
	cl  *cluster.Client
	out io.Writer

	// Rand stands in for the rand() redis-cli calls when it swaps replicas between masters
	// for anti-affinity (seeded from the clock in redis-cli). With nil, no swap is made.
	Rand slot.Rand
	// Pipeline is the number of keys per MIGRATE (--cluster-pipeline, default 10).
	Pipeline int
	// Timeout is MIGRATE's timeout in ms (--cluster-timeout, default 60000).
	Timeout int

	// FixWithUnreachableMasters is --cluster-fix-with-unreachable-masters: fix even when
	// some master could not be loaded, which redis-cli refuses by default.
	FixWithUnreachableMasters bool
	// SearchMultipleOwners is --cluster-search-multiple-owners: check (and fix) slots that
	// more than one master claims or holds keys of.
	SearchMultipleOwners bool
	// Replace is --cluster-replace: when a key being moved already exists on the target
	// (BUSYKEY), overwrite it without comparing the values first.
	Replace bool

	// Real, when not nil, is what the real run of the command being simulated showed of
	// its node list: the simulated redis-cli takes it (see RealDraws).
	Real *RealDraws
	// Connect is how long redis-cli takes, beyond the round trips of its commands, for
	// each node it talks to in a command: its connection (clusterManagerNodeConnect) and
	// the work of reading the node's replies. Zero (New's) counts the round trips only;
	// a runbook's steps, timed as a real redis-cli's, take RealConnect.
	Connect time.Duration

	fixing      bool // running --cluster fix: check repairs the open slots it finds
	unreachable int  // masters the last load could not reach (unreachable_masters)
	aborted     bool // redis-cli exited in the middle of a fix
}

// invalidHostArg is what redis-cli prints for an address it cannot parse
// (CLUSTER_MANAGER_INVALID_HOST_ARG).
const invalidHostArg = "[ERR] Invalid arguments: you need to pass either a valid address (ie. 120.0.0.1:7000) or space separated IP and port (ie. 120.0.0.1 7000)\n"

// RealConnect is CLI.Connect for a real redis-cli 7.0.15 on loopback: what a --cluster
// check of 16 nodes takes beyond the emulation's round trips, per node (sim/scenario's
// TestStepTimingMatchesRealRedis).
const RealConnect = 220 * time.Microsecond

// ErrCLI is returned when redis-cli would exit with status 1; what it printed explains why.
var ErrCLI = errors.New("redis-cli exited with status 1")

// New returns a redis-cli for cluster c, writing to out.
//
// Its connections are a client's on loopback (cluster.ClientLoopback), quicker than the
// cluster bus's, so that a reshard takes as long as real redis-cli's.
func New(c *cluster.Cluster, out io.Writer) *CLI {
	cl := c.NewClient(fmt.Sprintf("redis-cli-%d", c.Sim.Len()))
	if err := c.Sim.Network().SetNodeLink(cl.Index(), cluster.ClientLoopback()); err != nil {
		panic(err) // a node just added, and a link that validates
	}
	return &CLI{c: c, cl: cl, out: out, Pipeline: 10, Timeout: 60000}
}

// Index returns the engine index of redis-cli's process, so that a partition can put it
// on one side.
func (cli *CLI) Index() int { return cli.cl.Index() }

func (cli *CLI) printf(format string, args ...any) { fmt.Fprintf(cli.out, format, args...) }

// SetOutput redirects what redis-cli prints.
func (cli *CLI) SetOutput(out io.Writer) { cli.out = out }

// mnode is a node as redis-cli holds it (clusterManagerNode).
type mnode struct {
	ip        string
	port      int
	name      string
	flags     []string // the node's flags as it reports them, without "myself"
	fail      bool     // flagged fail or noaddr by the entry node, or by itself
	slave     bool
	replicate string
	slots     slot.Set
	migrating [][2]string // (slot, destination ID) from its own CLUSTER NODES line
	importing [][2]string
	replicas  int
	dirty     bool
	configEp  int64
	connected bool // redis-cli has its connection to it (clusterManagerNodeConnect)
}

func (m *mnode) addr() string { return m.ip + ":" + strconv.Itoa(m.port) }

// replyError prints a node's error reply as redis-cli does (CLUSTER_MANAGER_PRINT_REPLY_ERROR).
func (cli *CLI) replyError(n *mnode, r cluster.Reply) {
	cli.printf("Node %s replied with error:\n%s\n", n.addr(), r.Str)
}

// do sends a command to m and waits for the reply; false means the connection failed.
func (cli *CLI) do(m *mnode, args ...string) (cluster.Reply, bool) {
	if !m.connected {
		cli.c.Sim.RunFor(cli.Connect)
		m.connected = true
	}
	r, err := cli.cl.Do(m.addr(), args...)
	if err != nil || (r.IsError() && r.Str == "connection refused") {
		return r, false
	}
	return r, true
}

func (cli *CLI) connect(m *mnode) bool {
	if _, ok := cli.do(m, "PING"); !ok {
		fmt.Fprintf(cli.out, "Could not connect to Redis at %s: Connection refused\n", m.addr())
		return false
	}
	return true
}

func newMnode(addr string) (*mnode, error) {
	host, port, err := slot.ParseAddr(addr)
	if err != nil {
		return nil, err
	}
	return &mnode{ip: host, port: port}, nil
}

// What loadInfo reads of a node's CLUSTER NODES.
type loadScope uint8

const (
	loadSelf    loadScope = iota // its own line only
	loadFriends                  // and the other lines, the rest of the cluster
)

// loadInfo reads m's CLUSTER NODES (clusterManagerNodeLoadInfo): its own line gives its
// flags, slots and open slots; with loadFriends, the other lines give the rest of the cluster.
func (cli *CLI) loadInfo(m *mnode, scope loadScope) ([]*mnode, bool) {
	friends := scope == loadFriends
	r, ok := cli.do(m, "CLUSTER", "NODES")
	if !ok || r.IsError() {
		return nil, false
	}
	lines, err := slot.ParseNodes(r.Str)
	if err != nil {
		return nil, false
	}
	var out []*mnode
	for _, l := range lines {
		var cur *mnode
		if l.Has("myself") {
			cur = m
			m.slots = l.Slots
			m.migrating, m.importing = nil, nil
			for _, o := range l.Open {
				inner := strings.Trim(o, "[]")
				if s, dst, ok := strings.Cut(inner, "->-"); ok {
					m.migrating = append(m.migrating, [2]string{s, dst})
				} else if s, src, ok := strings.Cut(inner, "-<-"); ok {
					m.importing = append(m.importing, [2]string{s, src})
				}
			}
			m.dirty = false
		} else if !friends {
			continue
		} else {
			f, err := newMnode(l.Addr)
			if err != nil {
				return nil, false
			}
			cur = f
			out = append(out, f)
		}
		cur.name = l.ID
		cur.flags = nil
		for _, fl := range l.Flags {
			switch fl {
			case "noaddr", "fail":
				cur.fail = true
			case "slave":
				cur.slave = true
				cur.replicate = l.Master
			}
			if fl != "myself" {
				cur.flags = append(cur.flags, fl)
			}
		}
		cur.configEp = l.ConfigEpoch
	}
	return out, true
}

// load loads the cluster from the node at addr (clusterManagerLoadInfoFromNode): that node
// first, then the nodes it knows, each loaded from itself; failed or unreachable ones are
// left out.
func (cli *CLI) load(addr string) ([]*mnode, error) {
	entry, err := newMnode(addr)
	if err != nil {
		cli.printf("%s", invalidHostArg)
		return nil, ErrCLI
	}
	if !cli.connect(entry) {
		return nil, ErrCLI
	}
	friends, ok := cli.loadInfo(entry, loadFriends)
	if !ok {
		return nil, ErrCLI
	}
	nodes := []*mnode{entry}
	cli.unreachable = 0
	for _, f := range friends {
		// A friend left out counts as an unreachable master unless the entry node's view
		// says it is a replica (invalid_friend in clusterManagerLoadInfoFromNode).
		slave := f.slave
		if f.port == 0 || !cli.connect(f) {
			if !slave {
				cli.unreachable++
			}
			continue
		}
		if _, ok := cli.loadInfo(f, loadSelf); !ok {
			cli.printf("[ERR] Unable to load info for node %s\n", f.addr())
			if !slave {
				cli.unreachable++
			}
			continue
		}
		if f.fail {
			if !slave {
				cli.unreachable++
			}
			continue
		}
		nodes = append(nodes, f)
	}
	cli.ordered(nodes)
	for _, n := range nodes {
		if n.replicate != "" {
			if m := byName(nodes, n.replicate); m != nil {
				m.replicas++
			} else {
				cli.printf("*** WARNING: %s claims to be slave of unknown node ID %s.\n", n.addr(), n.replicate)
			}
		}
	}
	return nodes, nil
}

func byName(nodes []*mnode, name string) *mnode {
	name = strings.ToLower(name)
	for _, n := range nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// resolve accepts a node ID or, as this tool also allows, HOST:PORT, and returns the ID.
func resolve(nodes []*mnode, idOrAddr string) string {
	for _, n := range nodes {
		if n.addr() == idOrAddr {
			return n.name
		}
	}
	return idOrAddr
}

// nodeInfo prints a node the way clusterManagerNodeInfo does.
func nodeInfo(m *mnode, indent int) string {
	sp := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(sp)
	role := "M"
	if m.slave {
		role = "S"
	}
	if m.dirty && m.replicate != "" {
		fmt.Fprintf(&b, "S: %s %s", m.name, m.addr())
	} else {
		fmt.Fprintf(&b, "%s: %s %s\n%s   slots:%s (%d slots) %s", role, m.name, m.addr(), sp, m.slots.Bracketed(), m.slots.Len(), strings.Join(m.flags, ","))
	}
	if m.replicate != "" {
		fmt.Fprintf(&b, "\n%s   replicates %s", sp, m.replicate)
	} else if m.replicas > 0 {
		fmt.Fprintf(&b, "\n%s   %d additional replica(s)", sp, m.replicas)
	}
	return b.String()
}

func (cli *CLI) showNodes(nodes []*mnode) {
	for _, n := range nodes {
		cli.printf("%s\n", nodeInfo(n, 0))
	}
}

// signature is a node's slot configuration as redis-cli compares it
// (clusterManagerGetConfigSignature): "id:ranges" for every node with slots, sorted.
func (cli *CLI) signature(m *mnode) (string, bool) {
	r, ok := cli.do(m, "CLUSTER", "NODES")
	if !ok || r.IsError() {
		return "", false
	}
	var cfgs []string
	for _, line := range strings.Split(strings.TrimSuffix(r.Str, "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) <= 8 {
			continue
		}
		var slots []string
		for _, s := range f[8:] {
			if !strings.HasPrefix(s, "[") {
				slots = append(slots, s)
			}
		}
		if len(slots) == 0 {
			continue
		}
		slices.Sort(slots)
		cfgs = append(cfgs, f[0]+":"+strings.Join(slots, ","))
	}
	slices.Sort(cfgs)
	return strings.Join(cfgs, "|"), true
}

func (cli *CLI) consistent(nodes []*mnode) bool {
	if len(nodes) <= 1 {
		return true
	}
	first := ""
	for i, n := range nodes {
		sig, ok := cli.signature(n)
		if !ok || sig == "" {
			return false
		}
		if i == 0 {
			first = sig
		} else if sig != first {
			return false
		}
	}
	return true
}

// How much check prints.
type checkOutput uint8

const (
	checkListing checkOutput = iota // the nodes, then the checks
	checkQuiet                      // the checks only, as rebalance runs them (its quiet argument)
)

// check is clusterManagerCheckCluster: agreement, open slots, coverage. It reports whether
// everything was in order.
func (cli *CLI) check(nodes []*mnode, output checkOutput) bool {
	quiet := output == checkQuiet
	cli.printf(">>> Performing Cluster Check (using node %s)\n", nodes[0].addr())
	if !quiet {
		cli.showNodes(nodes)
	}
	ok := true
	if cli.consistent(nodes) {
		cli.printf("[OK] All nodes agree about slots configuration.\n")
	} else {
		cli.printf("[ERR] Nodes don't agree about configuration!\n")
		ok = false
	}
	report := slot.Check(checkLayout(nodes))
	lines := report.Lines()
	coverage := slices.Index(lines, ">>> Check slots coverage...")
	for _, line := range lines[:coverage] {
		cli.printf("%s\n", line)
	}
	fixed := len(report.Open) == 0
	if cli.fixing && len(report.Open) > 0 {
		// redis-cli fixes the open slots between reporting them and checking coverage,
		// and checks coverage on the slots as the fixes left them.
		for _, s := range report.Open {
			if fixed = cli.fixOpenSlot(nodes, s); !fixed {
				break
			}
		}
		if cli.aborted {
			return false
		}
		report = slot.Check(checkLayout(nodes))
		lines = report.Lines()
		coverage = slices.Index(lines, ">>> Check slots coverage...")
	}
	if cli.c.Placement != nil {
		// Only the tokens are assigned: keys go to members by the partitioner.
		cli.printf(">>> Check slots coverage...\n")
		cli.printf("(kvplace: keys are placed by a partitioner over %d tokens; slot coverage does not apply)\n", report.Covered)
		return ok && fixed
	}
	for _, line := range lines[coverage:] {
		cli.printf("%s\n", line)
	}
	covered := report.Covered == slot.Count
	if cli.fixing && !covered {
		var set slot.Set
		for _, n := range nodes {
			set.AddSet(n.slots)
		}
		covered = cli.fixSlotsCoverage(nodes, set) > 0
	}
	if cli.aborted {
		return false
	}
	single := true
	if cli.SearchMultipleOwners {
		single = cli.checkMultipleOwners(nodes)
	}
	return ok && fixed && covered && single
}

// checkLayout is the slot table as the loaded nodes describe it: their slots and their
// MIGRATING and IMPORTING marks.
func checkLayout(nodes []*mnode) slot.Layout {
	l := slot.Layout{Slots: slot.NewTable()}
	for _, n := range nodes {
		l.Nodes = append(l.Nodes, slot.Node{ID: n.name, Addr: n.addr(), ReplicaOf: n.replicate})
		l.Slots.AssignSet(n.slots, n.name)
		for _, m := range n.migrating {
			if s, err := strconv.Atoi(m[0]); err == nil {
				l.Slots.SetMigrating(s, n.name, m[1])
			}
		}
		for _, m := range n.importing {
			if s, err := strconv.Atoi(m[0]); err == nil {
				l.Slots.SetImporting(s, n.name, m[1])
			}
		}
	}
	return l
}

// showClusterInfo prints the per-master summary of check and info.
func (cli *CLI) showClusterInfo(nodes []*mnode) bool {
	masters, keys := 0, int64(0)
	for _, n := range nodes {
		if n.slave {
			continue
		}
		replicas := 0
		for _, r := range nodes {
			if r != n && r.slave && r.replicate == n.name {
				replicas++
			}
		}
		r, ok := cli.do(n, "DBSIZE")
		if !ok || r.Kind != cluster.Integer {
			cli.replyError(n, r)
			return false
		}
		cli.printf("%s (%.8s...) -> %d keys | %d slots | %d slaves.\n", n.addr(), n.name, r.Int, n.slots.Len(), replicas)
		masters++
		keys += r.Int
	}
	cli.printf("[OK] %d keys in %d masters.\n", keys, masters)
	cli.printf("%.2f keys per slot on average.\n", float32(keys)/float32(slot.Count))
	return true
}

// Check is `redis-cli --cluster check addr`.
func (cli *CLI) Check(addr string) error {
	nodes, err := cli.load(addr)
	if err != nil {
		return err
	}
	if !cli.showClusterInfo(nodes) || !cli.check(nodes, checkListing) {
		return ErrCLI
	}
	return nil
}

// Info is `redis-cli --cluster info addr`.
func (cli *CLI) Info(addr string) error {
	nodes, err := cli.load(addr)
	if err != nil {
		return err
	}
	if !cli.showClusterInfo(nodes) {
		return ErrCLI
	}
	return nil
}

// CallOptions are the flags of `--cluster call`.
type CallOptions struct {
	OnlyMasters  bool // --cluster-only-masters: replicas are skipped
	OnlyReplicas bool // --cluster-only-replicas: masters are skipped
}

// Call is `redis-cli --cluster call addr command [args...]` (clusterManagerCommandCall):
// the command is sent to every node the cluster loads from addr, in that order, and each
// reply printed raw after the node's address.
func (cli *CLI) Call(addr string, args []string, opt CallOptions) error {
	mastersOnly, replicasOnly := opt.OnlyMasters, opt.OnlyReplicas
	nodes, err := cli.load(addr)
	if err != nil {
		return err
	}
	cli.printf(">>> Calling")
	for _, a := range args {
		cli.printf(" %s", a)
	}
	cli.printf("\n")
	for _, n := range nodes {
		if (mastersOnly && n.replicate != "") || (replicasOnly && n.replicate == "") {
			continue
		}
		r, ok := cli.do(n, args...)
		if !ok {
			cli.printf("%s: Failed!\n", n.addr())
			continue
		}
		cli.printf("%s: %s\n", n.addr(), r.Raw())
	}
	return nil
}

// SetTimeout is `redis-cli --cluster set-timeout addr milliseconds`
// (clusterManagerCommandSetTimeout): CONFIG SET cluster-node-timeout, then CONFIG REWRITE,
// on every node. A node counts as an error when either fails. The tutorial's nodes run
// without a config file, so REWRITE fails on each of them after the SET took effect:
// the new timeout applies, and redis-cli reports every node as an error.
func (cli *CLI) SetTimeout(addr, millis string) error {
	if _, _, err := slot.ParseAddr(addr); err != nil {
		cli.printf("%s", invalidHostArg)
		return ErrCLI
	}
	timeout := atoi(millis)
	if timeout < 100 {
		cli.printf("Setting a node timeout of less than 100 milliseconds is a bad idea.\n")
		return ErrCLI
	}
	nodes, err := cli.load(addr)
	if err != nil {
		return err
	}
	okCount, errCount := 0, 0
	cli.printf(">>> Reconfiguring node timeout in every cluster node...\n")
	for _, n := range nodes {
		failed, why := false, "" // no reply: redis-cli prints an empty error
		for _, cmd := range [][]string{{"CONFIG", "SET", "cluster-node-timeout", strconv.Itoa(timeout)}, {"CONFIG", "REWRITE"}} {
			r, ok := cli.do(n, cmd...)
			if !ok || r.IsError() {
				failed = true
				if ok {
					why = r.Str
				}
				break
			}
		}
		if failed {
			cli.printf("ERR setting node-timeout for %s: %s\n", n.addr(), why)
			errCount++
			continue
		}
		cli.printf("*** New timeout set for %s\n", n.addr())
		okCount++
	}
	cli.printf(">>> New node timeout set. %d OK, %d ERR.\n", okCount, errCount)
	return nil
}

// atoi is C's atoi: the leading decimal digits of s after blanks and a sign, 0 when none,
// as redis-cli reads numbers it does not check.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<31; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// CreateOptions are the flags of `--cluster create`.
type CreateOptions struct {
	Replicas int  // --cluster-replicas
	Yes      bool // --cluster-yes; without it, the prompt is printed and answered "yes"
	// Pairing, when set, is the final pairing to take (replica address → master address)
	// instead of the one the anti-affinity swaps draw: a comparison with a real run
	// conditions on what that run's redis-cli drew from its clock. A replica it does not
	// name keeps the drawn master.
	Pairing map[string]string
}

// Create is `redis-cli --cluster create addrs...`.
func (cli *CLI) Create(addrs []string, opt CreateOptions) error {
	replicas, yes := opt.Replicas, opt.Yes
	var nodes []*mnode
	for _, a := range addrs {
		m, err := newMnode(a)
		if err != nil {
			cli.printf("Invalid address format: %s\n", a)
			return ErrCLI
		}
		if !cli.connect(m) {
			return ErrCLI
		}
		if !cli.loadEmpty(m) {
			return ErrCLI
		}
		nodes = append(nodes, m)
	}
	plan, err := slot.PlanCreate(addrs, replicas, cli.Rand)
	if err != nil {
		cli.printf("%s\n", err)
		return ErrCLI
	}
	for i, e := range plan.ReplicaEntry {
		m, ok := opt.Pairing[addrs[e[0]]]
		if !ok {
			continue
		}
		j := slices.Index(addrs, m)
		if j < 0 || !slices.Contains(plan.MasterEntry, j) {
			return fmt.Errorf("the pairing given makes %s a replica of %s, which is no master of this create", addrs[e[0]], m)
		}
		plan.ReplicaEntry[i][1], plan.Replicas[i].Master = j, m
	}
	// By position, not address: an address given twice is two entries of one node, each
	// with its own part of the plan, as in redis-cli.
	for i := range plan.Masters {
		m := nodes[plan.MasterEntry[i]]
		m.slots = slot.SetOf(plan.Slots[i])
		if cli.c.Placement != nil {
			m.slots = slot.SetOf(slot.Range{Lo: i, Hi: i})
		}
		m.dirty = true
	}
	for _, e := range plan.ReplicaEntry {
		r := nodes[e[0]]
		r.replicate = nodes[e[1]].name
		r.dirty = true
	}
	if cli.c.Placement != nil {
		cli.printf(">>> kvplace: keys placed by a partitioner; master i gets token (slot) i\n")
		for i, a := range plan.Masters {
			cli.printf("Master[%d] -> Token %d\n", i, i)
			for _, p := range plan.Replicas {
				if p.Master == a {
					cli.printf("Adding replica %s to %s\n", p.Replica, a)
				}
			}
		}
	} else {
		for _, line := range plan.Lines() {
			cli.printf("%s\n", line)
		}
	}
	cli.showNodes(nodes)
	if !yes {
		cli.printf("Can I set the above configuration? (type 'yes' to accept): yes\n")
	}
	for _, m := range nodes {
		if ok := cli.flush(m); !ok && m.dirty && m.replicate == "" {
			return ErrCLI
		}
	}
	cli.printf(">>> Nodes configuration updated\n")
	cli.printf(">>> Assign a different config epoch to each node\n")
	for i, m := range nodes {
		cli.do(m, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1))
	}
	cli.printf(">>> Sending CLUSTER MEET messages to join the cluster\n")
	first := nodes[0]
	for _, m := range nodes[1:] {
		r, ok := cli.do(m, "CLUSTER", "MEET", first.ip, strconv.Itoa(first.port))
		if !ok || r.IsError() {
			cli.replyError(m, r)
			return ErrCLI
		}
	}
	cli.c.Sim.RunFor(time.Second)
	if !cli.waitForJoin(nodes) {
		return ErrCLI
	}
	for _, m := range nodes {
		if m.dirty {
			if ok := cli.flush(m); !ok && m.replicate == "" {
				return ErrCLI
			}
		}
	}
	reloaded, err := cli.load(first.addr())
	if err != nil {
		return err
	}
	cli.check(reloaded, checkListing)
	return nil
}

// loadEmpty loads m's own CLUSTER NODES line and refuses, with redis-cli's words, a node
// that knows other nodes or holds keys: what create and add-node require of each new node.
func (cli *CLI) loadEmpty(m *mnode) bool {
	if _, ok := cli.loadInfo(m, loadSelf); !ok {
		return false
	}
	if !cli.empty(m) {
		cli.printf("[ERR] Node %s is not empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0.\n", m.addr())
		return false
	}
	return true
}

// empty reports whether a node has no key and knows no other node (clusterManagerNodeIsEmpty).
func (cli *CLI) empty(m *mnode) bool {
	r, ok := cli.do(m, "INFO")
	if !ok || strings.Contains(r.Str, "db0:") {
		return false
	}
	r, ok = cli.do(m, "CLUSTER", "INFO")
	return ok && strings.Contains(r.Str, "cluster_known_nodes:1\r\n")
}

// flush sends a node its planned configuration (clusterManagerFlushNodeConfig): ADDSLOTS
// for a master, REPLICATE for a replica, which fails until the replica knows its master.
func (cli *CLI) flush(m *mnode) bool {
	if !m.dirty {
		return false
	}
	if m.replicate != "" {
		if r, ok := cli.do(m, "CLUSTER", "REPLICATE", m.replicate); !ok || r.IsError() {
			return false
		}
	} else {
		args := []string{"CLUSTER", "ADDSLOTS"}
		for s := range m.slots.All() {
			args = append(args, strconv.Itoa(s))
		}
		if len(args) == 2 {
			return false
		}
		if r, ok := cli.do(m, args...); !ok || r.IsError() {
			cli.replyError(m, r)
			return false
		}
	}
	m.dirty = false
	return true
}

// JoinLimit is how long waitForJoin waits: real redis-cli waits forever, and the live
// runbook backend kills a redis-cli still running after this long, ending its output with
// KilledLine.
const JoinLimit = 10 * time.Minute

// KilledAfter is the line that ends the output of a redis-cli run stopped after d, live or
// simulated; KilledLine is the one after JoinLimit.
func KilledAfter(d time.Duration) string {
	return fmt.Sprintf("(redis-cli was still running after %v and was killed)", d)
}

// KilledLine ends the output of a simulated redis-cli that waited JoinLimit to join.
var KilledLine = KilledAfter(JoinLimit)

// waitForJoin prints a dot a second until every node agrees (clusterManagerWaitForClusterJoin).
// Real redis-cli would wait forever: after JoinLimit it reports false, having printed
// KilledLine, and the command must stop there.
func (cli *CLI) waitForJoin(nodes []*mnode) bool {
	cli.printf("Waiting for the cluster to join\n")
	start := cli.c.Sim.Now()
	for !cli.consistent(nodes) {
		if time.Duration(cli.c.Sim.Now()-start) >= JoinLimit {
			cli.printf("\n%s\n", KilledLine)
			return false
		}
		cli.printf(".")
		cli.c.Sim.RunFor(time.Second)
	}
	cli.printf("\n")
	return true
}

// AddNodeOptions are the flags of `--cluster add-node`.
type AddNodeOptions struct {
	Slave    bool   // --cluster-slave: join as a replica
	MasterID string // --cluster-master-id: of that master (an ID or HOST:PORT); "" lets redis-cli pick
}

// AddNode is `redis-cli --cluster add-node new existing`.
func (cli *CLI) AddNode(newAddr, existing string, opt AddNodeOptions) error {
	asReplica, masterID := opt.Slave, opt.MasterID
	n, err := newMnode(newAddr)
	if err != nil {
		cli.printf("%s", invalidHostArg)
		return ErrCLI
	}
	cli.printf(">>> Adding node %s to cluster %s\n", newAddr, existing)
	nodes, err := cli.load(existing)
	if err != nil {
		return err
	}
	if !cli.check(nodes, checkListing) {
		return ErrCLI
	}
	var master *mnode
	if asReplica {
		if masterID != "" {
			master = byName(nodes, resolve(nodes, masterID))
			if master == nil {
				cli.printf("[ERR] No such master ID %s\n", masterID)
				return ErrCLI
			}
		} else {
			l := layoutOf(nodes)
			m, _, err := slot.AddNodeMaster(l, "")
			if err != nil {
				cli.printf("%s\n", err)
				return ErrCLI
			}
			master = byName(nodes, m.ID)
			cli.printf("Automatically selected master %s\n", master.addr())
		}
	}
	// clusterManagerNodeConnect prints its failure (to stderr) before add-node's own line.
	if !cli.connect(n) {
		cli.printf("[ERR] Sorry, can't connect to node %s\n", newAddr)
		return ErrCLI
	}
	if !cli.loadEmpty(n) {
		return ErrCLI
	}
	first := nodes[0]
	nodes = append(nodes, n)
	if master == nil {
		cli.printf(">>> Getting functions from cluster\n")
		cli.printf(">>> Send FUNCTION LIST to %s to verify there is no functions in it\n", n.addr())
		cli.printf(">>> Send FUNCTION RESTORE to %s\n", n.addr())
	}
	cli.printf(">>> Send CLUSTER MEET to node %s to make it join the cluster.\n", n.addr())
	if r, ok := cli.do(n, "CLUSTER", "MEET", first.ip, strconv.Itoa(first.port)); !ok || r.IsError() {
		cli.replyError(n, r)
		return ErrCLI
	}
	if master != nil {
		cli.c.Sim.RunFor(time.Second)
		if !cli.waitForJoin(nodes) {
			return ErrCLI
		}
		cli.printf(">>> Configure node as replica of %s.\n", master.addr())
		if r, ok := cli.do(n, "CLUSTER", "REPLICATE", master.name); !ok || r.IsError() {
			cli.replyError(n, r)
			return ErrCLI
		}
	}
	cli.printf("[OK] New node added correctly.\n")
	return nil
}

func layoutOf(nodes []*mnode) slot.Layout {
	l := slot.Layout{Slots: slot.NewTable()}
	for _, n := range nodes {
		l.Nodes = append(l.Nodes, slot.Node{ID: n.name, Addr: n.addr(), ReplicaOf: n.replicate})
		l.Slots.AssignSet(n.slots, n.name)
	}
	return l
}

// DelNode is `redis-cli --cluster del-node addr id`.
func (cli *CLI) DelNode(addr, idOrAddr string) error {
	nodes, err := cli.load(addr)
	if err != nil {
		cli.printf(">>> Removing node %s from cluster %s\n", idOrAddr, addr)
		return err
	}
	id := resolve(nodes, idOrAddr)
	cli.printf(">>> Removing node %s from cluster %s\n", id, addr)
	plan, err := slot.PlanDelNode(layoutOf(nodes), id)
	if err != nil {
		cli.printf("%s\n", err)
		return ErrCLI
	}
	victim := byName(nodes, plan.Node.ID)
	cli.printf(">>> Sending CLUSTER FORGET messages to the cluster...\n")
	rehome := map[string]string{}
	for _, p := range plan.Rehome {
		rehome[p.Replica] = p.Master
	}
	for _, n := range nodes {
		if n == victim {
			continue
		}
		if m, ok := rehome[n.name]; ok {
			master := byName(nodes, m)
			cli.printf(">>> %s as replica of %s\n", n.addr(), master.addr())
			if r, ok := cli.do(n, "CLUSTER", "REPLICATE", master.name); !ok || r.IsError() {
				cli.replyError(n, r)
				return ErrCLI
			}
		}
		if r, ok := cli.do(n, "CLUSTER", "FORGET", victim.name); !ok || r.IsError() {
			cli.replyError(n, r)
			return ErrCLI
		}
	}
	cli.printf(">>> Sending CLUSTER RESET SOFT to the deleted node.\n")
	if r, ok := cli.do(victim, "CLUSTER", "RESET", "SOFT"); !ok || r.IsError() {
		cli.replyError(victim, r)
		return ErrCLI
	}
	return nil
}

// ReshardOptions are the flags of `--cluster reshard`.
type ReshardOptions struct {
	From  string // --cluster-from: comma-separated IDs (or HOST:PORT), or "all"
	To    string // --cluster-to: an ID or HOST:PORT
	Slots int    // --cluster-slots
	Yes   bool   // --cluster-yes
}

// Reshard is `redis-cli --cluster reshard addr`.
func (cli *CLI) Reshard(addr string, opt ReshardOptions) error {
	from, to, count, yes := opt.From, opt.To, opt.Slots, opt.Yes
	nodes, err := cli.load(addr)
	if err != nil {
		return err
	}
	if !cli.check(nodes, checkListing) {
		cli.printf("*** Please fix your cluster problems before resharding\n")
		return ErrCLI
	}
	var sources []string
	for _, f := range strings.Split(from, ",") {
		sources = append(sources, resolve(nodes, f))
	}
	l := layoutOf(nodes)
	plan, err := slot.PlanReshard(l, sources, resolve(nodes, to), count)
	if plan != nil {
		for _, w := range plan.Warnings {
			cli.printf("%s\n", w)
		}
	}
	if err != nil {
		cli.printf("%s\n", err)
		return ErrCLI
	}
	target := byName(nodes, plan.Target)
	cli.printf("\nReady to move %d slots.\n", count)
	cli.printf("  Source nodes:\n")
	for _, s := range plan.Sources {
		cli.printf("%s\n", nodeInfo(byName(nodes, s), 4))
	}
	cli.printf("  Destination node:\n%s\n", nodeInfo(target, 4))
	cli.printf("  Resharding plan:\n")
	for _, line := range plan.Lines() {
		cli.printf("%s\n", line)
	}
	if !yes {
		cli.printf("Do you want to proceed with the proposed reshard plan (yes/no)? yes\n")
	}
	for _, m := range plan.Moves {
		if err := cli.moveSlot(nodes, byName(nodes, m.From), target, m.Slot, moveOpts{Verbose: true}); err != nil {
			cli.printf("clusterManagerMoveSlot failed: %s\n", err)
			return ErrCLI
		}
	}
	return nil
}

// moveOpts are clusterManagerMoveSlot's options (CLUSTER_MANAGER_OPT_*).
type moveOpts struct {
	Verbose bool // print the "Moving slot" line and a dot per key
	Update  bool // record the move in redis-cli's own view of the nodes
	Cold    bool // only migrate the keys: no IMPORTING, MIGRATING or NODE (--cluster fix)
}

// errSourceIsReplica is the source's refusal of SETSLOT NODE when it lost its last slot to
// the target, heard of it first, and turned itself into a replica: not an error to
// redis-cli (issue #9223).
var errSourceIsReplica = errors.New("ERR Please use SETSLOT only with masters.")

// moveSlot moves one slot with its keys (clusterManagerMoveSlot): IMPORTING on the target,
// MIGRATING on the source, MIGRATE in batches, then NODE on the target, the source and every
// other master. A cold move (--cluster fix's) only migrates the keys.
func (cli *CLI) moveSlot(nodes []*mnode, src, dst *mnode, s int, opt moveOpts) error {
	verbose, update, cold := opt.Verbose, opt.Update, opt.Cold
	if verbose {
		cli.printf("Moving slot %d from %s to %s: ", s, src.addr(), dst.addr())
	}
	slotArg := strconv.Itoa(s)
	setSlot := func(on, about *mnode, state string) error {
		r, ok := cli.do(on, "CLUSTER", "SETSLOT", slotArg, state, about.name)
		if !ok {
			return errors.New("CLUSTER SETSLOT failed to run")
		}
		if r.IsError() && strings.HasPrefix(r.Str, errSourceIsReplica.Error()) {
			return errSourceIsReplica
		}
		if r.IsError() {
			return errors.New(r.Str)
		}
		return nil
	}
	if !cold {
		if err := setSlot(dst, src, "importing"); err != nil {
			return err
		}
		if err := setSlot(src, dst, "migrating"); err != nil {
			return err
		}
	}
	for {
		r, ok := cli.do(src, "CLUSTER", "GETKEYSINSLOT", slotArg, strconv.Itoa(cli.Pipeline))
		if !ok {
			return errors.New("CLUSTER GETKEYSINSLOT failed to run")
		}
		if r.IsError() {
			cli.replyError(src, r)
			return errors.New(r.Str)
		}
		if len(r.Array) == 0 {
			break
		}
		args := []string{"MIGRATE", dst.ip, strconv.Itoa(dst.port), "", "0", strconv.Itoa(cli.Timeout), "KEYS"}
		for _, k := range r.Array {
			args = append(args, k.Str)
		}
		mr, ok := cli.do(src, args...)
		if !ok {
			return errors.New("MIGRATE failed to run")
		}
		if mr.IsError() {
			// clusterManagerMoveSlot ends its "Moving slot" line whether the keys moved
			// or not, after what went wrong.
			if mr, ok = cli.migrateError(src, dst, s, r.Array, args, mr); !ok {
				if verbose {
					cli.printf("\n")
				}
				return errors.New(mr.Str)
			}
			if mr.IsError() {
				cli.printf("\nNode %s replied with error:\n%s\n", src.addr(), mr.Str)
				if verbose {
					cli.printf("\n")
				}
				return errors.New(mr.Str)
			}
		}
		if verbose {
			cli.printf("%s", strings.Repeat(".", len(r.Array)))
		}
	}
	if verbose {
		cli.printf("\n")
	}
	if cold {
		if update {
			src.slots.Remove(s)
			dst.slots.Add(s)
		}
		return nil
	}
	if err := setSlot(dst, dst, "node"); err != nil {
		return err
	}
	if err := setSlot(src, dst, "node"); err != nil && !errors.Is(err, errSourceIsReplica) {
		return err
	}
	for _, n := range nodes {
		if n == src || n == dst || n.slave {
			continue
		}
		if err := setSlot(n, dst, "node"); err != nil {
			return err
		}
	}
	if update {
		src.slots.Remove(s)
		dst.slots.Add(s)
	}
	return nil
}

// migrateError handles a failed MIGRATE of keys from src to dst as
// clusterManagerMigrateKeysInSlot does: a slot that src no longer serves is, under --cluster
// fix, given to dst; keys that already exist on dst (BUSYKEY) are compared first
// (DEBUG DIGEST-VALUE) and, when every value is the same on both sides, migrated again with
// REPLACE; with --cluster-replace they are migrated again with REPLACE unchecked. It
// returns the reply of the retry, or the original one when there is none; false when it
// gave up and has printed why.
func (cli *CLI) migrateError(src, dst *mnode, s int, keys []cluster.Reply, args []string, mr cluster.Reply) (cluster.Reply, bool) {
	busy := strings.Contains(mr.Str, "BUSYKEY")
	notServed := false
	if !busy {
		served, known := cli.served(src, s)
		notServed = known && !served
	}
	if !busy && !notServed {
		return mr, true
	}
	if cli.fixing && notServed {
		cli.printf("*** Slot was not served, setting owner to node %s.\n", dst.addr())
		cli.do(src, "CLUSTER", "SETSLOT", strconv.Itoa(s), "NODE", dst.name)
	}
	if busy {
		cli.printf("\n*** Target key exists\n")
	}
	if busy && !cli.Replace {
		cli.printf("*** Checking key values on both nodes...\n")
		digest := append([]string{"DEBUG", "DIGEST-VALUE"}, replyStrings(keys)...)
		r1, ok1 := cli.do(src, digest...)
		r2, ok2 := cli.do(dst, digest...)
		for _, x := range []struct {
			n *mnode
			r cluster.Reply
		}{{src, r1}, {dst, r2}} {
			if x.r.IsError() {
				cli.replyError(x.n, x.r)
			}
		}
		if !ok1 || !ok2 || r1.IsError() || r2.IsError() || len(r1.Array) != len(keys) || len(r2.Array) != len(keys) {
			cli.printf("*** Value check failed!\n")
			return mr, false
		}
		zero := strings.Repeat("0", 40)
		var diffs []string
		for i, k := range keys {
			h1, h2 := r1.Array[i].Str, r2.Array[i].Str
			if h1 != zero && h2 != zero && h1 != h2 {
				diffs = append(diffs, k.Str)
			}
		}
		if len(diffs) > 0 {
			cli.printf("*** Found %d key(s) in both source node and target node having different values.\n"+
				"    Source node: %s\n    Target node: %s\n    Keys(s):\n", len(diffs), src.addr(), dst.addr())
			for _, k := range diffs {
				cli.printf("    - %s\n", k)
			}
			cli.printf("Please fix the above key(s) manually and try again or relaunch the command \nwith --cluster-replace option to force key overriding.\n")
			return mr, false
		}
	}
	if busy {
		cli.printf("*** Replacing target keys...\n")
	}
	// MIGRATE host port "" db timeout [REPLACE] KEYS k...: REPLACE goes before KEYS.
	retry := slices.Clone(args)
	if busy {
		at := slices.Index(retry, "KEYS")
		retry = slices.Insert(retry, at, "REPLACE")
	}
	r, _ := cli.do(src, retry...)
	return r, true
}

func replyStrings(rs []cluster.Reply) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Str
	}
	return out
}

// RebalanceOptions are the flags of `--cluster rebalance`.
type RebalanceOptions struct {
	Weights         []string // --cluster-weight: "id=w" (or "HOST:PORT=w") each
	Threshold       float32  // --cluster-threshold; slot.DefaultThreshold is redis-cli's 2
	UseEmptyMasters bool     // --cluster-use-empty-masters
	Simulate        bool     // --cluster-simulate: print the plan, move nothing
}

// Rebalance is `redis-cli --cluster rebalance addr`.
func (cli *CLI) Rebalance(addr string, flags RebalanceOptions) error {
	weights, threshold, useEmpty, simulate := flags.Weights, flags.Threshold, flags.UseEmptyMasters, flags.Simulate
	nodes, err := cli.load(addr)
	if err != nil {
		return err
	}
	opt := slot.RebalanceOptions{Threshold: threshold, UseEmptyMasters: useEmpty}
	for _, w := range weights {
		name, value, found := strings.Cut(w, "=")
		if found {
			w = resolve(nodes, name) + "=" + value
		}
		pw, err := slot.ParseWeight(w)
		if err != nil {
			cli.printf("%s\n", err)
			return ErrCLI
		}
		opt.Weights = append(opt.Weights, pw)
	}
	l := layoutOf(nodes)
	for _, w := range opt.Weights {
		if !slices.ContainsFunc(l.Nodes, func(n slot.Node) bool { return strings.HasPrefix(n.ID, strings.ToLower(w.Node)) }) {
			cli.printf("*** No such master node %s\n", w.Node)
			return ErrCLI
		}
	}
	if !cli.check(nodes, checkQuiet) {
		cli.printf("*** Please fix your cluster problems before rebalancing\n")
		return ErrCLI
	}
	plan, err := slot.PlanRebalance(cli.realRebalanceOrder(nodes, l, opt), opt)
	if plan == nil && err != nil {
		cli.printf("%s\n", err)
		return ErrCLI
	}
	if plan.Balanced {
		cli.printf("%s\n", plan.NoRebalanceMessage())
		return nil
	}
	cli.printf("%s\n", plan.Header())
	for _, step := range plan.Steps {
		src, dst := byName(nodes, step.From), byName(nodes, step.To)
		cli.printf("Moving %d slots from %s to %s\n", len(step.Moves), src.addr(), dst.addr())
		for _, m := range step.Moves {
			if !simulate {
				if err := cli.moveSlot(nodes, src, dst, m.Slot, moveOpts{Update: true}); err != nil {
					cli.printf("*** clusterManagerMoveSlot: %s\n", err)
					return ErrCLI
				}
			}
			cli.printf("#")
		}
		cli.printf("\n")
	}
	if err != nil {
		cli.printf("%s\n", err)
		return ErrCLI
	}
	return nil
}
