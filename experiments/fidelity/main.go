// Command fidelity measures how often the simulator is wrong about Redis Cluster on runbooks
// it has never seen. It generates runbooks of the kind users type (a cluster of 3 to 8
// masters with 0 to 2 replicas each, then add-node, reshard, rebalance, del-node,
// failovers, crashes and restarts, fix, check, set-timeout, writes, reads, sleeps and, as
// root, partitions), runs each on real redis-server processes once and in simulation over
// several seeds, and compares them step by step in normal form (as scenario -diff does): a
// step agrees when its real outcome is one some seed reaches. It prints, per case and in
// total, the steps and facts compared and the steps that diverged, each with the real and
// simulated lines and, with -shrink, the shortest runbook found that still diverges. It
// exits 1 when a step diverged.
//
//	go run ./experiments/fidelity                      # 3 cases, about 4 minutes on 2 cores
//	go run ./experiments/fidelity -cases 300 -seed 1   # about 7 hours
//	go run ./experiments/fidelity -cases 20 -shrink 10 -json > fidelity.json
//	go run ./experiments/fidelity -cases 20 -save out/fidelity   # then, offline:
//	go run ./experiments/scenario -diff -real out/fidelity/seed-7.real.txt out/fidelity/seed-7.txt
//	go run ./experiments/fidelity -replay out/fidelity   # every saved case, simulated again
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	os.Exit(command.Exit("fidelity", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := experiments.FidelityConfig{Seed: 1, Cases: 3, SimSeeds: 5, Partitions: os.Geteuid() == 0}
	fs := flag.NewFlagSet("fidelity", flag.ContinueOnError)
	command.Setup(fs, stderr, "fidelity [flags]", `Generates runbooks, runs each on real redis-server processes and in simulation, and
reports the steps whose real outcome no simulated seed reaches (exit 1 if any).`)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the first case's runbook; case i is seed+i, the same seed the same runbook")
	fs.IntVar(&cfg.Cases, "cases", cfg.Cases, "runbooks to generate and run")
	fs.IntVar(&cfg.SimSeeds, "seeds", cfg.SimSeeds, "simulated runs per case, seeds 1..N, whose outcomes a real step may match")
	fs.BoolVar(&cfg.Partitions, "partitions", cfg.Partitions, "let runbooks cut the network with iptables (needs root; the default when run as root)")
	fs.IntVar(&cfg.Shrink, "shrink", 0, "live runs to spend per divergent case on removing steps while its first divergence stays (0: none)")
	save := fs.String("save", "", "write every case's runbook and real transcript to `DIR` (seed-N.txt, seed-N.real.txt), for scenario -diff -real")
	replay := fs.String("replay", "", "measure the cases saved in `DIR` by -save again, in simulation only, against their live transcripts (no live run)")
	asJSON := fs.Bool("json", false, "print every case as JSON")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	case cfg.Cases < 1:
		return command.Usagef(fs, "-cases %d: want at least 1", cfg.Cases)
	case cfg.SimSeeds < 1:
		return command.Usagef(fs, "-seeds %d: want at least 1", cfg.SimSeeds)
	case cfg.Shrink < 0:
		return command.Usagef(fs, "-shrink %d: want 0 or more", cfg.Shrink)
	case cfg.Partitions && os.Geteuid() != 0 && *replay == "":
		return command.Usagef(fs, "-partitions needs root, for iptables")
	case *replay != "" && (cfg.Shrink > 0 || *save != ""):
		return command.Usagef(fs, "-replay runs no live case: -shrink and -save need live runs")
	}
	if !*quiet {
		cfg.Progress = command.Progress(stderr)
	}
	// Ctrl-C, SIGTERM, SIGHUP or a closed stdout stop the servers, remove their folder and
	// the iptables rules, and exit 128 + the signal's number.
	defer live.HandleInterrupts()()
	var res *experiments.FidelityResult
	var err error
	if *replay != "" {
		res, err = experiments.FidelityReplay(*replay, cfg.SimSeeds, cfg.Progress)
	} else {
		res, err = experiments.Fidelity(cfg)
	}
	if err != nil {
		return err
	}
	if *save != "" {
		if err := res.Save(*save); err != nil {
			return err
		}
	}
	if *asJSON {
		if err := command.JSON(stdout, res); err != nil {
			return err
		}
	} else {
		res.WriteText(stdout)
	}
	if res.Divergent > 0 {
		return fmt.Errorf("%d of %d steps compared diverged, in %d of %d cases: %w", res.Divergent, res.Compared, res.DivergentCases, len(res.Cases), experiments.ErrDivergent)
	}
	return nil
}
