package cluster

import (
	"crypto/sha1"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/slot"
)

// keyCommand describes a data command: whether it writes, and where its keys are.
type keyCommand struct {
	write    bool
	firstKey int  // index of the first key argument
	allKeys  bool // every argument from firstKey on is a key
	minArgs  int
	maxArgs  int // 0: no limit
}

var keyCommands = map[string]keyCommand{
	"get":    {firstKey: 1, minArgs: 2, maxArgs: 2},
	"set":    {write: true, firstKey: 1, minArgs: 3, maxArgs: 3},
	"del":    {write: true, firstKey: 1, allKeys: true, minArgs: 2},
	"exists": {firstKey: 1, allKeys: true, minArgs: 2},
	"type":   {firstKey: 1, minArgs: 2, maxArgs: 2},
	"strlen": {firstKey: 1, minArgs: 2, maxArgs: 2},
	"hlen":   {firstKey: 1, minArgs: 2, maxArgs: 2},
	"llen":   {firstKey: 1, minArgs: 2, maxArgs: 2},
	"scard":  {firstKey: 1, minArgs: 2, maxArgs: 2},
	"zcard":  {firstKey: 1, minArgs: 2, maxArgs: 2},
	"hget":   {firstKey: 1, minArgs: 3, maxArgs: 3},
}

// loadingCommands are the commands a node serves while it loads a full copy, those Redis
// 7.0 flags CMD_LOADING (of the ones simulated); the rest get errLoading.
var loadingCommands = map[string]bool{
	"info": true, "role": true, "config": true, "debug": true, "readonly": true,
	"readwrite": true, "multi": true, "exec": true, "discard": true,
}

const errLoading = "LOADING Redis is loading the dataset in memory"

// refuse is what processCommand answers before a command runs or is queued in MULTI, in
// its order: a key command's arity, the cluster's redirect of the command's keys, and
// LOADING while the node loads a full copy, for a command without CMD_LOADING.
func (n *Node) refuse(name string, req Request) (Reply, bool) {
	keys, q, arityOK := n.commandKeys(name, req)
	if !arityOK {
		return errorf("ERR wrong number of arguments for '%s' command", name), true
	}
	if len(keys) > 0 {
		if r, redirected := n.route(keys, q); redirected {
			return r, true
		}
	}
	if n.repl.loading != nil && !loadingCommands[name] {
		return errReply(errLoading), true
	}
	return Reply{}, false
}

// commandKeys returns the keys the cluster routes a command by, as Redis's key specs find
// them, and what routing weighs besides; arityOK is false for a key command with the wrong
// number of arguments. MEMORY USAGE, OBJECT ENCODING and EVAL check their arguments when
// they run: an EVAL whose numkeys is not a count of its arguments has no keys here.
func (n *Node) commandKeys(name string, req Request) (keys []string, q query, arityOK bool) {
	args := req.Args
	if kc, ok := keyCommands[name]; ok {
		if !kc.arityOK(args) {
			return nil, query{}, false
		}
		return kc.keys(args), kc.query(req), true
	}
	q = query{asking: req.Asking, readOnly: req.ReadOnly}
	switch name {
	case "memory", "object":
		if len(args) >= 3 {
			keys = args[2:3]
		}
	case "eval":
		if len(args) >= 3 {
			if k, err := strconv.Atoi(args[2]); err == nil && k >= 0 && k <= len(args)-3 {
				keys, q.write = args[3:3+k], true
			}
		}
	}
	return keys, q, true
}

// arityOK reports whether args has as many arguments as the command takes.
func (kc keyCommand) arityOK(args []string) bool {
	return len(args) >= kc.minArgs && (kc.maxArgs == 0 || len(args) <= kc.maxArgs)
}

// keys returns the command's key arguments.
func (kc keyCommand) keys(args []string) []string {
	if kc.allKeys {
		return args[kc.firstKey:]
	}
	return args[kc.firstKey : kc.firstKey+1]
}

// query is what routing weighs of req besides its keys.
func (kc keyCommand) query(req Request) query {
	return query{write: kc.write, asking: req.Asking, readOnly: req.ReadOnly}
}

const errWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

