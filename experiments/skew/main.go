// Command skew compares how hash % N, a consistent-hash ring and Redis hash slots spread
// keys and how many keys they move when the cluster changes. With no flags it runs the
// default comparison, prints tables and writes figures to ./out/skew.
//
//	go run ./experiments/skew                      # the default comparison
//	go run ./experiments/skew -json                # the results as JSON
//	go run ./experiments/skew -csv                 # every number, one a row
//	go run ./experiments/skew -keys 200000000 -schemes modulo,ring:100,slots -sweep=false
//	go run ./experiments/skew -keys-file keys.txt  # keys from redis-cli --scan
//	go run ./experiments/skew -size file:memkeys.txt  # sizes from redis-cli --memkeys
//	go run ./experiments/skew -nodes nodes.txt     # your cluster: redis-cli cluster nodes > nodes.txt
//	go run ./experiments/skew -addr 10.0.0.1:7000  # your cluster, read from one of its nodes
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/plots"
)

func main() {
	os.Exit(command.Exit("skew", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := experiments.DefaultSkewConfig()
	fs := flag.NewFlagSet("skew", flag.ContinueOnError)
	command.Setup(fs, stderr, "skew [flags]", `Compares how hash % N, a consistent-hash ring and Redis hash slots spread keys and
requests, and how many keys they move when a master joins, leaves or crashes; prints
tables and writes figures.`)
	var (
		seed     = fs.Uint64("seed", cfg.Keys.Seed, "seed of the generated keys; the same seed gives the same tables and figures")
		keys     = fs.Int64("keys", cfg.Keys.Count, "keys for the scale-out and scale-in (3 → 4 → 3 masters, or -nodes' N → N+1 → N), workload and crash measurements")
		keysFile = fs.String("keys-file", "", "read keys from this file, one per line (e.g. redis-cli --scan), instead of generating them")
		cluster  = command.ClusterFlags(fs, "start, instead of from the tutorial's, from")
		size     = fs.String("size", experiments.DefaultSizes.String(), "key sizes in bytes of memory: fixed:BYTES, lognormal:MEDIAN:SIGMA, pareto:MIN:ALPHA, file:PATH (redis-cli --memkeys output, or KEY BYTES [TYPE ELEMENTS] lines; with -keys-file PATH, each key its own line's), or none")
		zipf     = fs.Float64("zipf", cfg.Keys.Zipf, "Zipf exponent of the request load over the keys (0: every key equally requested)")
		tags     = fs.Int("tags", cfg.TaggedKeys.Tags, "distinct hash tags in the tagged workload (0 to skip it)")
		schemes  = fs.String("schemes", "modulo,ring:1,ring:10,ring:100,ring:1000,ring:1:21,slots,slots:rebalance", "schemes to compare: modulo, ring:<vnodes>, ring:<vnodes>:<probes> (multi-probe), slots (the seed's reshard), slots:rebalance")
		sweep    = fs.Bool("sweep", true, "measure N → N+1 for every N from -min-n to -max-n")
		sweepKey = fs.Int64("sweep-keys", cfg.SweepKeys, "keys per cluster size in the sweep")
		minN     = fs.Int("min-n", cfg.MinN, "smallest cluster of the sweep")
		maxN     = fs.Int("max-n", cfg.MaxN, "largest cluster of the sweep")
		vnodes   = fs.String("vnodes", "1,10,100,1000", "virtual node counts for the σ/mean-against-V law (empty to skip)")
		lawSize  = fs.Int("law-members", cfg.LawMembers, "ring size for the σ/mean-against-V law")
		asJSON   = fs.Bool("json", false, "print the results as JSON instead of tables")
		asCSV    = fs.Bool("csv", false, "print every number as CSV instead of tables, one a row: table,scheme,case,member,metric,value")
		out      = fs.String("out", "out/skew", "folder for the PNG and SVG figures (empty: no figures; with -json or -csv, none unless given)")
		workers  = fs.Int("workers", 0, "goroutines measuring keys (0: one per CPU); results do not depend on it")
		quiet    = fs.Bool("q", false, "no progress on stderr")
		cpuprof  = fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
		clusterN = fs.Int("cluster-requests", cfg.ClusterRequests, "GETs, drawn by the keys' Zipf weights, served by the simulated cluster (the tutorial's 3 + 3 nodes, or a copy of -nodes' or -addr's) (0 to skip)")
	)
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() > 0 {
		return command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	// Output for programs (JSON, CSV) comes without figures unless -out asks for them.
	if (*asJSON || *asCSV) && !command.Given(fs, "out") {
		*out = ""
	}
	if *asJSON && *asCSV {
		return fmt.Errorf("-csv and -json exclude each other")
	}
	var err error
	if cfg.Schemes, err = experiments.ParseSchemes(*schemes); err != nil {
		return err
	}
	nodes, source, err := cluster()
	if err != nil {
		return err
	}
	if nodes != nil {
		if cfg.Start, err = experiments.ClusterFromNodes(nodes, source); err != nil {
			return err
		}
	}
	sizes, err := experiments.ParseSize(*size)
	if err != nil {
		return command.Usagef(fs, "-%v", err) // every ParseSize error starts with "size"
	}
	cfg.Keys = experiments.KeySpec{Count: *keys, Kind: experiments.Uniform, Seed: *seed, Zipf: *zipf, File: *keysFile, Size: sizes}
	cfg.TaggedKeys = experiments.KeySpec{}
	if *tags < 0 {
		return fmt.Errorf("-tags %d: want 0 (no tagged workload) or more", *tags)
	}
	if *tags > 0 {
		cfg.TaggedKeys = experiments.KeySpec{Count: min(*keys, 1_000_000), Kind: experiments.Tagged, Tags: *tags, Seed: *seed}
		if own := sizes.Dist == experiments.SizeFile && sizes.File == *keysFile; !own {
			cfg.TaggedKeys.Size = sizes // keys with their own sizes have no tagged twins
		}
	}
	cfg.SweepKeys, cfg.MinN, cfg.MaxN = *sweepKey, *minN, *maxN
	if !*sweep {
		cfg.MinN, cfg.MaxN = 0, 0
	}
	if cfg.VNodes, err = experiments.ParseInts("vnodes", *vnodes); err != nil {
		return err
	}
	cfg.LawMembers, cfg.Workers = *lawSize, *workers
	if *clusterN < 0 {
		return fmt.Errorf("-cluster-requests %d: want 0 or more", *clusterN)
	}
	cfg.ClusterRequests = *clusterN
	if err := cfg.Validate(); err != nil {
		return err
	}
	if !*quiet {
		cfg.Progress = command.Progress(stderr)
		fmt.Fprintf(stderr, "skew: seed %d, %s\n", *seed, cfg.Keys)
	}
	res, err := experiments.RunSkew(cfg)
	if err != nil {
		return err
	}
	if !*quiet {
		if peak, ok := peakRSS(); ok {
			fmt.Fprintf(stderr, "skew: peak resident memory %d MiB\n", peak>>20)
		}
	}
	switch {
	case *asJSON:
		err = res.WriteJSON(stdout)
	case *asCSV:
		err = experiments.WriteSkewCSV(stdout, res)
	default:
		err = res.WriteTable(stdout)
	}
	if err != nil {
		return err
	}
	if *out == "" {
		return nil
	}
	paths, err := plots.SkewFigures(res, *out)
	if err != nil {
		return err
	}
	where := stdout
	if *asJSON || *asCSV {
		where = stderr
	}
	fmt.Fprintf(where, "\nFigures: %s\n", strings.Join(paths, " "))
	return nil
}

// peakRSS reads the process's peak resident set size (VmHWM) from /proc, where there is one.
func peakRSS() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				return kb << 10, err == nil
			}
		}
	}
	return 0, false
}
