package scenario

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// The normal form of a transcript (what RunSim or RunLive printed, or what a real cluster
// printed in reference/seed-runbook-real-output.txt): the lines two runs of the same
// runbook must agree on, whatever their node IDs, clocks and hash-table orders. Diff and
// the tests compare transcripts by it.

// A stepOut is one "$ command" of a transcript and the lines printed under it.
type stepOut struct {
	cmd   string
	lines []string
}

func splitTranscript(text string) []stepOut {
	var steps []stepOut
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "#") && len(steps) == 0:
			continue // a reference file's header
		case strings.HasPrefix(l, "$ "):
			steps = append(steps, stepOut{cmd: strings.TrimPrefix(l, "$ ")})
		case len(steps) > 0:
			steps[len(steps)-1].lines = append(steps[len(steps)-1].lines, l)
		}
	}
	return steps
}

var (
	hexID     = regexp.MustCompile(`\b[0-9a-f]{40}\b`)
	shortID   = regexp.MustCompile(`\(([0-9a-f]{8})\.\.\.\)`)
	blockHead = regexp.MustCompile(`^\s*[MS]: `)
	nodeLine  = regexp.MustCompile(`^[0-9a-f]{40} \S+@\d+ `)
	// movingHead is a rebalance's "Moving N slots from A to B", followed by a line of #.
	// Its groups are the count, the source and the target.
	movingHead = regexp.MustCompile(`^Moving (\d+) slots from (\S+) to (\S+)$`)
)

// nodeAddrs maps every node ID a transcript shows to the address it had.
func nodeAddrs(steps []stepOut) map[string]string {
	ids := map[string]string{}
	for _, s := range steps {
		for _, l := range s.lines {
			f := strings.Fields(l)
			switch {
			case len(f) == 3 && (f[0] == "M:" || f[0] == "S:") && hexID.MatchString(f[1]):
				ids[f[1]] = f[2]
			case nodeLine.MatchString(l):
				ids[f[0]], _, _ = strings.Cut(f[1], "@")
			}
		}
	}
	return ids
}

// comparable returns a transcript's normal form as lines: each step's "$ command" and the
// lines normalSteps leaves under it.
func comparable(text string) []string {
	var out []string
	for _, s := range normalSteps(text) {
		out = append(out, "$ "+s.cmd)
		out = append(out, s.lines...)
	}
	return out
}

// volatile are the INFO and CLUSTER INFO fields whose values are clocks, counters or
// replication offsets: their names stay, their values are masked.
var volatile = regexp.MustCompile(`^((master|slave)_repl_offset|second_repl_offset|master_replid2?|repl_backlog_\w+|master_last_io_seconds_ago|master_sync_\w+|slave_read_repl_offset):`)

// counter matches CLUSTER INFO's message counters, dropped: a node prints one only once it
// sent or received a message of its type, so even its presence is a matter of timing
// (which node happened to send a FAIL or an UPDATE), not a fact about the cluster.
var counter = regexp.MustCompile(`^(cluster_stats_messages_[\w-]+|total_cluster_links_buffer_limit_exceeded):`)

// replicaField is INFO replication's line about one replica, whose offset and lag move.
var replicaField = regexp.MustCompile(`^(slave\d+:ip=[^,]+,port=\d+,state=\w+),offset=\d+,lag=\d+$`)

// roleOffset matches the replication offsets in ROLE's reply: a master's own (2), each of
// its replicas' (3, nested) and a replica's (5); -1, a replica not yet synced, stays.
var roleOffset = regexp.MustCompile(`^(2\) \(integer\) |\s*3\) "|5\) \(integer\) )\d+`)

// normalSteps splits a transcript into its steps, each with its lines in normal form:
// node IDs replaced by the addresses they had, clocks, counters and offsets (INFO's and
// ROLE's) masked, the
// dots redis-cli prints while it waits dropped, redirect announcements and docker's echoes
// dropped, and every run of node lines or node blocks sorted (Redis lists nodes in its hash
// table's order, which a random seed picks at every start). An ID the transcript never
// shows with an address reads <unknown node>.
func normalSteps(text string) []stepOut {
	steps := splitTranscript(Abbreviate(text))
	ids := nodeAddrs(steps)
	short := map[string]string{}
	for id, a := range ids {
		short[id[:8]] = a
	}
	var out []stepOut
	for _, s := range steps {
		if strings.HasPrefix(s.cmd, "docker ") {
			out = append(out, stepOut{cmd: s.cmd})
			continue
		}
		s.lines = splitPrompts(s.lines)
		role := strings.EqualFold(s.cmd[strings.LastIndex(s.cmd, " ")+1:], "role")
		var lines []string
		for _, l := range s.lines {
			if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "-> Redirected") || strings.Trim(l, ".") == "" || counter.MatchString(l) {
				continue
			}
			l = strings.TrimRight(strings.TrimPrefix(l, "(error) "), "\r")
			if nodeLine.MatchString(l) {
				f := strings.Fields(l)
				f[4], f[5] = "PING", "PONG"
				l = strings.Join(f, " ")
			}
			if m := volatile.FindStringSubmatch(l); m != nil {
				l = m[0] + "N"
			}
			if m := replicaField.FindStringSubmatch(l); m != nil {
				l = m[1] + ",offset=N,lag=N"
			}
			if role {
				// The offsets count the bytes of the replication stream, which differ
				// between the backends (issue 17); the roles and addresses stay.
				l = roleOffset.ReplaceAllString(l, "${1}N")
			}
			l = hexID.ReplaceAllStringFunc(l, func(id string) string { return "<" + cmp.Or(ids[id], "unknown node") + ">" })
			l = shortID.ReplaceAllStringFunc(l, func(m string) string { return "(<" + cmp.Or(short[m[1:9]], "unknown node") + ">)" })
			lines = append(lines, l)
		}
		out = append(out, stepOut{cmd: s.cmd, lines: sortRuns(lines)})
	}
	return out
}

