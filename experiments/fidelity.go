package experiments

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/sim/scenario"
)

// FidelityConfig configures Fidelity.
type FidelityConfig struct {
	Seed     uint64 // case i (from 0) is the runbook scenario.Generate draws from Seed+i
	Cases    int
	SimSeeds int // simulated runs per case, seeds 1..SimSeeds, whose outcomes a real step may match
	// Partitions lets the generated runbooks cut the network (the live runs then need root
	// for iptables).
	Partitions bool
	// Shrink bounds the live runs spent, per divergent case, on removing steps while its
	// first divergence stays (0: no shrinking).
	Shrink int
	// Progress, if not nil, receives a line per case as it finishes.
	Progress io.Writer
}

// A FidelityCase is one generated runbook run live and simulated.
type FidelityCase struct {
	Seed    uint64 `json:"seed"`
	Runbook string `json:"runbook"` // as generated, on ports 7001…
	Steps   int    `json:"steps"`
	// Compared steps (those the live run reached) and the facts in them: each line of a
	// real outcome in normal form (scenario.DiffResult).
	Compared       int      `json:"compared_steps"`
	Facts          int      `json:"facts"`
	DivergentFacts int      `json:"divergent_facts"`
	LiveFailed     string   `json:"live_failed,omitempty"` // why the live run stopped at a step
	SimStopped     []string `json:"sim_stopped,omitempty"` // the seeds whose simulation stopped at a step, and why
	// Divergent are the steps whose real outcome no seed reached; Report is Diff's text.
	Divergent []scenario.Divergence `json:"divergent"`
	Report    string                `json:"report,omitempty"`
	// Shrunk is the shortest runbook found (on ports 7001…) whose run still shows the
	// first divergence, when shrinking found one shorter than Runbook.
	Shrunk string `json:"shrunk,omitempty"`
	// Real is the live run's transcript (on ports 7001…) when a step diverged: with
	// Runbook, what a regression test replays the simulation against.
	Real string `json:"real,omitempty"`
	// Transcript is the live run's transcript (on ports 7001…), divergent or not: Save
	// keeps every case, so that a later model can be measured again offline on the same
	// live runs.
	Transcript string `json:"-"`
}

// A FidelityResult is what Fidelity measured.
type FidelityResult struct {
	Config         FidelityConfig `json:"config"`
	Cases          []FidelityCase `json:"cases"`
	Compared       int            `json:"compared_steps"`
	Facts          int            `json:"facts"`
	Divergent      int            `json:"divergent_steps"`
	DivergentFacts int            `json:"divergent_facts"`
	// DivergentCases counts the cases with a divergent step.
	DivergentCases int `json:"divergent_cases"`
}

// Fidelity generates cfg.Cases runbooks and runs each on real redis-server processes once
// and in simulation over cfg.SimSeeds seeds (scenario.Diff), counting the steps and facts
// compared and the steps whose real outcome no seed reached. The live runs are one after
// the other, on ports found free once.
func Fidelity(cfg FidelityConfig) (*FidelityResult, error) {
	if cfg.Cases < 1 || cfg.SimSeeds < 1 || cfg.Shrink < 0 {
		return nil, fmt.Errorf("fidelity: %d cases, %d seeds, %d shrinking runs: want at least 1, 1 and 0", cfg.Cases, cfg.SimSeeds, cfg.Shrink)
	}
	if _, _, err := live.Binaries(); err != nil {
		return nil, err
	}
	ports, err := live.FreePorts(scenario.MaxGenNodes)
	if err != nil {
		return nil, err
	}
	res := &FidelityResult{Config: cfg}
	for i := range cfg.Cases {
		seed := cfg.Seed + uint64(i)
		c, err := fidelityCase(seed, ports, cfg)
		if err != nil {
			return nil, fmt.Errorf("case %d (seed %d): %w", i+1, seed, err)
		}
		res.add(*c)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "fidelity: %s\n", c.summary(i+1))
		}
	}
	return res, nil
}

func fidelityCase(seed uint64, ports []int, cfg FidelityConfig) (*FidelityCase, error) {
	opt := scenario.GenOptions{Partitions: cfg.Partitions}
	c := &FidelityCase{Seed: seed, Runbook: scenario.Generate(seed, opt)}
	opt.Ports = ports
	text := scenario.Generate(seed, opt)
	res, report, err := diffText(text, cfg.SimSeeds)
	if err != nil {
		return nil, err
	}
	if res.LiveFailed != nil {
		c.LiveFailed = res.LiveFailed.Error()
	}
	back := portsBack(ports)
	c.take(res, res.Transcript, report, back)
	if len(c.Divergent) > 0 {
		if cfg.Shrink > 0 {
			cmd := res.Divergent[0].Cmd
			shrunk, err := shrinkCase(text, cmd, cfg.Shrink, func(ls []string) (bool, error) {
				res, _, err := diffText(strings.Join(ls, "\n")+"\n", cfg.SimSeeds)
				if err != nil {
					return false, err
				}
				return slices.ContainsFunc(res.Divergent, func(d scenario.Divergence) bool { return d.Cmd == cmd }), nil
			})
			if err != nil {
				return nil, err
			}
			if shrunk != text {
				c.Shrunk = back(shrunk)
			}
		}
	}
	return c, nil
}

