package cluster

import (
	"crypto/sha1"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
)

// The commands runbooks use to write big values and look at them: EVAL of `load`'s
// scripts, DEBUG POPULATE, MEMORY USAGE and OBJECT ENCODING, with Redis 7.0.15's replies.

// eval runs `EVAL script numkeys key... arg...` for the scripts the simulator knows,
// LoadScripts: the key's collection gains elements up to ARGV[1], one write each, all in
// one turn of the event loop, which is busy for as long as a real server takes to run
// them. A script that runs past busy-reply-threshold lets the node take in events again
// while it finishes (see runningScript); its write and its reply come at the end.
func (n *Node) eval(from int, req Request) Reply {
	args, asking := req.Args, req.Asking
	if len(args) < 3 {
		return errorf("ERR wrong number of arguments for 'eval' command")
	}
	numkeys, err := strconv.Atoi(args[2])
	switch {
	case err != nil:
		return errReply("ERR value is not an integer or out of range")
	case numkeys > len(args)-3:
		return errReply("ERR Number of keys can't be greater than number of args")
	case numkeys < 0:
		return errReply("ERR Number of keys can't be negative")
	}
	script, known := loadScripts[args[1]]
	if !known || numkeys != 1 || len(args) != 5 {
		return errReply("ERR the simulator runs only `load`'s scripts (cluster.LoadScripts), with one key and one argument")
	}
	key := args[3]
	if r, redirected := n.route([]string{key}, query{write: true, asking: asking}); redirected {
		return r
	}
	old, exists := n.db.get(key)
	wrongType := exists && old.kind != script.kind
	// The list's script reads LLEN before the loop's limit is looked at.
	if wrongType && script.kind == kindList {
		return errReply(errWrongType + " script: " + script.sha + ", on @user_script:1.")
	}
	elems, err := strconv.Atoi(args[4])
	if err != nil || elems < 0 {
		// tonumber gives nil, and the for loop refuses it.
		return errReply("ERR Error running script (call to f_" + script.sha + "): @user_script:1: user_script:1: 'for' limit must be a number")
	}
	// The loop calls its write at least once (the list's loop starts past its length).
	calls := elems >= 1
	if script.kind == kindList {
		calls = elems > old.elems
	}
	switch {
	case !calls:
		return nilReply()
	case n.myself.isSlave():
		return errReply("READONLY You can't write against a read only replica. script: " + script.sha + ", on @user_script:1.")
	case wrongType:
		return errReply(errWrongType + " script: " + script.sha + ", on @user_script:1.")
	case elems <= old.elems:
		return nilReply() // writes what is there already
	}
	v := value{kind: script.kind, elems: elems, presized: old.presized, scattered: old.scattered}
	if old.skiplist() {
		v.heights = old.heights // the new members go after the old, which keep their nodes
	}
	added := elems - old.elems
	took := n.costs.buildCost(value{kind: script.kind, elems: added})
	if n.repl.streaming() {
		took += n.costs.propagateCost(added)
		v.scattered = script.kind == kindHash
	}
	if took > busyReplyThreshold {
		n.ctx.Busy(busyReplyThreshold)
		n.script = &runningScript{client: from, id: req.ID, key: key, val: v, from: old.elems}
		n.ctx.After(took, sim.Timer{Kind: timerScriptDone})
		return Reply{}
	}
	n.ctx.Busy(took)
	n.write(key, v, old.elems)
	return nilReply()
}

// A loadScript is one of LoadScripts: the kind it writes, and its SHA1, which Redis names
// the script by in its errors.
type loadScript struct {
	kind uint8
	sha  string
}

var loadScripts = func() map[string]loadScript {
	m := map[string]loadScript{}
	for name, text := range LoadScripts {
		k := uint8(slices.Index(kindNames[:], name))
		m[text] = loadScript{kind: k, sha: fmt.Sprintf("%x", sha1.Sum([]byte(text)))}
	}
	return m
}()

// busyReplyThreshold is busy-reply-threshold (lua-time-limit), 5 s by default: how long a
// script runs before Redis, between its steps, serves events again (processEventsWhileBlocked).
const busyReplyThreshold = 5 * time.Second