// prompt ends the question redis-cli asks before a change (create, fix). A terminal echoes
// the "yes" typed after it; a live run types it on redis-cli's stdin, which does not echo,
// so what redis-cli prints next follows on the prompt's line.
const prompt = "(type 'yes' to accept): "

// splitPrompts ends each line at a prompt, drops the echoed "yes" after it and puts
// anything else after it on a line of its own.
func splitPrompts(lines []string) []string {
	var out []string
	for _, l := range lines {
		i := strings.Index(l, prompt)
		if i < 0 {
			out = append(out, l)
			continue
		}
		out = append(out, l[:i+len(prompt)-1])
		if rest := l[i+len(prompt):]; rest != "" && rest != "yes" {
			out = append(out, rest)
		}
	}
	return out
}

// sortRuns sorts each run of consecutive node lines, each run of consecutive M:/S:
// blocks (a head line with the more-indented lines under it), and each run of a
// rebalance's moves of as many slots to one target (see sortMoves), keeping everything
// else.
func sortRuns(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); {
		switch {
		case movingHead.MatchString(lines[i]):
			j := i
			for j < len(lines) && movingHead.MatchString(lines[j]) {
				j++
				for j < len(lines) && strings.Trim(lines[j], "#") == "" && lines[j] != "" {
					j++
				}
			}
			out = append(out, sortMoves(lines[i:j])...)
			i = j
		case nodeLine.MatchString(stripAddr(lines[i])) || strings.Contains(lines[i], ") -> "):
			j := i
			for j < len(lines) && lines[j] != "" && (nodeLine.MatchString(stripAddr(lines[j])) || strings.Contains(lines[j], ") -> ")) {
				j++
			}
			run := slices.Clone(lines[i:j])
			slices.Sort(run)
			out = append(out, run...)
			i = j
		case blockHead.MatchString(lines[i]):
			indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
			var blocks []string
			j := i
			for j < len(lines) && blockHead.MatchString(lines[j]) && len(lines[j])-len(strings.TrimLeft(lines[j], " ")) == indent {
				b := lines[j]
				j++
				for j < len(lines) && len(lines[j])-len(strings.TrimLeft(lines[j], " ")) > indent && !blockHead.MatchString(lines[j]) {
					b += "\n" + lines[j]
					j++
				}
				blocks = append(blocks, b)
			}
			slices.Sort(blocks)
			for _, b := range blocks {
				out = append(out, strings.Split(b, "\n")...)
			}
			i = j
		default:
			out = append(out, lines[i])
			i++
		}
	}
	return out
}

// stripAddr undoes the ID replacement at the start of a node line so that it is still
// recognised as one.
func stripAddr(l string) string {
	if strings.HasPrefix(l, "<") {
		if _, rest, ok := strings.Cut(l, "> "); ok {
			return strings.Repeat("0", 40) + " " + rest
		}
	}
	return l
}

// sortMoves sorts the moves of a rebalance that carry as many slots to the same target one
// after the other. redis-cli sorts the masters by how many slots they must give or take
// with qsort, and masters that must give as many come in the order of its node list, the
// order of a CLUSTER NODES reply, which is its hash table's: random at every start. Which
// source gives first does not change what any source gives, nor the slots that move.
func sortMoves(lines []string) []string {
	type move struct {
		key   string // slots and target
		lines []string
	}
	var moves []move
	for _, l := range lines {
		if m := movingHead.FindStringSubmatch(l); m != nil {
			moves = append(moves, move{key: m[1] + " " + m[3], lines: []string{l}})
			continue
		}
		moves[len(moves)-1].lines = append(moves[len(moves)-1].lines, l)
	}
	var out []string
	for i := 0; i < len(moves); {
		j := i
		for j < len(moves) && moves[j].key == moves[i].key {
			j++
		}
		run := moves[i:j]
		slices.SortStableFunc(run, func(a, b move) int { return strings.Compare(a.lines[0], b.lines[0]) })
		for _, m := range run {
			out = append(out, m.lines...)
		}
		i = j
	}
	return out
}
