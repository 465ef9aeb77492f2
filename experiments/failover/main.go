// Command failover kills a master of a simulated Redis Cluster under client load, over
// and over with a new seed each time, and reports how long the cluster took to flag it
// PFAIL, mark it FAIL and promote its replica, next to real Redis 7.0.15 measured at the
// same node timeout, and what the application saw: the window in which the master's slots
// were unserved, failed and redirected requests, and acknowledged writes lost. Figures
// go to ./out/failover.
//
//	go run ./experiments/failover                              # 200 runs at node timeout 1 s
//	go run ./experiments/failover -node-timeout 1s -runs 50 -csv  # seed,pfail_ms,fail_ms,promoted_ms,...
//	go run ./experiments/failover -fault isolate               # a minority master: lost writes
//	go run ./experiments/failover -node-timeout 5s -rate 0 -json
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/plots"
)

func main() {
	os.Exit(command.Exit("failover", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (err error) {
	cfg := experiments.DefaultFailoverConfig()
	fs := flag.NewFlagSet("failover", flag.ContinueOnError)
	command.Setup(fs, stderr, "failover [flags]", `Kills a master of a simulated Redis Cluster under client load, once per seed, and
reports the times to PFAIL, FAIL and promotion next to real Redis, and what the
application saw.`)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the first run; run i uses seed+i, and the same seeds give the same numbers")
	fs.IntVar(&cfg.Runs, "runs", cfg.Runs, "number of simulated failovers")
	fs.IntVar(&cfg.Masters, "masters", cfg.Masters, "masters in the cluster (at least 3)")
	fs.IntVar(&cfg.Replicas, "replicas", cfg.Replicas, "replicas per master (0: nothing gets promoted)")
	fs.DurationVar(&cfg.NodeTimeout, "node-timeout", cfg.NodeTimeout, "cluster-node-timeout")
	fs.StringVar(&cfg.Fault, "fault", cfg.Fault, "kill (SIGKILL) or isolate (cut the master off from the other nodes, not from its clients)")
	fs.Float64Var(&cfg.Load.Rate, "rate", cfg.Load.Rate, "client requests per second in all (0: no load)")
	fs.IntVar(&cfg.Load.Clients, "clients", cfg.Load.Clients, "cluster-aware clients sharing the rate")
	fs.Float64Var(&cfg.Load.Writes, "writes", cfg.Load.Writes, "fraction of requests that are writes (SET of a fresh key; the rest GET)")
	fs.IntVar(&cfg.Load.Keys, "keys", cfg.Load.Keys, "keys the reads draw from")
	out := fs.String("out", "out/failover", "folder for the PNG and SVG figures (empty: no figures; with -json or -csv, none unless given)")
	csv := fs.Bool("csv", false, "print one CSV row per run: seed,pfail_ms,fail_ms,promoted_ms,promoted_replica, then under load unserved_ms,requests,failed,redirected,acked_writes,lost_writes")
	asJSON := fs.Bool("json", false, "print the runs and the summary as JSON")
	quiet := fs.Bool("q", false, "no progress on stderr")
	tracePath := fs.String("trace", "", "write the first run's Chrome/Perfetto trace to `FILE` (open it at https://ui.perfetto.dev)")
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	// Output for programs (JSON, CSV) comes without figures unless -out asks for them.
	if (*asJSON || *csv) && !command.Given(fs, "out") {
		*out = ""
	}
	if *csv && *asJSON {
		return fmt.Errorf("-csv and -json exclude each other")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		cfg.Trace = f
	}
	if !*quiet {
		cfg.Progress = command.Progress(stderr)
		fmt.Fprintf(stderr, "failover: seed %d, %d runs, %s at node timeout %v, %g requests/s\n", cfg.Seed, cfg.Runs, cfg.Fault, cfg.NodeTimeout, cfg.Load.Rate)
	}
	res, err := experiments.RunFailover(cfg)
	if err != nil {
		return err
	}
	switch {
	case *csv:
		err = experiments.WriteFailoverCSV(stdout, res)
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	default:
		err = experiments.WriteFailoverTable(stdout, res)
	}
	if err != nil || *out == "" {
		return err
	}
	paths, err := plots.FailoverFigures(res, *out)
	if err != nil {
		return err
	}
	where := stdout
	if *csv || *asJSON {
		where = stderr
	}
	fmt.Fprintf(where, "Figures: %s\n", strings.Join(paths, " "))
	return nil
}