// take fills c from a comparison of the live transcript real with the simulation, its
// result and report, with back mapping the live run's ports to the runbook's.
func (c *FidelityCase) take(res *scenario.DiffResult, real, report string, back func(string) string) {
	c.Steps, c.Compared, c.Facts = res.Steps, res.Compared, res.Facts
	c.SimStopped = res.SimStopped
	c.Transcript = back(real)
	for _, d := range res.Divergent {
		d.Cmd = back(d.Cmd)
		for i := range d.Real {
			d.Real[i] = back(d.Real[i])
		}
		for _, s := range d.Sim {
			for i := range s {
				s[i] = back(s[i])
			}
		}
		for i := range d.Facts {
			d.Facts[i].Line = back(d.Facts[i].Line)
		}
		c.Divergent = append(c.Divergent, d)
		c.DivergentFacts += len(d.Facts)
	}
	if len(c.Divergent) > 0 {
		c.Report, c.Real = back(report), c.Transcript
	}
}

// diffText runs a runbook's text live and simulated (scenario.Diff).
func diffText(text string, seeds int) (*scenario.DiffResult, string, error) {
	rb, err := scenario.ParseNamed("generated", strings.NewReader(text))
	if err != nil {
		return nil, "", fmt.Errorf("the generated runbook does not parse: %w", err)
	}
	var report bytes.Buffer
	res, err := scenario.Diff(rb, &report, scenario.DiffOptions{Seeds: seeds})
	return res, report.String(), err
}

// shrinkCase removes the steps of text, one at a time from the last before the divergent
// command cmd back to just after the create, keeping each removal after which diverges
// (a live run and its simulations) says cmd still diverges, within budget calls; the steps
// after the first cmd go first, in one removal. It returns the shortest text found.
func shrinkCase(text, cmd string, budget int, diverges func(lines []string) (bool, error)) (string, error) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	at := slices.Index(lines, cmd)
	create := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "--cluster create") })
	if at < 0 || create < 0 || at < create {
		return text, nil // the divergence is in the setup: nothing to remove
	}
	try := func(ls []string) (bool, error) {
		budget--
		return diverges(ls)
	}
	best := lines[:at+1]
	if at+1 < len(lines) && budget > 0 {
		ok, err := try(best)
		if err != nil || !ok {
			best = lines // the later steps matter (or the divergence did not recur): keep them
			if err != nil {
				return text, err
			}
		}
	}
	for i := slices.Index(best, cmd) - 1; i > create && budget > 0; i-- {
		if strings.HasPrefix(best[i], "#") {
			continue
		}
		shorter := slices.Concat(best[:i], best[i+1:])
		ok, err := try(shorter)
		if err != nil {
			return strings.Join(best, "\n") + "\n", err
		}
		if ok {
			best = shorter
		}
	}
	return strings.Join(best, "\n") + "\n", nil
}

// portsBack rewrites the free ports a case ran on, and their bus ports, to the
// generator's own, 7001… and 17001…, where a transcript writes a port: after "host:",
// "@", "-p ", "--port ", "port=", a quote (ROLE's replies) or "(integer) ". Other numbers,
// slots among them, stay as they are, whatever their value.
func portsBack(ports []int) func(string) string {
	to := map[string]string{}
	for i, p := range ports {
		to[strconv.Itoa(p)] = strconv.Itoa(7001 + i)
		to[strconv.Itoa(p+10000)] = strconv.Itoa(17001 + i)
	}
	port := regexp.MustCompile(`(:|@|-p |--port |port=|"|\(integer\) )(\d{4,5})\b`)
	return func(s string) string {
		return port.ReplaceAllStringFunc(s, func(m string) string {
			sub := port.FindStringSubmatch(m)
			if q, ok := to[sub[2]]; ok {
				return sub[1] + q
			}
			return m
		})
	}
}

func (c *FidelityCase) summary(i int) string {
	s := fmt.Sprintf("case %d (seed %d): %d of %d steps compared, %d facts; %d steps divergent, %d facts", i, c.Seed, c.Compared, c.Steps, c.Facts, len(c.Divergent), c.DivergentFacts)
	if c.LiveFailed != "" {
		s += "; the live run stopped: " + c.LiveFailed
	}
	if len(c.SimStopped) > 0 {
		s += "; the simulation stopped, " + strings.Join(c.SimStopped, "; ")
	}
	return s
}