// request handles a client's command. Writes wait while a manual failover pauses clients,
// everything waits while the node is blocked in a MIGRATE, and requests already waiting keep
// their order.
func (n *Node) request(from int, req Request) {
	if len(req.Args) == 0 {
		return
	}
	if n.mig != nil || len(n.held) > 0 || (n.pausedUntil > n.now && n.isWrite(strings.ToLower(req.Args[0]))) || n.inFlight(req) {
		n.held = append(n.held, heldRequest{from: from, req: req})
		if n.pausedUntil > n.now {
			n.ctx.After(time.Duration(n.pausedUntil-n.now)*time.Millisecond, sim.Timer{Kind: timerUnpause})
		}
		return
	}
	n.answer(from, req)
}

// answer executes req and replies, unless the reply is deferred (MIGRATE).
func (n *Node) answer(from int, req Request) {
	if r := n.execute(from, req); r.Kind != 0 {
		n.ctx.Send(from, Response{ID: req.ID, Reply: r}, 0)
	}
}

func (n *Node) isWrite(name string) bool {
	return keyCommands[name].write || name == "migrate" || name == "restore-asking"
}

// releaseHeld runs held requests, in order, as far as nothing holds them any more.
func (n *Node) releaseHeld() {
	for len(n.held) > 0 && n.mig == nil {
		h := n.held[0]
		if (n.pausedUntil > n.now && n.isWrite(strings.ToLower(h.req.Args[0]))) || n.inFlight(h.req) {
			return
		}
		n.held = n.held[1:]
		n.answer(h.from, h.req)
	}
}

