// Command scenario runs a runbook written in redis-cli's own words, in simulation (default)
// or against real redis-server processes on loopback (-live), and prints what each command
// prints. With no runbook it replays the seed tutorial's (testdata/seed.txt).
//
//	go run ./experiments/scenario
//	go run ./experiments/scenario experiments/scenario/testdata/seed.txt
//	go run ./experiments/scenario -brief
//	go run ./experiments/scenario -trace seed.json   # then open seed.json at https://ui.perfetto.dev
//	go run ./experiments/scenario -seed 7 -time runbook.txt
//	go run ./experiments/scenario -live runbook.txt
//	go run ./experiments/scenario -diff runbook.txt   # live against simulated, step by step
//	go run ./experiments/scenario -diff -real live.txt runbook.txt   # against a recorded live run
//	cat runbook.txt | go run ./experiments/scenario -
//	go run ./experiments/scenario -nodes nodes.txt runbook.txt   # on a copy of your cluster
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/sim/scenario"
)

// seedRunbook is the seed tutorial as a runbook, replayed when no runbook is given.
//
//go:embed testdata/seed.txt
var seedRunbook string

func main() {
	os.Exit(command.Exit("scenario", run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("scenario", flag.ContinueOnError)
	command.Setup(fs, stderr, "scenario [flags] [FILE]", `Runs a runbook written in redis-cli's and Docker's words (FILE, or - for stdin; none:
the seed tutorial's) in simulation, or with -live on real redis-server processes on
loopback, and prints what each command prints.`)
	seed := fs.Uint64("seed", 1, "root seed of the simulation: node IDs, timings and random choices")
	showTime := fs.Bool("time", false, "prefix each command with the time since the start (virtual, or real with -live)")
	liveMode := fs.Bool("live", false, "run against real redis-server processes on loopback instead of simulating")
	tracePath := fs.String("trace", "", "write the simulated run's Chrome/Perfetto trace to `FILE` (open it at https://ui.perfetto.dev)")
	cluster := command.ClusterFlags(fs, "run on a simulated copy of")
	diff := fs.Bool("diff", false, "run FILE on real redis-server and in simulation, and print the steps whose real outcome no seed reaches (exit 1 if any)")
	seeds := fs.Int("seeds", 5, "with -diff: the simulated runs, seeds 1..N, whose outcomes a real step may match")
	realPath := fs.String("real", "", "with -diff: compare with this `FILE`, a live run's transcript recorded before (-live's output, or fidelity -save's), instead of running FILE live")
	slowdown := fs.Float64("slowdown", 1, "simulate a host this many times slower than the one big values' costs were recorded on (MIGRATE, RESTORE, building and freeing them)")
	brief := fs.Bool("brief", false, "fold redis-cli's per-slot \"Moving slot\" lines into one line per source and target")
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return command.Usagef(fs, "one runbook at most, got %d", fs.NArg())
	}
	if !(*slowdown > 0) || math.IsInf(*slowdown, 0) {
		return command.Usagef(fs, "-slowdown %v: want a positive factor, such as 1.3", *slowdown)
	}
	if *liveMode && command.Given(fs, "slowdown") {
		return command.Usagef(fs, "-slowdown is the simulated host's: -live runs on this one")
	}
	if *liveMode && *tracePath != "" {
		return command.Usagef(fs, "-trace needs a simulated run: real servers keep no trace")
	}
	if *diff {
		switch {
		case fs.NArg() != 1 || fs.Arg(0) == "-":
			return command.Usagef(fs, "-diff needs a runbook FILE")
		case *liveMode || *tracePath != "" || command.Given(fs, "nodes") || command.Given(fs, "addr") || command.Given(fs, "seed"):
			return command.Usagef(fs, "-diff runs FILE live and simulated itself: -live, -trace, -nodes, -addr and -seed do not go with it")
		case *seeds < 1:
			return command.Usagef(fs, "-seeds %d: want at least 1", *seeds)
		}
		rb, err := scenario.ParseFile(fs.Arg(0))
		if err != nil {
			return err
		}
		var res *scenario.DiffResult
		if *realPath != "" {
			real, err := os.ReadFile(*realPath)
			if err != nil {
				return err
			}
			res = scenario.DiffRecorded(rb, string(real), stdout, scenario.DiffOptions{Seeds: *seeds, Slowdown: *slowdown})
		} else {
			defer live.HandleInterrupts()()
			if res, err = scenario.Diff(rb, stdout, scenario.DiffOptions{Seeds: *seeds, Slowdown: *slowdown}); err != nil {
				return err
			}
		}
		if len(res.Divergent) > 0 {
			return fmt.Errorf("%s: %v", fs.Arg(0), res)
		}
		return nil
	}
	if *realPath != "" {
		return command.Usagef(fs, "-real goes with -diff")
	}
	if *liveMode && (command.Given(fs, "nodes") || command.Given(fs, "addr")) {
		return command.Usagef(fs, "-nodes and -addr start a simulated copy of a cluster; -live starts its own servers")
	}
	nodes, source, err := cluster()
	if err != nil {
		return err
	}
	var rb *scenario.Runbook
	switch name := fs.Arg(0); {
	case fs.NArg() == 0 && nodes != nil:
		return command.Usagef(fs, "with -nodes or -addr, give a runbook of what to do to that cluster")
	case fs.NArg() == 0:
		fmt.Fprintf(stderr, "scenario: no runbook given, replaying the seed tutorial (experiments/scenario/testdata/seed.txt), seed %d\n", *seed)
		rb, err = scenario.ParseNamed("seed.txt", strings.NewReader(seedRunbook))
	case name == "-":
		rb, err = scenario.ParseNamed("stdin", stdin)
	default:
		rb, err = scenario.ParseFile(name)
	}
	if err != nil {
		return err
	}
	opt := scenario.Options{Seed: *seed, Time: *showTime, Brief: *brief, Nodes: nodes}
	if !*liveMode {
		opt.Slowdown = *slowdown
	}
	if nodes != nil {
		// The containers cluster.BuildFromNodes makes: the nodes not Gone.
		fmt.Fprintf(stderr, "scenario: a simulated copy of the cluster of %s, node timeout 15s:\n", source)
		short := func(id string) string { return id[:min(8, len(id))] }
		i := 0
		for _, n := range nodes {
			if n.Gone() {
				continue
			}
			i++
			role := "master " + n.Slots.String()
			if n.Master != "" {
				role = "replica of " + short(n.Master)
			}
			fmt.Fprintf(stderr, "  redis-node-%d  %s  %s  %s\n", i, n.Addr, short(n.ID), role)
		}
	}
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		opt.Trace = f
	}
	if *liveMode {
		// Ctrl-C, SIGTERM, SIGHUP or a closed stdout stop the servers, remove their folder
		// and the iptables rules, and exit 128 + the signal's number.
		defer live.HandleInterrupts()()
		return scenario.RunLive(rb, stdout, opt)
	}
	return scenario.RunSim(rb, stdout, opt)
}
