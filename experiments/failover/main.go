// Command failover kills a master of a simulated Redis Cluster, over and over with a new
// seed each time, and reports how long the cluster took to flag it PFAIL, mark it FAIL and
// promote its replica, next to real Redis 7.0.15 measured at the same node timeout.
//
//	go run ./experiments/failover                              # 200 runs at node timeout 1 s
//	go run ./experiments/failover -node-timeout 1s -runs 50 -csv  # seed,pfail_ms,fail_ms,promoted_ms
//	go run ./experiments/failover -node-timeout 5s -json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kvplace/kvplace/experiments"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := experiments.DefaultFailoverConfig()
	fs := flag.NewFlagSet("failover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the first run; run i uses seed+i, and the same seeds give the same numbers")
	fs.IntVar(&cfg.Runs, "runs", cfg.Runs, "number of simulated failovers")
	fs.IntVar(&cfg.Masters, "masters", cfg.Masters, "masters in the cluster (at least 3)")
	fs.IntVar(&cfg.Replicas, "replicas", cfg.Replicas, "replicas per master (0: nothing gets promoted)")
	fs.DurationVar(&cfg.NodeTimeout, "node-timeout", cfg.NodeTimeout, "cluster-node-timeout")
	csv := fs.Bool("csv", false, "print one CSV row per run: seed,pfail_ms,fail_ms,promoted_ms,promoted_replica")
	asJSON := fs.Bool("json", false, "print the runs and the summary as JSON")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *csv && *asJSON {
		return fmt.Errorf("-csv and -json exclude each other")
	}
	if !*quiet {
		cfg.Progress = stderr
		fmt.Fprintf(stderr, "failover: seed %d, %d runs, node timeout %v\n", cfg.Seed, cfg.Runs, cfg.NodeTimeout)
	}
	res, err := experiments.RunFailover(cfg)
	if err != nil {
		return err
	}
	switch {
	case *csv:
		return experiments.WriteFailoverCSV(stdout, res)
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return experiments.WriteFailoverTable(stdout, res)
}
