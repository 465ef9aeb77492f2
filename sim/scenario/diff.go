package scenario

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/sim/rediscli"
)

// seeds is Seeds, or its default, 5.
func (o DiffOptions) seeds() int {
	if o.Seeds <= 0 {
		return 5
	}
	return o.Seeds
}

// DiffOptions configure Diff.
type DiffOptions struct {
	Seeds int    // simulated runs, seeds 1..Seeds; 0 means 5
	Dir   string // where the live run's servers keep their files (see Options.Dir)
	// Slowdown is the simulated runs' (Options.Slowdown): how much slower this host is than
	// the one big values' costs were recorded on.
	Slowdown float64
}

// A DiffResult is what Diff found: the runbook's steps, and those whose real outcome no
// seed of the simulation reached.
type DiffResult struct {
	Steps int
	// Compared is how many steps the live run reached, and Facts how many facts of theirs
	// were compared: the distinct lines in normal form the real run or a seed printed.
	Compared, Facts int
	Divergent       []Divergence
	Transcript      string   // the live run's
	LiveFailed      error    // the live run stopped at a step; the steps before it are compared
	SimStopped      []string // the seeds whose simulation stopped at a step, and why
}

// A Divergence is one step with a fact no seed shows as the real run does: Real is the
// real lines (in normal form), Sim the lines of each seed's run (seed i+1 in Sim[i]), and
// Facts the facts that differ.
type Divergence struct {
	Step  int        `json:"step"` // from 1, in the runbook's order
	Line  int        `json:"line"` // in the runbook
	Cmd   string     `json:"cmd"`
	Real  []string   `json:"real"`
	Sim   [][]string `json:"sim"`
	Facts []Fact     `json:"facts"`
}

// A Fact is one line a step printed, in normal form, and how many times it printed it:
// Real times in the real run, Sim[i] times in seed i+1's. A fact agrees when some seed
// printed the line as many times as the real run did, none included.
type Fact struct {
	Line string `json:"line"`
	Real int    `json:"real"`
	Sim  []int  `json:"sim"`
}

// Diff runs rb on real redis-server processes once and in simulation with seeds 1..Seeds,
// puts every transcript in normal form (normalSteps: node IDs by address, clocks, counters
// and offsets masked, redis-cli's waiting dots dropped, node listings sorted) and compares
// them step by step and, within a step, fact by fact: each line a step printed is a fact
// (a node's role and master, a slot range, cluster_state, an error's text, a key count),
// and it agrees when some seed printed it as many times as the real run did. A step whose
// outcome depends on timing may go one way or another, and fact by fact: which of five
// replicas a node has heard of 3 s after a create is five facts, each of which some seed
// reaches long before one seed reaches all five as the real run did. It writes each step
// with a fact no seed reaches to out: those facts, and the real lines against the first
// seed's (- real, + simulated).
//
// A create's replica pairing is not compared but imposed: redis-cli's anti-affinity swaps
// draw from rand() seeded by its clock, so on one host the pairing is a random permutation
// that no seed can be expected to match, and every later step that names a replica would
// differ with it. The simulated runs take the real run's pairing (RealPairing). So with
// redis-cli's node list, whose order after the entry node is the entry node's hash
// table's, under a seed each redis-server draws when it starts: the simulated redis-cli
// takes the order a real command's cluster check printed, and a rebalance the order its
// real steps follow from (RealListDraws).
//
// Some outcomes depend on node IDs, which both backends draw at random: which replica
// moves when replica migration gives an orphaned master one (clusterHandleSlaveMigration
// picks the ok replica with the smallest ID), and so which replica a later step names.
// The real run draws its IDs once, each seed its own; such a step agrees when some seed
// drew IDs that pick the same replica, and with two candidates five seeds all miss it one
// time in 32: a divergence on such a step alone is a reason to run more seeds, not a
// fidelity bug. The counts (replicas per master) do not depend on IDs and must agree.
//
// A load's redirect and error counts measure how long a window lasted (measuredLine):
// they agree when they lie within the range the seeds print.
func Diff(rb *Runbook, out io.Writer, opt DiffOptions) (*DiffResult, error) {
	opt.Seeds = opt.seeds()
	var realOut bytes.Buffer
	liveErr := RunLive(rb, &realOut, Options{Seed: 1, Dir: opt.Dir})
	res := diffSims(rb, realOut.String(), opt)
	res.LiveFailed = liveErr
	res.write(out, opt.Seeds)
	return res, nil
}

// DiffRecorded is Diff against a real transcript recorded before (a live run's output,
// RunLive's or a fidelity case's): it runs only the simulations, with opt.Seeds seeds.
func DiffRecorded(rb *Runbook, real string, out io.Writer, opt DiffOptions) *DiffResult {
	opt.Seeds = opt.seeds()
	res := diffSims(rb, real, opt)
	res.write(out, opt.Seeds)
	return res
}