// execute runs one command and returns its reply.
func (n *Node) execute(from int, req Request) Reply {
	args := req.Args
	name := strings.ToLower(args[0])
	if r, done := n.transaction(from, name, req); done {
		return r
	}
	// A key command is checked as it is before being queued; so is every command while
	// the node loads. The others check their own arguments and keys where they run.
	_, isKey := keyCommands[name]
	if isKey || (n.repl.loading != nil && !loadingCommands[name]) {
		if r, refused := n.refuse(name, req); refused {
			return r
		}
	}
	if isKey {
		switch name {
		case "get":
			v, ok := n.db.get(args[1])
			switch {
			case !ok:
				return nilReply()
			case v.kind != kindString:
				return errReply(errWrongType)
			}
			return bulkReply(v.str)
		case "set":
			n.write(args[1], stringValue(args[2]), 0)
			return okReply()
		case "del":
			c := 0
			for _, k := range args[1:] {
				if v, ok := n.db.get(k); ok {
					n.ctx.Busy(n.costs.freeCost(v)) // lazyfree-lazy-user-del is off
				}
				if n.remove(k) {
					c++
				}
			}
			return intReply(int64(c))
		case "type":
			if v, ok := n.db.get(args[1]); ok {
				return statusReply(v.typeName())
			}
			return statusReply("none")
		case "strlen", "hlen", "llen", "scard", "zcard":
			v, ok := n.db.get(args[1])
			switch {
			case !ok:
				return intReply(0)
			case lengthCommand[v.kind] != name:
				return errReply(errWrongType)
			case v.kind == kindString:
				return intReply(int64(len(v.str)))
			}
			return intReply(int64(v.elems))
		case "hget":
			v, ok := n.db.get(args[1])
			switch {
			case !ok:
				return nilReply()
			case v.kind != kindHash:
				return errReply(errWrongType)
			}
			if i, err := strconv.Atoi(strings.TrimPrefix(args[2], "field:")); err == nil && i >= 1 && i <= v.elems && args[2] == hashField(i) {
				return bulkReply(hashValue(i))
			}
			return nilReply()
		case "exists":
			c := 0
			for _, k := range args[1:] {
				if _, ok := n.db.get(k); ok {
					c++
				}
			}
			return intReply(int64(c))
		}
	}
	switch name {
	case "ping":
		if len(args) == 2 {
			return bulkReply(args[1])
		}
		return statusReply("PONG")
	case "asking":
		return okReply()
	case "readonly", "readwrite":
		return okReply()
	case "dbsize":
		return intReply(int64(n.db.len()))
	case "keys":
		if len(args) != 2 {
			return errorf("ERR wrong number of arguments for 'keys' command")
		}
		var out []Reply
		for _, k := range n.db.all() {
			if match(args[1], k) {
				out = append(out, bulkReply(k))
			}
		}
		return arrayReply(out...)
	case "info":
		section := ""
		if len(args) > 1 {
			section = strings.ToLower(args[1])
		}
		return bulkReply(n.info(section))
	case "role":
		return n.repl.role(n)
	case "debug":
		if n.cfg.EnableDebugCommand != "yes" && n.cfg.EnableDebugCommand != "local" {
			return errReply("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
		}
		// DEBUG DIGEST-VALUE key...: a digest of each value, forty zeros for a missing key,
		// what redis-cli compares before it overwrites a key on a MIGRATE's BUSYKEY. Redis
		// digests the value's encoding; any digest that is equal exactly when the values
		// are serves that use.
		if len(args) >= 2 && strings.EqualFold(args[1], "digest-value") {
			var out []Reply
			for _, k := range args[2:] {
				d := strings.Repeat("0", 40)
				if v, ok := n.db.get(k); ok {
					d = fmt.Sprintf("%x", sha1.Sum([]byte(v.typeName()+":"+v.str+":"+strconv.Itoa(v.elems))))
				}
				out = append(out, statusReply(d))
			}
			return arrayReply(out...)
		}
		if len(args) >= 2 && strings.EqualFold(args[1], "populate") {
			return n.debugPopulate(args)
		}
		return errorf("ERR DEBUG subcommand not simulated; try DIGEST-VALUE or POPULATE")
	case "memory":
		return n.memoryCommand(args, req.Asking)
	case "object":
		return n.objectCommand(args, req.Asking)
	case "eval":
		return n.eval(from, req)
	case "cluster":
		return n.clusterCommand(args)
	case "config":
		return n.configCommand(args)
	case "migrate":
		return n.migrate(from, req)
	case "restore-asking":
		return n.restoreAsking(req)
	case "flushall":
		if n.myself.isSlave() {
			return errReply("READONLY You can't write against a read only replica.")
		}
		for _, k := range n.db.all() {
			n.remove(k)
		}
		return okReply()
	}
	return errorf("ERR unknown command '%s', with args beginning with: %s", args[0], argsPreview(args[1:]))
}

func argsPreview(args []string) string {
	var b strings.Builder
	for _, a := range args {
		fmt.Fprintf(&b, "'%s' ", a)
	}
	return b.String()
}

// match is Redis's glob matching for KEYS, for the patterns runbooks use: *, ?, literal.
func match(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if match(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && match(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && match(pattern[1:], s[1:])
}

// lengthCommand is the command that counts a value of each kind: its bytes or elements.
var lengthCommand = [numKinds]string{"strlen", "hlen", "llen", "scard", "zcard"}

// write sets a key and streams the write to the replicas: a SET, or for a collection the
// writes that took it from from elements to v's.
func (n *Node) write(key string, v value, from int) {
	n.db.set(key, v)
	cmd := "set"
	if v.kind != kindString {
		cmd = "elems"
	}
	n.repl.propagate(n, cmd, key, v, from)
}

func (n *Node) remove(key string) bool {
	if !n.db.del(key) {
		return false
	}
	n.repl.propagate(n, "del", key, value{}, 0)
	return true
}

// A query is what getNodeByQuery weighs of a command besides its keys.
type query struct {
	write         bool // the command writes (CMD_WRITE)
	asking        bool // the client sent ASKING before it (CLIENT_ASKING)
	restoreAsking bool // the command is RESTORE-ASKING (CMD_ASKING): served while importing
	readOnly      bool // the client's connection is in READONLY mode (CLIENT_READONLY)
}

// route decides whether this node serves keys or redirects (getNodeByQuery and
// clusterRedirectClient): MOVED, ASK, TRYAGAIN, CROSSSLOT or CLUSTERDOWN.
func (n *Node) route(keys []string, q query) (Reply, bool) {
	if n.place != nil {
		return n.routePlaced(keys, q)
	}
	write, asking, restoreAsking := q.write, q.asking, q.restoreAsking
	first := slot.Of(keys[0])
	owner := n.slots[first]
	if owner == nil {
		return errReply("CLUSTERDOWN Hash slot not served"), true
	}
	multiple := false
	for _, k := range keys[1:] {
		if k != keys[0] {
			if slot.Of(k) != first {
				return errReply("CROSSSLOT Keys in request don't hash to the same slot"), true
			}
			multiple = true
		}
	}
	migrating := owner == n.myself && n.migrating[first] != nil
	importing := !migrating && n.importing[first] != nil
	missing, existing := 0, 0
	if migrating || importing {
		for _, k := range keys {
			if _, ok := n.db.get(k); ok {
				existing++
			} else {
				missing++
			}
		}
	}
	if n.state != stateOK {
		if !n.cfg.AllowReadsWhenDown {
			return errReply("CLUSTERDOWN The cluster is down"), true
		}
		if write {
			return errReply("CLUSTERDOWN The cluster is down and only accepts read commands"), true
		}
	}
	if migrating && missing > 0 {
		if existing > 0 {
			return errReply("TRYAGAIN Multiple keys request during rehashing of slot"), true
		}
		to := n.migrating[first]
		return errorf("ASK %d %s:%d", first, to.ip, to.port), true
	}
	if importing && (asking || restoreAsking) {
		if multiple && missing > 0 {
			return errReply("TRYAGAIN Multiple keys request during rehashing of slot"), true
		}
		return Reply{}, false
	}
	// A replica serves a read of its master's slots to a READONLY connection.
	if q.readOnly && !write && !n.myself.isMaster() && n.myself.master == owner {
		return Reply{}, false
	}
	if owner != n.myself {
		return errorf("MOVED %d %s:%d", first, owner.ip, owner.port), true
	}
	return Reply{}, false
}

// info answers INFO: the replication and keyspace sections, which runbooks ask for.
func (n *Node) info(section string) string {
	var b strings.Builder
	if section == "" || section == "replication" || section == "all" || section == "default" {
		b.WriteString(n.repl.info(n))
	}
	if section == "" || section == "cluster" || section == "all" || section == "default" {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# Cluster\r\ncluster_enabled:1\r\n")
	}
	if section == "" || section == "keyspace" || section == "all" || section == "default" {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# Keyspace\r\n")
		if n.db.len() > 0 {
			fmt.Fprintf(&b, "db0:keys=%d,expires=0,avg_ttl=0\r\n", n.db.len())
		}
	}
	return b.String()
}

func atoiArg(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// multiState is a client's transaction: the commands it queued, and whether one was
// refused (flagTransaction), so that EXEC discards them all.
type multiState struct {
	queue   []Request
	aborted bool
}

// transaction handles MULTI, EXEC and DISCARD, and queues a client's commands between MULTI
// and EXEC, which runs them one after the other in one turn of the event loop, nothing
// else in between. A command refused when queued (see refuse) flags the transaction, and
// EXEC then answers EXECABORT; EXEC is itself redirected by the keys of all the commands
// it would run, and a redirected EXEC discards them. done is false for a command to run
// now.
func (n *Node) transaction(from int, name string, req Request) (r Reply, done bool) {
	m, inMulti := n.multi[from]
	switch {
	case name == "multi" && inMulti:
		return errReply("ERR MULTI calls can not be nested"), true
	case name == "multi":
		if n.multi == nil {
			n.multi = map[int]*multiState{}
		}
		n.multi[from] = &multiState{}
		return okReply(), true
	case name == "exec" && !inMulti:
		return errReply("ERR EXEC without MULTI"), true
	case name == "discard" && !inMulti:
		return errReply("ERR DISCARD without MULTI"), true
	case name == "discard":
		delete(n.multi, from)
		return okReply(), true
	case name == "exec":
		delete(n.multi, from)
		if m.aborted {
			return errReply("EXECABORT Transaction discarded because of previous errors."), true
		}
		var keys []string
		q := query{asking: req.Asking, readOnly: req.ReadOnly}
		for _, c := range m.queue {
			k, cq, _ := n.commandKeys(strings.ToLower(c.Args[0]), c)
			keys, q.write = append(keys, k...), q.write || cq.write
		}
		if len(keys) > 0 {
			if r, redirected := n.route(keys, q); redirected {
				return r, true
			}
		}
		out := make([]Reply, len(m.queue))
		for i, c := range m.queue {
			out[i] = n.execute(from, c)
		}
		return arrayReply(out...), true
	case inMulti:
		if r, refused := n.refuse(name, req); refused {
			m.aborted = true
			return r, true
		}
		m.queue = append(m.queue, req)
		return statusReply("QUEUED"), true
	}
	return Reply{}, false
}
