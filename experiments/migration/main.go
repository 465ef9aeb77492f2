// Command migration predicts what a reshard does when some values are big. It runs the
// seed tutorial's scale-out (3 masters with a replica each, a fourth added, 4096 slots
// resharded to it from all) on a simulated cluster holding keys of a size distribution and
// a few big hashes, under application load, for each node timeout and --cluster-pipeline
// given. MIGRATE holds a master's one thread while it serializes a value, waits for the
// target's RESTORE and frees it, as measured on real Redis 7.0.15 (sim/cluster/calibration):
// a big enough value stalls its master past the node timeout, the others mark it FAIL and
// its replica takes over mid-reshard. It reports, per node timeout and pipeline, the
// reshard's time, each master's longest stall, failovers, failed requests and lost keys,
// and recommends the smallest node timeout that survives the largest value and the fastest
// pipeline. Figures go to ./out/migration.
//
//	go run ./experiments/migration                                  # the default, about 25 s
//	go run ./experiments/migration -big hash:500000,zset:1000000 -node-timeouts 1s,5s
//	go run ./experiments/migration -size lognormal:1kb:1.5 -pipelines 10,1000 -csv
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/plots"
)

func main() {
	os.Exit(command.Exit("migration", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := experiments.DefaultMigrationConfig()
	fs := flag.NewFlagSet("migration", flag.ContinueOnError)
	command.Setup(fs, stderr, "migration [flags]", `Reshards a simulated cluster holding big values under load, for each node timeout
and --cluster-pipeline, and reports stalls, failovers, failed requests and the reshard's
time, with the node timeout and pipeline it recommends.`)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the first run; the same seed gives the same numbers")
	fs.IntVar(&cfg.Runs, "runs", cfg.Runs, "runs per node timeout and pipeline, seeds -seed, -seed+1, …")
	fs.IntVar(&cfg.Keys, "keys", cfg.Keys, "string keys stored before the reshard")
	size := fs.String("size", cfg.Size.String(), "the keys' sizes in bytes of memory: fixed:BYTES, lognormal:MEDIAN:SIGMA or pareto:MIN:ALPHA (units k, kb, m, mb, g, gb), or none")
	big := fs.String("big", joinBig(cfg.Big), "the big collections, TYPE:ELEMENTS comma-separated, TYPE hash, list, set or zset, written as a runbook's load writes them (none: no big value)")
	schemes := fs.String("schemes", strings.Join(cfg.Schemes, ","), "how the slots move, comma-separated: slots (redis-cli --cluster reshard of 4096 slots from all, as the seed tutorial) or slots:rebalance (--cluster rebalance --cluster-use-empty-masters)")
	timeouts := fs.String("node-timeouts", joinDurations(cfg.NodeTimeouts), "cluster-node-timeout values to try, comma-separated")
	pipelines := fs.String("pipelines", experiments.FormatInts(cfg.Pipelines), "--cluster-pipeline values to try, comma-separated")
	fs.DurationVar(&cfg.Timeout, "cluster-timeout", cfg.Timeout, "--cluster-timeout: how long redis-cli's MIGRATE waits")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "GETs per second in all")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "go-redis clients sharing the rate")
	cfg.Client.Flags(fs)
	fs.Float64Var(&cfg.Slowdown, "slowdown", cfg.Slowdown, "how much slower your hosts are than the calibration's at big values (1.5: each MIGRATE, RESTORE and free takes 1.5 times as long)")
	out := fs.String("out", "out/migration", "folder for the PNG and SVG figures (empty: no figures; with -json or -csv, none unless given)")
	asJSON := fs.Bool("json", false, "print every run as JSON")
	asCSV := fs.Bool("csv", false, "print one CSV row per run")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	if *asJSON && *asCSV {
		return command.Usagef(fs, "-csv and -json exclude each other")
	}
	if (*asJSON || *asCSV) && !command.Given(fs, "out") {
		*out = ""
	}
	var err error
	if cfg.Size, err = experiments.ParseSize(*size); err != nil {
		return command.Usagef(fs, "-%v", err)
	}
	if cfg.Big, err = experiments.ParseBigValues(*big); err != nil {
		return command.Usagef(fs, "-%v", err) // every ParseBigValues error starts with "big"
	}
	cfg.Schemes = strings.Split(*schemes, ",")
	if cfg.Pipelines, err = parseInts("pipelines", *pipelines); err != nil {
		return command.Usagef(fs, "%v", err)
	}
	if cfg.NodeTimeouts, err = parseDurations(*timeouts); err != nil {
		return command.Usagef(fs, "%v", err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	start := time.Now()
	if !*quiet {
		cfg.Progress = command.Progress(stderr)
		fmt.Fprintf(stderr, "migration: seed %d, %d runs a cell, node timeouts %s, pipelines %s, big values %s\n",
			cfg.Seed, cfg.Runs, *timeouts, *pipelines, *big)
	}
	res, err := experiments.RunMigration(cfg)
	if err != nil {
		return err
	}
	switch {
	case *asCSV:
		err = experiments.WriteMigrationCSV(stdout, res)
	case *asJSON:
		err = command.JSON(stdout, res)
	default:
		err = experiments.WriteMigrationTable(stdout, res)
	}
	if err != nil {
		return err
	}
	if err := command.Figures(*out, func(dir string) ([]string, error) { return plots.MigrationFigures(res, dir) }, *asJSON || *asCSV, stdout, stderr); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "migration: done in %.1fs\n", time.Since(start).Seconds())
	}
	return nil
}

// parseInts reads a comma-separated list of positive integers; "none" or "" is empty.
func joinBig(bs []experiments.BigValue) string {
	var s []string
	for _, b := range bs {
		s = append(s, b.String())
	}
	return strings.Join(s, ",")
}

func parseInts(flag, s string) ([]int, error) {
	if s == "" || s == "none" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-%s %q: %q is not a positive integer", flag, s, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("-node-timeouts %q: %q is not a duration (1s, 1500ms, 2m)", s, f)
		}
		out = append(out, d)
	}
	return out, nil
}

func joinDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}