// diffSims runs rb's simulations, seeds 1..opt.Seeds, with the real run's replica pairing,
// and compares them with the real transcript. A simulation that stops at a step is
// compared as far as it went, and the steps after it count as printing nothing.
func diffSims(rb *Runbook, real string, opt DiffOptions) *DiffResult {
	pairing, draws := RealPairing(real), RealListDraws(rb, real)
	var sims []string
	var stopped []string
	for seed := uint64(1); seed <= uint64(opt.Seeds); seed++ {
		var b bytes.Buffer
		if err := RunSim(rb, &b, Options{Seed: seed, Slowdown: opt.Slowdown, Pairing: pairing, Draws: draws}); err != nil {
			stopped = append(stopped, fmt.Sprintf("seed %d: %v", seed, err))
		}
		sims = append(sims, b.String())
	}
	res := diffTranscripts(rb, real, sims)
	res.Transcript, res.SimStopped = real, stopped
	return res
}

// diffTranscripts compares a real transcript of rb with simulated ones, step by step.
func diffTranscripts(rb *Runbook, real string, sims []string) *DiffResult {
	realSteps := normalSteps(real)
	simSteps := make([][]stepOut, len(sims))
	for i, s := range sims {
		simSteps[i] = normalSteps(s)
	}
	res := &DiffResult{Steps: len(rb.Steps)}
	for i, step := range rb.Steps {
		if i >= len(realSteps) {
			break // the live run stopped before this step
		}
		d := Divergence{Step: i + 1, Line: step.Line, Cmd: step.Text, Real: realSteps[i].lines}
		res.Compared++
		real := countLines(shapes(d.Real))
		all := maps.Clone(real)
		var sims []map[string]int
		for _, ss := range simSteps {
			var ls []string
			if i < len(ss) {
				ls = ss[i].lines
			}
			d.Sim = append(d.Sim, ls)
			sims = append(sims, countLines(shapes(ls)))
			maps.Copy(all, sims[len(sims)-1])
		}
		lines := slices.Sorted(maps.Keys(all))
		res.Facts += len(lines)
		for _, l := range lines {
			f := Fact{Line: l, Real: real[l]}
			agree := false
			for _, s := range sims {
				f.Sim = append(f.Sim, s[l])
				agree = agree || s[l] == f.Real
			}
			if !agree {
				d.Facts = append(d.Facts, f)
			}
		}
		d.Facts = append(d.Facts, outOfRange(d.Real, d.Sim)...)
		if len(d.Facts) > 0 {
			res.Divergent = append(res.Divergent, d)
		}
	}
	return res
}

// measuredLine is a line whose numbers measure how long something lasted rather than say
// what state the cluster is in: a load's redirects and errors count the requests that
// met a moved slot or a master down, so they follow when the load began against when a
// node failed or a slot moved, to the millisecond. Such a count agrees when it lies
// within the seeds' range (as failover times are compared), not only when some seed
// printed it exactly; the rest of the line must agree as any fact does.
var measuredLine = regexp.MustCompile(`^(\(load\) \d+ writes to \d+ keys: )(\d+)( redirects, )(\d+)( errors)$`)

// measured returns a measured line's shape, its counts replaced by "#", and the counts.
func measured(line string) (shape string, counts []int, ok bool) {
	m := measuredLine.FindStringSubmatch(line)
	if m == nil {
		return line, nil, false
	}
	a, _ := strconv.Atoi(m[2])
	b, _ := strconv.Atoi(m[4])
	return m[1] + "#" + m[3] + "#" + m[5], []int{a, b}, true
}

// shapes returns lines with each measured line's counts replaced by "#".
func shapes(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i], _, _ = measured(l)
	}
	return out
}

// outOfRange returns, as facts, the real measured lines whose counts fall outside the
// range the seeds' lines of the same shape span.
func outOfRange(real []string, sims [][]string) []Fact {
	lo, hi := map[string][]int{}, map[string][]int{}
	for _, ls := range sims {
		for _, l := range ls {
			shape, counts, ok := measured(l)
			if !ok {
				continue
			}
			if _, seen := lo[shape]; !seen {
				lo[shape], hi[shape] = slices.Clone(counts), slices.Clone(counts)
			}
			for k, c := range counts {
				lo[shape][k], hi[shape][k] = min(lo[shape][k], c), max(hi[shape][k], c)
			}
		}
	}
	var facts []Fact
	for _, l := range real {
		shape, counts, ok := measured(l)
		if !ok || lo[shape] == nil {
			continue // no seed printed the shape: the shape's own fact diverges already
		}
		for k, c := range counts {
			if c < lo[shape][k] || c > hi[shape][k] {
				f := Fact{Line: l, Real: 1}
				for _, ls := range sims {
					f.Sim = append(f.Sim, countLines(ls)[l])
				}
				facts = append(facts, f)
				break
			}
		}
	}
	return facts
}