// A runningScript is a script past busy-reply-threshold. Redis then reads and answers the
// cluster bus between the script's steps, so PINGs get their PONGs and nobody flags the
// node; clients get BUSY; no time event runs, so clusterCron neither pings nor counts
// timeouts; and beforeSleep does only its vital part. The script's write and its reply
// come when it ends.
type runningScript struct {
	client int
	id     uint64
	key    string
	val    value
	from   int // the elements the collection had before
}

// errBusyScript is what processCommand answers while a script runs past the threshold.
const errBusyScript = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

// scriptDone ends the running script: its write, its reply, and the events it held.
func (n *Node) scriptDone() {
	s := n.script
	if s == nil {
		return
	}
	n.script = nil
	n.write(s.key, s.val, s.from)
	n.ctx.Send(s.client, Response{ID: s.id, Reply: nilReply()}, 0)
	n.replayDeferred()
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: keys prefix:0 … prefix:count-1
// ("key" without a prefix) holding "value:j", or size bytes starting with it, the rest
// zeros. Keys that exist are left alone. Like Redis, it writes straight into the node's own
// database: whatever slots the keys hash to, and nothing streamed to replicas.
func (n *Node) debugPopulate(args []string) Reply {
	if len(args) < 3 || len(args) > 5 {
		return errorf("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.", args[1])
	}
	count, ok := positiveArg(args[2])
	if !ok {
		return positiveError(args[2])
	}
	prefix := "key"
	if len(args) >= 4 {
		prefix = args[3]
	}
	size := int64(0)
	if len(args) == 5 {
		if size, ok = positiveArg(args[4]); !ok {
			return positiveError(args[4])
		}
	}
	for j := range count {
		key := prefix + ":" + strconv.FormatInt(j, 10)
		if _, exists := n.db.get(key); exists {
			continue
		}
		n.db.set(key, stringValue(populateValue(int(j), int(size))))
	}
	return okReply()
}

// positiveArg parses a count as getPositiveLongFromObjectOrReply does: an integer ≥ 0.
func positiveArg(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0
}

func positiveError(s string) Reply {
	if _, err := strconv.ParseInt(s, 10, 64); err != nil {
		return errReply("ERR value is not an integer or out of range")
	}
	return errReply("ERR value is out of range, must be positive")
}

// memoryCommand is MEMORY USAGE key [SAMPLES n]; the other subcommands are not simulated.
func (n *Node) memoryCommand(args []string, asking bool) Reply {
	if len(args) < 2 {
		return errorf("ERR wrong number of arguments for 'memory' command")
	}
	if !strings.EqualFold(args[1], "usage") || len(args) < 3 {
		return errorf("ERR unknown subcommand or wrong number of arguments for '%s'. Try MEMORY HELP.", args[1])
	}
	samples := defaultSamples
	for j := 3; j < len(args); j++ {
		if !strings.EqualFold(args[j], "samples") || j+1 >= len(args) {
			return errReply("ERR syntax error")
		}
		s, err := strconv.ParseInt(args[j+1], 10, 64)
		if err != nil {
			return errReply("ERR value is not an integer or out of range")
		}
		if s < 0 {
			return errReply("ERR syntax error")
		}
		samples = int(min(s, math.MaxInt32)) // 0 is every element, as LLONG_MAX is
		j++
	}
	if r, redirected := n.route(args[2:3], query{asking: asking}); redirected {
		return r
	}
	v, ok := n.db.get(args[2])
	if !ok {
		return nilReply()
	}
	if v.skiplist() && v.heights == 0 {
		v.heights = n.ctx.Rand.Uint64() | 1
		n.db.replace(args[2], v)
	}
	return intReply(memoryUsage(args[2], v, samples))
}

// objectCommand is OBJECT ENCODING key; the other subcommands are not simulated.
func (n *Node) objectCommand(args []string, asking bool) Reply {
	if len(args) != 3 || !strings.EqualFold(args[1], "encoding") {
		sub := ""
		if len(args) > 1 {
			sub = args[1]
		}
		return errorf("ERR unknown subcommand or wrong number of arguments for '%s'. Try OBJECT HELP.", sub)
	}
	if r, redirected := n.route(args[2:3], query{asking: asking}); redirected {
		return r
	}
	v, ok := n.db.get(args[2])
	if !ok {
		return nilReply()
	}
	return bulkReply(v.encoding())
}