// WriteText prints each case's summary and divergences, and the totals.
func (r *FidelityResult) WriteText(w io.Writer) {
	for i, c := range r.Cases {
		fmt.Fprintln(w, c.summary(i+1))
		if len(c.Divergent) == 0 {
			continue
		}
		for _, l := range strings.Split(strings.TrimRight(c.Report, "\n"), "\n") {
			fmt.Fprintln(w, "  "+l)
		}
		if c.Shrunk != "" {
			fmt.Fprintln(w, "  shortest runbook found that still diverges there:")
			for _, l := range strings.Split(strings.TrimRight(c.Shrunk, "\n"), "\n") {
				fmt.Fprintln(w, "    "+l)
			}
		}
	}
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Fprintf(w, "%d cases: %d steps and %d facts compared; %d steps divergent (%.1f %%), %d facts (%.2f %%), in %d cases\n",
		len(r.Cases), r.Compared, r.Facts, r.Divergent, pct(r.Divergent, r.Compared), r.DivergentFacts, pct(r.DivergentFacts, r.Facts), r.DivergentCases)
}

// ErrDivergent is returned by the fidelity command when some step diverged.
var ErrDivergent = errors.New("divergent steps")

// Save writes every case's runbook (seed-N.txt) and the live run's transcript
// (seed-N.real.txt) into dir, which it makes if need be, divergent or not: `scenario -diff
// -real` replays the simulation against them without a live run, so a changed model can be
// measured again on the same live runs.
func (r *FidelityResult) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, c := range r.Cases {
		base := filepath.Join(dir, fmt.Sprintf("seed-%d", c.Seed))
		if err := os.WriteFile(base+".txt", []byte(c.Runbook), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(base+".real.txt", []byte(c.Transcript), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// FidelityReplay measures again, in simulation only, the cases a fidelity run saved in dir
// (Save: seed-N.txt and seed-N.real.txt), each against its live transcript over seeds
// simulated seeds: how a changed model fares on the same live runs. Cases run in parallel;
// the result lists them by seed. A live run that stopped at a step is compared as far as
// it went (why it stopped is not saved). progress, if not nil, gets a line per case.
func FidelityReplay(dir string, seeds int, progress io.Writer) (*FidelityResult, error) {
	if seeds < 1 {
		return nil, fmt.Errorf("fidelity: %d seeds: want at least 1", seeds)
	}
	reals, err := filepath.Glob(filepath.Join(dir, "seed-*.real.txt"))
	if err != nil {
		return nil, err
	}
	if len(reals) == 0 {
		return nil, fmt.Errorf("fidelity: no saved case (seed-N.real.txt) in %s", dir)
	}
	type saved struct {
		seed       uint64
		book, real string
	}
	var cases []saved
	for _, r := range reals {
		name := strings.TrimSuffix(filepath.Base(r), ".real.txt")
		seed, err := strconv.ParseUint(strings.TrimPrefix(name, "seed-"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("fidelity: %s: not a saved case's name (seed-N.real.txt)", r)
		}
		cases = append(cases, saved{seed: seed, book: filepath.Join(dir, name+".txt"), real: r})
	}
	slices.SortFunc(cases, func(a, b saved) int { return cmp.Compare(a.seed, b.seed) })
	cfg := FidelityConfig{Seed: cases[0].seed, Cases: len(cases), SimSeeds: seeds}
	out, err := inParallel(len(cases), 0, func(i int) (FidelityCase, error) {
		s := cases[i]
		book, err := os.ReadFile(s.book)
		if err != nil {
			return FidelityCase{}, err
		}
		real, err := os.ReadFile(s.real)
		if err != nil {
			return FidelityCase{}, err
		}
		rb, err := scenario.ParseNamed(s.book, bytes.NewReader(book))
		if err != nil {
			return FidelityCase{}, err
		}
		var report bytes.Buffer
		res := scenario.DiffRecorded(rb, string(real), &report, scenario.DiffOptions{Seeds: seeds})
		c := FidelityCase{Seed: s.seed, Runbook: string(book)}
		c.take(res, string(real), report.String(), func(s string) string { return s }) // saved on the runbook's ports
		return c, nil
	}, func(n int) {
		if progress != nil {
			fmt.Fprintf(progress, "fidelity: replayed %d of %d cases\n", n, len(cases))
		}
	})
	if err != nil {
		return nil, err
	}
	res := &FidelityResult{Config: cfg}
	for _, c := range out {
		res.add(c)
	}
	return res, nil
}

// add counts case c in r.
func (r *FidelityResult) add(c FidelityCase) {
	r.Cases = append(r.Cases, c)
	r.Compared += c.Compared
	r.Facts += c.Facts
	r.Divergent += len(c.Divergent)
	r.DivergentFacts += c.DivergentFacts
	if len(c.Divergent) > 0 {
		r.DivergentCases++
	}
}