// countLines counts each line of lines.
func countLines(lines []string) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		n[l]++
	}
	return n
}

func (res *DiffResult) write(w io.Writer, seeds int) {
	diverged := 0
	for _, d := range res.Divergent {
		diverged += len(d.Facts)
		fmt.Fprintf(w, "step %d (line %d): %s\n", d.Step, d.Line, d.Cmd)
		fmt.Fprintf(w, "  facts no seed of 1..%d shows as the real run does (times printed, real and by each seed):\n", seeds)
		for _, f := range d.Facts {
			fmt.Fprintf(w, "    %s   (real %d; seeds %s)\n", f.Line, f.Real, strings.Trim(fmt.Sprint(f.Sim), "[]"))
		}
		fmt.Fprintf(w, "  the step, - real, + simulated (seed 1):\n")
		for _, l := range lineDiff(d.Real, d.Sim[0]) {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if res.LiveFailed != nil {
		fmt.Fprintf(w, "the live run stopped: %v\n", res.LiveFailed)
	}
	for _, s := range res.SimStopped {
		fmt.Fprintf(w, "the simulation stopped, %s\n", s)
	}
	fmt.Fprintf(w, "%d of %d steps and %d of %d facts: the real outcome is one the simulation reaches (seeds 1..%d); %d steps differ\n",
		res.Compared-len(res.Divergent), res.Compared, res.Facts-diverged, res.Facts, seeds, len(res.Divergent))
}

// lineDiff is a line diff of a and b by their longest common subsequence: "  " lines in
// both, "- " in a only, "+ " in b only.
func lineDiff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+a[i])
			i++
		default:
			out = append(out, "+ "+b[j])
			j++
		}
	}
	return out
}

// String summarises the result in one line.
func (res *DiffResult) String() string {
	return fmt.Sprintf("%d of %d steps differ", len(res.Divergent), res.Steps)
}

// RealListDraws reads, for each redis-cli --cluster command of rb but create, what its
// real run showed of redis-cli's node list (rediscli.RealDraws), by the command's runbook
// line: the addresses of the M: and S: lines its first cluster check printed, in order,
// and a rebalance's "Moving N slots from A to B" lines. The real transcript's steps are
// rb's, in order. Commands that showed neither have no entry.
func RealListDraws(rb *Runbook, transcript string) map[int]*rediscli.RealDraws {
	draws := map[int]*rediscli.RealDraws{}
	for i, s := range splitTranscript(transcript) {
		if i >= len(rb.Steps) {
			break
		}
		if t, ok := rb.Steps[i].Cmd.(ClusterTool); !ok || t.Sub == "create" {
			continue
		}
		d := &rediscli.RealDraws{}
		checks := 0
		for _, l := range s.lines {
			f := strings.Fields(l)
			switch {
			case strings.HasPrefix(l, ">>> Performing Cluster Check"):
				checks++
			case checks == 1 && len(f) == 3 && (f[0] == "M:" || f[0] == "S:"):
				d.List = append(d.List, f[2])
			default:
				if m := movingHead.FindStringSubmatch(l); m != nil {
					n, _ := strconv.Atoi(m[1])
					d.Steps = append(d.Steps, rediscli.AddrStep{From: m[2], To: m[3], N: n})
				}
			}
		}
		if len(d.List) > 0 || len(d.Steps) > 0 {
			draws[rb.Steps[i].Line] = d
		}
	}
	return draws
}

// RealPairing reads the final replica pairing of each `redis-cli --cluster create` in a
// transcript, from the M: and S: listing create prints after its anti-affinity pass
// ("S: ID ADDR" and, under it, "replicates MASTERID"): replica address → master address.
func RealPairing(transcript string) map[string]string {
	pairing := map[string]string{}
	for _, s := range splitTranscript(transcript) {
		if !strings.Contains(s.cmd, "--cluster create") {
			continue
		}
		addr := map[string]string{}
		var replica string
	lines:
		for _, l := range s.lines {
			f := strings.Fields(l)
			switch {
			case strings.HasPrefix(l, ">>> Nodes configuration updated"):
				break lines // the listing is over; a check's follows
			case len(f) == 3 && (f[0] == "M:" || f[0] == "S:"):
				addr[f[1]] = f[2]
				replica = ""
				if f[0] == "S:" {
					replica = f[2]
				}
			case len(f) == 2 && f[0] == "replicates" && replica != "":
				pairing[replica] = f[1] // an ID for now
			}
		}
		for r, id := range pairing {
			if a, ok := addr[id]; ok {
				pairing[r] = a
			}
		}
	}
	return pairing
}
